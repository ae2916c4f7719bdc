import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { useBackend } from "../../tests/tf_helpers.ts";
import { ParamStore } from "../nn/params.ts";
import { Adam } from "./adam.ts";
import { NonFiniteLossError, ResumeError } from "./errors.ts";
import { RunDir } from "./run_dir.ts";
import type { TrainableModel } from "./trainer.ts";
import {
  type Checkpoint,
  CheckpointError,
  checkSameRun,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  restoreTrainingState,
  saveTrainingState,
  writeCheckpoint,
} from "./checkpoint.ts";
import { writeFileAtomic } from "../util/fs.ts";

const sample = (): Checkpoint => ({
  meta: { epoch: 3, config: { model: "daad" }, note: "ünïcode" },
  tensors: new Map([
    ["a", { shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ["b", { shape: [], values: Float32Array.from([-0.25]) }],
    ["c", { shape: [1, 1, 2], values: Float32Array.from([Math.PI, 1e-30]) }],
  ]),
});

Deno.test("checkpoints round-trip tensors bit for bit and metadata exactly", async () => {
  const back = await decodeCheckpoint(await encodeCheckpoint(sample()));
  assertEquals(back.meta, sample().meta);
  for (const [k, t] of sample().tensors) {
    assertEquals(back.tensors.get(k)!.shape, t.shape);
    assertEquals(Array.from(back.tensors.get(k)!.values), Array.from(t.values));
  }
});

Deno.test("a truncated, corrupted or foreign file is refused with a message naming it", async () => {
  const bytes = await encodeCheckpoint(sample());
  await assertRejects(
    () => decodeCheckpoint(bytes.slice(0, bytes.length - 3), "x.ckpt"),
    CheckpointError,
    "x.ckpt is truncated",
  );
  await assertRejects(
    () => decodeCheckpoint(bytes.slice(0, 20), "x.ckpt"),
    CheckpointError,
    "truncated",
  );
  const flipped = bytes.slice();
  flipped[flipped.length - 2] ^= 0xff;
  await assertRejects(() => decodeCheckpoint(flipped, "x.ckpt"), CheckpointError, "checksum");
  await assertRejects(
    () => decodeCheckpoint(new TextEncoder().encode('{"weights": []}'), "w.json"),
    CheckpointError,
    "not a checkpoint",
  );
  await assertRejects(
    () => decodeCheckpoint(new Uint8Array(0), "empty"),
    CheckpointError,
    "not a checkpoint",
  );
  await assertRejects(
    () => readCheckpoint("/nonexistent/dir/c.ckpt"),
    CheckpointError,
    "no checkpoint at",
  );
});

Deno.test("writeCheckpoint() replaces the file atomically and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/c.ckpt`;
  await writeCheckpoint(path, sample());
  const second = sample();
  second.meta.epoch = 4;
  await writeCheckpoint(path, second);
  assertEquals((await readCheckpoint(path)).meta.epoch, 4);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["c.ckpt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failed atomic write keeps the previous file intact", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/c.ckpt`;
  await writeCheckpoint(path, sample());
  // Renaming onto a directory fails after the temporary file is written.
  const target = `${dir}/sub`;
  await Deno.mkdir(`${target}/x`, { recursive: true });
  await assertRejects(() => writeFileAtomic(target, new Uint8Array([1, 2, 3])));
  assertEquals((await readCheckpoint(path)).meta.epoch, 3);
  assert(
    ![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".tmp")),
    "temporary file removed",
  );
  await Deno.remove(dir, { recursive: true });
});

await useBackend("cpu");

/** A model of one parameter vector and one Adam, as the trainer sees a model. */
function vectorModel(values: number[]): TrainableModel & { dispose(): void } {
  const params = new ParamStore("vec");
  const w = params.add("w", tf.tensor1d(values));
  const optimizer = new Adam([w], { lr: 0.1 });
  return {
    params,
    objectives: [{
      name: "model",
      optimizer,
      loss: () => ({ total: tf.sum(tf.square(w)) as tf.Scalar, parts: {} }),
    }],
    dispose: () => {
      optimizer.dispose();
      params.dispose();
    },
  };
}

Deno.test("saveTrainingState() and restoreTrainingState() keep parameters, Adam state and position", async () => {
  const dir = await RunDir.open(await Deno.makeTempDir(), { resume: true });
  const a = vectorModel([1, -2, 3]);
  const opt = a.objectives[0].optimizer;
  opt.apply(tf.variableGrads(() => a.objectives[0].loss(tf.zeros([1, 1, 1, 1])).total).grads);
  const position = { epoch: 2, batch: 1, step: 9 };
  const history = [{ epoch: 1, steps: 4, losses: { total: 1 }, seconds: 1, imagesPerSecond: 4 }];
  await saveTrainingState(a, dir, position, { config: { lr: 1 } }, history);
  const ckpt = await readCheckpoint(dir.checkpointPath);
  assertEquals([...ckpt.tensors.keys()].sort(), ["opt/model/m0", "opt/model/v0", "params/w"]);
  const b = vectorModel([0, 0, 0]);
  const restored = restoreTrainingState(b, ckpt);
  assertEquals(restored, { position, history, curve: [] });
  assertEquals(
    Array.from(await b.params.get("w").data()),
    Array.from(await a.params.get("w").data()),
  );
  assertEquals(b.objectives[0].optimizer.step, 1);
  checkSameRun(ckpt.meta, { config: { lr: 1 } });
  assertThrows(
    () => checkSameRun(ckpt.meta, { config: { lr: 2 } }),
    ResumeError,
    "another configuration",
  );
  // A parameter that is not finite is never written over the last good checkpoint.
  const bad = vectorModel([1, NaN, 0]);
  await assertRejects(
    () => saveTrainingState(bad, dir, { epoch: 3, batch: 0, step: 12 }, {}, history),
    NonFiniteLossError,
    "parameter 'w' is not finite at epoch 3",
  );
  assertEquals(
    ((await readCheckpoint(dir.checkpointPath)).meta.position as { epoch: number }).epoch,
    2,
  );
  for (const m of [a, b, bad]) m.dispose();
  await Deno.remove(dir.path, { recursive: true });
});
