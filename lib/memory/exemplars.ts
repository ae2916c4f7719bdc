/**
 * What a memory item stands for, shown through the data: for each item, the image blocks
 * whose queries put the most addressing weight on it. A bank whose items are prototypes
 * shows, per item, exemplars that look alike (one stroke of a digit, one texture patch);
 * a near-uniform bank shows unrelated blocks for every item.
 *
 * Query rows follow {@linkcode divideBlocks}: image, block row, block column, channel
 * group. A block of a map divided rh x rw covers (size/rh) x (size/rw) input pixels
 * (its receptive field is larger; the crop is the region the block's features sit on).
 *
 * @example
 * ```ts
 * import { itemExemplars } from "./exemplars.ts";
 * // 2 images, division 2x1x1 (2 queries each), 3 items.
 * const w = Float32Array.from([0.9, 0.1, 0, 0, 1, 0, 0.2, 0, 0.8, 0.7, 0.3, 0]);
 * const ex = itemExemplars(w, 3, [2, 1, 1], [0], 2);
 * console.log(ex[0].map((e) => [e.image, e.blockRow])); // [[0, 0], [1, 1]]
 * ```
 * @module
 */
import type { Division } from "./block_memory.ts";

/** One block that addresses an item. */
export interface Exemplar {
  /** Index of the image in the probed batch. */
  image: number;
  blockRow: number;
  blockColumn: number;
  channelGroup: number;
  /** The query's weight on the item. */
  weight: number;
}

/**
 * For each item in `items`, the `k` queries with the largest weight on it (ties: the
 * earlier query first). `weights` is [Q, N] row-major, `n` = N.
 */
export function itemExemplars(
  weights: Float32Array,
  n: number,
  division: Division,
  items: number[],
  k: number,
): Exemplar[][] {
  if (!Number.isInteger(n) || n < 1 || weights.length % n !== 0) {
    throw new RangeError(`weights of length ${weights.length} are not [Q, ${n}]`);
  }
  const q = weights.length / n;
  const [rh, rw, rc] = division;
  const perImage = rh * rw * rc;
  if (q % perImage !== 0) {
    throw new RangeError(`${q} queries are not a whole number of images of ${perImage} blocks`);
  }
  return items.map((item) => {
    if (!Number.isInteger(item) || item < 0 || item >= n) {
      throw new RangeError(`item ${item} is not in 0..${n - 1}`);
    }
    const order = Array.from({ length: q }, (_, i) => i)
      .filter((i) => weights[i * n + item] > 0)
      .sort((a, b) => weights[b * n + item] - weights[a * n + item] || a - b)
      .slice(0, k);
    return order.map((i) => {
      const r = i % perImage;
      return {
        image: Math.floor(i / perImage),
        blockRow: Math.floor(r / (rw * rc)),
        blockColumn: Math.floor(r / rc) % rw,
        channelGroup: r % rc,
        weight: weights[i * n + item],
      };
    });
  });
}

/** The `count` items with the largest total weight, most used first. */
export function mostUsedItems(weights: Float32Array, n: number, count: number): number[] {
  const usage = new Float64Array(n);
  for (let i = 0; i < weights.length; i++) usage[i % n] += weights[i];
  return Array.from({ length: n }, (_, j) => j)
    .sort((a, b) => usage[b] - usage[a] || a - b)
    .slice(0, count);
}
