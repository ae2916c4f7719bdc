/**
 * The toy of paper Figure 1: normal images are diagonal stripes, anomalies vertical
 * stripes. Each image is a two-level stripe pattern (a sine wave clipped at ±1/3 of its
 * amplitude, so stripes have flat tops and soft edges) with a random phase and optional
 * Gaussian noise, greyscale in [-1, 1]. The whole of an anomalous image is anomalous,
 * so its mask is all ones.
 *
 * This is the kit's toy for the block-size argument of the paper (§1), not one of the
 * paper's benchmarks.
 *
 * @example
 * ```ts
 * import { stripesDataset } from "./stripes.ts";
 * const { train, test } = stripesDataset({ size: 32, nTrain: 8, nTest: 4 });
 * console.log(train.n, test.n, test.masks?.length); // 8 4 4096
 * ```
 * @module
 */
import { Rng } from "../util/rng.ts";
import { DatasetError } from "./errors.ts";
import type { ImageSet } from "./image_set.ts";
import type { RunData } from "./run_data.ts";

/** Options of {@linkcode stripeImage}. */
export interface StripeImageOptions {
  /** Side in pixels. */
  size: number;
  /** Distance between two stripes of the same colour, in pixels. */
  period: number;
  /**
   * Direction of the stripes in degrees, from the x axis (right) towards the y axis
   * (down): 0 horizontal, 90 vertical, 45 diagonal from top-left to bottom-right.
   */
  angle: number;
  /** Phase of the pattern in radians. */
  phase: number;
  /** Standard deviation of added Gaussian noise (in the [-1, 1] scale). */
  noise: number;
}

/** Clipping gain: values are clamp(GAIN · sin(...)), i.e. mostly ±1. */
const GAIN = 3;

/**
 * One stripe image, size·size values in [-1, 1] (row-major, one channel). Noise is
 * drawn from `rng` (nothing is drawn when `noise` is 0).
 *
 * @example
 * ```ts
 * import { stripeImage } from "./stripes.ts";
 * import { Rng } from "../util/rng.ts";
 * const img = stripeImage({ size: 8, period: 4, angle: 90, phase: 0, noise: 0 }, new Rng(0));
 * console.log(img[0] === img[8]); // true: vertical stripes are constant down a column
 * ```
 */
export function stripeImage(options: StripeImageOptions, rng: Rng): Float32Array {
  const { size, period, angle, phase, noise } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`stripe image size must be a positive integer, got ${size}`);
  }
  if (!(period >= 2) || !Number.isFinite(period)) {
    throw new DatasetError(`stripe period must be a number >= 2 pixels, got ${period}`);
  }
  if (!Number.isFinite(angle) || !Number.isFinite(phase)) {
    throw new DatasetError(`stripe angle and phase must be finite, got ${angle} and ${phase}`);
  }
  if (!(noise >= 0) || !Number.isFinite(noise)) {
    throw new DatasetError(`stripe noise must be a number >= 0, got ${noise}`);
  }
  const rad = (angle * Math.PI) / 180;
  // The pattern varies along the normal of the stripe direction.
  const nx = -Math.sin(rad), ny = Math.cos(rad);
  const k = (2 * Math.PI) / period;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = k * ((x + 0.5) * nx + (y + 0.5) * ny) + phase;
      let v = Math.max(-1, Math.min(1, GAIN * Math.sin(t)));
      if (noise > 0) v = Math.max(-1, Math.min(1, v + rng.normal(0, noise)));
      out[y * size + x] = v;
    }
  }
  return out;
}

/** Options of {@linkcode stripesDataset}. */
export interface StripesOptions {
  /** Side in pixels. Default 64 (the `stripes` preset). */
  size?: number;
  /** Stripe period in pixels. Default 8. */
  period?: number;
  /** Direction of the normal stripes, degrees. Default 45 (diagonal). */
  angle?: number;
  /** Direction of the anomalous stripes, degrees. Default 90 (vertical). */
  anomalyAngle?: number;
  /** Gaussian noise standard deviation. Default 0.05. */
  noise?: number;
  /** Training images (all normal). Default 200. */
  nTrain?: number;
  /** Test images. Default 100. */
  nTest?: number;
  /** Fraction of the test images that are anomalous, in (0, 1). Default 0.5. */
  anomalyFraction?: number;
  /** Seed of phases, noise and test order. Default 0. */
  seed?: number;
}

