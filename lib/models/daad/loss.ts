/**
 * Losses of the DAAD family: L2 reconstruction (paper eq. 4, as a mean over pixels and
 * channels) plus, for MemAE addressing, the entropy of the addressing weights.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DaadOutput } from "./model.ts";

/** Mean squared reconstruction error over all pixels, channels and images. */
export function reconstructionLoss(x: tf.Tensor4D, reconstruction: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.squaredDifference(reconstruction, x));
}

/** The terms of the training loss, each a scalar tensor. */
export interface DaadLossTerms {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
}

/** L = L_rec + α·E(ŵ) (α = entropy weight; the entropy term exists for MemAE addressing only). */
export function daadLoss(x: tf.Tensor4D, out: DaadOutput, entropyWeight: number): DaadLossTerms {
  const rec = reconstructionLoss(x, out.reconstruction);
  if (out.entropy == null || entropyWeight === 0) return { total: rec, parts: { rec } };
  const total = tf.add(rec, tf.mul(out.entropy, entropyWeight)) as tf.Scalar;
  return { total, parts: { rec, entropy: out.entropy } };
}
