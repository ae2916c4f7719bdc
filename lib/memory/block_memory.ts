/**
 * The block-wise memory module of DAAD (paper §3.1.2), with MemAE's addressing as an
 * option.
 *
 * A feature map H×W×C is divided into rh×rw×rc blocks of (H/rh)×(W/rw)×(C/rc); each
 * block, flattened, is a query q of dimension D. A bank M of N items (N×D) is addressed
 * by the softmax of cosine similarities (eq. 1); the block is rebuilt as w·M (eq. 2)
 * and the blocks are assembled back into a map.
 *
 * - `daad` addressing drops the weights below 1/N before the sum (without
 *   renormalisation, as the paper states it, unless `renormalize` is set).
 *
 * Eq. 1 as printed is a softmax of cosine similarities, which lie in [-1, 1]: any two
 * weights then differ by at most e^2 = 7.4x and the addressing stays near-uniform (the
 * kit measured 46-66 of 100 items read per query). `temperature` τ divides the
 * similarities before the softmax (τ = 1 is eq. 1 as printed); a small τ lets a query
 * read a few items, as the paper's "small number of memory items" needs.
 * `init: "queries"` starts the items from encoder queries of the first training batch
 * (as k-means starts from data points), so that items begin on the queries' manifold
 * and at their scale, instead of at random directions no query is near.
 * - `memae` addressing applies MemAE's hard shrinkage ŵ = relu(w − λ)·w / (|w − λ| + ε),
 *   renormalises ŵ to sum to one, and reports the mean entropy of ŵ for its loss.
 *
 * `similarity` says how a query is matched with the items (a departure from eq. 1 where
 * it is not `cosine`):
 * - `cosine` (default): eq. 1, the softmax of cosine similarities;
 * - `dot`: the softmax of raw inner products q·m (as MemAE's official code addresses,
 *   `models/memory_module.py`), so that weights are no longer bounded by e^2; then the
 *   same 1/N drop or shrinkage;
 * - `vq`: the nearest item by L2 distance (VQ-VAE, van den Oord et al. 2017), one-hot
 *   weights; the read is q + sg(m_k − q), its value m_k and its gradient passed straight
 *   through to the query. The module reports the commitment loss mean((q − sg(m_k))²)
 *   and, for items learnt by gradient, the codebook loss mean((sg(q) − m_k)²), the only
 *   gradient the items get; with `update: "ema"` the items follow their queries' running
 *   means instead (VQ-VAE's EMA codebook).
 *
 * rh = H and rw = W with rc = 1 gives the pixel-wise memory of MemAE.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { divideBlocks, assembleBlocks } from "./block_memory.ts";
 * const f = tf.randomNormal([2, 8, 8, 4]) as tf.Tensor4D;
 * const q = divideBlocks(f, [2, 2, 1]);       // [2·2·2·1, 4·4·4] = [8, 64]
 * const back = assembleBlocks(q, f.shape, [2, 2, 1]);
 * console.log(tf.equal(back, f).all().dataSync()[0]); // 1
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamStore } from "../nn/params.ts";
import type { Rng } from "../util/rng.ts";

/** Division rates along height, width and channels. */
export type Division = [number, number, number];

/** How queries address the memory. */
export type Addressing = "daad" | "memae";

/** How a query is matched with the items (see the module notes). */
export type Similarity = "cosine" | "dot" | "vq";

/** Every {@linkcode Similarity}, for validation and flags. */
export const SIMILARITIES: readonly Similarity[] = ["cosine", "dot", "vq"];

/** Options of a {@linkcode BlockMemory}. */
export interface BlockMemoryConfig {
  /** Division rates (rh, rw, rc). The paper's default for MVTec AD is 8, 8, 1. */
  division: Division;
  /** Number of memory items N. The paper's default is 500. */
  items: number;
  /** `daad` (drop weights < 1/N) or `memae` (hard shrinkage + L1 renormalisation). */
  addressing: Addressing;
  /** MemAE shrinkage threshold λ (MemAE recommends 1/N to 3/N; only for `memae`). */
  shrinkThreshold: number;
  /** Softmax temperature τ on the cosine similarities; 1 = eq. 1 as printed. */
  temperature: number;
  /** Renormalise the weights to sum to one after the 1/N drop (`daad` only). */
  renormalize: boolean;
  /** `random` N(0, 1/D) items, or `queries`: items copied from the first batch's queries. */
  init: MemoryInit;
  /**
   * How a query is matched with the items: `cosine` (eq. 1), `dot` (raw inner
   * products) or `vq` (nearest item, straight-through). Optional: absent = `cosine`.
   */
  similarity?: Similarity;
  /**
   * How items learn: `gradient` (by the optimiser, as the paper trains them) or `ema`:
   * each item becomes the running mean of the queries that read it (a soft k-means step
   * per training batch, decay {@linkcode EMA_DECAY}); the optimiser then leaves it alone.
   * Optional: absent = `gradient`.
   */
  update?: MemoryUpdate;
}

