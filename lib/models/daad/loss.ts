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

/** Mean over the batch of each sample's L2 distance, sqrt(Σ (a − b)² + 1e-12). */
export function meanL2Distance(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const axes = Array.from({ length: a.rank - 1 }, (_, i) => i + 1);
    return tf.mean(tf.sqrt(tf.add(tf.sum(tf.squaredDifference(a, b), axes), 1e-12)));
  });
}

/** Eq. 4 as printed: mean over images of ‖x − x̂‖₂ (finite gradient where x̂ = x). */
export function reconstructionNormLoss(x: tf.Tensor4D, reconstruction: tf.Tensor4D): tf.Scalar {
  return meanL2Distance(x, reconstruction);
}

/** The terms of the training loss, each a scalar tensor. */
export interface DaadLossTerms {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
}

/**
 * L = L_rec + α·E(ŵ) + β·C + β_vq·L_commit + L_codebook (α = entropy weight, for MemAE
 * addressing; β = compactness weight, C = the banks' mean compactness; with `vq`
 * addressing, β_vq = commitment weight and the VQ-VAE losses summed over the banks).
 * L_rec is the mean squared error or, with `recLoss` "l2", eq. 4's per-image norm.
 */
export function daadLoss(
  x: tf.Tensor4D,
  out: DaadOutput,
  entropyWeight: number,
  recLoss: "mse" | "l2" = "mse",
  compactnessWeight = 0,
  commitmentWeight = 0.25,
): DaadLossTerms {
  const rec = recLoss === "l2"
    ? reconstructionNormLoss(x, out.reconstruction)
    : reconstructionLoss(x, out.reconstruction);
  const parts: Record<string, tf.Scalar> = { rec };
  let total = rec;
  if (out.entropy != null && entropyWeight !== 0) {
    parts.entropy = out.entropy;
    total = tf.add(total, tf.mul(out.entropy, entropyWeight));
  }
  if (out.compactness != null && compactnessWeight !== 0) {
    parts.compactness = out.compactness;
    total = tf.add(total, tf.mul(out.compactness, compactnessWeight));
  }
  if (out.commitment != null) {
    parts.commitment = out.commitment;
    if (commitmentWeight !== 0) total = tf.add(total, tf.mul(out.commitment, commitmentWeight));
  }
  if (out.codebook != null) {
    parts.codebook = out.codebook;
    total = tf.add(total, out.codebook);
  }
  return { total, parts };
}
