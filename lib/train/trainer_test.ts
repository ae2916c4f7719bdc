import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { assertNoLeak, useBackend } from "../../tests/tf_helpers.ts";
import type { ImageSet } from "../data/image_set.ts";
import { DaadModel } from "../models/daad/mod.ts";
import { DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
import { Conv2d } from "../nn/layers.ts";
import { ParamStore } from "../nn/params.ts";
import { Rng } from "../util/rng.ts";
import { Adam } from "./adam.ts";
import { readCheckpoint } from "./checkpoint.ts";
import { RunDir } from "./run_dir.ts";
import {
  type Interruption,
  interruptionLine,
  NonFiniteLossError,
  ResumeError,
  type StepReport,
  train,
  type TrainableModel,
} from "./trainer.ts";

await useBackend("cpu");

function images(n: number, seed = 1): ImageSet {
  return {
    n,
    height: 16,
    width: 16,
    channels: 1,
    data: new Rng(seed).uniformArray(n * 256, -1, 1),
  };
}

/** A one-layer model whose loss can be made to explode after `nanAfter` steps. */
function linearModel(
  seed: number,
  nanAfter = Infinity,
): TrainableModel & { store: ParamStore; dispose(): void } {
  const store = new ParamStore("lin");
  const conv = new Conv2d(store, "c", new Rng(seed), 1, 1);
  const optimizer = new Adam(store.trainableVariables(), { lr: 1e-2 });
  let steps = 0;
  return {
    store,
    params: store,
    objectives: [{
      name: "model",
      optimizer,
      loss: (x) => {
        const rec = tf.mean(tf.squaredDifference(conv.apply(x), x)) as tf.Scalar;
        return { total: steps++ >= nanAfter ? tf.div(rec, 0) as tf.Scalar : rec, parts: { rec } };
      },
    }],
    dispose: () => {
      optimizer.dispose();
      store.dispose();
    },
  };
}

const tinyDaad = {
  ...DEFAULT_DAAD_CONFIG,
  size: 16,
  width: 2,
  memory: 5,
  division: [1, 1, 1] as [number, number, number],
  channels: 1,
};

async function weights(store: ParamStore): Promise<number[]> {
  const snap = await store.snapshot();
  return [...snap.values()].flatMap((t) => Array.from(t.values));
}

Deno.test("train() resumed at an epoch boundary ends with the uninterrupted run's weights", async () => {
  const data = images(20);
  const opts = { batchSize: 4, seed: 3, augment: "flip" as const, meta: { config: { a: 1 } } };
  const full = new DaadModel(tinyDaad, 5, { lr: 1e-2 });
  await train(full, data, { ...opts, epochs: 3 });
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const first = new DaadModel(tinyDaad, 5, { lr: 1e-2 });
  await train(first, data, { ...opts, epochs: 1, runDir: dir });
  first.dispose();
  const resumed = new DaadModel(tinyDaad, 5, { lr: 1e-2 });
  const r = await train(resumed, data, { ...opts, epochs: 3, runDir: dir, resume: true });
  assertEquals(r.epochs, 3);
  assertEquals(r.steps, 15);
  const a = await weights(full.params), b = await weights(resumed.params);
  const maxDiff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  assert(maxDiff <= 1e-6, `max weight difference ${maxDiff}`);
  full.dispose();
  resumed.dispose();
  await Deno.remove(dir.path, { recursive: true });
});

Deno.test("train() interrupted mid-epoch checkpoints its position and resumes exactly", async () => {
  const data = images(24);
  const opts = { batchSize: 4, seed: 9, augment: "flip" as const, epochs: 2 };
  const full = linearModel(1);
  await train(full, data, opts);
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const controller = new AbortController();
  const first = linearModel(1);
  let steps = 0;
  const orig = first.objectives[0].loss;
  first.objectives[0].loss = (x) => {
    if (++steps === 8) controller.abort(); // during epoch 2, batch 2
    return orig(x);
  };
  const stops: Interruption[] = [];
  const r1 = await train(first, data, {
    ...opts,
    runDir: dir,
    signal: controller.signal,
    onInterrupt: (at) => stops.push(at),
  });
  assert(r1.interrupted);
  assertEquals(stops, [{ epoch: 2, batch: 2, atEpochEnd: false }]);
  assertEquals(interruptionLine(stops[0]), "interrupted at epoch 2, batch 2; checkpoint saved");
  assertEquals((await readCheckpoint(dir.checkpointPath)).meta.position, {
    epoch: 1,
    batch: 2,
    step: 8,
  });
  first.dispose();
  const resumed = linearModel(1);
  const r2 = await train(resumed, data, { ...opts, runDir: dir, resume: true });
  assertEquals(r2.steps, 12);
  assertEquals(await weights(resumed.store), await weights(full.store));
  full.dispose();
  resumed.dispose();
  await Deno.remove(dir.path, { recursive: true });
});

Deno.test("train() takes faults through an option and reports every step", async () => {
  const data = images(16);
  const model = linearModel(3);
  const steps: StepReport[] = [];
  await assertRejects(
    () =>
      train(model, data, {
        batchSize: 4,
        seed: 1,
        augment: "none",
        epochs: 2,
        faults: { nanAtStep: 3 },
        onStep: (r) => {
          steps.push(r);
        },
      }),
    NonFiniteLossError,
    "loss 'total' became NaN at epoch 1, step 3; training stopped",
  );
  assertEquals(steps.map((r) => [r.epoch, r.step]), [[1, 1], [1, 2]]);
  assert(Number.isFinite(steps[0].losses.total) && Number.isFinite(steps[0].losses.rec));
  model.dispose();
});

Deno.test("train() holds after an epoch's checkpoint until its signal, then stops there", async () => {
  const data = images(16);
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const controller = new AbortController();
  const lines: string[] = [];
  const model = linearModel(2);
  const steps: number[] = [];
  const run = train(model, data, {
    batchSize: 4,
    seed: 1,
    augment: "none",
    epochs: 3,
    runDir: dir,
    signal: controller.signal,
    faults: { holdAfterEpoch: 1 },
    onStep: (r) => {
      steps.push(r.step);
    },
    progress: { update() {}, end() {}, line: (t) => lines.push(t) },
  });
  // The run waits after epoch 1: no step of epoch 2 is taken while it holds.
  await new Promise((r) => setTimeout(r, 200));
  const stepsAtRelease = steps.length;
  assertEquals((await readCheckpoint(dir.checkpointPath)).meta.position, {
    epoch: 1,
    batch: 0,
    step: 4,
  });
  controller.abort();
  const r = await run;
  assertEquals(stepsAtRelease, 4);
  assert(r.interrupted);
  assertEquals(r.epochs, 1);
  assert(lines.includes("test hook: holding after epoch 1 (checkpoint saved) until stopped"));
  assert(lines.includes("interrupted after epoch 1; checkpoint saved"), lines.join("\n"));
  model.dispose();
  await Deno.remove(dir.path, { recursive: true });
});

Deno.test("a NaN loss stops training and keeps the last good checkpoint", async () => {
  const data = images(16);
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const model = linearModel(2, 6); // epoch 1 = steps 0..3 fine, NaN at step 6 (epoch 2)
  const e = await assertRejects(
    () => train(model, data, { batchSize: 4, seed: 1, augment: "none", epochs: 3, runDir: dir }),
    NonFiniteLossError,
  );
  // The library's message names no CLI flag; the CLI adds "Try a lower --lr." itself.
  assert(e.message.includes("epoch 2") && !e.message.includes("--"), e.message);
  const ckpt = await readCheckpoint(dir.checkpointPath);
  assertEquals((ckpt.meta.position as { epoch: number }).epoch, 1);
  for (const t of ckpt.tensors.values()) assert(t.values.every(Number.isFinite));
  model.dispose();
  await Deno.remove(dir.path, { recursive: true });
});

Deno.test("resuming with another configuration is refused", async () => {
  const data = images(8);
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const m1 = linearModel(1);
  await train(m1, data, {
    batchSize: 4,
    seed: 1,
    augment: "none",
    epochs: 1,
    runDir: dir,
    meta: { config: { lr: 1 } },
  });
  const m2 = linearModel(1);
  await assertRejects(
    () =>
      train(m2, data, {
        batchSize: 4,
        seed: 1,
        augment: "none",
        epochs: 2,
        runDir: dir,
        resume: true,
        meta: { config: { lr: 2 } },
      }),
    ResumeError,
    "another configuration",
  );
  m1.dispose();
  m2.dispose();
  await Deno.remove(dir.path, { recursive: true });
});

Deno.test("train() awaits betweenSteps after every step, and checkResume decides whether it resumes", async () => {
  const data = images(16);
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const m1 = linearModel(4);
  let calls = 0;
  const order: string[] = [];
  await train(m1, data, {
    batchSize: 4,
    seed: 1,
    augment: "none",
    epochs: 1,
    runDir: dir,
    meta: { config: { a: 1 } },
    onStep: (r) => {
      order.push(`step ${r.step}`);
    },
    betweenSteps: async () => {
      await Promise.resolve();
      calls++;
      order.push("between");
    },
  });
  assertEquals(calls, 4);
  assertEquals(order.slice(0, 2), ["between", "step 1"]);
  // The default check would refuse { a: 2 }; a check of the caller's decides instead.
  const seen: unknown[] = [];
  const m2 = linearModel(4);
  const r = await train(m2, data, {
    batchSize: 4,
    seed: 1,
    augment: "none",
    epochs: 2,
    runDir: dir,
    resume: true,
    meta: { config: { a: 2 } },
    checkResume: (saved) => {
      seen.push(saved.config);
    },
  });
  assertEquals([seen, r.epochs], [[{ a: 1 }], 2]);
  m1.dispose();
  m2.dispose();
  await Deno.remove(dir.path, { recursive: true });
});

Deno.test("train() keeps the tensor count stable over many steps", async () => {
  const data = images(40);
  const model = new DaadModel(tinyDaad, 1, { lr: 1e-3 });
  await train(model, data, { batchSize: 4, seed: 1, augment: "flip", epochs: 1 }); // warm-up
  await assertNoLeak(
    "100 training steps",
    () => train(model, data, { batchSize: 4, seed: 1, augment: "flip", epochs: 10 }),
  );
  model.dispose();
});

Deno.test("train() refuses a batch larger than the data and zero epochs", async () => {
  const model = linearModel(1);
  await assertRejects(
    () => train(model, images(3), { batchSize: 4, seed: 1, augment: "none", epochs: 1 }),
    RangeError,
    "batch size 4",
  );
  await assertRejects(
    () => train(model, images(8), { batchSize: 4, seed: 1, augment: "none", epochs: 0 }),
    RangeError,
    "epochs",
  );
  model.dispose();
});

Deno.test("train() runs the evaluation hook every K epochs, before the checkpoint that keeps its points", async () => {
  const data = images(16);
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const model = linearModel(4);
  const calls: number[] = [];
  const r = await train(model, data, {
    epochs: 5,
    batchSize: 8,
    seed: 1,
    augment: "none",
    runDir: dir,
    evaluate: {
      every: 2,
      run: async (epoch) => {
        calls.push(epoch);
        // The checkpoint on disk is still the previous epoch's while the hook runs.
        const saved = (await readCheckpoint(dir.checkpointPath)).meta.position as {
          epoch: number;
        };
        return { score: epoch * 10, checkpoint_epoch: saved.epoch };
      },
    },
  });
  assertEquals(calls, [2, 4]);
  assertEquals(r.curve, [
    { score: 20, checkpoint_epoch: 1, epoch: 2, step: 4 },
    { score: 40, checkpoint_epoch: 3, epoch: 4, step: 8 },
  ]);
  assertEquals((await readCheckpoint(dir.checkpointPath)).meta.curve, r.curve);
  const log = (await Deno.readTextFile(dir.file("log.jsonl"))).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((e) => e.type === "eval");
  assertEquals(log.map((e) => [e.epoch, e.score]), [[2, 20], [4, 40]]);
  await assertRejects(
    () =>
      train(model, data, {
        epochs: 1,
        batchSize: 8,
        seed: 1,
        augment: "none",
        evaluate: { every: 0, run: () => Promise.resolve(null) },
      }),
    RangeError,
    "evaluation interval must be an integer >= 1 epoch, got 0",
  );
  model.dispose();
  await Deno.remove(dir.path, { recursive: true });
});
