import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, relativeError } from "../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../tests/tf_helpers.ts";
import { Rng } from "../util/rng.ts";
import { BatchNorm, ConvTranspose2x2 } from "./layers.ts";
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
