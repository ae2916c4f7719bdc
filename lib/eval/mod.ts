/**
 * Evaluation: scoring a test set with a model, the metrics of a run (image and pixel
 * AUROC, AUPRO, thresholds, per-defect results), per-video score normalisation, run
 * reports, results tables, comparisons of runs and the paper's quoted tables.
 *
 * @example
 * ```ts
 * import { evaluateScores } from "./mod.ts";
 * const m = evaluateScores([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
 * console.log(m.image_auroc); // 1
 * ```
 * @module
 */
export * from "./class_summary.ts";
export * from "./compare.ts";
export * from "./evaluate.ts";
export * from "./evaluate_model.ts";
export * from "./gan_monitor.ts";
export * from "./paper_tables.ts";
export * from "./run_report.ts";
export * from "./score_images.ts";
export * from "./score_set.ts";
export * from "./table.ts";
