/**
 * MNAD's memory (paper §3.1.2): M unit-norm items of C channels, read by every query of
 * the query map (eq. 1-2) and updated, outside the gradient, by the queries that chose
 * each item as their nearest (eq. 3-5).
 *
 * Queries and items are unit vectors (the encoder ends with an L2 normalisation, eq. 3
 * normalises items), so the dot products of eq. 1 are the cosine similarities of Fig. 3.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { readMemory, updateMemory } from "./memory.ts";
 * const items = tf.tensor2d([[1, 0], [0, 1]]);
 * const q = tf.tensor2d([[0.6, 0.8]]);
 * const { weights, read } = readMemory(q, items);
 * console.log(weights.shape, read.shape); // [1, 2] [1, 2]
 * const next = updateMemory(q, items); // item 1 moves towards q, item 0 stays
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { l2NormalizeRows } from "../../memory/block_memory.ts";
import type { ParamStore } from "../../nn/params.ts";
import type { Rng } from "../../util/rng.ts";

/** What {@linkcode readMemory} returns. */
export interface MemoryRead {
  /** Matching probabilities w^{k,m} [K, M]: softmax over items (eq. 1). */
  weights: tf.Tensor2D;
  /** Read features p̂^k = Σ_m w^{k,m} p_m [K, C] (eq. 2). */
  read: tf.Tensor2D;
}

/** The identity whose gradient is zero (PyTorch's `detach`). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * Reads the memory: eq. 1, a softmax over the M items of each query's dot product with
 * them, then eq. 2, the weighted sum of all items (not only the nearest: §3.1.2).
 * With `gradient` false the weights are detached in the sum, as the official code
 * reads (`softmax_score_memory.detach()`): the read then passes no gradient to the
 * queries (the items are constants either way).
 */
export function readMemory(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  gradient = true,
): MemoryRead {
  return tf.tidy(() => {
    const weights = tf.softmax(tf.matMul(queries, items, false, true)) as tf.Tensor2D;
    const w = gradient ? weights : stopGradient(weights);
    return { weights, read: tf.matMul(w, items) as tf.Tensor2D };
  }) as unknown as MemoryRead;
}

/** Indices of each query's nearest (eq. 11) and second-nearest (eq. 13) items. */
export interface NearestItems {
  /** p: argmax_m w^{k,m}, [K] int32. */
  nearest: tf.Tensor1D;
  /** n: argmax over m ≠ p of w^{k,m}, [K] int32. */
  second: tf.Tensor1D;
}

/**
 * The two items with the largest matching probability for each query. The softmax of
 * eq. 1 is monotonic, so ranking the dot products ranks w. Built from argMax and
 * one-hot masks (not topk and gather), whose zero gradients let these indices sit
 * inside a differentiated loss. Ties go to the lowest item index; the official code's
 * `torch.topk` returns one of the tied items in an order PyTorch leaves unspecified
 * (ties need two equal dot products, which float items practically never give).
 */
export function nearestItems(queries: tf.Tensor2D, items: tf.Tensor2D): NearestItems {
  const m = items.shape[0];
  if (m < 2) {
    throw new RangeError(
      `the second-nearest item (eq. 13) needs at least 2 memory items, got ${m}`,
    );
  }
  return tf.tidy(() => {
    const scores = tf.matMul(queries, items, false, true);
    const nearest = tf.argMax(scores, 1) as tf.Tensor1D;
    const taken = tf.cast(tf.oneHot(nearest, m), "bool");
    const second = tf.argMax(tf.where(taken, tf.fill(scores.shape, -Infinity), scores), 1);
    return { nearest, second: second as tf.Tensor1D };
  }) as unknown as NearestItems;
}

/**
 * Euclidean distances ‖q^k − p_{idx[k]}‖₂ [K] between each query and the item `index`
 * names for it. The items are picked by a one-hot matrix product, which (unlike
 * gather) back-propagates through integer indices. A tiny ε under the root keeps the
 * gradient finite when a query sits exactly on its item.
 *
 * With `kind` `mse` it gives ‖q^k − p_{idx[k]}‖²₂ / C instead, the per-query mean
 * squared error the official code uses for the compactness loss and for D (eq. 14).
 */
export function distanceToItems(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  index: tf.Tensor1D,
  kind: "distance" | "mse" = "distance",
): tf.Tensor1D {
  return tf.tidy(() => {
    const p = tf.matMul(tf.oneHot(index, items.shape[0]).toFloat(), items);
    const sq = tf.sum(tf.squaredDifference(queries, p), 1);
    if (kind === "mse") return tf.div(sq, items.shape[1]) as tf.Tensor1D;
    return tf.sqrt(tf.add(sq, 1e-12)) as tf.Tensor1D;
  });
}

