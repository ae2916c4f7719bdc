/**
 * One-class CIFAR-10 from the official binary batches (the `cifar-10-batches-bin`
 * folder: `data_batch_1.bin` .. `data_batch_5.bin`, `test_batch.bin`). Each record is
 * 1 label byte (0..9) and 3072 pixel bytes: the 1024 red, then green, then blue values
 * of a 32x32 image, row-major.
 *
 * Protocol (paper Table 2, the one-class protocol of OCGAN): one class is normal; the
 * model trains on that class's images of the five training batches and is tested on
 * the whole test batch, label 0 for the normal class and 1 for the nine others.
 * Images are scaled to [-1, 1] and, for sizes other than 32, resized bilinearly.
 *
 * @example
 * ```ts ignore
 * import { oneClassCifar10 } from "./cifar10.ts";
 * const { train, test } = await oneClassCifar10({ root: "data/cifar-10-batches-bin", normal: 3 });
 * console.log(train.n, test.n); // 5000 10000
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";
import { resizeBilinear } from "./image_io.ts";
import type { ImageSet } from "./image_set.ts";
import type { RunData } from "./run_data.ts";

/** Class names, by label. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

/** The five training batch files. */
export const CIFAR10_TRAIN_FILES: readonly string[] = Object.freeze(
  [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
);

/** The test batch file. */
export const CIFAR10_TEST_FILE = "test_batch.bin";

/** Bytes per record: one label byte and 32·32·3 pixel bytes. */
export const CIFAR10_RECORD_BYTES = 3073;

/** Options of {@linkcode oneClassCifar10}. */
export interface OneClassCifar10Options {
  /** The `cifar-10-batches-bin` folder. */
  root: string;
  /** The normal class, 0..9. */
  normal: number;
  /** Output side in pixels. Default 32 (no resizing). */
  size?: number;
  /** Keep at most this many test images, in proportion per class. Default: all 10,000. */
  maxTest?: number;
}

/** The records of one batch file. */
export interface Cifar10Batch {
  /** Number of records. */
  n: number;
  /** One label 0..9 per record. */
  labels: Uint8Array;
  /** The file's bytes (records of {@linkcode CIFAR10_RECORD_BYTES}). */
  bytes: Uint8Array;
}

/**
 * Reads and checks one batch file: its size must be a multiple of 3073 bytes and every
 * label byte at most 9.
 *
 * @example
 * ```ts ignore
 * import { readCifar10Batch } from "./cifar10.ts";
 * const b = await readCifar10Batch("data/cifar-10-batches-bin/test_batch.bin");
 * console.log(b.n, b.labels[0]); // 10000 3
 * ```
 */
export async function readCifar10Batch(path: string): Promise<Cifar10Batch> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DatasetError(`CIFAR-10 batch file not found: ${path}`);
    }
    throw new DatasetError(`cannot read CIFAR-10 batch file ${path}: ${(e as Error).message}`);
  }
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DatasetError(
      `${path} has ${bytes.length} bytes, not a positive multiple of ${CIFAR10_RECORD_BYTES} ` +
        `(1 label byte + 3072 pixel bytes per record): not a CIFAR-10 binary batch, or truncated`,
    );
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = bytes[i * CIFAR10_RECORD_BYTES];
    if (label > 9) {
      throw new DatasetError(
        `${path}: record ${i} has label byte ${label} (expected 0..9); ` +
          `is this the CIFAR-100 binary format?`,
      );
    }
    labels[i] = label;
  }
  return { n, labels, bytes };
}

/** Record `i` of a batch as HWC float in [-1, 1] at `size`, written into `out` at `offset`. */
function recordImage(
  batch: Cifar10Batch,
  i: number,
  size: number,
  out: Float32Array,
  offset: number,
): void {
  const base = i * CIFAR10_RECORD_BYTES + 1;
  const hwc = new Float32Array(32 * 32 * 3);
  for (let p = 0; p < 1024; p++) {
    for (let k = 0; k < 3; k++) hwc[p * 3 + k] = batch.bytes[base + k * 1024 + p] / 127.5 - 1;
  }
  out.set(size === 32 ? hwc : resizeBilinear(hwc, 32, 32, 3, size, size), offset);
}

/**
 * Builds the one-class split for class `normal`: train = its images in the five
 * training batches; test = the test batch, label 0 for `normal`, 1 otherwise.
 *
 * @example
 * ```ts ignore
 * import { oneClassCifar10 } from "./cifar10.ts";
 * const d = await oneClassCifar10({ root: "data/cifar-10-batches-bin", normal: 0, maxTest: 1000 });
 * console.log(d.test.labels?.filter((l) => l === 0).length); // 100
 * ```
 */
