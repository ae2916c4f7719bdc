/**
 * Turns per-image scores (and optionally per-pixel maps and masks) into the metrics a
 * run reports: image AUROC, pixel AUROC, ROC points and the F1-optimal threshold.
 * @module
 */
import { auroc, bestF1Threshold, rocCurve, type RocPoint } from "../metrics/mod.ts";

/** Metrics of one evaluation. */
export interface EvalMetrics {
  image_auroc: number;
  /** AUROC over all pixels of all test images against the masks; null without masks. */
  pixel_auroc: number | null;
  n_test: number;
  n_normal: number;
  n_anomalous: number;
  /** Threshold maximising F1 on this test split (anomalous when score >= value). */
  threshold: { value: number; f1: number; precision: number; recall: number };
  /** ROC points (thinned to at most 200). */
  roc: RocPoint[];
}

/** Keeps at most `max` points, always the first and last. */
export function thinRoc(points: RocPoint[], max = 200): RocPoint[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}

/** Computes {@linkcode EvalMetrics}. `maps` and `masks` are n·H·W values. */
export function evaluateScores(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maps?: Float32Array,
  masks?: Float32Array,
): EvalMetrics {
  let nAnomalous = 0;
  for (let i = 0; i < labels.length; i++) nAnomalous += labels[i];
  let pixel: number | null = null;
  if (maps != null && masks != null) {
    if (maps.length !== masks.length) {
      throw new Error(`${maps.length} map pixels but ${masks.length} mask pixels`);
    }
    const binary = Uint8Array.from(masks, (v) => (v > 0.5 ? 1 : 0));
    let pos = 0;
    for (const v of binary) pos += v;
    pixel = pos > 0 && pos < binary.length ? auroc(maps, binary) : null;
  }
  const best = bestF1Threshold(scores, labels);
  return {
    image_auroc: auroc(scores, labels),
    pixel_auroc: pixel,
    n_test: scores.length,
    n_normal: scores.length - nAnomalous,
    n_anomalous: nAnomalous,
    threshold: {
      value: best.threshold,
      f1: best.f1,
      precision: best.precision,
      recall: best.recall,
    },
    roc: thinRoc(rocCurve(scores, labels)),
  };
}
