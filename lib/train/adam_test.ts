import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { useBackend, values } from "../../tests/tf_helpers.ts";
import { Adam } from "./adam.ts";

await useBackend("cpu");

// PyTorch's Adam, by hand, for one scalar parameter.
function reference(p0: number, gradsAt: (p: number) => number, steps: number, lr: number): number {
  let p = p0, m = 0, v = 0;
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let t = 1; t <= steps; t++) {
    const g = gradsAt(p);
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps;
    p -= (lr / (1 - b1 ** t)) * (m / denom);
  }
  return p;
}

Deno.test("Adam.apply() follows PyTorch's update rule step by step", () => {
  const w = tf.variable(tf.tensor1d([1.5, -0.5]));
  const opt = new Adam([w], { lr: 0.1 });
  for (let i = 0; i < 5; i++) {
    tf.tidy(() => opt.apply(tf.variableGrads(() => tf.sum(tf.pow(w, 3)), [w]).grads));
  }
  const want = [1.5, -0.5].map((p0) => reference(p0, (p) => 3 * p * p, 5, 0.1));
  values(w).forEach((v, i) => assertAlmostEquals(v, want[i], 1e-5));
  assertEquals(opt.step, 5);
  opt.dispose();
  w.dispose();
});

Deno.test("Adam state saved and loaded continues exactly as if uninterrupted", async () => {
  const run = async (split: boolean) => {
    const w = tf.variable(tf.tensor1d([0.3, 2, -1]));
    let opt = new Adam([w], { lr: 0.05 });
    const step = () =>
      tf.tidy(() => opt.apply(tf.variableGrads(() => tf.sum(tf.square(tf.sin(w))), [w]).grads));
    for (let i = 0; i < 3; i++) step();
    if (split) {
      const state = await opt.state();
      opt.dispose();
      opt = new Adam([w], { lr: 0.05 });
      opt.load(state);
    }
    for (let i = 0; i < 3; i++) step();
    const out = values(w);
    opt.dispose();
    w.dispose();
    return out;
  };
  assertEquals(await run(true), await run(false));
});

Deno.test("Adam refuses bad hyper-parameters", () => {
  const w = tf.variable(tf.scalar(1));
  assertThrows(() => new Adam([w], { lr: 0 }), RangeError, "learning rate");
  assertThrows(() => new Adam([w], { beta1: 1 }), RangeError, "beta1");
  w.dispose();
});

Deno.test("Adam on wasm (one fused pass) matches Adam on cpu (tfjs ops)", async () => {
  const run = async (backend: "cpu" | "wasm") => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor2d([[1.5, -0.5, 0.2], [3, -2, 0.01]]));
    const opt = new Adam([w], { lr: 0.05, weightDecay: 0.01 });
    for (let i = 0; i < 6; i++) {
      tf.tidy(() => opt.apply(tf.variableGrads(() => tf.sum(tf.pow(w, 3)), [w]).grads));
    }
    const out = values(w);
    const state = await opt.state();
    opt.dispose();
    w.dispose();
    return { out, m: Array.from(state.moments.get("m0")!.values) };
  };
  const cpu = await run("cpu"), wasm = await run("wasm");
  cpu.out.forEach((v, i) => assertAlmostEquals(wasm.out[i], v, 1e-5));
  cpu.m.forEach((v, i) => assertAlmostEquals(wasm.m[i], v, 1e-5));
});

Deno.test("Adam on wasm gives each updated weight a new buffer (conv filter caches stay valid)", async () => {
  await useBackend("wasm");
  const w = tf.variable(tf.randomNormal([3, 3, 2, 2]));
  const x = tf.randomNormal([1, 5, 5, 2]) as tf.Tensor4D;
  const opt = new Adam([w], { lr: 0.1 });
  const before = tf.conv2d(x, w as tf.Tensor4D, 1, "same").dataSync(); // the conv caches w's packing
  tf.tidy(() =>
    opt.apply(tf.variableGrads(() => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, "same")), [w]).grads)
  );
  const after = tf.conv2d(x, w as tf.Tensor4D, 1, "same").dataSync();
  const fresh = tf.conv2d(x, tf.tensor4d(w.dataSync(), [3, 3, 2, 2]), 1, "same").dataSync();
  assert(after.some((v, i) => v !== before[i]), "the conv sees the updated weights");
  after.forEach((v, i) => assertAlmostEquals(v, fresh[i], 1e-5));
  opt.dispose();
  tf.dispose([w, x]);
});
