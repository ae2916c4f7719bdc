/**
 * Evaluation metrics: image-level AUROC (Mann-Whitney, ties counted one half), ROC
 * curve points and the F1-optimal threshold.
 * @module
 */
export { auroc, bestF1Threshold, MetricInputError, rocArea, rocCurve } from "./auroc.ts";
export type { RocPoint } from "./auroc.ts";
