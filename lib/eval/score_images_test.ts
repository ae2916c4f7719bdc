import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../tests/assert.ts";
import { assertNoLeak, useBackend } from "../../tests/tf_helpers.ts";
import { DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
import { DaadModel } from "../models/daad/kit_model.ts";
import { DEFAULT_DAAD_PLUS_CONFIG } from "../models/daad_plus/config.ts";
import { DaadPlusModel } from "../models/daad_plus/kit_model.ts";
import { fuseScores, toFusionScale } from "../models/daad_plus/score.ts";
import { scoreImages } from "./score_images.ts";

await useBackend("cpu");

const images = (n: number, size: number) =>
  Float32Array.from({ length: n * size * size }, (_, i) => Math.sin(i * 0.37));

Deno.test("scoreImages() gives the model's own scores and error maps, and leaks nothing", async () => {
  const model = new DaadModel({
    ...DEFAULT_DAAD_CONFIG,
    variant: "ae",
    size: 16,
    width: 2,
    channels: 1,
  }, 0);
  try {
    const data = images(3, 16);
    let out = await scoreImages(model, data, [3, 16, 16, 1]);
    await assertNoLeak("scoreImages", async () => {
      out = await scoreImages(model, data, [3, 16, 16, 1]);
    });
    const x = tf.tensor4d(data, [3, 16, 16, 1]);
    const rec = model.reconstruct(x);
    const err = await tf.squaredDifference(x, rec).data();
    tf.dispose([x, rec]);
    assertEquals(out.maps.length, 3 * 256);
    for (let i = 0; i < 3; i++) {
      let sum = 0;
      for (let p = 0; p < 256; p++) sum += err[i * 256 + p];
      assert(Math.abs(out.scores[i] - sum / 256) < 1e-6 * sum, `${out.scores[i]} vs ${sum / 256}`);
      assert(Math.abs(out.maps[i * 256 + 17] - err[i * 256 + 17]) < 1e-7);
    }
  } finally {
    model.dispose();
  }
});

Deno.test("scoreImages() fuses DAAD+'s eq. 7 on the calibration the model was given", async () => {
  const model = new DaadPlusModel({
    ...DEFAULT_DAAD_PLUS_CONFIG,
    size: 32,
    channels: 1,
    width: 2,
    memory: 5,
    division: [2, 2, 1],
    discriminatorWidth: 2,
  }, 0);
  try {
    const ranges = { rec: { lo: 0.1, hi: 2 }, ali: { lo: 0, hi: 1e-3 }, scale: "distance" };
    model.calibrate(ranges);
    const data = images(2, 32);
    const out = await scoreImages(model, data, [2, 32, 32, 1]);
    const x = tf.tensor4d(data, [2, 32, 32, 1]);
    const c = model.network.scoreComponents(x);
    const rec = await c.rec.data(), ali = await c.ali!.data();
    tf.dispose([x, c.reconstruction, c.rec, c.ali!]);
    const want = fuseScores(toFusionScale(rec, "distance"), toFusionScale(ali, "distance"), {
      gamma: 0.9,
      reconstruction: true,
      alignment: true,
      ranges,
    });
    assertEquals(Array.from(out.scores), Array.from(want));
  } finally {
    model.dispose();
  }
});
