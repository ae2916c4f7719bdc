import { assert, assertEquals, assertNotEquals, assertThrows } from "../../tests/assert.ts";
import { Rng } from "../util/rng.ts";
import { DatasetError } from "./errors.ts";
import { stripeImage, stripesDataset } from "./stripes.ts";

/**
 * Direction of the stripes in degrees, in [0, 180), from the structure tensor of the
 * image: the mean gradient direction is the stripes' normal; the stripes run 90° away.
 */
function stripeDirection(img: Float32Array, size: number): number {
  let jxx = 0, jyy = 0, jxy = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const gx = (img[y * size + x + 1] - img[y * size + x - 1]) / 2;
      const gy = (img[(y + 1) * size + x] - img[(y - 1) * size + x]) / 2;
      jxx += gx * gx;
      jyy += gy * gy;
      jxy += gx * gy;
    }
  }
  const normal = (0.5 * Math.atan2(2 * jxy, jxx - jyy) * 180) / Math.PI;
  return (((normal + 90) % 180) + 180) % 180;
}

/** Circular distance between two orientations in degrees (mod 180). */
function angleGap(a: number, b: number): number {
  const d = Math.abs(a - b) % 180;
  return Math.min(d, 180 - d);
}

/** Correlation of an image with itself shifted by (dx, dy). */
function autocorrelation(img: Float32Array, size: number, dx: number, dy: number): number {
  let sab = 0, saa = 0, sbb = 0;
  for (let y = 0; y < size - Math.abs(dy); y++) {
    for (let x = 0; x < size - Math.abs(dx); x++) {
      const a = img[y * size + x], b = img[(y + dy) * size + x + dx];
      sab += a * b;
      saa += a * a;
      sbb += b * b;
    }
  }
  return sab / Math.sqrt(saa * sbb);
}

Deno.test("stripeImage() draws stripes in the asked direction with the asked period", () => {
  const rng = new Rng(0);
  const s = 32;
  const vertical = stripeImage({ size: s, period: 8, angle: 90, phase: 0.3, noise: 0 }, rng);
  for (let y = 1; y < s; y++) {
    for (let x = 0; x < s; x++) assertEquals(vertical[y * s + x], vertical[x], "constant down");
  }
  assert(autocorrelation(vertical, s, 8, 0) > 0.99, "same after one period across");
  assert(autocorrelation(vertical, s, 4, 0) < -0.9, "inverted after half a period");
  const diagonal = stripeImage({ size: s, period: 8, angle: 45, phase: 1, noise: 0 }, rng);
  assert(autocorrelation(diagonal, s, 5, 5) > 0.99, "constant along the 45° diagonal");
  assert(autocorrelation(diagonal, s, 0, 5) < 0.5, "not constant down a column");
  assert(angleGap(stripeDirection(diagonal, s), 45) < 2);
  assert(angleGap(stripeDirection(vertical, s), 90) < 2);
  assert(diagonal.every((v) => v >= -1 && v <= 1));
  // Mostly the two stripe colours, ±1 (Figure 1's two-colour stripes).
  assert(diagonal.filter((v) => Math.abs(v) === 1).length > 0.6 * s * s);
  assertThrows(
    () => stripeImage({ size: s, period: 1, angle: 0, phase: 0, noise: 0 }, rng),
    DatasetError,
    "period must be a number >= 2 pixels, got 1",
  );
});

Deno.test("stripesDataset() makes diagonal normals and vertical anomalies, labelled and masked", () => {
  const size = 32;
  const d = stripesDataset({ size, nTrain: 12, nTest: 20, anomalyFraction: 0.25, seed: 3 });
  assertEquals([d.train.n, d.train.channels, d.test.n, d.test.channels], [12, 1, 20, 1]);
  const px = size * size;
  for (let i = 0; i < d.train.n; i++) {
    const dir = stripeDirection(d.train.data.subarray(i * px, (i + 1) * px), size);
    assert(angleGap(dir, 45) < 5, `train #${i} runs at ${dir.toFixed(1)}°, expected 45°`);
  }
  assertEquals(d.test.labels!.reduce((a, b) => a + b, 0), 5);
  for (let i = 0; i < d.test.n; i++) {
    const anomalous = d.test.labels![i] === 1;
    const dir = stripeDirection(d.test.data.subarray(i * px, (i + 1) * px), size);
    const want = anomalous ? 90 : 45;
    assert(angleGap(dir, want) < 5, `test #${i} runs at ${dir.toFixed(1)}°, expected ${want}°`);
    const m = d.test.masks!.subarray(i * px, (i + 1) * px);
    assert(m.every((v) => v === (anomalous ? 1 : 0)), `mask of test #${i}`);
    assertEquals(d.test.groups![i], anomalous ? "angle 90" : "angle 45");
  }
  // Anomalies are spread over the test set, not all at its end.
  assertNotEquals(Array.from(d.test.labels!.subarray(15)), [1, 1, 1, 1, 1]);
  assert(d.protocol.includes("15 normal + 5 anomalous"), d.protocol);
});

Deno.test("stripesDataset() is reproducible for a seed and refuses contradictory options", () => {
  const a = stripesDataset({ size: 16, nTrain: 3, nTest: 4, seed: 1 });
  const b = stripesDataset({ size: 16, nTrain: 3, nTest: 4, seed: 1 });
  const c = stripesDataset({ size: 16, nTrain: 3, nTest: 4, seed: 2 });
  assertEquals(a.train.data, b.train.data);
  assertEquals(a.test.labels, b.test.labels);
  assertNotEquals(a.train.data, c.train.data);
  assertThrows(
    () => stripesDataset({ angle: 45, anomalyAngle: 225 }),
    DatasetError,
    "angle 45 and anomalyAngle 225 are the same orientation",
  );
  assertThrows(() => stripesDataset({ nTest: 1 }), DatasetError, "nTest must be an integer >= 2");
  assertThrows(
    () => stripesDataset({ anomalyFraction: 1 }),
    DatasetError,
    "anomalyFraction must be in (0, 1), got 1",
  );
});
