import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../../../tests/assert.ts";
import { useBackend, values } from "../../../tests/tf_helpers.ts";
import {
  alignmentLoss,
  alignmentMeanSquareLoss,
  discriminatorAccuracy,
  discriminatorLoss,
  generatorAdversarialLoss,
  generatorLoss,
  reconstructionNormLoss,
  softplus,
} from "./loss.ts";

await useBackend("cpu");

const sp = (z: number) => Math.log(1 + Math.exp(z));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const scalar = (t: tf.Tensor) => t.dataSync()[0];

Deno.test("softplus() equals log(1 + e^z), stays finite at ±100 and has gradient sigmoid(z)", () => {
  const z = [-100, -3, -0.5, 0, 0.5, 3, 100];
  const got = values(softplus(tf.tensor1d(z)));
  const want = [Math.exp(-100), sp(-3), sp(-0.5), Math.LN2, sp(0.5), sp(3), 100];
  got.forEach((v, i) => assertAlmostEquals(v, want[i], 1e-5, `softplus(${z[i]}) = ${v}`));
  const g = values(tf.grad((t: tf.Tensor) => tf.sum(softplus(t)))(tf.tensor1d(z)));
  g.forEach((v, i) => assertAlmostEquals(v, sigmoid(z[i]), 1e-6, `gradient at ${z[i]}`));
});

Deno.test("discriminatorLoss() is the BCE of eq. 5 on fixed logits (hand computation)", () => {
  // D(x) = sigmoid(l): real logits 2, -1 should go to 1; fake 0.5, -3 to 0.
  const real = tf.tensor2d([[2], [-1]]), fake = tf.tensor2d([[0.5], [-3]]);
  const l = discriminatorLoss(real, fake);
  const wantReal = (-Math.log(sigmoid(2)) - Math.log(sigmoid(-1))) / 2;
  const wantFake = (-Math.log(1 - sigmoid(0.5)) - Math.log(1 - sigmoid(-3))) / 2;
  assertAlmostEquals(scalar(l.real), wantReal, 1e-6);
  assertAlmostEquals(scalar(l.fake), wantFake, 1e-6);
  assertAlmostEquals(scalar(l.total), wantReal + wantFake, 1e-6);
  // Confident and right: near 0, not NaN; confident and wrong: about 2·80.
  assert(scalar(discriminatorLoss(tf.tensor2d([[80]]), tf.tensor2d([[-80]])).total) < 1e-6);
  assertAlmostEquals(
    scalar(discriminatorLoss(tf.tensor2d([[-80]]), tf.tensor2d([[80]])).total),
    160,
    1e-3,
  );
});

Deno.test("generatorAdversarialLoss() is the non-saturating -log D(x̂), with its gradient", () => {
  const fake = tf.tensor2d([[0.5], [-3]]);
  const want = (-Math.log(sigmoid(0.5)) - Math.log(sigmoid(-3))) / 2;
  assertAlmostEquals(scalar(generatorAdversarialLoss(fake)), want, 1e-6);
  // d/dl of mean(-log sigmoid(l)) = -(1 - sigmoid(l)) / B: large while D rejects x̂.
  const g = values(tf.grad((t: tf.Tensor) => generatorAdversarialLoss(t))(fake));
  assertAlmostEquals(g[0], -(1 - sigmoid(0.5)) / 2, 1e-6);
  assertAlmostEquals(g[1], -(1 - sigmoid(-3)) / 2, 1e-6);
});

Deno.test("alignmentLoss() is the mean over images of the f_D L2 distance (eq. 6)", () => {
  const a = tf.tensor2d([[1, 2], [3, 4]]), b = tf.tensor2d([[1, 0], [0, 4]]);
  // image 1: ‖(0, 2)‖ = 2; image 2: ‖(3, 0)‖ = 3
  assertAlmostEquals(scalar(alignmentLoss(a, b)), (2 + 3) / 2, 1e-6);
  assertAlmostEquals(scalar(alignmentLoss(a, a)), 1e-6, 1e-6);
});

