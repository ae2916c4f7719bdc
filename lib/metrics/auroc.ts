/**
 * Area under the ROC curve, computed exactly as the Mann-Whitney U statistic with
 * tied scores counted one half, and the ROC curve's points.
 *
 * Labels: 1 (or true) = anomalous = positive; 0 = normal. Higher score = more anomalous.
 *
 * @example
 * ```ts
 * import { auroc } from "./auroc.ts";
 * console.log(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])); // 0.75
 * ```
 * @module
 */
import { argsort } from "./_argsort.ts";

/** Raised for inputs an AUROC cannot be computed on; the message says why. */
export class MetricInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetricInputError";
  }
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): void {
  if (scores.length !== labels.length) {
    throw new MetricInputError(`${scores.length} scores but ${labels.length} labels`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new MetricInputError(`score ${i} is ${scores[i]}; scores must be finite`);
    }
    const l = Number(labels[i]);
    if (l !== 0 && l !== 1) {
      throw new MetricInputError(`label ${i} is ${labels[i]}; labels must be 0 or 1`);
    }
  }
}

/**
 * AUROC = P(score of a random anomaly > score of a random normal) + ½ P(equal).
 * Throws {@linkcode MetricInputError} when a class is missing or inputs are malformed.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  checkInputs(scores, labels);
  const n = scores.length;
  const order = argsort(scores);
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += Number(labels[i]);
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new MetricInputError(
      `AUROC needs both classes; got ${nPos} anomalous and ${nNeg} normal samples`,
    );
  }
  // Sum of the (average, for ties) ranks of the positives: U = R+ − n+(n+ + 1)/2.
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (Number(labels[order[k]]) === 1) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** One point of a ROC curve. */
export interface RocPoint {
  /** Predict anomalous when score >= threshold. */
  threshold: number;
  fpr: number;
  tpr: number;
}

/**
 * The ROC curve: one point per distinct score (descending thresholds), starting at
 * (0, 0) with threshold +Infinity and ending at (1, 1).
 */
export function rocCurve(
  scores: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
): RocPoint[] {
  checkInputs(scores, labels);
  const n = scores.length;
  const order = argsort(scores).reverse();
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += Number(labels[i]);
  const nNeg = n - nPos;
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0, fp = 0;
  for (let i = 0; i < n;) {
    const t = scores[order[i]];
    while (i < n && scores[order[i]] === t) {
      if (Number(labels[order[i]]) === 1) tp++;
      else fp++;
      i++;
    }
    points.push({ threshold: t, fpr: nNeg === 0 ? 0 : fp / nNeg, tpr: nPos === 0 ? 0 : tp / nPos });
  }
  return points;
}

/** Trapezoidal area under {@linkcode rocCurve} (equals {@linkcode auroc}). */
export function rocArea(points: RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    area += (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
  }
  return area;
}

/** The threshold maximising F1 (anomalous = positive) and that F1. */
export function bestF1Threshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
): { threshold: number; f1: number; precision: number; recall: number } {
  const points = rocCurve(scores, labels);
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) nPos += Number(labels[i]);
  const nNeg = labels.length - nPos;
  let best = { threshold: Infinity, f1: 0, precision: 0, recall: 0 };
  for (const p of points.slice(1)) {
    const tp = p.tpr * nPos, fp = p.fpr * nNeg;
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = p.tpr;
    const f1 = precision + recall === 0 ? 0 : 2 * precision * recall / (precision + recall);
    if (f1 > best.f1) best = { threshold: p.threshold, f1, precision, recall };
  }
  return best;
}
