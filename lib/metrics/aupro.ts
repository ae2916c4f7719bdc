/**
 * AUPRO: the normalised area under the per-region overlap (PRO) curve of the official
 * MVTec AD evaluation (Bergmann et al., "The MVTec Anomaly Detection Dataset", IJCV 2021).
 *
 * - Regions are the 8-connected components of each ground-truth mask.
 * - At a threshold t, a pixel is predicted anomalous when its score is >= t. PRO(t) is the
 *   mean over all regions of all images of the share of the region's pixels predicted
 *   anomalous; FPR(t) is the share of all normal pixels (mask 0, every image) predicted
 *   anomalous.
 * - Thresholds run over every distinct score from the highest down (tied pixels switch
 *   together); the curve starts at (0, 0).
 * - AUPRO is the trapezoidal area under PRO against FPR from 0 to `fprLimit` (the curve
 *   linearly interpolated at the limit), divided by `fprLimit`, so 1 is perfect.
 *
 * @example
 * ```ts
 * import { aupro } from "./aupro.ts";
 * // One 1x3 image: two anomalous pixels (one region) scored 0.9 and 0.5, a normal one 0.6.
 * const a = aupro([Float32Array.of(0.9, 0.5, 0.6)], [Uint8Array.of(1, 1, 0)], [1, 3], 1);
 * console.log(a); // 0.5: PRO is 0.5 from FPR 0 to 1, then 1 at FPR 1
 * ```
 * @module
 */
import { MetricInputError } from "./auroc.ts";
import { argsort } from "./_argsort.ts";

/** One point of a PRO curve. */
export interface ProPoint {
  /** Pixels with a score >= threshold are predicted anomalous. */
  threshold: number;
  /** Share of normal pixels predicted anomalous. */
  fpr: number;
  /** Mean over regions of the share of each region's pixels predicted anomalous. */
  pro: number;
}

/** The connected regions of one mask. */
export interface Regions {
  /** Per pixel: 0 for background, else the region's number 1..count. */
  labels: Int32Array;
  count: number;
  /** Pixels per region; `sizes[k - 1]` is region k's. */
  sizes: number[];
}

/**
 * Labels the 8-connected components of a binary mask (non-zero = foreground), row by row
 * in order of each region's first pixel.
 *
 * @example
 * ```ts
 * import { labelRegions } from "./aupro.ts";
 * // 1 0 1
 * // 0 1 0    the two top corners touch the centre diagonally: one region of 3 pixels
 * // 0 0 0    (8-connected); the bottom-left pair is a second region.
 * // 1 1 0
 * const r = labelRegions(Uint8Array.of(1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0), 4, 3);
 * console.log(r.count, r.sizes); // 2 [3, 2]
 * ```
 */
export function labelRegions(mask: ArrayLike<number>, height: number, width: number): Regions {
  if (mask.length !== height * width) {
    throw new MetricInputError(
      `mask has ${mask.length} pixels, expected ${height}x${width} = ${height * width}`,
    );
  }
  const labels = new Int32Array(mask.length);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const id = sizes.length + 1;
    let size = 0;
    labels[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      size++;
      const y = Math.floor(p / width), x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const q = ny * width + nx;
          if (mask[q] !== 0 && labels[q] === 0) {
            labels[q] = id;
            stack.push(q);
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, count: sizes.length, sizes };
}

function checkProInputs(
  maps: readonly ArrayLike<number>[],
  masks: readonly ArrayLike<number>[],
  shape: readonly [number, number],
): void {
  const [h, w] = shape;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new MetricInputError(`shape must be two positive integers, got [${shape.join(", ")}]`);
  }
  if (maps.length !== masks.length) {
    throw new MetricInputError(`${maps.length} anomaly maps but ${masks.length} masks`);
  }
  for (let i = 0; i < maps.length; i++) {
    if (maps[i].length !== h * w) {
      throw new MetricInputError(
        `anomaly map ${i} has ${maps[i].length} values, expected ${h * w}`,
      );
    }
    if (masks[i].length !== h * w) {
      throw new MetricInputError(`mask ${i} has ${masks[i].length} values, expected ${h * w}`);
    }
    for (let p = 0; p < h * w; p++) {
      if (!Number.isFinite(maps[i][p])) {
        throw new MetricInputError(
          `anomaly map ${i} pixel ${p} is ${maps[i][p]}; scores must be finite`,
        );
      }
    }
  }
}

/** Options of {@linkcode proAnalysis}. */
export interface ProOptions {
  /** Where the curve and the area stop (the point at the limit interpolated). Default 0.3. */
  fprLimit?: number;
  /**
   * Thin the returned curve: a point is kept when it moves at least 1/maxPoints of the
   * FPR range or of PRO from the last kept one (the first and last points are always
   * kept), so at most about 2·maxPoints points. The area is always exact. Default: all.
   */
  maxPoints?: number;
}

/** What {@linkcode proAnalysis} returns. */
export interface ProAnalysis {
  /** Area under the curve up to the limit, divided by the limit. */
  aupro: number;
  /** The curve from (0, 0) at threshold +Infinity up to the limit. */
  curve: ProPoint[];
  /** Number of anomalous regions and of normal pixels. */
  regions: number;
  normalPixels: number;
}

