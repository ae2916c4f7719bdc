/**
 * The losses of DAAD+ (paper §3.2): L = λ_rec·L_rec + λ_adv·L_adv + λ_ali·L_ali (eq. 3).
 *
 * - L_rec (eq. 4): ‖x − x̂‖₂ per image, averaged over the batch. For DAAD alone the kit
 *   minimises the mean squared error (Adam does not care about a single loss's scale);
 *   here the three terms are weighed against each other (50 : 0.5 : 0.5), and the
 *   norm's gradient keeps its size as the error shrinks while the mean square's fades:
 *   with mean squares the adversarial terms overpowered reconstruction (measured on the
 *   synthetic texture: reconstruction error 0.19 instead of 0.055 after 60 epochs).
 * - L_adv (eq. 5): the GAN loss of Goodfellow et al. The discriminator maximises
 *   log D(x) + log(1 − D(G(x))), i.e. minimises the binary cross-entropy with real = 1
 *   and reconstructed = 0, written on logits l (D = sigmoid(l)) as softplus(−l_real) +
 *   softplus(l_fake), which stays finite where sigmoid saturates. The generator uses the
 *   non-saturating form of the same game, minimising −log D(G(x)) = softplus(−l_fake)
 *   (Goodfellow et al. §3; DCGAN and GANomaly do the same): log(1 − D(G(x))) has almost
 *   no gradient while D rejects the reconstructions confidently, early in training.
 * - L_ali (eq. 6): ‖f_D(x) − f_D(x̂)‖₂ per image, averaged over the batch.
 *
 * Both norms are taken as sqrt(Σ d² + ε) with ε = 1e-12, so the gradient stays finite
 * where the difference is zero.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { discriminatorLoss, generatorAdversarialLoss } from "./loss.ts";
 * const d = discriminatorLoss(tf.tensor2d([[3]]), tf.tensor2d([[-3]]));
 * console.log(d.total.dataSync()[0]); // 2·log(1 + e^-3) ≈ 0.0972
 * console.log(generatorAdversarialLoss(tf.tensor2d([[-3]])).dataSync()[0]); // log(1 + e^3)
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LossTerms } from "../../train/trainer.ts";
import { meanL2Distance } from "../daad/loss.ts";

export { reconstructionNormLoss } from "../daad/loss.ts";

/**
 * softplus(z) = log(1 + e^z), as max(z, 0) + log(1 + e^−|z|): no overflow for large
 * |z|, and the gradient is sigmoid(z) everywhere (0.5 at 0).
 */
export function softplus<T extends tf.Tensor>(z: T): T {
  return tf.tidy(() => tf.add(tf.relu(z), tf.log(tf.add(tf.exp(tf.neg(tf.abs(z))), 1)))) as T;
}

/** The discriminator's loss and its two halves. */
export interface DiscriminatorLoss {
  /** −[log D(x) + log(1 − D(x̂))] averaged: the negated eq. 5. */
  total: tf.Scalar;
  /** −log D(x) averaged over real images (and f_D positions). */
  real: tf.Scalar;
  /** −log(1 − D(x̂)) averaged over reconstructions (and f_D positions). */
  fake: tf.Scalar;
}

/**
 * Binary cross-entropy of the discriminator: real logits toward `realLabel` (1 = eq. 5;
 * below 1 = one-sided label smoothing, Salimans et al. 2016, which keeps D from
 * becoming certain), fake toward 0. With target t the real half is
 * t·softplus(−l) + (1 − t)·softplus(l).
 */
export function discriminatorLoss(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  realLabel = 1,
): DiscriminatorLoss {
  const real = (realLabel === 1 ? tf.mean(softplus(tf.neg(realLogits))) : tf.add(
    tf.mul(tf.mean(softplus(tf.neg(realLogits))), realLabel),
    tf.mul(tf.mean(softplus(realLogits)), 1 - realLabel),
  )) as tf.Scalar;
  const fake = tf.mean(softplus(fakeLogits)) as tf.Scalar;
  return { total: tf.add(real, fake) as tf.Scalar, real, fake };
}

