/**
 * The toy of DAAD's Figure 1 (paper §1), made real: block patterns of one size are
 * learned from a normal image A (diagonal stripes) and then used to rebuild another
 * normal image B (the same stripes at another phase) and an anomaly C (vertical
 * stripes). The memory is the kit's block-wise memory ({@linkcode BlockMemory}, DAAD
 * addressing: softmax of cosine similarities, weights below 1/N dropped) applied
 * directly to the image, with no encoder or decoder: the image is divided into b×b
 * blocks, each block is a query, and the N memory items (each b·b pixels) are learned
 * end to end by gradient descent (Adam) on the reconstruction error of A.
 *
 * What it shows (the paper's hypothesis): with 1-pixel blocks the cosine similarity of
 * two scalars is only their sign, so the memory can hold just "bright" and "dark", and
 * rebuilds B and C alike; blocks as large as the image must store whole images and fail
 * on B; medium blocks rebuild B and not C.
 *
 * @example
 * ```ts
 * import { runBlockToy, toyStripes } from "./block_toy.ts";
 * const images = toyStripes({ size: 16 });
 * const [r] = runBlockToy(images, [4], { steps: 50 });
 * console.log(r.blockSize, r.dim, r.error.b < r.error.c); // 4 16 true
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DatasetError } from "../data/errors.ts";
import { stripeImage } from "../data/stripes.ts";
import { BlockMemory, DEFAULT_BLOCK_MEMORY_CONFIG } from "../memory/block_memory.ts";
import { ParamStore } from "../nn/params.ts";
import { Adam } from "../train/adam.ts";
import { deriveSeed, Rng } from "../util/rng.ts";

/** Options of {@linkcode toyStripes}. */
export interface ToyStripesOptions {
  /** Side of the square images in pixels. Default 64. */
  size?: number;
  /** Distance between two stripes of one colour, in pixels. Default 8. */
  period?: number;
  /** Direction of the normal stripes (A and B), degrees. Default 45 (diagonal). */
  angle?: number;
  /** Direction of the anomalous stripes (C), degrees. Default 90 (vertical). */
  anomalyAngle?: number;
  /** Phase of A, radians. Default 0. */
  phaseA?: number;
  /** Phase of B, radians. Default 2.2 (about a third of a period from A). */
  phaseB?: number;
  /** Phase of C, radians. Default 0. */
  phaseC?: number;
  /** Gaussian noise of every image (in the [-1, 1] scale). Default 0. */
  noise?: number;
  /** Seed of the noise. Default 0. */
  seed?: number;
}

/** The three images of the toy, each size·size values in [-1, 1]. */
export interface ToyStripes {
  size: number;
  /** Normal image the memory learns from. */
  a: Float32Array;
  /** Another normal image (same stripes, another phase). */
  b: Float32Array;
  /** The anomaly (stripes in another direction). */
  c: Float32Array;
  options: Required<ToyStripesOptions>;
}

/** The defaults of {@linkcode toyStripes}. */
export const DEFAULT_TOY_STRIPES: Readonly<Required<ToyStripesOptions>> = Object.freeze({
  size: 64,
  period: 8,
  angle: 45,
  anomalyAngle: 90,
  phaseA: 0,
  phaseB: 2.2,
  phaseC: 0,
  noise: 0,
  seed: 0,
});

/**
 * The images A, B and C of the toy (see the module documentation), drawn with
 * {@linkcode stripeImage}.
 *
 * @example
 * ```ts
 * import { toyStripes } from "./block_toy.ts";
 * const { a, c, size } = toyStripes({ size: 8 });
 * console.log(Math.abs(a[0] - a[size + 1]) < 1e-6, c[0] === c[size]); // true true
 * ```
 */
export function toyStripes(options: ToyStripesOptions = {}): ToyStripes {
  const o = { ...DEFAULT_TOY_STRIPES, ...options };
  if (((o.angle - o.anomalyAngle) % 180 + 180) % 180 === 0) {
    throw new DatasetError(
      `toy angle ${o.angle} and anomalyAngle ${o.anomalyAngle} are the same orientation`,
    );
  }
  const rng = new Rng(o.seed);
  const draw = (angle: number, phase: number) =>
    stripeImage({ size: o.size, period: o.period, angle, phase, noise: o.noise }, rng);
  return {
    size: o.size,
    a: draw(o.angle, o.phaseA),
    b: draw(o.angle, o.phaseB),
    c: draw(o.anomalyAngle, o.phaseC),
    options: o,
  };
}

/**
 * The block sides the toy can use on `size`-pixel images: the powers of two that divide
 * `size` (1, 2, 4, ... up to the largest, `size` itself when it is a power of two).
 *
 * @example
 * ```ts
 * import { toyBlockSizes } from "./block_toy.ts";
 * console.log(toyBlockSizes(32)); // [1, 2, 4, 8, 16, 32]
 * ```
 */
