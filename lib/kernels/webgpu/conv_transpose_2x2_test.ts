/**
 * The kit's ConvTranspose 2x2 GEMMs on webgpu against the layer's matmul form on the cpu
 * backend, forward and both gradients, for every tile candidate (ignored where Deno
 * sees no WebGPU adapter at all), in a child process (`webgpuTest()`: WebGPU on deno
 * test's threads can crash the test process at exit).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, relativeError } from "../../../tests/assert.ts";
import { initBackend } from "../../backend.ts";
import { Rng } from "../../util/rng.ts";
import { setKernelMode } from "./autotune.ts";
import { convTranspose2x2, convTranspose2x2ViaMatMul } from "./conv_transpose_2x2.ts";
import { TILE_CANDIDATES, tileName } from "./gemm_program.ts";
import { webgpuProbe, webgpuTest } from "../../../tests/webgpu_child.ts";

const gpu = await webgpuProbe();

type Shapes = { x: number[]; co: number };

async function valuesAndGrads(
  backend: "cpu" | "webgpu",
  s: Shapes,
  data: { x: Float32Array; w: Float32Array; b: Float32Array; dy: Float32Array },
): Promise<Float32Array[]> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const [b, h, w, ci] = s.x;
  const x = tf.tensor4d(data.x, s.x as [number, number, number, number]);
  const wt = tf.tensor2d(data.w, [ci, 4 * s.co]);
  const bias = tf.tensor1d(data.b);
  const dy = tf.tensor4d(data.dy, [b, 2 * h, 2 * w, s.co]);
  const f = backend === "cpu" ? convTranspose2x2ViaMatMul : convTranspose2x2;
  const grads = tf.grads((x, w, b) =>
    tf.sum(tf.mul(f(x as tf.Tensor4D, w as tf.Tensor2D, b as tf.Tensor1D), dy))
  );
  const y = f(x, wt, bias);
  const g = grads([x, wt, bias]);
  const out = await Promise.all([y, ...g].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, wt, bias, dy, y, ...g]);
  return out;
}

webgpuTest(import.meta, {
  name: "convTranspose2x2() on webgpu equals the matmul form on cpu for every tile, with gradients",
  ignore: !gpu.available,
  fn: async () => {
    const rng = new Rng(21);
    let worst = 0;
    try {
      for (const s of [{ x: [1, 3, 5, 3], co: 5 }, { x: [8, 2, 3, 6], co: 3 }] as Shapes[]) {
        const [b, h, w, ci] = s.x;
        const data = {
          x: rng.normalArray(b * h * w * ci),
          w: rng.normalArray(ci * 4 * s.co),
          b: rng.normalArray(s.co),
          dy: rng.normalArray(b * 4 * h * w * s.co),
        };
        const want = await valuesAndGrads("cpu", s, data);
        await initBackend("webgpu", { quiet: true });
        const before = tf.memory();
        for (const mode of ["tfjs", ...TILE_CANDIDATES.map(tileName)]) {
          setKernelMode(mode);
          const got = await valuesAndGrads("webgpu", s, data);
          for (const [k, name] of ["y", "dx", "dw", "db"].entries()) {
            const err = relativeError(got[k], want[k]);
            worst = Math.max(worst, err);
            assert(err < 1e-4, `${JSON.stringify(s)} ${mode} ${name}: relative error ${err}`);
          }
        }
        const after = tf.memory();
        assertEquals(after.numTensors, before.numTensors, "tensors leaked");
        assertEquals(after.numDataBuffers, before.numDataBuffers, "buffers leaked");
      }
    } finally {
      setKernelMode(null);
    }
    console.log(`convTranspose2x2: largest relative error ${worst.toExponential(2)}`);
  },
});
