/**
 * What every data set's loader returns: the train and test sets of one run.
 * @module
 */
import type { ImageSet } from "./image_set.ts";

/** Train and test sets of one run, and a sentence describing the protocol. */
export interface RunData {
  train: ImageSet;
  test: ImageSet;
  protocol: string;
  /**
   * How final scores are normalised before the AUROC: video protocols (MemAE, MNAD)
   * min-max normalise each video's scores (test `groups` = video); see `eval/`'s
   * `normalizeScores`.
   */
  scoreNormalization?: "per-group-minmax";
}
