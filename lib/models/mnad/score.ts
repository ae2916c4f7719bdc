/**
 * MNAD's scores (paper §3.1.2 and §3.3): the weighted regular score E_t that gates the
 * test-time memory update (eq. 6-7), and the abnormality score S_t (eq. 14-17), which
 * combines the PSNR of the output frame and the distance of the queries to their
 * nearest items, each min-max normalised over the frames of one video.
 *
 * Intensities: frames live in [-1, 1] in the kit; PSNR and E_t are computed on
 * intensities mapped to [0, 1], where eq. 15's peak value max(Î) is 1 (the brightest
 * possible intensity; a per-frame maximum would be ≤ 0 for dark frames in [-1, 1]).
 *
 * @example
 * ```ts
 * import { combineScores } from "./score.ts";
 * // Two videos: frame scores are normalised within each one.
 * const s = combineScores(
 *   { psnr: [30, 20, 40, 35], distance: [0.1, 0.3, 0.2, 0.2] },
 *   ["a", "a", "b", "b"],
 *   0.5,
 * );
 * console.log(Array.from(s)); // [0, 1, 0, 0.5]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { minMaxPerGroup } from "../../metrics/normalize.ts";
import type { MnadConfig, MnadRegularError } from "./config.ts";
import { distanceToItems, gatedUpdate, nearestItems, updateMemory } from "./memory.ts";

/** PSNR's mean squared error floor: a perfect frame gets 100 dB, not +∞. */
export const PSNR_MSE_FLOOR = 1e-10;

/** [-1, 1] → [0, 1]. */
function unit(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.add(x, 1), 0.5);
}

/**
 * PSNR per frame (eq. 15): 10·log10(1 / mse) on [0, 1] intensities, mse the mean over
 * pixels and channels. `target`, `output` [B, H, W, C] in [-1, 1]; returns [B] in dB.
 */
export function psnr(target: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const mse = tf.maximum(
      tf.mean(tf.squaredDifference(unit(output), unit(target)), [1, 2, 3]),
      PSNR_MSE_FLOOR,
    );
    return tf.mul(tf.log(mse), -10 / Math.LN10) as tf.Tensor1D;
  });
}

/**
 * The weighted regular score E_t per frame (eq. 6-7): Σ_ij W_ij e_ij with
 * W_ij = (1 − exp(−e_ij)) / Σ_ij (1 − exp(−e_ij)), on [0, 1] intensities. The per-pixel
 * error e_ij is ‖Î^ij − I^ij‖₂ over channels (`norm`, as eq. 6 prints it), the squared
 * error averaged over channels (`squared`, the scale on which §4.1's γ values gate
 * anything; see {@linkcode MnadRegularError}), or each pixel-channel's squared error
 * on its own (`channel-squared`, the official `point_score`: the sums run over pixels
 * and channels). Frames with no error at all score 0.
 */
export function regularScore(
  target: tf.Tensor4D,
  output: tf.Tensor4D,
  error: MnadRegularError,
): tf.Tensor1D {
  return tf.tidy(() => {
    const sq = tf.squaredDifference(unit(output), unit(target));
    const e = error === "channel-squared"
      ? sq // [B, H, W, C]
      : error === "norm"
      ? tf.sqrt(tf.sum(sq, 3))
      : tf.mean(sq, 3); // [B, H, W]
    const axes = e.rank === 4 ? [1, 2, 3] : [1, 2];
    const w = tf.sub(1, tf.exp(tf.neg(e)));
    const num = tf.sum(tf.mul(w, e), axes);
    return tf.div(num, tf.maximum(tf.sum(w, axes), 1e-30)) as tf.Tensor1D;
  });
}

/** Per-pixel anomaly map [B, H, W]: squared error on [0, 1] intensities, mean over channels. */
export function errorMap(target: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => tf.mean(tf.squaredDifference(unit(output), unit(target)), 3) as tf.Tensor3D);
}

