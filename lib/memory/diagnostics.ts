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
  /** Mean over queries of the largest weight times N (1 = uniform weights). */
  meanMaxWeightRatio: number;
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
  let entropySum = 0, activeSum = 0, maxSum = 0;
  for (let i = 0; i < q; i++) {
    let rowSum = 0, rowMax = 0;
    for (let j = 0; j < n; j++) {
      rowSum += w[i * n + j];
      rowMax = Math.max(rowMax, w[i * n + j]);
    }
    maxSum += rowSum > 0 ? rowMax / rowSum : 0;
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
    meanMaxWeightRatio: (maxSum / Math.max(q, 1)) * n,
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

/** How far a bank's items moved from where they started. */
export interface BankDrift {
  /** ‖M − M₀‖ / ‖M₀‖ (Frobenius norms). */
  relativeChange: number;
  /** Mean over items of cos(m_i, m₀_i): 1 = every item still points where it started. */
  meanCosineToStart: number;
}

/** Compares a bank [N, D] with its starting values [N, D]. */
export function bankDrift(bank: tf.Tensor2D, start: tf.Tensor2D): BankDrift {
  const m = bank.dataSync(), s = start.dataSync();
  const [n, d] = bank.shape;
  if (start.shape[0] !== n || start.shape[1] !== d) {
    throw new RangeError(`bank is [${bank.shape}] but its start is [${start.shape}]`);
  }
  let diff = 0, norm0 = 0, cosSum = 0;
  for (let i = 0; i < n; i++) {
    let dot = 0, a = 0, b = 0;
    for (let k = 0; k < d; k++) {
      const x = m[i * d + k], y = s[i * d + k];
      diff += (x - y) ** 2;
      dot += x * y;
      a += x * x;
      b += y * y;
    }
    norm0 += b;
    cosSum += a > 0 && b > 0 ? dot / Math.sqrt(a * b) : 0;
  }
  return {
    relativeChange: norm0 > 0 ? Math.sqrt(diff / norm0) : 0,
    meanCosineToStart: cosSum / Math.max(n, 1),
  };
}

/** One bank's line in metrics.json (`memory`): what a reader needs to see a memory work. */
export interface MemoryBankReport {
  bank: string;
  items: number;
  /** Fewest items carrying 90% of the addressing weight over the probed queries. */
  items_for_90: number;
  /** Mean number of items a query reads (non-zero weights). */
  mean_items_read: number;
  /** Mean addressing entropy over ln N: 1 = uniform, 0 = one item per query. */
  entropy_ratio: number;
  /** Mean largest weight times N: 1 = uniform weights. */
  max_weight_ratio: number;
  /** ‖M − M₀‖ / ‖M₀‖: how far training moved the bank. */
  moved: number;
  /** Mean cosine of each item to its starting value. */
  cosine_to_start: number;
  collapsed: boolean;
  queries: number;
}

/** Builds a {@linkcode MemoryBankReport} from diagnostics and drift (values rounded). */
export function memoryBankReport(d: MemoryDiagnostics, drift: BankDrift): MemoryBankReport {
  const r = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    bank: d.name,
    items: d.items,
    items_for_90: d.itemsFor90,
    mean_items_read: r(d.meanActiveItems),
    entropy_ratio: r(d.maxEntropy > 0 ? d.meanEntropy / d.maxEntropy : 0),
    max_weight_ratio: r(d.meanMaxWeightRatio),
    moved: r(drift.relativeChange),
    cosine_to_start: r(drift.meanCosineToStart),
    collapsed: d.collapsed,
    queries: d.queries,
  };
}

/**
 * A one-line warning when a bank's addressing is near-uniform (a query reads more than
 * a quarter of the items and its largest weight is under 2/N): the memory then passes
 * a blurred mean of its items instead of a few prototypes. Null otherwise.
 */
export function uniformWarning(r: MemoryBankReport): string | null {
  if (!(r.mean_items_read > 0.25 * r.items && r.max_weight_ratio < 2)) return null;
  return `memory ${r.bank}: near-uniform addressing (${r.mean_items_read.toFixed(1)} of ` +
    `${r.items} items read per query, largest weight ${r.max_weight_ratio.toFixed(2)}x 1/N): ` +
    `the items are not acting as prototypes (see docs/memory.md)`;
}
