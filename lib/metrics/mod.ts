/**
 * Evaluation metrics: image-level AUROC (Mann-Whitney, ties counted one half), ROC
 * curve points, the F1-optimal threshold, AUPRO (MVTec AD's per-region overlap), and
 * the per-group (per-video) min-max normalisation of scores (MNAD's eq. 17).
 * @module
 */
export { auroc, bestF1Threshold, MetricInputError, rocArea, rocCurve } from "./auroc.ts";
export type { RocPoint } from "./auroc.ts";
export { aupro, labelRegions, proAnalysis, proCurve } from "./aupro.ts";
export type { ProAnalysis, ProOptions, ProPoint, Regions } from "./aupro.ts";
export { minMaxPerGroup } from "./normalize.ts";
