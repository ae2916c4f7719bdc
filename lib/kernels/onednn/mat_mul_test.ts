import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, relativeError } from "../../../tests/assert.ts";
import { ONEDNN, testWith } from "../../../tests/optional.ts";
import { initBackend } from "../../backend.ts";
import { Rng } from "../../util/rng.ts";
import { matMulShape } from "./mat_mul.ts";
import { oneDnnRunCount } from "./runtime.ts";

interface Case {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

// The memory module's products (queries x items, weights x bank and their gradients),
// odd sizes, batches, a batch of one broadcast.
const CASES: Case[] = [
  { a: [128, 1024], b: [100, 1024], ta: false, tb: true },
  { a: [128, 100], b: [100, 1024], ta: false, tb: false },
  { a: [128, 100], b: [128, 1024], ta: true, tb: false },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [1, 9], b: [9, 1], ta: false, tb: false },
  { a: [3, 5, 7], b: [3, 7, 4], ta: false, tb: false },
  { a: [3, 7, 5], b: [1, 4, 7], ta: true, tb: true },
  { a: [2, 2, 5, 6], b: [6, 3], ta: false, tb: false },
];

const size = (s: number[]) => s.reduce((x, y) => x * y, 1);

async function on(backend: "cpu" | "onednn", c: Case, seed: number): Promise<Float32Array> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const rng = new Rng(seed);
  const r = tf.tidy(() =>
    tf.matMul(
      tf.tensor(rng.normalArray(size(c.a)), c.a),
      tf.tensor(rng.normalArray(size(c.b)), c.b),
      c.ta,
      c.tb,
    )
  );
  const v = r.dataSync() as Float32Array;
  r.dispose();
  return v;
}

Deno.test("matMulShape() reads transposes and broadcasts a batch of one", () => {
  assertEquals(matMulShape([3, 7, 5], [1, 4, 7], true, true)?.out, [3, 5, 4]);
  assertEquals(matMulShape([2, 3, 4, 5], [5, 6], false, false)?.out, [2, 3, 4, 6]);
  assertEquals(matMulShape([2, 3, 4, 5], [3, 5, 6], false, false), null);
});

await testWith([ONEDNN], {
  name: "BatchMatMul on onednn equals the cpu kernel (rel. error <= 1e-5)",
  async fn() {
    for (const [i, c] of CASES.entries()) {
      const want = await on("cpu", c, i);
      const runs = oneDnnRunCount();
      const got = await on("onednn", c, i);
      assert(oneDnnRunCount() > runs, `${JSON.stringify(c)}: oneDNN did not run`);
      const err = relativeError(got, want);
      assert(err <= 1e-5, `${JSON.stringify(c)}: relative error ${err}`);
    }
  },
});