/** How a bank's items start. */
export type MemoryInit = "random" | "queries";

/** How a bank's items learn. */
export type MemoryUpdate = "gradient" | "ema";

/** Decay of the running sums of `update: "ema"` (as VQ-VAE's codebook updates use). */
export const EMA_DECAY = 0.99;

/** The paper's setting (§4.1): 8, 8, 1 and N = 500 with DAAD addressing. */
export const DEFAULT_BLOCK_MEMORY_CONFIG: Readonly<BlockMemoryConfig> = Object.freeze({
  division: [8, 8, 1] as Division,
  items: 500,
  addressing: "daad" as Addressing,
  shrinkThreshold: 1 / 500,
  temperature: 1,
  renormalize: false,
  init: "random" as MemoryInit,
  update: "gradient" as MemoryUpdate,
  similarity: "cosine" as Similarity,
});

/** Raised when division rates do not divide a feature map. */
export class BlockGeometryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlockGeometryError";
  }
}

/**
 * Checks a memory configuration against the feature map it will see. Throws a
 * {@linkcode BlockGeometryError} naming the scale, the map size and the rates.
 */
export function validateBlockMemoryConfig(
  config: BlockMemoryConfig,
  map: { height: number; width: number; channels: number },
  scale = "memory",
): void {
  const [rh, rw, rc] = config.division;
  for (const [label, r] of [["rh", rh], ["rw", rw], ["rc", rc]] as const) {
    if (!Number.isInteger(r) || r < 1) {
      throw new BlockGeometryError(
        `${scale}: division rate ${label}=${r} must be a positive integer`,
      );
    }
  }
  const { height: h, width: w, channels: c } = map;
  if (h % rh !== 0 || w % rw !== 0 || c % rc !== 0) {
    throw new BlockGeometryError(
      `${scale}: division ${rh},${rw},${rc} does not divide the ${h}x${w}x${c} feature map ` +
        `(need ${h} % rh = 0, ${w} % rw = 0, ${c} % rc = 0)`,
    );
  }
  if (!Number.isInteger(config.items) || config.items < 1) {
    throw new BlockGeometryError(
      `${scale}: memory size must be a positive integer, got ${config.items}`,
    );
  }
  if (config.addressing !== "daad" && config.addressing !== "memae") {
    throw new BlockGeometryError(
      `${scale}: unknown addressing '${config.addressing}' (daad or memae)`,
    );
  }
  if (!(config.shrinkThreshold >= 0 && config.shrinkThreshold < 1)) {
    throw new BlockGeometryError(
      `${scale}: shrink threshold must be in [0, 1), got ${config.shrinkThreshold}`,
    );
  }
  if (!(config.temperature > 0 && Number.isFinite(config.temperature))) {
    throw new BlockGeometryError(
      `${scale}: memory temperature must be a positive number, got ${config.temperature}`,
    );
  }
  const update = config.update ?? "gradient";
  if (update !== "gradient" && update !== "ema") {
    throw new BlockGeometryError(
      `${scale}: unknown memory update '${update}' (gradient or ema)`,
    );
  }
  const similarity = config.similarity ?? "cosine";
  if (!(SIMILARITIES as readonly string[]).includes(similarity)) {
    throw new BlockGeometryError(
      `${scale}: unknown similarity '${similarity}' (${SIMILARITIES.join(", ")})`,
    );
  }
  if (config.init !== "random" && config.init !== "queries") {
    throw new BlockGeometryError(
      `${scale}: unknown memory init '${config.init}' (random or queries)`,
    );
  }
}

