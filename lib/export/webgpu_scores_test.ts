/**
 * The web page's WebGPU path: the kit's model scoring on tfjs's webgpu backend (with the
 * kit's own WebGPU kernels, as the page runs where the browser has WebGPU) against ONNX
 * Runtime on the exported graph. Deno's WebGPU serves here (a software adapter where
 * there is no GPU: slow, but exact enough to check); ignored where Deno sees no adapter.
 * It runs in a child process (`webgpuTest()`: WebGPU on deno test's threads can crash the
 * test process at exit).
 */
import { assert } from "../../tests/assert.ts";
import { initBackend } from "../backend.ts";
import { scoreImages } from "../eval/score_images.ts";
import { DEFAULT_DAAD_PLUS_CONFIG } from "../models/daad_plus/config.ts";
import { DaadPlusModel } from "../models/daad_plus/kit_model.ts";
import { Rng } from "../util/rng.ts";
import { metadataProps, preprocessingOf } from "./metadata.ts";
import { ONNX_TOLERANCE, relativeDifference, runOnnx } from "./onnx_check.ts";
import { buildOnnx } from "./onnx_export.ts";
import { webgpuProbe, webgpuTest } from "../../tests/webgpu_child.ts";

const gpu = await webgpuProbe();

webgpuTest(import.meta, {
  name: "DAAD+ scored on webgpu (the page's WebGPU path) equals ONNX Runtime on its export",
  ignore: !gpu.available,
  fn: async () => {
    await initBackend("webgpu", { quiet: true });
    const model = new DaadPlusModel({
      ...DEFAULT_DAAD_PLUS_CONFIG,
      size: 16,
      channels: 1,
      width: 2,
      memory: 6,
      division: [1, 1, 1],
      discriminatorWidth: 2,
    }, 5);
    try {
      const rng = new Rng(3);
      const state = model.params.snapshotSync();
      for (const [name, t] of state) {
        if (/running_var|gamma$/.test(name)) t.values = t.values.map(() => 0.5 + rng.next());
        else if (/running_mean|beta$/.test(name)) t.values = t.values.map(() => rng.normal(0, 0.2));
      }
      model.params.load(state);
      model.calibrate({ rec: { lo: 0.3, hi: 1.4 }, ali: { lo: 0, hi: 0.02 }, scale: "distance" });
      const onnx = buildOnnx({ family: "daad-plus", name: "daad-plus", model }, {
        producer: "test",
        metadata: metadataProps({
          model: "daad-plus",
          kitVersion: "test",
          run: "none",
          data: "random",
          preprocessing: preprocessingOf(16, 1, "NCHW"),
          score: "eq. 7",
          threshold: { value: 0.5, method: "given" },
          calibration: model.scoreRanges,
          imageAuroc: null,
        }),
      });
      const n = 2;
      const x = Float32Array.from({ length: n * 16 * 16 }, () => rng.uniform(-1, 1));
      const kit = await scoreImages(model, x, [n, 16, 16, 1]);
      const ort = await runOnnx(onnx.bytes, x, [n, 16, 16, 1]);
      const scores = relativeDifference(ort.scores, kit.scores);
      const maps = relativeDifference(ort.maps, kit.maps);
      console.log(
        `webgpu (${gpu.description}): scores ${scores.toExponential(2)}, maps ${
          maps.toExponential(2)
        }`,
      );
      assert(scores <= ONNX_TOLERANCE && maps <= ONNX_TOLERANCE, `${scores} ${maps}`);
    } finally {
      model.dispose();
    }
  },
});
