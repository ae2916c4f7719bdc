import * as tf from "@tensorflow/tfjs";
import { assert, relativeError } from "../../../tests/assert.ts";
import { ONEDNN, testWith } from "../../../tests/optional.ts";
import { initBackend } from "../../backend.ts";
import { Rng } from "../../util/rng.ts";
import { oneDnnRunCount } from "./runtime.ts";

interface Case {
  x: [number, number, number, number];
  k: number;
  s: number;
  pad: "valid" | "same";
  /** Round inputs to a coarse grid and clip at 0, so windows hold ties (as after ReLU). */
  ties?: boolean;
}

const CASES: Case[] = [
  { x: [1, 8, 8, 1], k: 2, s: 2, pad: "valid" },
  { x: [32, 16, 16, 3], k: 2, s: 2, pad: "valid" },
  { x: [32, 4, 4, 16], k: 2, s: 2, pad: "valid", ties: true },
  { x: [2, 7, 9, 5], k: 2, s: 2, pad: "valid" },
  { x: [2, 7, 9, 5], k: 3, s: 2, pad: "same" },
  { x: [3, 5, 5, 2], k: 3, s: 1, pad: "same", ties: true },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

async function on(backend: "cpu" | "onednn", c: Case, seed: number) {
  await initBackend(backend, { quiet: true, threads: 1 });
  const rng = new Rng(seed);
  let xs = rng.normalArray(size(c.x));
  if (c.ties) xs = xs.map((v) => Math.max(0, Math.round(v * 2) / 2));
  const x = tf.tensor4d(xs, c.x);
  const f = (t: tf.Tensor4D) => tf.maxPool(t, c.k, c.s, c.pad);
  const y = f(x);
  const dy = tf.tensor(rng.normalArray(y.size), y.shape);
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor4D), dy)))(x);
  const out = { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  tf.dispose([x, y, dy, dx]);
  return out;
}

await testWith([ONEDNN], {
  name: "MaxPool and MaxPoolGrad on onednn equal the cpu kernels, ties included",
  async fn() {
    for (const [i, c] of CASES.entries()) {
      const want = await on("cpu", c, i);
      const runs = oneDnnRunCount();
      const got = await on("onednn", c, i);
      assert(oneDnnRunCount() >= runs + 3, `${JSON.stringify(c)}: oneDNN did not run`);
      for (const k of ["y", "dx"] as const) {
        const err = relativeError(got[k], want[k]);
        assert(err <= 1e-5, `${JSON.stringify(c)} ${k}: relative error ${err}`);
      }
    }
  },
});
