import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, relativeError } from "../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../tests/tf_helpers.ts";
import { Rng } from "../util/rng.ts";
import { BatchNorm, Conv2d, ConvBnRelu, ConvTranspose2x2 } from "./layers.ts";
import { ParamStore } from "./params.ts";

await useBackend("cpu");

function plainBatchNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, eps: number) {
  const mean = tf.mean(x, [0, 1, 2]);
  const variance = tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

Deno.test("BatchNorm in training mode equals the plain formula, forward and gradients", () => {
  const store = new ParamStore("t");
  const bn = new BatchNorm(store, "bn", 3);
  const rng = new Rng(1);
  bn.gamma.assign(tf.tensor1d([0.5, 2, -1]));
  bn.beta.assign(tf.tensor1d([0.1, -0.3, 0]));
  const x = tf.tensor4d(rng.normalArray(2 * 4 * 5 * 3, 1, 3), [2, 4, 5, 3]);
  const dy = tf.tensor4d(rng.normalArray(2 * 4 * 5 * 3), [2, 4, 5, 3]);
  const xv = tf.variable(x);
  const vars = [xv, bn.gamma, bn.beta];
  const fwd = bn.apply(x, { training: true });
  const fwdRef = plainBatchNorm(x, bn.gamma, bn.beta, 1e-5);
  assert(relativeError(values(fwd), values(fwdRef)) < 1e-5, "forward");
  const got =
    tf.variableGrads(() => tf.sum(tf.mul(bn.apply(xv, { training: true }), dy)), vars).grads;
  const want =
    tf.variableGrads(() => tf.sum(tf.mul(plainBatchNorm(xv, bn.gamma, bn.beta, 1e-5), dy)), vars)
      .grads;
  for (const v of vars) {
    const err = relativeError(values(got[v.name]), values(want[v.name]));
    assert(err < 1e-4, `${v.name}: relative error ${err}`);
  }
  xv.dispose();
  store.dispose();
});

Deno.test("BatchNorm updates running mean and unbiased variance with momentum 0.1", () => {
  const store = new ParamStore("t");
  const bn = new BatchNorm(store, "bn", 1);
  const x = tf.tensor4d([1, 2, 3, 6], [1, 2, 2, 1]); // mean 3, biased var 3.5, unbiased 14/3
  bn.apply(x, { training: true }).dispose();
  assertAlmostEquals(bn.runningMean.dataSync()[0], 0.9 * 0 + 0.1 * 3, 1e-6);
  assertAlmostEquals(bn.runningVar.dataSync()[0], 0.9 * 1 + 0.1 * (14 / 3), 1e-6);
  // Evaluation mode uses the running statistics.
  const y = bn.apply(x, { training: false }).dataSync();
  const rv = 0.9 + 0.1 * 14 / 3;
  assertAlmostEquals(y[0], (1 - 0.3) / Math.sqrt(rv + 1e-5), 1e-5);
  store.dispose();
});

Deno.test("ConvTranspose2x2 equals tf.conv2dTranspose with the same weights", () => {
  const store = new ParamStore("t");
  const rng = new Rng(2);
  const layer = new ConvTranspose2x2(store, "up", rng, 3, 2);
  layer.b.assign(tf.tensor1d([0.5, -1]));
  const x = tf.tensor4d(rng.normalArray(2 * 3 * 4 * 3), [2, 3, 4, 3]);
  const got = layer.apply(x);
  // Our weight [Cin, kh·kw·Cout] -> tfjs filter [kh, kw, outChannels=Cout, inChannels=Cin].
  const w = tf.transpose(layer.w.reshape([3, 2, 2, 2]), [1, 2, 3, 0]) as tf.Tensor4D;
  const want = tf.add(tf.conv2dTranspose(x, w, [2, 6, 8, 2], 2, "valid"), layer.b);
  assert(relativeError(values(got), values(want)) < 1e-6);
  store.dispose();
});

Deno.test("layers leave no tensors behind in training steps", async () => {
  const store = new ParamStore("t");
  const bn = new BatchNorm(store, "bn", 4);
  const x = tf.randomNormal([2, 3, 3, 4]) as tf.Tensor4D;
  const vars = store.trainableVariables();
  await assertNoLeak("batch norm step", () => {
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(bn.apply(x, { training: true })), vars);
        Object.values(grads).forEach((g) => g.dataSync());
      });
    }
  });
  x.dispose();
  store.dispose();
});