/** Query dimension D of one block of a `height`×`width`×`channels` map. */
export function blockDim(
  map: { height: number; width: number; channels: number },
  division: Division,
): number {
  return (map.height / division[0]) * (map.width / division[1]) * (map.channels / division[2]);
}

/**
 * Divides an NHWC map [B, H, W, C] into queries [B·rh·rw·rc, D]. Row order: b, block
 * row, block column, channel group; inside a query: h, w, c of the block.
 */
export function divideBlocks(f: tf.Tensor4D, division: Division): tf.Tensor2D {
  const [b, h, w, c] = f.shape;
  const [rh, rw, rc] = division;
  const bh = h / rh, bw = w / rw, bc = c / rc;
  return tf.tidy(() => {
    // [B·rh, bh, rw, bw·C] -> [B·rh, rw, bh, bw·C]: blocks of whole channels.
    let t = tf.transpose(f.reshape([b * rh, bh, rw, bw * c]), [0, 2, 1, 3]);
    if (rc > 1) {
      // [B·rh·rw, bh·bw, rc, bc] -> [B·rh·rw, rc, bh·bw, bc]: split the channel groups out.
      t = tf.transpose(t.reshape([b * rh * rw, bh * bw, rc, bc]), [0, 2, 1, 3]);
    }
    return t.reshape([b * rh * rw * rc, bh * bw * bc]);
  });
}

/** Inverse of {@linkcode divideBlocks}: queries [B·rh·rw·rc, D] back to [B, H, W, C]. */
export function assembleBlocks(
  q: tf.Tensor2D,
  shape: [number, number, number, number],
  division: Division,
): tf.Tensor4D {
  const [b, h, w, c] = shape;
  const [rh, rw, rc] = division;
  const bh = h / rh, bw = w / rw, bc = c / rc;
  return tf.tidy(() => {
    let t: tf.Tensor = q;
    if (rc > 1) {
      t = tf.transpose(q.reshape([b * rh * rw, rc, bh * bw, bc]), [0, 2, 1, 3]);
    }
    t = tf.transpose(t.reshape([b * rh, rw, bh, bw * c]), [0, 2, 1, 3]);
    return t.reshape([b, h, w, c]);
  });
}

/** `tf.tidy` for functions returning an object whose fields may be null (tidy skips nulls). */
export function tidyObject<T extends object>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** Rows scaled to unit L2 norm (rows of norm < 1e-12 are left near zero, as F.normalize). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    // max(‖x‖², ε²) keeps the gradient finite at an all-zero row (ReLU features can be).
    const sq = tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24);
    return tf.mul(x, tf.rsqrt(sq));
  });
}

/** Result of {@linkcode addressMemory}. */
export interface AddressResult {
  /** Addressing weights ŵ [Q, N] after dropping / shrinkage (one-hot for `vq`). */
  weights: tf.Tensor2D;
  /** The rebuilt queries ŵ·M [Q, D] (for `vq`: q + sg(m_k − q)). */
  read: tf.Tensor2D;
  /** Mean entropy of ŵ over queries (`memae` addressing only, not `vq`). */
  entropy: tf.Scalar | null;
  /** `vq` only: mean((q − sg(m_k))²), the commitment loss (before its weight β). */
  commitment: tf.Scalar | null;
  /** `vq` only: mean((sg(q) − m_k)²), the codebook loss that moves the items. */
  codebook: tf.Scalar | null;
}

/** How {@linkcode addressMemory} turns similarities into weights. */
export interface AddressOptions {
  addressing: Addressing;
  /** `cosine` (default, eq. 1), `dot` or `vq` (see the module notes). */
  similarity?: Similarity;
  /** MemAE's λ (`memae` only). */
  shrinkThreshold?: number;
  /** Softmax temperature τ (default 1, eq. 1 as printed). */
  temperature?: number;
  /** Renormalise after the 1/N drop (`daad` only; default false, as printed). */
  renormalize?: boolean;
}

/** The identity whose gradient is zero: sg(·) of VQ-VAE. */
export const stopGradient = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/**
 * `vq` addressing: each query picks its nearest item by L2 distance; one-hot weights,
 * the straight-through read q + sg(m_k − q) and the two VQ-VAE losses.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { nearestItem } from "./block_memory.ts";
 * const r = nearestItem(tf.tensor2d([[0.9, 0.1]]), tf.tensor2d([[1, 0], [0, 1]]));
 * r.weights.print(); // [[1, 0]]
 * r.commitment.print(); // mean([0.01, 0.01]) = 0.01
 * ```
 */
