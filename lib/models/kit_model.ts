/**
 * What every model of the kit offers: training objectives (for the trainer) and a
 * scorer (for evaluation and prediction).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/image_set.ts";
import type { MemoryBankReport } from "../memory/diagnostics.ts";
import type { TrainableModel } from "../train/trainer.ts";

/** Scores of one batch, in evaluation mode. */
export interface ScoreOutput {
  /** One anomaly score per image (higher = more anomalous). */
  scores: tf.Tensor1D;
  /** Per-pixel anomaly map [B, H, W] at the input resolution. */
  maps: tf.Tensor3D;
  /** The reconstruction (or prediction) the score compares against, when there is one. */
  reconstruction?: tf.Tensor4D;
  /**
   * Per-image raw score components (e.g. DAAD+'s R(x) and L(x), MNAD's PSNR and memory
   * distance) that {@linkcode KitModel.finalizeScores} combines over the whole set.
   */
  components?: Record<string, tf.Tensor1D>;
}

/** A trainable anomaly detector. */
export interface KitModel extends TrainableModel {
  /** Scores a batch in evaluation mode. */
  score(x: tf.Tensor4D): ScoreOutput;
  /**
   * Combines per-image components over a whole set into the final scores, for scores
   * that need set-level statistics: DAAD+'s eq. 7 scales R(x) and L(x) to [0, 1] over
   * the test set before fusing them; MNAD normalises per video. Without it, the
   * `scores` of {@linkcode ScoreOutput} are final.
   */
  finalizeScores?(components: Record<string, Float32Array>, set: ImageSet): Float32Array;
  /**
   * The set-level statistics the last {@linkcode finalizeScores} used (DAAD+'s min-max
   * ranges of R(x) and L(x)), JSON-serialisable; saved in metrics.json.
   */
  calibration?(): unknown;
  /** Per memory bank: usage, sparsity and drift over `images` (models with memories). */
  memoryReport?(images: tf.Tensor4D): MemoryBankReport[];
  /**
   * Per-image alignment distance L(x) of a GAN-trained model (DAAD+ with a
   * discriminator), in evaluation mode, for watching training; null without one.
   */
  alignmentProbe?(x: tf.Tensor4D): Float32Array | null;
  /** Scores later sets on a saved calibration's scale (predict on a few new images). */
  calibrate?(calibration: unknown): void;
  dispose(): void;
}
