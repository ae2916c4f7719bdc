/**
 * Turns per-image scores (and optionally per-pixel maps and masks) into the metrics a
 * run reports: image AUROC, pixel AUROC, AUPRO and its PRO curve, ROC points, the
 * F1-optimal threshold, and the same per defect type against the good test images.
 *
 * A test set of normal images only (a folder of your own images with no anomalies) has
 * no AUROC: its threshold is a quantile of the normal scores instead.
 *
 * @example
 * ```ts
 * import { evaluateScores } from "./evaluate.ts";
 * const m = evaluateScores([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], undefined, undefined, {
 *   groups: ["good", "good", "crack", "dent"],
 * });
 * console.log(m.image_auroc, m.per_defect?.map((d) => d.defect)); // 1 ["crack", "dent"]
 * ```
 * @module
 */
import {
  auroc,
  bestF1Threshold,
  proAnalysis,
  type ProPoint,
  rocCurve,
  type RocPoint,
} from "../metrics/mod.ts";
import { minMaxPerGroup } from "../metrics/normalize.ts";

/** The FPR limit of AUPRO (MVTec AD's evaluation and anomalib report 0.3). */
export const AUPRO_FPR_LIMIT = 0.3;

/** Quantile of the normal test scores used as the threshold when a test set has no anomalies. */
export const NORMAL_QUANTILE = 0.99;

/** The decision threshold a run reports (anomalous when score >= value). */
export interface Threshold {
  value: number;
  /** F1, precision and recall at the threshold on the test split; null without anomalies. */
  f1: number | null;
  precision: number | null;
  recall: number | null;
  /**
   * How it was chosen: "f1" maximises F1 on the test split; "normal-quantile" is the
   * `quantile` of the held-out normal images' scores (a test set without anomalies).
   */
  method: "f1" | "normal-quantile";
  /** The quantile, for "normal-quantile". */
  quantile?: number;
}

/** Image AUROC and AUPRO of one defect type against the good test images. */
export interface DefectMetrics {
  defect: string;
  /** Images of this defect type. */
  n: number;
  image_auroc: number;
  pixel_auroc: number | null;
  aupro: number | null;
}

/** Metrics of one evaluation. */
export interface EvalMetrics {
  /** Null when the test set has no anomalous image. */
  image_auroc: number | null;
  /** AUROC over all pixels of all test images against the masks; null without masks. */
  pixel_auroc: number | null;
  /** Normalised area under the PRO curve up to FPR `aupro_fpr_limit`; null without masks. */
  aupro: number | null;
  aupro_fpr_limit: number;
  n_test: number;
  n_normal: number;
  n_anomalous: number;
  threshold: Threshold;
  /** ROC points (thinned to at most 200; empty without anomalies). */
  roc: RocPoint[];
  /** PRO curve up to the FPR limit (thinned to about 200 points); empty without masks. */
  pro_curve: ProPoint[];
  /**
   * Per defect type (test `groups` other than "good", against the "good" images), for
   * MVTec-style sets whose normal test images are all in group "good"; null otherwise.
   */
  per_defect: DefectMetrics[] | null;
}

/**
 * How a protocol normalises final scores before the AUROC: video protocols (MemAE,
 * MNAD) min-max normalise each video's scores (test `groups` = video).
 */
export type ScoreNormalization = "per-group-minmax";

/**
 * The scores a protocol compares: `scores` unchanged, or min-max normalised within each
 * group (video) for `"per-group-minmax"`.
 *
 * @example
 * ```ts
 * import { normalizeScores } from "./evaluate.ts";
 * const scores = Float32Array.of(1, 3, 10, 30);
 * const s = normalizeScores(scores, "per-group-minmax", ["a", "a", "b", "b"]);
 * console.log(Array.from(s)); // [0, 1, 0, 1]
 * ```
 */
export function normalizeScores(
  scores: Float32Array,
  how: ScoreNormalization | undefined,
  groups: readonly string[] | undefined,
): Float32Array {
  if (how == null) return scores;
  if (groups == null) throw new Error("per-video normalisation needs the test set's groups");
  return minMaxPerGroup(scores, groups);
}

/** Options of {@linkcode evaluateScores}. */
export interface EvaluateOptions {
  /** [height, width] of a map; needed for AUPRO (default: square maps). */
  shape?: [number, number];
  /** Per image, its group (MVTec defect type, "good" for normal images). */
  groups?: readonly string[];
  /** AUPRO's FPR limit. Default {@linkcode AUPRO_FPR_LIMIT}. */
  fprLimit?: number;
  /** Quantile used for the threshold of a normal-only test set. Default {@linkcode NORMAL_QUANTILE}. */
  normalQuantile?: number;
}

/** Keeps at most `max` points, always the first and last. */
export function thinRoc<T>(points: T[], max = 200): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}