export function nearestItem(
  queries: tf.Tensor2D,
  memory: tf.Tensor2D,
): AddressResult & { commitment: tf.Scalar; codebook: tf.Scalar } {
  return tidyObject(() => {
    // ‖q − m‖² = ‖q‖² − 2 q·m + ‖m‖²; the choice carries no gradient.
    const d2 = tf.add(
      tf.sub(
        tf.sum(tf.square(queries), 1, true),
        tf.mul(tf.matMul(queries, memory, false, true), 2),
      ),
      tf.sum(tf.square(memory), 1).expandDims(0),
    );
    const weights = tf.oneHot(tf.argMin(d2, 1) as tf.Tensor1D, memory.shape[0])
      .toFloat() as tf.Tensor2D;
    // A one-hot matmul rather than a gather: gather's gradient has no wasm kernel.
    const nearest = tf.matMul(weights, memory) as tf.Tensor2D;
    const read = tf.add(queries, stopGradient(tf.sub(nearest, queries))) as tf.Tensor2D;
    return {
      weights,
      read,
      entropy: null,
      commitment: tf.mean(tf.squaredDifference(queries, stopGradient(nearest))) as tf.Scalar,
      codebook: tf.mean(tf.squaredDifference(stopGradient(queries), nearest)) as tf.Scalar,
    };
  });
}

/**
 * Addresses `memory` [N, D] with `queries` [Q, D]: eq. 1 (softmax of cosine
 * similarities divided by τ; raw inner products with `similarity: "dot"`), then the
 * chosen sparsification, then eq. 2 (weighted sum of raw items). `similarity: "vq"` is
 * {@linkcode nearestItem}.
 */
export function addressMemory(
  queries: tf.Tensor2D,
  memory: tf.Tensor2D,
  options: AddressOptions,
): AddressResult {
  const n = memory.shape[0];
  const {
    addressing,
    similarity = "cosine",
    shrinkThreshold = DEFAULT_BLOCK_MEMORY_CONFIG.shrinkThreshold,
    temperature = 1,
    renormalize = false,
  } = options;
  if (similarity === "vq") return nearestItem(queries, memory);
  return tidyObject(() => {
    let sim = similarity === "dot"
      ? tf.matMul(queries, memory, false, true)
      : tf.matMul(l2NormalizeRows(queries), l2NormalizeRows(memory), false, true);
    if (temperature !== 1) sim = tf.div(sim, temperature);
    const w = tf.softmax(sim);
    let weights: tf.Tensor2D;
    let entropy: tf.Scalar | null = null;
    if (addressing === "daad") {
      // Items whose weight is below 1/N are dropped; the mask carries no gradient.
      weights = tf.mul(w, tf.cast(tf.greaterEqual(w, 1 / n), "float32"));
      // The largest weight is always >= 1/N, so the sum is never zero.
      if (renormalize) weights = tf.div(weights, tf.sum(weights, 1, true));
    } else {
      const shifted = tf.sub(w, shrinkThreshold);
      const shrunk = tf.div(tf.mul(tf.relu(shifted), w), tf.add(tf.abs(shifted), 1e-12));
      weights = tf.div(shrunk, tf.maximum(tf.sum(shrunk, 1, true), 1e-12));
      entropy = tf.mean(tf.sum(tf.mul(tf.neg(weights), tf.log(tf.add(weights, 1e-12))), 1));
    }
    return {
      weights,
      read: tf.matMul(weights, memory) as tf.Tensor2D,
      entropy,
      commitment: null,
      codebook: null,
    };
  });
}

/** Output of {@linkcode BlockMemory.apply}. */
export interface BlockMemoryOutput {
  /** The assembled map, same shape as the input. */
  output: tf.Tensor4D;
  /** Addressing weights [B·rh·rw·rc, N]. */
  weights: tf.Tensor2D;
  /** Mean addressing entropy (`memae` addressing only). */
  entropy: tf.Scalar | null;
  /** `vq`: the commitment loss mean((q − sg(m_k))²); null otherwise. */
  commitment: tf.Scalar | null;
  /** `vq` with items learnt by gradient: the codebook loss mean((sg(q) − m_k)²); else null. */
  codebook: tf.Scalar | null;
  /**
   * Compactness: the mean squared distance per feature between each query and the item
   * it weighs most, mean((q − m_k*)²). Pulls items towards the queries that read them (as
   * k-means moves a centre) and queries towards their item (MNAD's compactness loss).
   */
  compactness: tf.Scalar | null;
}