export async function oneClassCifar10(options: OneClassCifar10Options): Promise<RunData> {
  const { root, normal, size = 32, maxTest } = options;
  if (!Number.isInteger(normal) || normal < 0 || normal > 9) {
    throw new DatasetError(`--normal must be a CIFAR-10 class 0..9 (or 'all'), got ${normal}`);
  }
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`image size must be a positive integer, got ${size}`);
  }
  if (maxTest != null && (!Number.isInteger(maxTest) || maxTest < 1)) {
    throw new DatasetError(`maxTest must be a positive integer, got ${maxTest}`);
  }
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(root);
  } catch {
    throw new DatasetError(
      `CIFAR-10 folder not found: ${root} (expected the cifar-10-batches-bin folder of the ` +
        `binary version, holding ${CIFAR10_TRAIN_FILES.join(", ")}, ${CIFAR10_TEST_FILE})`,
    );
  }
  if (!st.isDirectory) throw new DatasetError(`CIFAR-10 root is not a folder: ${root}`);
  for (const f of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) {
    try {
      await Deno.stat(`${root}/${f}`);
    } catch {
      throw new DatasetError(`CIFAR-10 batch file not found: ${root}/${f}`);
    }
  }
  const per = size * size * 3;

  const trainChunks: Float32Array[] = [];
  const trainNames: string[] = [];
  for (const f of CIFAR10_TRAIN_FILES) {
    const batch = await readCifar10Batch(`${root}/${f}`);
    const idx: number[] = [];
    for (let i = 0; i < batch.n; i++) if (batch.labels[i] === normal) idx.push(i);
    const chunk = new Float32Array(idx.length * per);
    idx.forEach((i, j) => recordImage(batch, i, size, chunk, j * per));
    trainChunks.push(chunk);
    for (const i of idx) trainNames.push(`${f} #${i}`);
  }
  if (trainNames.length === 0) {
    throw new DatasetError(
      `no training images of class ${normal} (${CIFAR10_CLASSES[normal]}) in ${root}`,
    );
  }
  const trainData = new Float32Array(trainNames.length * per);
  let o = 0;
  for (const c of trainChunks) {
    trainData.set(c, o);
    o += c.length;
  }

  const testBatch = await readCifar10Batch(`${root}/${CIFAR10_TEST_FILE}`);
  let testIdx = Array.from({ length: testBatch.n }, (_, i) => i);
  if (maxTest != null && maxTest < testBatch.n) {
    // Every k-th record of the class-grouped list keeps the class proportions.
    const grouped = [...testIdx].sort((a, b) => testBatch.labels[a] - testBatch.labels[b] || a - b);
    const step = grouped.length / maxTest;
    testIdx = Array.from({ length: maxTest }, (_, k) => grouped[Math.floor(k * step)])
      .sort((a, b) => a - b);
  }
  const testData = new Float32Array(testIdx.length * per);
  testIdx.forEach((i, j) => recordImage(testBatch, i, size, testData, j * per));
  const labels = Uint8Array.from(testIdx, (i) => (testBatch.labels[i] === normal ? 0 : 1));
  const nNormal = labels.filter((l) => l === 0).length;

  const train: ImageSet = {
    n: trainNames.length,
    height: size,
    width: size,
    channels: 3,
    data: trainData,
    names: trainNames,
    groups: trainNames.map(() => CIFAR10_CLASSES[normal]),
  };
  const test: ImageSet = {
    n: testIdx.length,
    height: size,
    width: size,
    channels: 3,
    data: testData,
    labels,
    names: testIdx.map((i) => `${CIFAR10_TEST_FILE} #${i}`),
    groups: testIdx.map((i) => CIFAR10_CLASSES[testBatch.labels[i]]),
  };
  return {
    train,
    test,
    protocol: `one-class CIFAR-10 (binary batches in ${root}): normal class ${normal} ` +
      `(${CIFAR10_CLASSES[normal]}); train = its ${train.n} images in data_batch_1..5; ` +
      `test = ${CIFAR10_TEST_FILE}, ${nNormal} normal + ${test.n - nNormal} anomalous ` +
      `(the other classes)` +
      (test.n < testBatch.n ? `, subsampled from ${testBatch.n} per class` : "") +
      `; ${size}x${size}${size === 32 ? "" : " (bilinear)"}, [-1, 1]`,
  };
}