/** Min-max normalisation g (eq. 17) within each video; it lives with the metrics. */
export { minMaxPerGroup };

/** Raw per-frame components of the abnormality score. */
export interface MnadComponents {
  /** P(Î_t, I_t) in dB (eq. 15). */
  psnr: ArrayLike<number>;
  /** D(q_t, p), mean query-to-nearest-item distance (eq. 14). */
  distance: ArrayLike<number>;
}

/**
 * The abnormality score S_t (eq. 16): λ·(1 − g(P)) + (1 − λ)·g(D), with g the min-max
 * normalisation over the frames of each video (eq. 17; `groups` = video ids, null =
 * one video). Higher = more anomalous.
 */
export function combineScores(
  components: MnadComponents,
  groups: ArrayLike<string> | null,
  lambda: number,
): Float32Array {
  const { psnr: p, distance: d } = components;
  if (p.length !== d.length) {
    throw new RangeError(`${p.length} PSNR values but ${d.length} distances`);
  }
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`λ must be in [0, 1], got ${lambda}`);
  const gp = minMaxPerGroup(p, groups), gd = minMaxPerGroup(d, groups);
  const out = new Float32Array(p.length);
  for (let i = 0; i < out.length; i++) out[i] = lambda * (1 - gp[i]) + (1 - lambda) * gd[i];
  return out;
}

/**
 * D (eq. 14) of each of `frames` frames whose queries [frames·K, C] are stacked frame
 * by frame: the mean over the frame's K queries of the distance to the nearest item,
 * ‖q − p_p‖₂ (`distance`, as printed) or ‖q − p_p‖²₂ / C (`mse`: the official
 * `Evaluate.py` takes the compactness loss, a mean squared error, as D). Returns [frames].
 */
export function featureDistance(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  frames: number,
  kind: "distance" | "mse" = "distance",
): tf.Tensor1D {
  return tf.tidy(() => {
    const { nearest } = nearestItems(queries, items);
    const d = distanceToItems(queries, items, nearest, kind);
    return tf.mean(d.reshape([frames, -1]), 1) as tf.Tensor1D;
  });
}

/** The settings {@linkcode scoreFrame} reads. */
export type MnadTestSettings = Pick<
  MnadConfig,
  "testUpdate" | "gamma" | "regularError" | "updateMax" | "featureDistance"
>;

/** One test frame's scores and the memory the next frame reads. */
export interface MnadFrameScore {
  /** D (eq. 14) against the memory before this frame's update [1]. */
  distance: tf.Tensor1D;
  /** E_t (eq. 6) [1]. */
  regular: tf.Tensor1D;
  /** The items after the test-time update (eq. 3-5, gated by E_t < γ) [M, C]. */
  items: tf.Tensor2D;
}

/**
 * One step of the test protocol (§3.1.2, §3.3; the loop of the official `Evaluate.py`)
 * for a frame with queries [K, C], its `target` and `output` [1, H, W, C] in [-1, 1],
 * and the current test-time `items`: the frame's D and E_t, then the memory update if
 * `testUpdate` allows it (`gated`: only when E_t < γ). PSNR and the final score need
 * no memory: see {@linkcode psnr} and {@linkcode combineScores}.
 */
export function scoreFrame(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  target: tf.Tensor4D,
  output: tf.Tensor4D,
  settings: MnadTestSettings,
): MnadFrameScore {
  return tf.tidy(() => {
    const distance = featureDistance(queries, items, 1, settings.featureDistance);
    const regular = regularScore(target, output, settings.regularError);
    const next = settings.testUpdate === "off"
      ? tf.clone(items)
      : settings.testUpdate === "always"
      ? updateMemory(queries, items, settings.updateMax)
      : gatedUpdate(queries, items, regular, settings.gamma, settings.updateMax);
    return { distance, regular, items: next };
  }) as unknown as MnadFrameScore;
}
