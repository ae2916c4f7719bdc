/**
 * Normalisation of anomaly scores within groups: video protocols (MemAE, MNAD's eq. 17)
 * rank the frames of each video on that video's own scale. It sits with the metrics, at
 * the bottom of the kit, because a model (MNAD's abnormality score) and the evaluation of
 * a run (`eval/evaluate.ts`) both use it.
 *
 * @example
 * ```ts
 * import { minMaxPerGroup } from "./normalize.ts";
 * console.log(Array.from(minMaxPerGroup([5, 1, 3, 10, 20], ["a", "a", "a", "b", "b"])));
 * // [1, 0, 0.5, 0, 1]
 * ```
 * @module
 */

/**
 * Min-max normalisation g (eq. 17) of `values` within each group (video): in each group
 * the smallest value maps to 0 and the largest to 1. A group whose values are all equal
 * maps to 0 (it carries no ranking), rather than to 0/0.
 */
export function minMaxPerGroup(
  values: ArrayLike<number>,
  groups: ArrayLike<string> | null,
): Float32Array {
  const n = values.length;
  if (groups != null && groups.length !== n) {
    throw new RangeError(`${n} values but ${groups.length} group labels`);
  }
  const lo = new Map<string, number>(), hi = new Map<string, number>();
  const key = (i: number) => (groups == null ? "" : groups[i]);
  for (let i = 0; i < n; i++) {
    const v = values[i], g = key(i);
    if (!Number.isFinite(v)) {
      throw new RangeError(`value ${i} (group '${g}') is ${v}; min-max needs finite values`);
    }
    lo.set(g, Math.min(lo.get(g) ?? Infinity, v));
    hi.set(g, Math.max(hi.get(g) ?? -Infinity, v));
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = key(i), a = lo.get(g)!, range = hi.get(g)! - a;
    out[i] = range > 0 ? (values[i] - a) / range : 0;
  }
  return out;
}