/** Mean, standard deviation and largest magnitude of a variable's values. */
function stats(v: tf.Variable) {
  const x = values(v);
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
  return { mean, std, max: Math.max(...x.map(Math.abs)), n: x.length };
}

Deno.test("Conv2d init 'torch' is PyTorch's nn.Conv2d default: U(±1/sqrt(fan_in)) weights and biases", () => {
  const store = new ParamStore("t");
  // fan_in = 16·3·3 = 144: bound 1/12, std of U(-b, b) = b/sqrt(3).
  const conv = new Conv2d(store, "c", new Rng(1), 16, 32, { init: "torch" });
  const bound = 1 / 12;
  const w = stats(conv.w);
  assertEquals(w.n, 3 * 3 * 16 * 32);
  assert(w.max <= bound && w.max > 0.99 * bound, `max |w| ${w.max}, bound ${bound}`);
  assert(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.04, `std ${w.std}`);
  assert(Math.abs(w.mean) < 0.05 * bound, `mean ${w.mean}`);
  const b = stats(conv.b!);
  assert(b.max <= bound && b.std > 0.3 * bound, `bias ${JSON.stringify(b)}`);
  assertEquals(store.kindOf("c.w"), "conv2d.weight");
  assertEquals(store.kindOf("c.b"), "conv2d.bias");
  store.dispose();
});

Deno.test("Conv2d init 'he' (default) is He-normal, std sqrt(2/fan_in), with a zero bias", () => {
  const store = new ParamStore("t");
  const conv = new Conv2d(store, "c", new Rng(1), 16, 32);
  const w = stats(conv.w);
  assert(Math.abs(w.std / Math.sqrt(2 / 144) - 1) < 0.04, `std ${w.std}`);
  // A normal draw exceeds the torch bound (1/12 = 0.083) often: std 0.118.
  assert(w.max > 3 * Math.sqrt(2 / 144), `max ${w.max}`);
  assertEquals(stats(conv.b!).max, 0);
  store.dispose();
});

Deno.test("ConvBnRelu has a conv bias only with init 'torch' (nn.Conv2d's bias=True), BN gamma 1, beta 0", () => {
  const he = new ParamStore("he"), torch = new ParamStore("torch");
  new ConvBnRelu(he, "l", new Rng(0), 4, 8);
  new ConvBnRelu(torch, "l", new Rng(0), 4, 8, { init: "torch" });
  assertEquals(he.names(), [
    "l.conv.w",
    "l.bn.gamma",
    "l.bn.beta",
    "l.bn.running_mean",
    "l.bn.running_var",
  ]);
  assertEquals(torch.names(), [
    "l.conv.w",
    "l.conv.b",
    "l.bn.gamma",
    "l.bn.beta",
    "l.bn.running_mean",
    "l.bn.running_var",
  ]);
  assertEquals(values(torch.get("l.bn.gamma")), Array(8).fill(1));
  assertEquals(values(torch.get("l.bn.beta")), Array(8).fill(0));
  const bound = 1 / Math.sqrt(4 * 9);
  assert(stats(torch.get("l.conv.b")).max <= bound);
  assertEquals(torch.numParams() - he.numParams(), 8);
  he.dispose();
  torch.dispose();
});

Deno.test("ConvTranspose2x2 init 'torch' takes fan_in from weight dim 1 (Cout·2·2), as PyTorch does", () => {
  const store = new ParamStore("t");
  // Cin 64, Cout 8: PyTorch's fan_in = 8·4 = 32 (not Cin·4 = 256): bound 1/sqrt(32).
  const up = new ConvTranspose2x2(store, "up", new Rng(3), 64, 8, { init: "torch" });
  const bound = 1 / Math.sqrt(32);
  const w = stats(up.w);
  assert(w.max <= bound && w.max > 0.98 * bound, `max |w| ${w.max}, bound ${bound}`);
  assert(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.05, `std ${w.std}`);
  const b = stats(up.b);
  assert(b.max <= bound && b.std > 0.2 * bound, `bias ${JSON.stringify(b)}`);
  // He-normal keeps the kit's fan-in Cin and a zero bias.
  const he = new ConvTranspose2x2(store, "up_he", new Rng(3), 64, 8);
  assert(Math.abs(stats(he.w).std / Math.sqrt(2 / 64) - 1) < 0.05);
  assertEquals(stats(he.b).max, 0);
  assertEquals(store.kindOf("up.w"), "conv_transpose2x2.weight");
  store.dispose();
});
