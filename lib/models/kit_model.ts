/**
 * What every model of the kit offers: training objectives (for the trainer) and a
 * scorer (for evaluation and prediction).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { TrainableModel } from "../train/trainer.ts";

/** Scores of one batch, in evaluation mode. */
export interface ScoreOutput {
  /** One anomaly score per image (higher = more anomalous). */
  scores: tf.Tensor1D;
  /** Per-pixel anomaly map [B, H, W] at the input resolution. */
  maps: tf.Tensor3D;
  /** The reconstruction (or prediction) the score compares against, when there is one. */
  reconstruction?: tf.Tensor4D;
}

/** A trainable anomaly detector. */
export interface KitModel extends TrainableModel {
  /** Scores a batch in evaluation mode. */
  score(x: tf.Tensor4D): ScoreOutput;
  /**
   * Optional post-processing of a whole test set's raw scores (e.g. DAAD+'s min-max
   * normalised fusion of two scores, eq. 7). Receives per-image components by name.
   */
  readonly scoreComponents?: string[];
  dispose(): void;
}
