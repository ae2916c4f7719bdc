import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../../tests/assert.ts";
import { ONEDNN, testWith } from "../../../tests/optional.ts";
import { initBackend } from "../../backend.ts";
import { Rng } from "../../util/rng.ts";
import { oneDnnRunCount } from "./runtime.ts";

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Concat along the last axis and its gradient (SplitV), as plain arrays. */
async function concatAndGrad(backend: "cpu" | "onednn", shapes: number[][], seed: number) {
  await initBackend(backend, { quiet: true, threads: 1 });
  const before = tf.memory().numTensors;
  const rng = new Rng(seed);
  const xs = shapes.map((s) => tf.tensor(rng.normalArray(size(s)), s));
  const y = tf.concat(xs, -1);
  const dy = tf.tensor(rng.normalArray(y.size), y.shape);
  const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(ts, -1), dy)))(xs);
  const out = {
    y: Array.from(y.dataSync()),
    shape: y.shape,
    grads: grads.map((g) => Array.from(g.dataSync())),
  };
  tf.dispose([...xs, y, dy, ...grads]);
  assertEquals(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  return out;
}

await testWith([ONEDNN], {
  name: "Concat and SplitV along the channels on onednn equal the cpu kernels exactly",
  async fn() {
    const cases = [
      [[32, 4, 4, 128], [32, 4, 4, 64]],
      [[2, 3, 5, 7], [2, 3, 5, 1], [2, 3, 5, 16]],
      [[1, 1, 1, 3], [1, 1, 1, 5]],
      [[9, 4], [9, 13]],
    ];
    for (const [i, shapes] of cases.entries()) {
      const want = await concatAndGrad("cpu", shapes, i);
      const runs = oneDnnRunCount();
      const got = await concatAndGrad("onednn", shapes, i);
      // One copy per piece forward, one per piece backward.
      assert(oneDnnRunCount() - runs >= 2 * shapes.length, `${shapes}: oneDNN did not run`);
      // Copies: bit-identical.
      assertEquals(got.shape, want.shape);
      assertEquals(got.y, want.y, `${JSON.stringify(shapes)}: concat`);
      assertEquals(got.grads, want.grads, `${JSON.stringify(shapes)}: split`);
    }
  },
});
