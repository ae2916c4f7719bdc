/**
 * The BatchNorm layer in training mode on webgpu, with the kit's fused kernels and with
 * the tfjs ops they replace, against the cpu backend: output, gradients of x, γ and β,
 * and the running statistics (ignored where Deno sees no WebGPU adapter at all), in a
 * child process (`webgpuTest()`: WebGPU on deno test's threads can crash it at exit).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, relativeError } from "../../../tests/assert.ts";
import { initBackend } from "../../backend.ts";
import { BatchNorm } from "../../nn/layers.ts";
import { ParamStore } from "../../nn/params.ts";
import { Rng } from "../../util/rng.ts";
import { setKernelMode } from "./autotune.ts";
import { webgpuProbe, webgpuTest } from "../../../tests/webgpu_child.ts";

const gpu = await webgpuProbe();

async function layerResults(
  backend: "cpu" | "webgpu",
  shape: [number, number, number, number],
  x: Float32Array,
  dy: Float32Array,
): Promise<Float32Array[]> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const store = new ParamStore("t");
  const c = shape[3];
  const bn = new BatchNorm(store, "bn", c);
  tf.tidy(() => {
    bn.gamma.assign(tf.linspace(0.5, 1.5, c));
    bn.beta.assign(tf.linspace(-1, 1, c));
  });
  const xt = tf.tensor4d(x, shape), dyt = tf.tensor4d(dy, shape);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(bn.apply(xt, { training: true }), dyt)) as tf.Scalar,
    [bn.gamma, bn.beta],
  );
  const dx = tf.grad((x) => tf.sum(tf.mul(bn.apply(x as tf.Tensor4D, { training: true }), dyt)))(
    xt,
  );
  const y = bn.apply(xt, { training: true });
  const out = await Promise.all(
    [y, dx, grads[bn.gamma.name], grads[bn.beta.name], bn.runningMean, bn.runningVar].map(
      (t) => t.data() as Promise<Float32Array>,
    ),
  );
  tf.dispose([xt, dyt, value, dx, y, ...Object.values(grads)]);
  store.dispose();
  return out;
}

webgpuTest(import.meta, {
  name: "BatchNorm on webgpu with the kit's fused kernels equals the cpu backend",
  ignore: !gpu.available,
  fn: async () => {
    const rng = new Rng(31);
    let worst = 0;
    // Odd sizes; 70 channels (two channel groups of 64); 3200 rows (13 row chunks); a
    // mean of 100 against a spread of 1 (the variance must not cancel).
    const cases: { shape: [number, number, number, number]; offset: number }[] = [
      { shape: [1, 3, 5, 7], offset: 0 },
      { shape: [8, 3, 3, 70], offset: 0 },
      { shape: [2, 40, 40, 3], offset: 100 },
    ];
    try {
      for (const { shape, offset } of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = rng.normalArray(n).map((v) => v + offset);
        const dy = rng.normalArray(n);
        const want = await layerResults("cpu", shape, x, dy);
        await initBackend("webgpu", { quiet: true });
        const before = tf.memory();
        for (const mode of ["tfjs", "kit"]) {
          setKernelMode(mode);
          const got = await layerResults("webgpu", shape, x, dy);
          for (
            const [k, name] of ["y", "dx", "dγ", "dβ", "running mean", "running var"].entries()
          ) {
            const err = relativeError(got[k], want[k]);
            if (mode === "kit") worst = Math.max(worst, err);
            assert(err < 1e-4, `${JSON.stringify(shape)} ${mode} ${name}: relative error ${err}`);
          }
        }
        const after = tf.memory();
        assertEquals(after.numTensors, before.numTensors, "tensors leaked");
        assertEquals(after.numDataBuffers, before.numDataBuffers, "buffers leaked");
      }
    } finally {
      setKernelMode(null);
    }
    console.log(`BatchNorm (fused kernels): largest relative error ${worst.toExponential(2)}`);
  },
});
