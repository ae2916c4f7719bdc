/**
 * The kit's kernels on the webgpu backend against the cpu backend. Where Deno sees no
 * WebGPU adapter at all the test is reported as ignored (a software adapter, as on CI
 * machines, is enough: it checks results, not speed). It runs in a child process
 * (`webgpuTest()`: WebGPU on deno test's threads can crash the test process at exit).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, relativeError } from "../../tests/assert.ts";
import { initBackend } from "../backend.ts";
import { webgpuProbe, webgpuTest } from "../../tests/webgpu_child.ts";
import { Rng } from "../util/rng.ts";
import { kitKernelNames } from "./mod.ts";

const gpu = await webgpuProbe();

webgpuTest(import.meta, {
  name: "Conv2DBackpropFilter on webgpu equals the cpu kernel (rel. error < 1e-4)",
  ignore: !gpu.available,
  fn: async () => {
    const rng = new Rng(12);
    const cases: {
      x: [number, number, number, number];
      co: number;
      k: number;
      s: number;
      pad: "same" | "valid";
    }[] = [
      { x: [2, 7, 7, 3], co: 4, k: 3, s: 1, pad: "same" },
      { x: [1, 9, 8, 2], co: 3, k: 4, s: 2, pad: "same" },
      { x: [2, 6, 6, 4], co: 2, k: 3, s: 1, pad: "valid" },
    ];
    for (const c of cases) {
      const info = tf.backend_util.computeConv2DInfo(
        [...c.x],
        [c.k, c.k, c.x[3], c.co],
        c.s,
        1,
        c.pad,
      );
      const x = rng.normalArray((c.x as readonly number[]).reduce((a, b) => a * b, 1));
      const dy = rng.normalArray(info.outShape.reduce((a, b) => a * b, 1));
      const run = async (backend: "cpu" | "webgpu") => {
        await initBackend(backend, { quiet: true, threads: 1 });
        const out = tf.engine().runKernel("Conv2DBackpropFilter", {
          x: tf.tensor4d(x, [...c.x]),
          dy: tf.tensor4d(dy, info.outShape),
        }, {
          strides: c.s,
          pad: c.pad,
          dataFormat: "NHWC",
          filterShape: [c.k, c.k, c.x[3], c.co],
        }) as tf.Tensor;
        const v = await out.data();
        out.dispose();
        return v;
      };
      const err = relativeError(await run("webgpu"), await run("cpu"));
      assert(err < 1e-4, `${JSON.stringify(c)}: relative error ${err}`);
    }
    assert(kitKernelNames("webgpu").includes("Conv2DBackpropFilter"));
  },
});