/** Mean over queries and features of (q − m_k*)², k* = the item of largest weight. */
export function compactnessLoss(
  queries: tf.Tensor2D,
  memory: tf.Tensor2D,
  weights: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    // The choice of item carries no gradient; the distance does, to query and item. A
    // one-hot matmul rather than a gather: gather's gradient has no wasm kernel.
    const pick = tf.oneHot(tf.argMax(weights, 1) as tf.Tensor1D, memory.shape[0]).toFloat();
    const nearest = tf.matMul(pick, memory);
    return tf.mean(tf.squaredDifference(queries, nearest));
  });
}

/**
 * One soft k-means step on running sums: count ← γ·count + (1 − γ)·Σ_q w_qi and
 * sum ← γ·sum + (1 − γ)·Σ_q w_qi·q_q; the items become sum / count. Items no query read
 * keep their place (sum and count shrink together). Its results are assigned to
 * variables, never part of a loss, so no gradient flows through it.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { emaItems } from "./block_memory.ts";
 * const q = tf.tensor2d([[2, 0], [4, 0]]), w = tf.tensor2d([[1], [1]]);
 * const next = emaItems(q, w, tf.tensor1d([1]), tf.tensor2d([[0, 1]]), 0.5);
 * next.items.print(); // [[1.5, 0.25]]: (0.5·[0,1] + 0.5·[6,0]) / (0.5·1 + 0.5·2)
 * ```
 */
export function emaItems(
  queries: tf.Tensor2D,
  weights: tf.Tensor2D,
  count: tf.Tensor1D,
  sum: tf.Tensor2D,
  decay: number,
): { count: tf.Tensor1D; sum: tf.Tensor2D; items: tf.Tensor2D } {
  return tidyObject(() => {
    const nextCount = tf.add(
      tf.mul(count, decay),
      tf.mul(tf.sum(weights, 0), 1 - decay),
    ) as tf.Tensor1D;
    const nextSum = tf.add(
      tf.mul(sum, decay),
      tf.mul(tf.matMul(weights, queries, true, false), 1 - decay),
    ) as tf.Tensor2D;
    // The floor only guards against a count that underflowed after very long disuse.
    const items = tf.div(nextSum, tf.maximum(nextCount, 1e-30).expandDims(1)) as tf.Tensor2D;
    return { count: nextCount, sum: nextSum, items };
  });
}

/** One memory bank for one scale: divide, address, assemble. */
export class BlockMemory {
  readonly bank: tf.Variable;
  readonly dim: number;
  /** 1 once the items were copied from queries (`init: "queries"`); kept in checkpoints. */
  readonly #initialized: tf.Variable | null;
  /** The copied queries (`init: "queries"`), kept in checkpoints to measure drift. */
  readonly #startVariable: tf.Variable | null;
  /** The random draw (`init: "random"`): the same seed redraws it, so it needs no saving. */
  readonly #randomStart: Float32Array | null;
  /** Running count and sum of `update: "ema"` (kept in checkpoints). */
  readonly #ema: { count: tf.Variable; sum: tf.Variable } | null;

  /**
   * Creates the bank N×D in `store` as `<name>.items`, initialised N(0, 1/D) so items
   * start with a norm near one. Validates the geometry against the map first.
   */
  constructor(
    store: ParamStore,
    readonly name: string,
    rng: Rng,
    readonly map: { height: number; width: number; channels: number },
    readonly config: BlockMemoryConfig,
  ) {
    validateBlockMemoryConfig(config, map, name);
    this.dim = blockDim(map, config.division);
    const values = rng.normalArray(config.items * this.dim, 0, 1 / Math.sqrt(this.dim));
    const ema = (config.update ?? "gradient") === "ema";
    // With `ema` the items follow their queries' running mean, not the optimiser.
    this.bank = store.add(`${name}.items`, tf.tensor2d(values, [config.items, this.dim]), !ema);
    // Count 1 per item: the start weighs as one batch's reads, then decays away.
    this.#ema = ema
      ? {
        count: store.add(`${name}.ema_count`, tf.ones([config.items]), false),
        sum: store.add(`${name}.ema_sum`, tf.tensor2d(values, [config.items, this.dim]), false),
      }
      : null;
    const fromQueries = config.init === "queries";
    this.#initialized = fromQueries ? store.add(`${name}.initialized`, tf.scalar(0), false) : null;
    this.#startVariable = fromQueries
      ? store.add(`${name}.items_start`, tf.zeros([config.items, this.dim]), false)
      : null;
    this.#randomStart = fromQueries ? null : values;
  }

