/**
 * One DAAD training step's loss and gradients on webgpu with every kit kernel forced
 * (convs, both conv gradients, matmuls, transposed convs, batch norm) against the cpu
 * backend: the kernels composed as the trainer composes them (ignored where Deno sees
 * no WebGPU adapter at all), in a child process (`webgpuTest()`: WebGPU on deno test's
 * threads can crash the test process at exit).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, relativeError } from "../../../tests/assert.ts";
import { initBackend } from "../../backend.ts";
import { DEFAULT_DAAD_CONFIG } from "../../models/daad/config.ts";
import { DaadModel } from "../../models/daad/mod.ts";
import { Rng } from "../../util/rng.ts";
import { setKernelMode } from "./autotune.ts";
import { webgpuProbe, webgpuTest } from "../../../tests/webgpu_child.ts";

const gpu = await webgpuProbe();

async function lossAndGrads(backend: "cpu" | "webgpu", x: Float32Array): Promise<Float32Array[]> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const model = new DaadModel({
    ...DEFAULT_DAAD_CONFIG,
    size: 32,
    width: 2,
    memory: 10,
    division: [2, 2, 1],
    channels: 3,
  }, 7);
  try {
    const obj = model.objectives[0];
    const xt = tf.tensor4d(x, [2, 32, 32, 3]);
    const { value, grads } = tf.variableGrads(() => obj.loss(xt).total, obj.optimizer.variables);
    const names = Object.keys(grads).sort();
    const out = await Promise.all(
      [value, ...names.map((n) => grads[n])].map((t) => t.data() as Promise<Float32Array>),
    );
    tf.dispose([xt, value, ...Object.values(grads)]);
    return out;
  } finally {
    model.dispose();
  }
}

webgpuTest(import.meta, {
  name: "a DAAD training step on webgpu with the kit's kernels equals the cpu backend",
  ignore: !gpu.available,
  fn: async () => {
    const x = new Rng(41).uniformArray(2 * 32 * 32 * 3, -1, 1);
    const want = await lossAndGrads("cpu", x);
    setKernelMode("kit");
    try {
      const got = await lossAndGrads("webgpu", x);
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        const err = relativeError(got[i], want[i]);
        worst = Math.max(worst, err);
        assert(err < 1e-3, `${i === 0 ? "loss" : `gradient ${i}`}: relative error ${err}`);
      }
      console.log(`DAAD step, ${want.length - 1} gradients: largest relative error ${worst}`);
    } finally {
      setKernelMode(null);
    }
  },
});
