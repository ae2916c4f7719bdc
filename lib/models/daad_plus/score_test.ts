import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { useBackend, values } from "../../../tests/tf_helpers.ts";
import { alignmentScore, fuseScores, minMaxScale, toFusionScale, valueRange } from "./score.ts";

await useBackend("cpu");

const close = (got: ArrayLike<number>, want: number[], label: string) => {
  assertEquals(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    assert(Math.abs(got[i] - want[i]) < 1e-6, `${label}[${i}]: ${got[i]} vs ${want[i]}`);
  }
};

const both = { gamma: 0.9, reconstruction: true, alignment: true };

Deno.test("minMaxScale() maps the set linearly onto [0, 1] and a constant one to zeros", () => {
  close(minMaxScale([1, 3, 5, 2]), [0, 0.5, 1, 0.25], "scaled");
  close(minMaxScale([-4, 4]), [0, 1], "negative values");
  close(minMaxScale([7, 7, 7]), [0, 0, 0], "constant");
  close(minMaxScale([0.5]), [0], "one image");
  assertEquals(minMaxScale([]).length, 0);
});

Deno.test("fuseScores() computes eq. 7 with γ = 0.9 (hand computation)", () => {
  // R = [1, 3, 5] -> [0, .5, 1]; L = [10, 30, 20] -> [0, 1, .5].
  // A = .9·R' + .1·L' = [0, .45 + .1, .9 + .05].
  close(fuseScores([1, 3, 5], [10, 30, 20], both), [0, 0.55, 0.95], "A(x)");
  close(fuseScores([1, 3, 5], [10, 30, 20], { ...both, gamma: 0.5 }), [0, 0.75, 0.75], "γ 0.5");
});

Deno.test("fuseScores() with a constant component gives no NaN and keeps the other's ranking", () => {
  close(fuseScores([2, 2, 2], [10, 30, 20], both), [0, 0.1, 0.05], "R constant");
  close(fuseScores([1, 3, 5], [4, 4, 4], both), [0, 0.45, 0.9], "L constant");
  close(fuseScores([2, 2], [4, 4], both), [0, 0], "both constant");
});

Deno.test("fuseScores() returns raw R(x) without L(x), and raw L(x) without R(x)", () => {
  const rec = [0.25, 0.125, 1], ali = [9, 3, 6];
  close(fuseScores(rec, ali, { ...both, alignment: false }), rec, "R only");
  close(fuseScores(rec, null, { ...both, alignment: false }), rec, "R only, no L given");
  close(fuseScores(rec, ali, { ...both, reconstruction: false }), ali, "L only");
  assertThrows(() => fuseScores(rec, null, both), Error, "L(x)");
  assertThrows(
    () => fuseScores(rec, ali, { ...both, reconstruction: false, alignment: false }),
    Error,
    "both are switched off",
  );
  assertThrows(() => fuseScores(rec, [1], both), Error, "3 R(x) values but 1 L(x)");
  assertThrows(() => fuseScores(rec, ali, { ...both, gamma: 1.5 }), RangeError, "1.5");
});

Deno.test("alignmentScore() is the per-image mean of squared f_D differences", () => {
  const a = tf.tensor2d([[1, 2], [3, 4]]), b = tf.tensor2d([[1, 0], [0, 4]]);
  close(values(alignmentScore(a, b)), [2, 4.5], "L(x)");
  tf.dispose([a, b]);
});

Deno.test("minMaxScale() and fuseScores() scale new images with a given set's range", () => {
  assertEquals(valueRange([3, -1, 2]), { lo: -1, hi: 3 });
  // A test set spanned R in [1, 5] and L in [10, 30]: one new image on that scale.
  close(minMaxScale([3, 7], { lo: 1, hi: 5 }), [0.5, 1.5], "outside the range is kept");
  const ranges = { rec: { lo: 1, hi: 5 }, ali: { lo: 10, hi: 30 } };
  close(fuseScores([3], [20], { ...both, ranges }), [0.9 * 0.5 + 0.1 * 0.5], "one image");
  close(fuseScores([3], [20], both), [0], "its own range: a single image scales to 0");
});

Deno.test("toFusionScale() takes square roots for 'distance', which changes the fused ranking", () => {
  close(toFusionScale([4, 0.25, -1e-9], "distance"), [2, 0.5, 0], "distance");
  close(toFusionScale([4, 0.25], "square"), [4, 0.25], "square");
  assertThrows(() => toFusionScale([1], "cube" as "square"), RangeError, "'cube'");
  // Mean squares R = [0, 0.25, 1] and L = [1, 0.49, 0], γ = 0.5: as squares image 1 scores
  // 0.5·0.25 + 0.5·0.49 = 0.37, below images 0 and 2 (0.5); as distances (R' 0.5, L' 0.7)
  // it scores 0.6, above them.
  const rec = [0, 0.25, 1], ali = [1, 0.49, 0], half = { ...both, gamma: 0.5 };
  const sq = fuseScores(rec, ali, half);
  const dist = fuseScores(toFusionScale(rec, "distance"), toFusionScale(ali, "distance"), half);
  close(sq, [0.5, 0.37, 0.5], "squares");
  close(dist, [0.5, 0.6, 0.5], "distances");
});
