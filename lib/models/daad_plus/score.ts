/**
 * The anomaly score of DAAD+ (paper §3.3, eq. 7): A(x) = γ·R(x) + (1 − γ)·L(x), where
 * R(x) is the mean squared pixel error (the DAAD family's score) and L(x) the alignment
 * error in f_D space, each linearly scaled to [0, 1] over the test set before fusing.
 *
 * The model computes R(x) and L(x) as per-image means of squares: (x − x̂)² over the
 * pixels, (f_D(x) − f_D(x̂))² over the f_D values. On its own each ranks images as its
 * square root does. Fused, the scale matters: §3.3 calls R(x) the "average pixel-wise
 * difference" of eq. 4 and L(x) "the distance between the feature representations" of
 * eq. 6, both norms, so the kit fuses {@linkcode toFusionScale}'s `distance` values
 * (square roots of the means: ‖·‖₂ up to a constant factor that min-max scaling removes).
 * `square` fuses the means of squares themselves, for comparison.
 *
 * @example
 * ```ts
 * import { fuseScores } from "./score.ts";
 * const a = fuseScores([1, 3, 5], [10, 30, 20], { gamma: 0.9, reconstruction: true,
 *   alignment: true });
 * console.log(a); // ≈ [0, 0.55, 0.95]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Per-image L(x): mean over the f_D values of (f_D(x) − f_D(x̂))², [B]. */
export function alignmentScore(realFeatures: tf.Tensor2D, fakeFeatures: tf.Tensor2D): tf.Tensor1D {
  return tf.mean(tf.squaredDifference(realFeatures, fakeFeatures), 1);
}

/** What eq. 7 fuses: distances (the paper's norms, the default) or squared distances. */
export type FusionScale = "distance" | "square";

/** The scale eq. 7 fuses on unless configured otherwise. */
export const DEFAULT_FUSION_SCALE: FusionScale = "distance";

/**
 * Per-image means of squares (R(x) or L(x) as the model computes them) on the fusion
 * `scale`: their square roots for `distance` (negative rounding noise is clamped to 0),
 * a copy for `square`.
 */
export function toFusionScale(meanSquares: ArrayLike<number>, scale: FusionScale): Float32Array {
  if (scale === "square") return Float32Array.from(meanSquares);
  if (scale !== "distance") {
    throw new RangeError(`fusion scale must be 'distance' or 'square', got '${scale}'`);
  }
  return Float32Array.from(meanSquares, (v) => Math.sqrt(Math.max(v, 0)));
}

/** The [lo, hi] interval a component is scaled from. */
export interface ScoreRange {
  lo: number;
  hi: number;
}

/** The smallest and largest of `values` (lo = Infinity, hi = -Infinity when empty). */
export function valueRange(values: ArrayLike<number>): ScoreRange {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  return { lo, hi };
}

/**
 * Scales `values` linearly to [0, 1]: (v − lo) / (hi − lo), by default with the set's
 * own smallest and largest values. A constant component (hi = lo) carries no ranking
 * information and becomes all zeros (rather than 0/0 = NaN), so the other component
 * alone decides the fused score. With a `range` from another set (the test set's, to
 * score a few new images), values outside it fall outside [0, 1].
 */
export function minMaxScale(
  values: ArrayLike<number>,
  range: ScoreRange = valueRange(values),
): Float32Array {
  const out = new Float32Array(values.length);
  const span = range.hi - range.lo;
  if (!(span > 0)) {
    // All equal (or empty); NaN inputs are left to propagate so callers can report them.
    for (let i = 0; i < values.length; i++) out[i] = Number.isNaN(values[i]) ? NaN : 0;
    return out;
  }
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - range.lo) / span;
  return out;
}

/** Which components make the score, and γ. */
export interface FusionOptions {
  /** Weight of R(x) when both are used (0.9 in §4.1). */
  gamma: number;
  /** Use R(x). */
  reconstruction: boolean;
  /** Use L(x). */
  alignment: boolean;
  /** Scale with these ranges instead of the set's own (e.g. a test set's, for new images). */
  ranges?: { rec?: ScoreRange; ali?: ScoreRange };
}

/**
 * Eq. 7 over a whole set. With both components: γ·scale(R) + (1 − γ)·scale(L), each
 * min-max scaled over the set (or with `options.ranges`). With one component, its raw values are returned: linear
 * scaling would not change the ranking, and raw R(x) stays comparable with the plain
 * DAAD score across sets.
 */
export function fuseScores(
  rec: ArrayLike<number> | null,
  ali: ArrayLike<number> | null,
  options: FusionOptions,
): Float32Array {
  const { gamma, reconstruction, alignment } = options;
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma must be in [0, 1], got ${gamma}`);
  if (reconstruction && rec == null) throw new Error("the score uses R(x) but none was given");
  if (alignment && ali == null) throw new Error("the score uses L(x) but none was given");
  if (reconstruction && alignment) {
    if (rec!.length !== ali!.length) {
      throw new Error(`${rec!.length} R(x) values but ${ali!.length} L(x) values`);
    }
    const r = minMaxScale(rec!, options.ranges?.rec), l = minMaxScale(ali!, options.ranges?.ali);
    const out = new Float32Array(r.length);
    for (let i = 0; i < r.length; i++) out[i] = gamma * r[i] + (1 - gamma) * l[i];
    return out;
  }
  if (reconstruction) return Float32Array.from(rec!);
  if (alignment) return Float32Array.from(ali!);
  throw new Error("the score needs R(x), L(x) or both; both are switched off");
}