/**
 * The PRO curve and AUPRO in one sweep over the thresholds: every distinct score from the
 * highest down, tied pixels together, until the FPR passes `fprLimit`. Throws
 * {@linkcode MetricInputError} when the masks hold no anomalous region or no normal pixel.
 *
 * @example
 * ```ts
 * import { proAnalysis } from "./aupro.ts";
 * const r = proAnalysis([Float32Array.of(0.9, 0.5, 0.6)], [Uint8Array.of(1, 1, 0)], [1, 3], {
 *   fprLimit: 1,
 * });
 * console.log(r.curve.map((p) => [p.fpr, p.pro]), r.aupro); // [[0, 0], [0, 0.5], [1, 0.5], [1, 1]] 0.5
 * ```
 */
export function proAnalysis(
  maps: readonly ArrayLike<number>[],
  masks: readonly ArrayLike<number>[],
  shape: readonly [number, number],
  options: ProOptions = {},
): ProAnalysis {
  const fprLimit = options.fprLimit ?? 0.3;
  if (!(fprLimit > 0 && fprLimit <= 1)) {
    throw new MetricInputError(`fprLimit must be in (0, 1], got ${fprLimit}`);
  }
  const maxPoints = options.maxPoints ?? Infinity;
  if (!(maxPoints >= 2)) {
    throw new MetricInputError(`maxPoints must be at least 2, got ${maxPoints}`);
  }
  checkProInputs(maps, masks, shape);
  const [h, w] = shape, px = h * w, n = maps.length;
  // Per pixel: -1 normal, else the index of its region over all images.
  const region = new Int32Array(n * px);
  const inverseSize: number[] = [];
  let nNormal = 0;
  for (let i = 0; i < n; i++) {
    const r = labelRegions(masks[i], h, w);
    const base = inverseSize.length;
    for (const s of r.sizes) inverseSize.push(1 / s);
    for (let p = 0; p < px; p++) {
      const l = r.labels[p];
      region[i * px + p] = l === 0 ? -1 : base + l - 1;
      if (l === 0) nNormal++;
    }
  }
  const nRegions = inverseSize.length;
  if (nRegions === 0) {
    throw new MetricInputError("PRO needs at least one anomalous region; every mask is empty");
  }
  if (nNormal === 0) {
    throw new MetricInputError("PRO needs normal pixels; every mask pixel is anomalous");
  }
  const scores = new Float64Array(n * px);
  for (let i = 0; i < n; i++) for (let p = 0; p < px; p++) scores[i * px + p] = maps[i][p];
  const order = argsort(scores);
  const curve: ProPoint[] = [{ threshold: Infinity, fpr: 0, pro: 0 }];
  const fprStep = fprLimit / maxPoints, proStep = 1 / maxPoints;
  let prev = curve[0], kept = curve[0], area = 0;
  const visit = (p: ProPoint) => {
    area += (p.fpr - prev.fpr) * (p.pro + prev.pro) / 2;
    if (p.fpr - kept.fpr >= fprStep || p.pro - kept.pro >= proStep) {
      curve.push(p);
      kept = p;
    }
    prev = p;
  };
  // Σ over regions of (covered pixels / region size); PRO = sum / nRegions.
  let proSum = 0, fp = 0;
  for (let k = order.length - 1; k >= 0;) {
    const t = scores[order[k]];
    while (k >= 0 && scores[order[k]] === t) {
      const r = region[order[k]];
      if (r < 0) fp++;
      else proSum += inverseSize[r];
      k--;
    }
    const p = { threshold: t, fpr: fp / nNormal, pro: Math.min(1, proSum / nRegions) };
    if (p.fpr > fprLimit) {
      // The point at the limit, on the segment to this one.
      const f = (fprLimit - prev.fpr) / (p.fpr - prev.fpr);
      visit({ threshold: t, fpr: fprLimit, pro: prev.pro + f * (p.pro - prev.pro) });
      break;
    }
    visit(p);
  }
  if (curve.at(-1) !== prev) curve.push(prev);
  return { aupro: area / fprLimit, curve, regions: nRegions, normalPixels: nNormal };
}

/**
 * The whole PRO curve: (0, 0) at threshold +Infinity, then one point per distinct score,
 * highest first, ending at FPR 1, PRO 1.
 *
 * @example
 * ```ts
 * import { proCurve } from "./aupro.ts";
 * const pts = proCurve([Float32Array.of(0.9, 0.5, 0.6)], [Uint8Array.of(1, 1, 0)], [1, 3]);
 * console.log(pts.map((p) => [p.fpr, p.pro])); // [[0, 0], [0, 0.5], [1, 0.5], [1, 1]]
 * ```
 */
export function proCurve(
  maps: readonly ArrayLike<number>[],
  masks: readonly ArrayLike<number>[],
  shape: readonly [number, number],
): ProPoint[] {
  return proAnalysis(maps, masks, shape, { fprLimit: 1 }).curve;
}

/**
 * AUPRO up to `fprLimit` (default 0.3, as MVTec AD's evaluation and anomalib report it),
 * normalised to [0, 1]. `maps[i]` and `masks[i]` are image i's height·width scores and
 * mask (non-zero = anomalous), row-major.
 *
 * @example
 * ```ts
 * import { aupro } from "./aupro.ts";
 * const maps = [Float32Array.of(0.9, 0.8, 0.1, 0.2)];
 * const masks = [Uint8Array.of(1, 1, 0, 0)];
 * console.log(aupro(maps, masks, [2, 2])); // 1: every region pixel outscores every normal one
 * ```
 */
export function aupro(
  maps: readonly ArrayLike<number>[],
  masks: readonly ArrayLike<number>[],
  shape: readonly [number, number],
  fprLimit = 0.3,
): number {
  return proAnalysis(maps, masks, shape, { fprLimit }).aupro;
}
