/**
 * Diagnostics of trained memory banks: how much addressing weight each item receives,
 * how spread a query's weights are (entropy), how many items a query really uses, and a
 * warning when a few items carry nearly all the weight (collapse: the memory then
 * rebuilds every block from the same prototypes).
 *
 * @example
 * ```ts
 * import { summarizeMemoryUsage } from "./diagnostics.ts";
 * console.log(summarizeMemoryUsage([5, 3, 1, 1, 0])); // { items: 5, unused: 1, itemsFor90: 3 }
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Summary numbers of a memory bank's usage. */
export interface MemoryUsageSummary {
  items: number;
  /** Items with zero weight. */
  unused: number;
  /** Fewest items that together carry 90% of the weight. */
  itemsFor90: number;
}

/** Counts unused items and the items carrying 90% of the total weight. */
export function summarizeMemoryUsage(usage: ArrayLike<number>): MemoryUsageSummary {
  const v = Array.from(usage);
  v.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new RangeError(`usage[${i}] is ${w}, expected a finite weight`);
    if (w < 0) throw new RangeError(`usage[${i}] is ${w}, expected a weight >= 0`);
  });
  const total = v.reduce((a, b) => a + b, 0);
  const sorted = [...v].sort((a, b) => b - a);
  let acc = 0, k = 0;
  while (total > 0 && k < sorted.length && acc < 0.9 * total - 1e-12) acc += sorted[k++];
  return { items: v.length, unused: v.filter((w) => w === 0).length, itemsFor90: k };
}

/** Diagnostics of one memory bank over a set of queries. */
export interface MemoryDiagnostics extends MemoryUsageSummary {
  /** Which bank (e.g. the encoder scale 1..4). */
  name: string;
  /** Each item's share of the total addressing weight (sums to 1). */
  usage: Float32Array;
  /** Mean entropy of a query's (renormalised) weights, in nats. */
  meanEntropy: number;
  /** ln N: the entropy of uniform weights. */
  maxEntropy: number;
  /** Mean number of items with non-zero weight per query. */
  meanActiveItems: number;
  queries: number;
  /** True when at most 5% of the items (at least one) carry 90% of the weight. */
  collapsed: boolean;
}

/**
 * Computes {@linkcode MemoryDiagnostics} from addressing weights [Q, N] (rows = queries,
 * as a memory module returns them after its sparsification).
 */
export function diagnoseWeights(name: string, weights: tf.Tensor2D): MemoryDiagnostics {
  const [q, n] = weights.shape;
  const w = weights.dataSync();
  const usage = new Float32Array(n);
  let entropySum = 0, activeSum = 0;
  for (let i = 0; i < q; i++) {
    let rowSum = 0;
    for (let j = 0; j < n; j++) rowSum += w[i * n + j];
    let h = 0, active = 0;
    for (let j = 0; j < n; j++) {
      const v = w[i * n + j];
      usage[j] += v;
      if (v > 0) {
        active++;
        const p = v / rowSum;
        h -= p * Math.log(p);
      }
    }
    entropySum += h;
    activeSum += active;
  }
  const total = usage.reduce((a, b) => a + b, 0);
  if (total > 0) { for (let j = 0; j < n; j++) usage[j] /= total; }
  const summary = summarizeMemoryUsage(usage);
  return {
    name,
    ...summary,
    usage,
    meanEntropy: entropySum / Math.max(q, 1),
    maxEntropy: Math.log(n),
    meanActiveItems: activeSum / Math.max(q, 1),
    queries: q,
    collapsed: summary.itemsFor90 <= Math.max(1, Math.floor(0.05 * n)),
  };
}

/** A one-line warning for a collapsed bank, or null. */
export function collapseWarning(d: MemoryDiagnostics): string | null {
  if (!d.collapsed) return null;
  return `memory ${d.name}: ${d.itemsFor90} of ${d.items} items carry 90% of the addressing weight ` +
    `(${d.unused} never used): the bank has collapsed onto a few prototypes`;
}