/**
 * One memory update (eq. 3-5) with the queries [K, C] of one frame (or, in training,
 * of one batch). For each item m, U^m = the queries whose nearest item is m;
 * v^{k,m} is the softmax over the queries of p_mᵀq^k (eq. 4), divided by its maximum
 * over U^m (eq. 5; `max` `all`: over all K queries, as the official code divides);
 * p_m ← f(p_m + Σ_{k∈U^m} v^{k,m} q^k) with f the L2 normalisation (eq. 3). An item
 * that no query chose is only re-normalised. Returns new items [M, C]; nothing here
 * is differentiated (the paper updates items without supervision).
 */
export function updateMemory(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  max: "assigned" | "all" = "assigned",
): tf.Tensor2D {
  const m = items.shape[0];
  return tf.tidy(() => {
    const scores = tf.matMul(queries, items, false, true); // [K, M]
    const inU = tf.cast(tf.oneHot(tf.argMax(scores, 1), m), "bool"); // [K, M]: k ∈ U^m
    // Eq. 4 then eq. 5: the softmax's denominator over all K queries cancels in the ratio
    // v^{k,m} / max_{k'∈U^m} v^{k',m} = exp(s_km − max_{k'∈U^m} s_k'm), computed in that
    // form so no probability underflows. Queries outside U^m get 0; an empty U^m adds 0.
    // With `all` the maximum runs over every query: the weights shrink by
    // exp(max_{U^m} s − max_K s) ≤ 1 wherever another item's query is closer to p_m.
    const maxOver = max === "all"
      ? tf.max(scores, 0, true)
      : tf.max(tf.where(inU, scores, tf.fill(scores.shape, -Infinity)), 0, true);
    const vNorm = tf.where(inU, tf.exp(tf.sub(scores, maxOver)), tf.zerosLike(scores));
    const delta = tf.matMul(vNorm, queries, true, false); // [M, C] = Σ_{k∈U^m} v^{k,m} q^k
    return l2NormalizeRows(tf.add(items, delta) as tf.Tensor2D);
  });
}

/**
 * `n` initial item values drawn from `rng`: N(0, 1) (`normal`) or U[0, 1) (`uniform`,
 * the official `torch.rand`). Both take two uniform draws per value (Box-Muller takes
 * two; `uniform` keeps the second of each pair), so whatever is drawn after the memory
 * gets the same numbers in either case.
 */
export function initialItemValues(
  rng: Rng,
  n: number,
  init: "normal" | "uniform",
): Float32Array {
  if (init === "normal") return rng.normalArray(n);
  const pairs = rng.uniformArray(2 * n);
  return Float32Array.from({ length: n }, (_, i) => pairs[2 * i + 1]);
}

/**
 * The memory's items as a non-trainable variable of a {@linkcode ParamStore} (saved
 * in checkpoints, never given to the optimizer), initialised with unit-norm random
 * vectors drawn from `rng` ({@linkcode initialItemValues}, then L2 normalisation).
 */
export class MnadMemory {
  readonly items: tf.Variable;

  constructor(
    store: ParamStore,
    name: string,
    rng: Rng,
    count: number,
    channels: number,
    itemInit: "normal" | "uniform" = "normal",
  ) {
    if (!Number.isInteger(count) || count < 2) {
      throw new RangeError(`MNAD memory needs an integer >= 2 items, got ${count}`);
    }
    if (!Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`MNAD memory items need >= 1 channels, got ${channels}`);
    }
    const init = tf.tidy(() =>
      l2NormalizeRows(
        tf.tensor2d(initialItemValues(rng, count * channels, itemInit), [count, channels]),
      )
    );
    this.items = store.add(`${name}.items`, init, false);
  }

  /** Number of items M. */
  get count(): number {
    return this.items.shape[0];
  }

  /** Item channels C. */
  get channels(): number {
    return this.items.shape[1]!;
  }

  /** Applies {@linkcode updateMemory} with `queries` [K, C] to the stored items. */
  update(queries: tf.Tensor2D, max: "assigned" | "all" = "assigned"): void {
    tf.tidy(() => this.items.assign(updateMemory(queries, this.items as tf.Tensor2D, max)));
  }
}

/**
 * The test-time update of one frame (§3.1.2): the items after eq. 3-5 with the frame's
 * `queries` when its regular score `regular` (a scalar tensor, eq. 6) is below `gamma`,
 * the unchanged items otherwise. The choice stays on the device (no read-back).
 * `max` is eq. 5's normaliser, as in {@linkcode updateMemory}.
 */
export function gatedUpdate(
  queries: tf.Tensor2D,
  items: tf.Tensor2D,
  regular: tf.Tensor,
  gamma: number,
  max: "assigned" | "all" = "assigned",
): tf.Tensor2D {
  return tf.tidy(() => {
    const normal = tf.broadcastTo(tf.less(regular.reshape([1, 1]), gamma), items.shape);
    return tf.where(normal, updateMemory(queries, items, max), items) as tf.Tensor2D;
  });
}