/**
 * The stripes toy as train/test sets: train = normal (diagonal) images; test = normal
 * and anomalous (vertical) images in a seeded order, labels 1 for anomalies, masks all
 * ones for anomalies and zeros otherwise.
 *
 * @example
 * ```ts
 * import { stripesDataset } from "./stripes.ts";
 * const d = stripesDataset({ nTrain: 4, nTest: 10, anomalyFraction: 0.3 });
 * console.log(d.test.labels?.reduce((a, b) => a + b, 0)); // 3
 * ```
 */
export function stripesDataset(options: StripesOptions = {}): RunData {
  const {
    size = 64,
    period = 8,
    angle = 45,
    anomalyAngle = 90,
    noise = 0.05,
    nTrain = 200,
    nTest = 100,
    anomalyFraction = 0.5,
    seed = 0,
  } = options;
  if (!Number.isInteger(nTrain) || nTrain < 1) {
    throw new DatasetError(`stripes nTrain must be an integer >= 1, got ${nTrain}`);
  }
  if (!Number.isInteger(nTest) || nTest < 2) {
    throw new DatasetError(
      `stripes nTest must be an integer >= 2 (normal and anomalous), got ${nTest}`,
    );
  }
  if (!(anomalyFraction > 0 && anomalyFraction < 1)) {
    throw new DatasetError(`stripes anomalyFraction must be in (0, 1), got ${anomalyFraction}`);
  }
  if ((((angle - anomalyAngle) % 180) + 180) % 180 === 0) {
    throw new DatasetError(
      `stripes angle ${angle} and anomalyAngle ${anomalyAngle} are the same orientation`,
    );
  }
  const rng = new Rng(seed);
  const px = size * size;
  const image = (a: number) =>
    stripeImage({ size, period, angle: a, phase: rng.uniform(0, 2 * Math.PI), noise }, rng);

  const trainData = new Float32Array(nTrain * px);
  for (let i = 0; i < nTrain; i++) trainData.set(image(angle), i * px);

  const nAnomalous = Math.min(nTest - 1, Math.max(1, Math.round(nTest * anomalyFraction)));
  // Position j of the test set holds normal image j (j < nTest - nAnomalous) or anomaly.
  const order = rng.permutation(nTest);
  const labels = Uint8Array.from(order, (j) => (j < nTest - nAnomalous ? 0 : 1));
  const testData = new Float32Array(nTest * px);
  const masks = new Float32Array(nTest * px);
  for (let i = 0; i < nTest; i++) {
    testData.set(image(labels[i] ? anomalyAngle : angle), i * px);
    if (labels[i]) masks.fill(1, i * px, (i + 1) * px);
  }
  const group = (a: number) => `angle ${a}`;
  const train: ImageSet = {
    n: nTrain,
    height: size,
    width: size,
    channels: 1,
    data: trainData,
    names: Array.from({ length: nTrain }, (_, i) => `stripes train #${i}`),
    groups: new Array(nTrain).fill(group(angle)),
  };
  const test: ImageSet = {
    n: nTest,
    height: size,
    width: size,
    channels: 1,
    data: testData,
    labels,
    masks,
    names: Array.from(
      labels,
      (l, i) => `stripes test #${i} (${l ? "anomalous" : "normal"})`,
    ),
    groups: Array.from(labels, (l) => group(l ? anomalyAngle : angle)),
  };
  return {
    train,
    test,
    protocol: `stripes toy (paper Figure 1; the kit's own data): normal = stripes at ${angle} ` +
      `degrees, anomalous = stripes at ${anomalyAngle} degrees; period ${period} px, ` +
      `${size}x${size}, noise ${noise}, seed ${seed}; train = ${nTrain} normal; test = ` +
      `${nTest - nAnomalous} normal + ${nAnomalous} anomalous (masks: whole image)`,
  };
}
