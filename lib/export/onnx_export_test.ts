import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../tests/assert.ts";
import { useBackend } from "../../tests/tf_helpers.ts";
import { type DaadConfig, DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
import { DaadModel } from "../models/daad/kit_model.ts";
import { DEFAULT_DAAD_PLUS_CONFIG, TABLE5_ABLATIONS } from "../models/daad_plus/config.ts";
import { DaadPlusModel } from "../models/daad_plus/kit_model.ts";
import type { KitModel } from "../models/kit_model.ts";
import { Rng } from "../util/rng.ts";
import type { ExportFamily } from "./families.ts";
import { metadataProps, preprocessingOf } from "./metadata.ts";
import { checkOnnx, ONNX_TOLERANCE } from "./onnx_check.ts";
import { buildOnnx } from "./onnx_export.ts";
import { ONNX_OPSET, readOnnxModel } from "./onnx_graph.ts";

await useBackend("cpu");

const SIZE = 32;

/** Batch-norm statistics and affine terms away from their start (0, 1, 1, 0), so they count. */
function perturb(model: KitModel, seed: number): void {
  const rng = new Rng(seed);
  const state = model.params.snapshotSync();
  for (const [name, t] of state) {
    if (/running_var|gamma$/.test(name)) {
      t.values = Float32Array.from(t.values, () => 0.5 + rng.next());
    } else if (/running_mean|beta$|\.b$/.test(name)) {
      t.values = Float32Array.from(t.values, () => rng.normal(0, 0.2));
    }
  }
  model.params.load(state);
}

function images(n: number, channels: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * SIZE * SIZE * channels }, () => rng.uniform(-1, 1));
}

const INFO = (model: string, channels: number) => ({
  producer: "daad-kit test",
  metadata: metadataProps({
    model,
    kitVersion: "test",
    run: "none",
    data: "random",
    preprocessing: preprocessingOf(SIZE, channels, "NCHW"),
    score: "test",
    threshold: { value: 0.5, method: "given" },
    calibration: null,
    imageAuroc: null,
  }),
});

async function expectMatch(family: ExportFamily, channels: number, label: string) {
  perturb(family.model, 1);
  const onnx = buildOnnx(family, INFO(family.name, channels));
  const n = 4;
  const check = await checkOnnx(onnx.bytes, family.model, images(n, channels, 2), [
    n,
    SIZE,
    SIZE,
    channels,
  ]);
  console.log(
    `${label}: scores ${check.scores.toExponential(2)} (per image ${
      check.scoresPerImage.toExponential(2)
    }), maps ${check.maps.toExponential(2)}`,
  );
  assert(check.scores <= ONNX_TOLERANCE, `${label}: scores differ by ${check.scores}`);
  assert(check.scoresPerImage <= ONNX_TOLERANCE, `${label}: ${check.scoresPerImage}`);
  assert(check.maps <= ONNX_TOLERANCE, `${label}: maps differ by ${check.maps}`);
  return onnx;
}

const small: Partial<DaadConfig> = { size: SIZE, width: 4, memory: 6, division: [2, 2, 1] };

const VARIANTS: [string, Partial<DaadConfig>, number][] = [
  ["ae", { variant: "ae" }, 1],
  ["ae-skip", { variant: "ae-skip" }, 3],
  ["memae", { variant: "memae", division: null, addressing: "memae", shrinkThreshold: 1 / 6 }, 1],
  ["daad", { variant: "daad" }, 1],
  ["daad rc=2, tau=0.1, renormalised", {
    variant: "daad",
    division: [2, 2, 2],
    temperature: 0.1,
    renormalize: true,
  }, 3],
  ["daad with per-scale rates 1,1,2,2", { variant: "daad", scaleRates: [1, 1, 2, 2] }, 1],
];

for (const [label, override, channels] of VARIANTS) {
  Deno.test(`buildOnnx() scores as the kit does: ${label}`, async () => {
    const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, ...small, channels, ...override }, 3);
    try {
      const onnx = await expectMatch({ family: "daad", name: label, model }, channels, label);
      const memories = model.network.memories.size;
      assertEquals(onnx.operators.Softmax ?? 0, memories);
    } finally {
      model.dispose();
    }
  });
}

for (
  const [row, scale] of [["adv+ali+L+R", "distance"], ["adv+ali+L+R", "square"], [
    "adv+ali+R",
    "distance",
  ], ["adv+ali+L", "distance"]] as const
) {
  Deno.test(`buildOnnx() scores DAAD+ as the kit does: ${row}, ${scale} fusion`, async () => {
    const model = new DaadPlusModel({
      ...DEFAULT_DAAD_PLUS_CONFIG,
      ...small,
      channels: 1,
      discriminatorWidth: 4,
      fusionScale: scale,
      ...TABLE5_ABLATIONS[row],
    }, 4);
    try {
      // The test set's ranges, as metrics.json keeps them, on a scale that needs converting.
      model.calibrate({ rec: { lo: 0.04, hi: 1.7 }, ali: { lo: 1e-6, hi: 4e-4 }, scale: "square" });
      await expectMatch(
        { family: "daad-plus", name: "daad-plus", model },
        1,
        `DAAD+ ${row} ${scale}`,
      );
    } finally {
      model.dispose();
    }
  });
}

Deno.test("buildOnnx() writes opset 13, the three outputs and the metadata", () => {
  const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, ...small, channels: 1 }, 0);
  try {
    const onnx = buildOnnx({ family: "daad", name: "daad", model }, INFO("daad", 1));
    const m = readOnnxModel(onnx.bytes);
    assertEquals(m.opsets, [{ domain: "", version: ONNX_OPSET }]);
    assertEquals(m.inputs, [{ name: "image", dims: ["batch", 1, SIZE, SIZE] }]);
    assertEquals(m.outputs.map((o) => [o.name, o.dims]), [
      ["reconstruction", ["batch", 1, SIZE, SIZE]],
      ["anomaly_map", ["batch", SIZE, SIZE]],
      ["score", ["batch"]],
    ]);
    assertEquals(m.metadata.model, "daad");
    assertEquals(m.metadata.threshold, "0.5");
    assertEquals(JSON.parse(m.metadata.preprocessing).layout, "NCHW");
    // The memory is standard operators: divide/assemble, address, read.
    for (const op of ["Reshape", "Transpose", "MatMul", "Softmax", "Where", "GreaterOrEqual"]) {
      assert((m.operators[op] ?? 0) > 0, `no ${op}`);
    }
    assertEquals(onnx.parameters > model.params.numParams(), true);
  } finally {
    model.dispose();
  }
});

Deno.test("buildOnnx() leaves no tensor behind", () => {
  const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, ...small, channels: 1 }, 0);
  try {
    const before = tf.memory().numTensors;
    buildOnnx({ family: "daad", name: "daad", model }, INFO("daad", 1));
    assertEquals(tf.memory().numTensors, before);
  } finally {
    model.dispose();
  }
});
