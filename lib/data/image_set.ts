/**
 * An in-memory set of equally sized images, NHWC float32 in [-1, 1] (paper §4.1), with
 * optional labels (1 = anomalous), ground-truth masks and names.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../util/rng.ts";

/** Images of one size, stored contiguously. */
export interface ImageSet {
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  channels: number;
  /** n·height·width·channels values, NHWC, in [-1, 1]. */
  data: Float32Array;
  /** Per image: 1 anomalous, 0 normal (test sets). */
  labels?: Uint8Array;
  /** Per pixel: 1 anomalous, 0 normal, n·height·width values (sets with masks). */
  masks?: Float32Array;
  /** Per image, a name for reports (file path, "digit 3 #12"...). */
  names?: string[];
  /** Per image, a group (MVTec defect type, digit class, video id...). */
  groups?: string[];
}

/** Values per image. */
export function imageSize(set: Pick<ImageSet, "height" | "width" | "channels">): number {
  return set.height * set.width * set.channels;
}

/** Checks sizes and value ranges; throws naming the first inconsistency. */
export function validateImageSet(set: ImageSet, label = "image set"): void {
  if (set.n < 1) throw new Error(`${label} is empty`);
  if (set.data.length !== set.n * imageSize(set)) {
    throw new Error(
      `${label}: ${set.data.length} values for ${set.n} images of ${set.height}x${set.width}x${set.channels}`,
    );
  }
  if (set.labels != null && set.labels.length !== set.n) {
    throw new Error(`${label}: ${set.labels.length} labels for ${set.n} images`);
  }
  if (set.masks != null && set.masks.length !== set.n * set.height * set.width) {
    throw new Error(`${label}: masks do not match ${set.n} images of ${set.height}x${set.width}`);
  }
}

/** At most `max` indices of a set of `n` images, evenly spaced from the first (probes). */
export function evenlySpaced(n: number, max: number): number[] {
  const count = Math.min(n, max);
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}

/** A new set with the images at `indices` (labels, masks, names, groups follow). */
export function subset(set: ImageSet, indices: number[]): ImageSet {
  const size = imageSize(set), px = set.height * set.width;
  const data = new Float32Array(indices.length * size);
  indices.forEach((idx, i) => data.set(set.data.subarray(idx * size, (idx + 1) * size), i * size));
  const out: ImageSet = {
    n: indices.length,
    height: set.height,
    width: set.width,
    channels: set.channels,
    data,
  };
  if (set.labels) out.labels = Uint8Array.from(indices, (i) => set.labels![i]);
  if (set.masks) {
    out.masks = new Float32Array(indices.length * px);
    indices.forEach((idx, i) =>
      out.masks!.set(set.masks!.subarray(idx * px, (idx + 1) * px), i * px)
    );
  }
  if (set.names) out.names = indices.map((i) => set.names![i]);
  if (set.groups) out.groups = indices.map((i) => set.groups![i]);
  return out;
}

/** Training-time augmentation. */
export type Augment = "flip" | "none";

/**
 * Copies image `index` into `out` at `offset`, flipped horizontally and/or vertically.
 * Flips are the paper's augmentation (§4.1).
 */
export function copyImage(
  set: ImageSet,
  index: number,
  out: Float32Array,
  offset: number,
  flipH = false,
  flipV = false,
): void {
  const { height: h, width: w, channels: c } = set;
  const src = index * h * w * c;
  if (!flipH && !flipV) {
    out.set(set.data.subarray(src, src + h * w * c), offset);
    return;
  }
  for (let y = 0; y < h; y++) {
    const sy = flipV ? h - 1 - y : y;
    for (let x = 0; x < w; x++) {
      const sx = flipH ? w - 1 - x : x;
      const s = src + (sy * w + sx) * c, d = offset + (y * w + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = set.data[s + k];
    }
  }
}

/**
 * The batches of one training epoch: a permutation from `rng`, full batches only (the
 * few left-over images are seen in other epochs' shuffles), flips drawn from `rng`.
 */
export function* trainBatches(
  set: ImageSet,
  batchSize: number,
  rng: Rng,
  augment: Augment,
): Generator<tf.Tensor4D> {
  const order = rng.permutation(set.n);
  const size = imageSize(set);
  const nBatches = Math.max(1, Math.floor(set.n / batchSize));
  for (let b = 0; b < nBatches; b++) {
    const idx = order.slice(b * batchSize, (b + 1) * batchSize);
    const buf = new Float32Array(idx.length * size);
    idx.forEach((i, j) => {
      const fh = augment === "flip" && rng.next() < 0.5;
      const fv = augment === "flip" && rng.next() < 0.5;
      copyImage(set, i, buf, j * size, fh, fv);
    });
    yield tf.tensor4d(buf, [idx.length, set.height, set.width, set.channels]);
  }
}

/** Number of batches {@linkcode trainBatches} yields per epoch. */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.max(1, Math.floor(n / batchSize));
}

/** Consecutive batches of a set in order, for evaluation: `[start, tensor]` pairs. */
export function* evalBatches(set: ImageSet, batchSize: number): Generator<[number, tf.Tensor4D]> {
  const size = imageSize(set);
  for (let s = 0; s < set.n; s += batchSize) {
    const e = Math.min(set.n, s + batchSize);
    yield [
      s,
      tf.tensor4d(set.data.slice(s * size, e * size), [e - s, set.height, set.width, set.channels]),
    ];
  }
}
