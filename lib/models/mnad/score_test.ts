import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { useBackend, values } from "../../../tests/tf_helpers.ts";
import { combineScores, errorMap, psnr, regularScore } from "./score.ts";

await useBackend("cpu");

Deno.test("psnr() is 10·log10(1 / mse) on [0, 1] intensities (eq. 15)", () => {
  // Target 0 in [-1, 1] is 0.5 in [0, 1]; output 0.2 is 0.6: mse 0.01 → 20 dB.
  const t = tf.zeros([3, 4, 4, 1]) as tf.Tensor4D;
  const o = tf.concat([
    tf.fill([1, 4, 4, 1], 0.2),
    tf.fill([1, 4, 4, 1], -0.02), // [0, 1] difference 0.01 → mse 1e-4 → 40 dB
    tf.zeros([1, 4, 4, 1]), // perfect: the mse floor gives 100 dB, not +∞
  ]) as tf.Tensor4D;
  const p = values(psnr(t, o));
  assertAlmostEquals(p[0], 20, 1e-4);
  assertAlmostEquals(p[1], 40, 1e-3);
  assertAlmostEquals(p[2], 100, 1e-3);
});

Deno.test("regularScore() weights pixel errors by 1 − exp(−e) (eq. 6-7)", () => {
  // One 1x2 frame with two channels; [0, 1] differences (0.3, 0.4) and (0.1, 0).
  const t = tf.zeros([1, 1, 2, 2]) as tf.Tensor4D;
  const o = tf.tensor4d([0.6, 0.8, 0.2, 0], [1, 1, 2, 2]); // [-1, 1] = 2 × [0, 1]
  const weighted = (e: number[]) => {
    const w = e.map((v) => 1 - Math.exp(-v));
    return w.reduce((a, wi, i) => a + wi * e[i], 0) / w.reduce((a, b) => a + b, 0);
  };
  // norm: e = ‖(0.3, 0.4)‖ = 0.5 and 0.1.
  assertAlmostEquals(values(regularScore(t, o, "norm"))[0], weighted([0.5, 0.1]), 1e-6);
  // squared: e = mean over channels of the squares = 0.125 and 0.005.
  assertAlmostEquals(values(regularScore(t, o, "squared"))[0], weighted([0.125, 0.005]), 1e-6);
  // channel-squared (official): each pixel-channel on its own, e = 0.09, 0.16, 0.01, 0.
  const perChannel = values(regularScore(t, o, "channel-squared"))[0];
  assertAlmostEquals(perChannel, weighted([0.09, 0.16, 0.01, 0]), 1e-6);
  assert(Math.abs(perChannel - weighted([0.125, 0.005])) > 1e-3);
  // On one channel it is the squared error.
  const g = tf.zeros([1, 1, 2, 1]) as tf.Tensor4D, go = tf.tensor4d([0.6, 0.2], [1, 1, 2, 1]);
  assertEquals(
    values(regularScore(g, go, "channel-squared")),
    values(regularScore(g, go, "squared")),
  );
  // A perfect frame scores 0.
  assertEquals(values(regularScore(t, tf.zeros([1, 1, 2, 2]), "norm")), [0]);
  assertEquals(values(regularScore(t, tf.zeros([1, 1, 2, 2]), "channel-squared")), [0]);
});

Deno.test("errorMap() is the squared [0, 1] error averaged over channels", () => {
  const t = tf.zeros([1, 1, 2, 2]) as tf.Tensor4D;
  const o = tf.tensor4d([0.6, 0.8, 0.2, 0], [1, 1, 2, 2]);
  const m = errorMap(t, o);
  assertEquals(m.shape, [1, 1, 2]);
  assertAlmostEquals(values(m)[0], 0.125, 1e-6);
  assertAlmostEquals(values(m)[1], 0.005, 1e-6);
});

Deno.test("combineScores() is λ(1 − g(P)) + (1 − λ)g(D) per video (eq. 16)", () => {
  const psnrs = [30, 25, 20, 40, 36, 30];
  const dist = [0.1, 0.4, 0.2, 0.3, 0.1, 0.5];
  const groups = ["01", "01", "01", "02", "02", "02"];
  const s = combineScores({ psnr: psnrs, distance: dist }, groups, 0.6);
  // Video 01: g(P) = 1, 0.5, 0; g(D) = 0, 1, 1/3. Video 02: g(P) = 1, 0.6, 0; g(D) = 0.5, 0, 1.
  const want = [
    0.6 * 0 + 0.4 * 0,
    0.6 * 0.5 + 0.4 * 1,
    0.6 * 1 + 0.4 * (1 / 3),
    0.6 * 0 + 0.4 * 0.5,
    0.6 * 0.4 + 0.4 * 0,
    0.6 * 1 + 0.4 * 1,
  ];
  for (let i = 0; i < 6; i++) assertAlmostEquals(s[i], want[i], 1e-6, `frame ${i}`);
  // Without per-video normalisation the same numbers rank differently.
  const pooled = combineScores({ psnr: psnrs, distance: dist }, null, 0.6);
  assertAlmostEquals(pooled[3], 0.6 * 0 + 0.4 * 0.5, 1e-6);
  assertAlmostEquals(pooled[0], 0.6 * 0.5 + 0.4 * 0, 1e-6);
  assertThrows(() => combineScores({ psnr: [1], distance: [] }, null, 0.5), RangeError);
  assertThrows(
    () => combineScores({ psnr: [1], distance: [1] }, null, 1.5),
    RangeError,
    "got 1.5",
  );
});
