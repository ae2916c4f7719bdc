import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, relativeError } from "../../tests/assert.ts";
import { initBackend } from "../backend.ts";
import { Rng } from "../util/rng.ts";
import { transposeCosts } from "./batch_mat_mul.ts";

Deno.test("transposeCosts() picks the product that copies fewer elements", () => {
  // q [32, 4096] · mᵀ with m [500, 4096]: copying q and the [32, 500] result beats copying m.
  const c = transposeCosts(32 * 4096, 500 * 4096, 32 * 500, false, true);
  assertEquals(c, { direct: 500 * 4096, swapped: 32 * 4096 + 32 * 500 });
  assert(c.swapped < c.direct);
  assertEquals(transposeCosts(10, 10, 10, true, true), { direct: 20, swapped: 10 });
});

Deno.test("BatchMatMul on wasm equals cpu for every transpose combination and shape", async () => {
  const rng = new Rng(8);
  const shapes: [number[], number[]][] = [
    [[32, 256], [500, 256]], // memory similarity, large bank
    [[500, 64], [40, 64]], // large left operand
    [[3, 7, 5], [3, 5, 4]], // batched
    [[1, 6, 9], [4, 9, 2]], // broadcast batch
    [[9, 1], [1, 9]],
  ];
  for (const [sa, sb] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        // Build A, B so that op(A)·op(B) is defined.
        const aShape = ta ? [...sa.slice(0, -2), sa.at(-1)!, sa.at(-2)!] : sa;
        const bBase = sb.length === 3 ? sb : sb;
        const bShape = tb ? bBase : [...bBase.slice(0, -2), bBase.at(-1)!, bBase.at(-2)!];
        // op(B) must be [K, N] with K = op(A)'s columns = sa.at(-1).
        const k = sa.at(-1)!;
        const fixedB = tb
          ? [...bShape.slice(0, -1), k]
          : [...bShape.slice(0, -2), k, bShape.at(-1)!];
        const a = rng.normalArray(aShape.reduce((x, y) => x * y, 1));
        const b = rng.normalArray(fixedB.reduce((x, y) => x * y, 1));
        const run = async (backend: "cpu" | "wasm") => {
          await initBackend(backend, { quiet: true, threads: 1 });
          const out = tf.matMul(tf.tensor(a, aShape), tf.tensor(b, fixedB), ta, tb);
          const v = out.dataSync();
          out.dispose();
          return v;
        };
        const err = relativeError(await run("wasm"), await run("cpu"));
        assert(err < 1e-5, `A${aShape} B${fixedB} tA=${ta} tB=${tb}: relative error ${err}`);
      }
    }
  }
});