/** The generator's (non-saturating) adversarial loss: −log D(x̂) averaged. */
export function generatorAdversarialLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.mean(softplus(tf.neg(fakeLogits))) as tf.Scalar;
}

/** L_ali (eq. 6): mean over images of ‖f_D(x) − f_D(x̂)‖₂. */
export function alignmentLoss(realFeatures: tf.Tensor2D, fakeFeatures: tf.Tensor2D): tf.Scalar {
  return meanL2Distance(realFeatures, fakeFeatures);
}

/** L_ali in the mean-square reading of eq. 6: mean over images and f_D values of the square. */
export function alignmentMeanSquareLoss(
  realFeatures: tf.Tensor2D,
  fakeFeatures: tf.Tensor2D,
): tf.Scalar {
  return tf.mean(tf.squaredDifference(realFeatures, fakeFeatures));
}

/**
 * The fraction of `logits` D classifies as real (logit > 0) or, with `real` false, as
 * reconstructed (logit < 0): D's accuracy on a batch of one kind. Carries no gradient
 * that matters (a step function), so it can be logged beside a loss.
 */
export function discriminatorAccuracy(logits: tf.Tensor, real: boolean): tf.Scalar {
  return tf.tidy(() =>
    tf.mean(tf.cast(real ? tf.greater(logits, 0) : tf.less(logits, 0), "float32")) as tf.Scalar
  );
}

/** The weights of eq. 3 and MemAE's entropy weight. */
export interface GeneratorLossWeights {
  lambdaRec: number;
  lambdaAdv: number;
  lambdaAli: number;
  /** MemAE's α; the entropy term is scaled by λ_rec too, keeping its ratio to L_rec. */
  entropyWeight: number;
  /** β of `vq` addressing's commitment loss (scaled by λ_rec too); absent = 0.25. */
  commitmentWeight?: number;
}

/** The raw (unweighted) terms of the generator's loss; null = switched off. */
export interface GeneratorLossInputs {
  rec: tf.Scalar;
  entropy: tf.Scalar | null;
  adv: tf.Scalar | null;
  ali: tf.Scalar | null;
  /** `vq` addressing: the generator's commitment and codebook losses; absent = none. */
  commitment?: tf.Scalar | null;
  codebook?: tf.Scalar | null;
}

/**
 * Eq. 3 for the generator: λ_rec·(L_rec + α·E) + λ_adv·L_adv + λ_ali·L_ali (with `vq`
 * addressing, λ_rec·(β·L_commit + L_codebook) joins the first term). `parts`
 * holds the raw terms that are on (rec, entropy, adv, ali); those switched off are
 * absent, so logs show what trained.
 */
export function generatorLoss(t: GeneratorLossInputs, w: GeneratorLossWeights): LossTerms {
  const parts: Record<string, tf.Scalar> = { rec: t.rec };
  let recTerm: tf.Tensor = t.rec;
  if (t.entropy != null && w.entropyWeight > 0) {
    parts.entropy = t.entropy;
    recTerm = tf.add(recTerm, tf.mul(t.entropy, w.entropyWeight));
  }
  if (t.commitment != null) {
    parts.commitment = t.commitment;
    recTerm = tf.add(recTerm, tf.mul(t.commitment, w.commitmentWeight ?? 0.25));
  }
  if (t.codebook != null) {
    parts.codebook = t.codebook;
    recTerm = tf.add(recTerm, t.codebook);
  }
  const terms: tf.Tensor[] = [tf.mul(recTerm, w.lambdaRec)];
  if (t.adv != null) {
    parts.adv = t.adv;
    terms.push(tf.mul(t.adv, w.lambdaAdv));
  }
  if (t.ali != null) {
    parts.ali = t.ali;
    terms.push(tf.mul(t.ali, w.lambdaAli));
  }
  const total = (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
  return { total, parts };
}
