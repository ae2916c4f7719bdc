/**
 * Anomaly scores of the DAAD family: R(x), the mean squared pixel error between an
 * image and its reconstruction (paper §3.3), and the per-pixel error map.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Per-image score R(x) = mean over H, W, C of (x − x̂)². */
export function reconstructionScore(x: tf.Tensor4D, reconstruction: tf.Tensor4D): tf.Tensor1D {
  return tf.mean(tf.squaredDifference(x, reconstruction), [1, 2, 3]);
}

/** Per-pixel anomaly map: squared error averaged over channels, [B, H, W]. */
export function errorMap(x: tf.Tensor4D, reconstruction: tf.Tensor4D): tf.Tensor3D {
  return tf.mean(tf.squaredDifference(x, reconstruction), 3);
}
