import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import { useBackend } from "../../../tests/tf_helpers.ts";
import { scoreImages } from "../../eval/score_images.ts";
import { DEFAULT_DAAD_CONFIG } from "../../models/daad/config.ts";
import { DaadModel } from "../../models/daad/kit_model.ts";
import { DEFAULT_DAAD_PLUS_CONFIG } from "../../models/daad_plus/config.ts";
import { DaadPlusModel } from "../../models/daad_plus/kit_model.ts";
import type { KitModel } from "../../models/kit_model.ts";
import { Rng } from "../../util/rng.ts";
import { modelFromManifest, packWeights, unpackWeights } from "./manifest.ts";

await useBackend("cpu");

/** Every weight moved away from its seed's draw, so a model built afresh cannot pass. */
function retrain(model: KitModel): void {
  const rng = new Rng(9);
  const state = model.params.snapshotSync();
  for (const t of state.values()) t.values = t.values.map((v) => v + rng.normal(0, 0.05));
  model.params.load(state);
}

Deno.test("modelFromManifest() rebuilds a DAAD model that scores as the original", async () => {
  const config = {
    ...DEFAULT_DAAD_CONFIG,
    size: 32,
    width: 4,
    channels: 1,
    memory: 6,
    division: [2, 2, 1] as [number, number, number],
  };
  const model = new DaadModel(config, 1);
  retrain(model);
  const { entries, bytes } = packWeights(model.params);
  const copy = modelFromManifest(
    { family: "daad", config, calibration: null, weights: entries },
    bytes,
  );
  try {
    const x = Float32Array.from({ length: 2 * 32 * 32 }, (_, i) => Math.cos(i / 5));
    const a = await scoreImages(model, x, [2, 32, 32, 1]);
    const b = await scoreImages(copy, x, [2, 32, 32, 1]);
    assertEquals(Array.from(b.scores), Array.from(a.scores));
    assertEquals(Array.from(b.maps), Array.from(a.maps));
  } finally {
    model.dispose();
    copy.dispose();
  }
});

Deno.test("modelFromManifest() carries DAAD+'s calibration", async () => {
  const config = {
    ...DEFAULT_DAAD_PLUS_CONFIG,
    size: 32,
    width: 2,
    channels: 1,
    memory: 4,
    division: [2, 2, 1] as [number, number, number],
    discriminatorWidth: 2,
  };
  const model = new DaadPlusModel(config, 1);
  retrain(model);
  const calibration = {
    rec: { lo: 0.2, hi: 0.9 },
    ali: { lo: 0, hi: 0.01 },
    scale: "distance" as const,
  };
  model.calibrate(calibration);
  const { entries, bytes } = packWeights(model.params);
  const copy = modelFromManifest(
    { family: "daad-plus", config, calibration, weights: entries },
    bytes,
  );
  try {
    const x = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i / 3));
    const a = await scoreImages(model, x, [3, 32, 32, 1]);
    const b = await scoreImages(copy, x, [3, 32, 32, 1]);
    assertEquals(Array.from(b.scores), Array.from(a.scores));
  } finally {
    model.dispose();
    copy.dispose();
  }
});

Deno.test("unpackWeights() names a weight that weights.bin is too short for", () => {
  assertThrows(
    () =>
      unpackWeights([{ name: "enc1.1.conv.w", shape: [3, 3, 1, 4], offset: 0 }], new Uint8Array(8)),
    RangeError,
    "enc1.1.conv.w",
  );
});
