/**
 * Every model keeps the tfjs tensor count stable over 100 training steps and over an
 * evaluation pass (the trainer runs each step in tf.tidy; scoring disposes each batch).
 */
import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "./assert.ts";
import { useBackend } from "./tf_helpers.ts";
import type { RunFlags } from "../lib/config.ts";
import { resolveRunConfig } from "../lib/families/resolve.ts";
import type { ImageSet } from "../lib/data/image_set.ts";
import { scoreSet } from "../lib/eval/score_set.ts";
import { createModel } from "../lib/families/registry.ts";
import { train } from "../lib/train/trainer.ts";
import { Rng } from "../lib/util/rng.ts";

await useBackend("wasm");

function images(n: number, channels: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  return {
    n,
    height: 16,
    width: 16,
    channels,
    data: rng.uniformArray(n * 16 * 16 * channels, -1, 1),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 2),
    groups: Array.from({ length: n }, (_, i) => `v${i % 2}`),
  };
}

// The DAAD family's memory is set small; MNAD keeps its own (no division).
const SMALL_MEMORY = { memory: 4, division: [1, 1, 1] };
const CASES: [string, RunFlags, number][] = [
  ["ae", { model: "ae", ...SMALL_MEMORY }, 1],
  ["ae-skip", { model: "ae-skip", ...SMALL_MEMORY }, 1],
  ["memae", { model: "memae", ...SMALL_MEMORY }, 1],
  ["daad", { model: "daad", ...SMALL_MEMORY }, 1],
  [
    "daad, items from queries, τ 0.1, renormalised, compactness 0.1",
    {
      model: "daad",
      ...SMALL_MEMORY,
      memInit: "queries",
      temperature: 0.1,
      renorm: true,
      compactness: 0.1,
    },
    1,
  ],
  ["daad-plus", { model: "daad-plus", ...SMALL_MEMORY }, 1],
  ["mnad recon", { model: "mnad", memory: 4, data: "video", root: "/unused", task: "recon" }, 1],
  ["mnad pred", { model: "mnad", memory: 4, data: "video", root: "/unused", task: "pred" }, 5],
];

for (const [name, flags, channels] of CASES) {
  Deno.test(`${name}: tensor count stable over 100 training steps and an evaluation pass`, async () => {
    const config = resolveRunConfig({
      data: "mnist",
      size: 16,
      width: 2,
      batch: 2,
      lr: 1e-3,
      ...flags,
    });
    const model = createModel(config, channels, 20);
    const train20 = images(20, channels, 1), test = images(8, channels, 2);
    const opts = { batchSize: 2, seed: 0, augment: "none" as const };
    await train(model, train20, { ...opts, epochs: 1 }); // warm-up: optimizer state, caches
    await scoreSet(model, test);
    const before = tf.memory().numTensors;
    const r = await train(model, train20, { ...opts, epochs: 10 });
    assertEquals(r.steps, 100);
    assertEquals(tf.memory().numTensors, before, "after 100 training steps");
    await scoreSet(model, test, { keepMaps: true, keepReconstructions: true });
    assertEquals(tf.memory().numTensors, before, "after an evaluation pass");
    model.dispose();
  });
}