/**
 * The q-quantile of `values` with linear interpolation between order statistics (numpy's
 * default): q = 0 is the minimum, q = 1 the maximum.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new RangeError("quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const v = Float64Array.from(values).sort();
  const pos = q * (v.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

interface PixelMetrics {
  pixel_auroc: number | null;
  aupro: number | null;
  pro_curve: ProPoint[];
}

/** Pixel AUROC, AUPRO and the clipped PRO curve of the images at `indices`. */
function pixelMetrics(
  maps: Float32Array,
  binary: Uint8Array,
  shape: [number, number],
  fprLimit: number,
  indices: number[],
): PixelMetrics {
  const px = shape[0] * shape[1];
  let pos = 0;
  for (const i of indices) for (let p = i * px; p < (i + 1) * px; p++) pos += binary[p];
  if (pos === 0 || pos === indices.length * px) {
    return { pixel_auroc: null, aupro: null, pro_curve: [] };
  }
  const mapList = indices.map((i) => maps.subarray(i * px, (i + 1) * px));
  const maskList = indices.map((i) => binary.subarray(i * px, (i + 1) * px));
  const allMaps = indices.length * px === maps.length ? maps : concat(mapList);
  const allMasks = indices.length * px === binary.length ? binary : concatBytes(maskList);
  const pro = proAnalysis(mapList, maskList, shape, { fprLimit, maxPoints: 100 });
  return { pixel_auroc: auroc(allMaps, allMasks), aupro: pro.aupro, pro_curve: pro.curve };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Computes {@linkcode EvalMetrics}. `maps` and `masks` are n·H·W values (masks > 0.5 are
 * anomalous pixels).
 */
export function evaluateScores(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maps?: Float32Array,
  masks?: Float32Array,
  options: EvaluateOptions = {},
): EvalMetrics {
  const n = scores.length;
  const fprLimit = options.fprLimit ?? AUPRO_FPR_LIMIT;
  let nAnomalous = 0;
  for (let i = 0; i < labels.length; i++) nAnomalous += labels[i];
  const all = Array.from({ length: n }, (_, i) => i);
  let binary: Uint8Array | null = null;
  let shape: [number, number] = [0, 0];
  let pixel: PixelMetrics = { pixel_auroc: null, aupro: null, pro_curve: [] };
  if (maps != null && masks != null) {
    if (maps.length !== masks.length) {
      throw new Error(`${maps.length} map pixels but ${masks.length} mask pixels`);
    }
    const px = n > 0 ? maps.length / n : 0;
    shape = options.shape ?? [Math.sqrt(px), Math.sqrt(px)];
    if (!Number.isInteger(shape[0]) || shape[0] * shape[1] !== px) {
      throw new Error(`maps of ${px} pixels per image do not fit shape [${shape.join(", ")}]`);
    }
    binary = Uint8Array.from(masks, (v) => (v > 0.5 ? 1 : 0));
    pixel = pixelMetrics(maps, binary, shape, fprLimit, all);
  }
  let threshold: Threshold;
  if (nAnomalous === 0) {
    const q = options.normalQuantile ?? NORMAL_QUANTILE;
    threshold = {
      value: quantile(scores, q),
      f1: null,
      precision: null,
      recall: null,
      method: "normal-quantile",
      quantile: q,
    };
  } else {
    const best = bestF1Threshold(scores, labels);
    threshold = {
      value: best.threshold,
      f1: best.f1,
      precision: best.precision,
      recall: best.recall,
      method: "f1",
    };
  }
  const oneClass = nAnomalous === 0 || nAnomalous === n;
  return {
    image_auroc: oneClass ? null : auroc(scores, labels),
    pixel_auroc: pixel.pixel_auroc,
    aupro: pixel.aupro,
    aupro_fpr_limit: fprLimit,
    n_test: n,
    n_normal: n - nAnomalous,
    n_anomalous: nAnomalous,
    threshold,
    roc: oneClass ? [] : thinRoc(rocCurve(scores, labels)),
    pro_curve: pixel.pro_curve,
    per_defect: perDefect(scores, labels, options.groups, maps, binary, shape, fprLimit),
  };
}

function perDefect(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: readonly string[] | undefined,
  maps: Float32Array | undefined,
  binary: Uint8Array | null,
  shape: [number, number],
  fprLimit: number,
): DefectMetrics[] | null {
  if (groups == null || groups.length !== scores.length) return null;
  const good: number[] = [];
  const byDefect = new Map<string, number[]>();
  for (let i = 0; i < groups.length; i++) {
    if (labels[i] === 0) {
      if (groups[i] !== "good") return null; // not an MVTec-style set (e.g. one-class MNIST)
      good.push(i);
    } else {
      if (!byDefect.has(groups[i])) byDefect.set(groups[i], []);
      byDefect.get(groups[i])!.push(i);
    }
  }
  if (good.length === 0 || byDefect.size === 0) return null;
  return [...byDefect.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(
    ([defect, idx]) => {
      const both = [...good, ...idx];
      const pixel = maps != null && binary != null
        ? pixelMetrics(maps, binary, shape, fprLimit, both)
        : null;
      return {
        defect,
        n: idx.length,
        image_auroc: auroc(both.map((i) => scores[i]), both.map((i) => labels[i])),
        pixel_auroc: pixel?.pixel_auroc ?? null,
        aupro: pixel?.aupro ?? null,
      };
    },
  );
}

/**
 * One line summing up an evaluation: image AUROC, pixel AUROC, AUPRO and the test set, or,
 * for a test set without anomalies, the quantile threshold.
 *
 * @example
 * ```ts
 * import { evaluateScores, metricsSummary } from "./evaluate.ts";
 * console.log(metricsSummary(evaluateScores([0.1, 0.9], [0, 1])));
 * // image AUROC 1.0000 on 2 test images (1 anomalous)
 * ```
 */
export function metricsSummary(m: EvalMetrics): string {
  if (m.image_auroc == null) {
    const q = m.threshold.quantile ?? NORMAL_QUANTILE;
    return `no anomalous test images: threshold ${m.threshold.value.toPrecision(6)} = ` +
      `${q} quantile of the ${m.n_normal} held-out normal images' scores`;
  }
  return `image AUROC ${m.image_auroc.toFixed(4)}` +
    (m.pixel_auroc != null ? `, pixel AUROC ${m.pixel_auroc.toFixed(4)}` : "") +
    (m.aupro != null ? `, AUPRO ${m.aupro.toFixed(4)}` : "") +
    ` on ${m.n_test} test images (${m.n_anomalous} anomalous)`;
}
