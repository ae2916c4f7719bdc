/**
 * MNAD's training loss (paper §3.2, eq. 8): L = L_rec + λ_c·L_compact + λ_s·L_separate.
 *
 * The paper writes each term as a sum over frames (and queries); here each is a mean,
 * so that the weights λ do not change meaning with the batch size or the image size:
 * - L_rec (eq. 9): mean squared intensity difference between the output frame and its
 *   ground truth (the intensity loss of Frame-Pred, which MNAD follows);
 * - L_compact (eq. 10): mean over queries of ‖q^k − p_p‖₂, p the nearest item (the
 *   official code: ‖q^k − p_p‖²₂ / C, `compactness: "mse"`, whose gradient is
 *   C / (2‖q − p‖) times smaller);
 * - L_separate (eq. 12): mean over queries of [‖q^k − p_p‖₂ − ‖q^k − p_n‖₂ + α]₊, n the
 *   second-nearest item (eq. 13), a triplet loss with the query as anchor.
 * Items are constants here: they change only through the update of eq. 3.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { compactnessLoss, separatenessLoss } from "./loss.ts";
 * const items = tf.tensor2d([[1, 0], [0, 1]]);
 * const q = tf.tensor2d([[1, 0]]);
 * console.log(compactnessLoss(q, items).dataSync()[0]); // ~0: q sits on item 0
 * console.log(separatenessLoss(q, items, 1).dataSync()[0]); // [0 − √2 + 1]₊ = 0
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { distanceToItems, nearestItems } from "./memory.ts";

/** Mean squared intensity difference (eq. 9 as a mean over pixels, channels and frames). */
export function intensityLoss(target: tf.Tensor4D, output: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.squaredDifference(output, target));
}

/**
 * Feature compactness loss (eq. 10): mean over queries [K, C] of ‖q − nearest item‖₂
 * (`distance`), or of ‖q − nearest item‖²₂ / C (`mse`, the official `MSELoss`).
 */
export function compactnessLoss(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  kind: "distance" | "mse" = "distance",
): tf.Scalar {
  return tf.tidy(() => {
    const { nearest } = nearestItems(queries, items);
    return tf.mean(distanceToItems(queries, items, nearest, kind));
  });
}

/**
 * Feature separateness loss (eq. 12) with margin α: mean over queries of
 * [‖q − p_nearest‖₂ − ‖q − p_second‖₂ + α]₊.
 */
export function separatenessLoss(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  margin: number,
): tf.Scalar {
  return tf.tidy(() => {
    const { nearest, second } = nearestItems(queries, items);
    const dp = distanceToItems(queries, items, nearest);
    const dn = distanceToItems(queries, items, second);
    return tf.mean(tf.relu(tf.add(tf.sub(dp, dn), margin)));
  });
}

/** Weights of {@linkcode mnadLoss}. */
export interface MnadLossWeights {
  /** λ_c. */
  lambdaCompact: number;
  /** λ_s. */
  lambdaSeparate: number;
  /** α. */
  margin: number;
  /** The compactness loss's form (default `distance`); see {@linkcode compactnessLoss}. */
  compactness?: "distance" | "mse";
}

/** The loss terms: `total` is minimised, `parts` are logged. */
export interface MnadLossTerms {
  total: tf.Scalar;
  parts: { rec: tf.Scalar; compact: tf.Scalar; separate: tf.Scalar };
}

/**
 * Eq. 8 for one batch: `target` and `output` [B, H, W, C], `queries` [B·h·w, C'] and
 * the memory `items` [M, C'].
 */
export function mnadLoss(
  target: tf.Tensor4D,
  output: tf.Tensor4D,
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  weights: MnadLossWeights,
): MnadLossTerms {
  const rec = intensityLoss(target, output);
  const compact = compactnessLoss(queries, items, weights.compactness);
  const separate = separatenessLoss(queries, items, weights.margin);
  const total = tf.addN([
    rec,
    tf.mul(compact, weights.lambdaCompact),
    tf.mul(separate, weights.lambdaSeparate),
  ]) as tf.Scalar;
  return { total, parts: { rec, compact, separate } };
}