  /** The items as they started (random draw, or the copied queries), [N, D]. */
  startItems(): tf.Tensor2D {
    if (this.#startVariable != null) return this.#startVariable.clone() as tf.Tensor2D;
    return tf.tensor2d(this.#randomStart!, [this.config.items, this.dim]);
  }

  /** Whether the bank still waits for {@linkcode initFromQueries}. */
  get needsInit(): boolean {
    return this.#initialized != null && this.#initialized.dataSync()[0] === 0;
  }

  /**
   * Copies N queries of the map `f` into the items (drawn without replacement while
   * there are enough queries, and with a 1% jitter so repeated draws differ), and marks
   * the bank initialised. Does nothing for `init: "random"` or a bank already set.
   */
  initFromQueries(f: tf.Tensor4D, rng: Rng): void {
    if (!this.needsInit) return;
    tf.tidy(() => {
      const q = divideBlocks(f, this.config.division);
      const count = q.shape[0], n = this.config.items;
      const perm = rng.permutation(count);
      const idx = Array.from({ length: n }, (_, i) => perm[i % count]);
      const picked = tf.gather(q, tf.tensor1d(idx, "int32"));
      const scale = tf.mean(tf.norm(picked, "euclidean", 1));
      const noise = tf.mul(
        tf.tensor2d(rng.normalArray(n * this.dim, 0, 0.01 / Math.sqrt(this.dim)), [n, this.dim]),
        scale,
      );
      const start = tf.add(picked, noise);
      this.bank.assign(start);
      this.#ema?.sum.assign(start);
      this.#startVariable!.assign(start);
      this.#initialized!.assign(tf.scalar(1));
    });
  }

  /**
   * Divides `f`, addresses the bank and assembles the read. `compactness` also returns
   * the compactness term (skipped otherwise: it costs an argmax and a matmul per step).
   * `update` (training passes) moves the items of an `update: "ema"` bank one soft
   * k-means step towards the queries of `f`; the read of this pass uses the items as
   * they were.
   */
  apply(
    f: tf.Tensor4D,
    options: { compactness?: boolean; update?: boolean } = {},
  ): BlockMemoryOutput {
    const [, h, w, c] = f.shape;
    if (h !== this.map.height || w !== this.map.width || c !== this.map.channels) {
      throw new BlockGeometryError(
        `${this.name}: built for ${this.map.height}x${this.map.width}x${this.map.channels} ` +
          `maps, got ${h}x${w}x${c}`,
      );
    }
    return tidyObject(() => {
      const q = divideBlocks(f, this.config.division);
      const ema = options.update ? this.#ema : null;
      // A copy holds the items this pass reads while the variable takes its new value.
      const items = ema != null ? this.bank.clone() as tf.Tensor2D : this.bank as tf.Tensor2D;
      const r = addressMemory(q, items, this.config);
      if (ema != null) {
        const next = emaItems(
          q,
          r.weights,
          ema.count as tf.Tensor1D,
          ema.sum as tf.Tensor2D,
          EMA_DECAY,
        );
        ema.count.assign(next.count);
        ema.sum.assign(next.sum);
        this.bank.assign(next.items);
      }
      return {
        output: assembleBlocks(r.read, f.shape, this.config.division),
        weights: r.weights,
        entropy: r.entropy,
        commitment: r.commitment,
        // EMA items are no variables of the optimiser: a codebook loss would move nothing.
        codebook: (this.config.update ?? "gradient") === "ema" ? null : r.codebook,
        compactness: options.compactness ? compactnessLoss(q, items, r.weights) : null,
      };
    });
  }
}
