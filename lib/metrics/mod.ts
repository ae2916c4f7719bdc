/**
 * Evaluation metrics: image-level AUROC (Mann-Whitney, ties counted one half), ROC
 * curve points, the F1-optimal threshold, and AUPRO (MVTec AD's per-region overlap).
 * @module
 */
export { auroc, bestF1Threshold, MetricInputError, rocArea, rocCurve } from "./auroc.ts";
export type { RocPoint } from "./auroc.ts";
export { aupro, labelRegions, proAnalysis, proCurve } from "./aupro.ts";
export type { ProAnalysis, ProOptions, ProPoint, Regions } from "./aupro.ts";
export { minMaxPerGroup } from "./normalize.ts";