export function toyBlockSizes(size: number): number[] {
  checkSide(size);
  const out: number[] = [];
  for (let b = 1; b <= size && size % b === 0; b *= 2) out.push(b);
  return out;
}

function checkSide(size: number): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`toy image size must be a positive integer, got ${size}`);
  }
}

/** Options of {@linkcode BlockToyMemory} and {@linkcode runBlockToy}. */
export interface BlockToyOptions {
  /** Memory items N. Default 32. */
  items?: number;
  /** Adam steps on the images learned from. Default 1000. */
  steps?: number;
  /** Adam learning rate. Default 0.05. */
  lr?: number;
  /** Seed of the memory's initial items. Default 0. */
  seed?: number;
  /** Record the training loss every this many steps (and at the last). Default 25. */
  logEvery?: number;
}

/** The defaults of {@linkcode BlockToyOptions}. */
export const DEFAULT_BLOCK_TOY_OPTIONS: Readonly<Required<BlockToyOptions>> = Object.freeze({
  items: 32,
  steps: 1000,
  lr: 0.05,
  seed: 0,
  logEvery: 25,
});

function checkOptions(o: Required<BlockToyOptions>): void {
  for (const [name, v] of [["items", o.items], ["steps", o.steps], ["logEvery", o.logEvery]]) {
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw new RangeError(`block toy ${name} must be a positive integer, got ${v}`);
    }
  }
  if (!(o.lr > 0 && Number.isFinite(o.lr))) {
    throw new RangeError(`block toy learning rate must be a positive number, got ${o.lr}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0) {
    throw new RangeError(`block toy seed must be an integer >= 0, got ${o.seed}`);
  }
}

/**
 * A block-wise memory over `size`×`size` one-channel images with b×b blocks (division
 * size/b, size/b, 1), whose items are learned directly on image blocks.
 *
 * @example
 * ```ts
 * import { BlockToyMemory, toyStripes } from "./block_toy.ts";
 * const { a, size } = toyStripes({ size: 16 });
 * const m = new BlockToyMemory(size, 4, { items: 8 });
 * const losses = m.fit([a], 30);
 * console.log(losses.at(-1)!.loss < losses[0].loss); // true
 * m.dispose();
 * ```
 */
export class BlockToyMemory {
  readonly memory: BlockMemory;
  readonly options: Required<BlockToyOptions>;
  readonly #store: ParamStore;
  readonly #adam: Adam;

  constructor(readonly size: number, readonly blockSize: number, options: BlockToyOptions = {}) {
    checkSide(size);
    if (!Number.isInteger(blockSize) || blockSize < 1 || size % blockSize !== 0) {
      throw new RangeError(
        `block size ${blockSize} must be a positive integer dividing the image size ${size}`,
      );
    }
    this.options = { ...DEFAULT_BLOCK_TOY_OPTIONS, ...options };
    checkOptions(this.options);
    const r = size / blockSize;
    this.#store = new ParamStore("toy");
    this.memory = new BlockMemory(
      this.#store,
      `toy${blockSize}`,
      new Rng(deriveSeed(this.options.seed, "block toy", blockSize)),
      { height: size, width: size, channels: 1 },
      { ...DEFAULT_BLOCK_MEMORY_CONFIG, division: [r, r, 1], items: this.options.items },
    );
    this.#adam = new Adam(this.#store.trainableVariables(), { lr: this.options.lr });
  }

  /** Values per memory item (b·b). */
  get dim(): number {
    return this.memory.dim;
  }

  /** Queries per image ((size/b)²). */
  get queriesPerImage(): number {
    return (this.size / this.blockSize) ** 2;
  }

  #batch(images: readonly Float32Array[]): tf.Tensor4D {
    const px = this.size * this.size;
    const data = new Float32Array(images.length * px);
    images.forEach((img, i) => {
      if (img.length !== px) {
        throw new RangeError(
          `image ${i} has ${img.length} values, expected ${px} (${this.size}x${this.size})`,
        );
      }
      data.set(img, i * px);
    });
    return tf.tensor4d(data, [images.length, this.size, this.size, 1]);
  }

  /**
   * Runs `steps` Adam steps minimising the mean squared error between `images` and their
   * rebuilt versions; returns the loss every `logEvery` steps and at the last step.
   */
  fit(
    images: readonly Float32Array[],
    steps = this.options.steps,
  ): { step: number; loss: number }[] {
    if (images.length === 0) throw new RangeError("fit() needs at least one image");
    if (!Number.isInteger(steps) || steps < 1) {
      throw new RangeError(`steps must be a positive integer, got ${steps}`);
    }
    const x = this.#batch(images);
    const vars = this.#store.trainableVariables();
    const log: { step: number; loss: number }[] = [];
    try {
      for (let s = 1; s <= steps; s++) {
        const record = s === 1 || s % this.options.logEvery === 0 || s === steps;
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(
            () => tf.mean(tf.squaredDifference(this.memory.apply(x).output, x)) as tf.Scalar,
            vars,
          );
          this.#adam.apply(grads);
          return record ? value.dataSync()[0] : NaN;
        });
        if (record) {
          if (!Number.isFinite(loss)) {
            throw new Error(`block toy (b=${this.blockSize}): loss is ${loss} at step ${s}`);
          }
          log.push({ step: s, loss });
        }
      }
    } finally {
      x.dispose();
    }
    return log;
  }

  /** The image rebuilt from memory items (size·size values). */
  reconstruct(image: Float32Array): Float32Array {
    const x = this.#batch([image]);
    try {
      return tf.tidy(() => this.memory.apply(x).output.dataSync() as Float32Array).slice();
    } finally {
      x.dispose();
    }
  }

  /** The memory items, N·b·b values (item-major, each a b×b block in row order). */
  items(): Float32Array {
    return (this.memory.bank.dataSync() as Float32Array).slice();
  }

  dispose(): void {
    this.#adam.dispose();
    this.#store.dispose();
  }
}

/** Per image of the toy: one value. */
export interface PerImage<T> {
  a: T;
  b: T;
  c: T;
}

/** What the toy gives for one block size. */
export interface BlockToyResult {
  blockSize: number;
  /** Division rate size/b along height and width. */
  rate: number;
  /** Values per block and item (b·b). */
  dim: number;
  items: number;
  /** Training loss on A over the steps. */
  losses: { step: number; loss: number }[];
  /** The rebuilt images. */
  reconstruction: PerImage<Float32Array>;
  /** Mean squared error of each rebuilt image (values in [-1, 1], so at most 4). */
  error: PerImage<number>;
  /** Squared error per pixel. */
  errorMap: PerImage<Float32Array>;
  /** How much worse C is rebuilt than B: error.c / error.b. */
  contrast: number;
  /** The learned items, N·b·b values. */
  bank: Float32Array;
  seconds: number;
}

function squaredError(x: Float32Array, y: Float32Array): { map: Float32Array; mean: number } {
  const map = new Float32Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - y[i];
    map[i] = d * d;
    sum += d * d;
  }
  return { map, mean: sum / x.length };
}

/**
 * Learns one memory per block size from A and rebuilds A, B and C with it. Each block
 * size starts from its own seeded items; tensors are released before returning.
 *
 * @example
 * ```ts
 * import { runBlockToy, toyStripes } from "./block_toy.ts";
 * const results = runBlockToy(toyStripes({ size: 16 }), [1, 16], { steps: 20 });
 * console.log(results.map((r) => r.rate)); // [16, 1]
 * ```
 */
export function runBlockToy(
  images: ToyStripes,
  blockSizes: readonly number[] = toyBlockSizes(images.size),
  options: BlockToyOptions = {},
  onResult?: (result: BlockToyResult) => void,
): BlockToyResult[] {
  if (blockSizes.length === 0) throw new RangeError("runBlockToy() needs at least one block size");
  const results: BlockToyResult[] = [];
  for (const b of blockSizes) {
    const t0 = performance.now();
    const mem = new BlockToyMemory(images.size, b, options);
    try {
      const losses = mem.fit([images.a]);
      const reconstruction = {
        a: mem.reconstruct(images.a),
        b: mem.reconstruct(images.b),
        c: mem.reconstruct(images.c),
      };
      const ea = squaredError(images.a, reconstruction.a);
      const eb = squaredError(images.b, reconstruction.b);
      const ec = squaredError(images.c, reconstruction.c);
      const result: BlockToyResult = {
        blockSize: b,
        rate: images.size / b,
        dim: mem.dim,
        items: mem.options.items,
        losses,
        reconstruction,
        error: { a: ea.mean, b: eb.mean, c: ec.mean },
        errorMap: { a: ea.map, b: eb.map, c: ec.map },
        contrast: ec.mean / Math.max(eb.mean, 1e-12),
        bank: mem.items(),
        seconds: (performance.now() - t0) / 1000,
      };
      results.push(result);
      onResult?.(result);
    } finally {
      mem.dispose();
    }
  }
  return results;
}

/**
 * The block size whose memory separates B from C best: the largest
 * {@linkcode BlockToyResult.contrast} (error on C over error on B).
 *
 * @example
 * ```ts
 * import { bestContrast, type BlockToyResult } from "./block_toy.ts";
 * const r = (blockSize: number, contrast: number) => ({ blockSize, contrast }) as BlockToyResult;
 * console.log(bestContrast([r(1, 0.2), r(8, 90), r(64, 1.4)]).blockSize); // 8
 * ```
 */
export function bestContrast(results: readonly BlockToyResult[]): BlockToyResult {
  if (results.length === 0) throw new RangeError("bestContrast() needs at least one result");
  return results.reduce((best, r) => (r.contrast > best.contrast ? r : best));
}