Deno.test("reconstructionNormLoss() is the mean over images of ‖x − x̂‖₂ (eq. 4), finite at zero", () => {
  const x = tf.tensor4d([1, 1, 1, 1, 0, 0, 0, 0], [2, 2, 2, 1]);
  const y = tf.tensor4d([0, 1, 1, 1, 0, 0, 3, 4], [2, 2, 2, 1]);
  assertAlmostEquals(scalar(reconstructionNormLoss(x, y)), (1 + 5) / 2, 1e-6);
  const g = values(tf.grad((t: tf.Tensor) => reconstructionNormLoss(x, t as tf.Tensor4D))(x));
  assert(g.every(Number.isFinite), "the gradient is finite where x̂ = x");
});

Deno.test("generatorLoss() weights eq. 3's terms and lists only those switched on", () => {
  const t = (v: number) => tf.scalar(v);
  const w = { lambdaRec: 50, lambdaAdv: 0.5, lambdaAli: 0.5, entropyWeight: 0.1 };
  const all = generatorLoss({ rec: t(2), entropy: t(10), adv: t(3), ali: t(4) }, w);
  // 50·(2 + 0.1·10) + 0.5·3 + 0.5·4
  assertAlmostEquals(scalar(all.total), 153.5, 1e-4);
  assertEquals(Object.keys(all.parts).sort(), ["adv", "ali", "entropy", "rec"]);
  assertEquals(scalar(all.parts.adv), 3, "parts are the raw terms");
  const recOnly = generatorLoss({ rec: t(2), entropy: t(10), adv: null, ali: null }, {
    ...w,
    entropyWeight: 0,
  });
  assertAlmostEquals(scalar(recOnly.total), 100, 1e-5);
  assertEquals(Object.keys(recOnly.parts), ["rec"]);
  const advOnly = generatorLoss({ rec: t(2), entropy: null, adv: t(3), ali: null }, w);
  assertAlmostEquals(scalar(advOnly.total), 101.5, 1e-5);
  assertEquals(Object.keys(advOnly.parts).sort(), ["adv", "rec"]);
});

Deno.test("alignmentMeanSquareLoss() and discriminatorAccuracy() match a hand computation", () => {
  const a = tf.tensor2d([[1, 2], [3, 4]]), b = tf.tensor2d([[1, 0], [0, 4]]);
  // Squares 0, 4, 9, 0: mean 13 / 4.
  assertAlmostEquals(scalar(alignmentMeanSquareLoss(a, b)), 3.25, 1e-6);
  const logits = tf.tensor2d([[2], [-1], [0.5], [-3]]);
  assertEquals(scalar(discriminatorAccuracy(logits, true)), 0.5);
  assertEquals(scalar(discriminatorAccuracy(logits, false)), 0.5);
  assertEquals(scalar(discriminatorAccuracy(tf.tensor2d([[1], [2], [3], [-1]]), true)), 0.75);
  tf.dispose([a, b, logits]);
});

Deno.test("discriminatorLoss() with a real label below 1 smooths only the real half (hand computation)", () => {
  const real = tf.tensor2d([[2], [-1]]), fake = tf.tensor2d([[-3], [0.5]]);
  const l = discriminatorLoss(real, fake, 0.9);
  // Real half: mean over images of 0.9·softplus(−l) + 0.1·softplus(l).
  const want = (0.9 * (sp(-2) + sp(1)) + 0.1 * (sp(2) + sp(-1))) / 2;
  assertAlmostEquals(scalar(l.real), want, 1e-6);
  assertAlmostEquals(scalar(l.fake), (sp(-3) + sp(0.5)) / 2, 1e-6);
  // The label 1 is eq. 5 itself.
  assertAlmostEquals(scalar(discriminatorLoss(real, fake, 1).real), (sp(-2) + sp(1)) / 2, 1e-6);
  tf.dispose([real, fake]);
});
