/**
 * `--eval-every K` end to end (in-process `trainRun` on the `cpu` backend): the test set
 * scored every K epochs lands in log.jsonl and metrics.json's `curve`, the trained model
 * is bit-identical to a run without it (also for a memory whose items move by EMA), and
 * an interrupted run keeps the points from before the interruption.
 */
import { assert, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/backend.ts";
import type { RunConfig, RunFlags } from "../lib/config.ts";
import { resolveRunConfig } from "../lib/families/resolve.ts";
import { readCheckpoint } from "../lib/train/checkpoint.ts";
import { type ProgressSink, silentProgress } from "../lib/train/progress.ts";
import { type RunMetrics, trainRun } from "../lib/run.ts";

const backend = await initBackend("cpu", { quiet: true });
const tmp = await Deno.makeTempDir({ prefix: "daad-eval-every-" });

function tiny(out: string, flags: RunFlags = {}): RunConfig {
  return resolveRunConfig({
    data: "stripes",
    model: "daad",
    size: 32,
    width: 2,
    memory: 5,
    division: [2, 2, 1],
    batch: 8,
    epochs: 2,
    maxTrain: 32,
    maxTest: 24,
    out,
    ...flags,
  });
}

async function params(run: string): Promise<Map<string, Float32Array>> {
  const ckpt = await readCheckpoint(`${run}/checkpoint.ckpt`);
  const out = new Map<string, Float32Array>();
  for (const [k, t] of ckpt.tensors) if (k.startsWith("params/")) out.set(k, t.values);
  return out;
}

async function evalLines(run: string): Promise<Record<string, unknown>[]> {
  const log = await Deno.readTextFile(`${run}/log.jsonl`);
  return log.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "eval");
}

async function metrics(run: string): Promise<RunMetrics> {
  return JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
}

Deno.test("--eval-every leaves the trained weights bit-identical and records the curve", async () => {
  // A vq memory whose items follow their queries by EMA: state that a training-mode pass
  // would move, as batch norm's running statistics are.
  const memory = { addressing: "vq" as const, memUpdate: "ema" as const };
  const plain = `${tmp}/plain`, curved = `${tmp}/curved`;
  await trainRun(tiny(plain, memory), { backend });
  await trainRun(tiny(curved, { ...memory, evalEvery: 1 }), { backend });
  const a = await params(plain), b = await params(curved);
  assertEquals([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assertEquals(Array.from(b.get(k)!), Array.from(v), k);
  const m = await metrics(curved);
  assertEquals(m.curve!.map((p) => p.epoch), [1, 2]);
  // The last point is the final evaluation; every point carries the memory report.
  assertEquals(m.curve![1].image_auroc, m.image_auroc);
  assertEquals(m.image_auroc, (await metrics(plain)).image_auroc);
  for (const p of m.curve!) {
    assert(typeof p.image_auroc === "number" && p.image_auroc >= 0 && p.image_auroc <= 1);
    assertEquals((p.memory as { bank: string }[]).length, 4);
    assertEquals((p.memory as { mean_items_read: number }[])[0].mean_items_read, 1);
  }
  const lines = await evalLines(curved);
  assertEquals(lines.map((l) => l.epoch), [1, 2]);
  assertEquals(lines[0].image_auroc, m.curve![0].image_auroc);
  assertEquals((await metrics(plain)).curve, undefined);
  assertEquals(await evalLines(plain), []);
});

Deno.test("--eval-every K scores every K epochs and at the end; a resumed run keeps earlier points", async () => {
  const run = `${tmp}/resumed`;
  const controller = new AbortController();
  // Stops the run once epoch 2's evaluation is reported: it ends after epoch 2's checkpoint.
  const stopper: ProgressSink = {
    ...silentProgress,
    line: (text) => {
      if (text.startsWith("epoch 2: image AUROC")) controller.abort();
    },
  };
  const first = await trainRun(tiny(run, { epochs: 5, evalEvery: 2 }), {
    backend,
    progress: stopper,
    signal: controller.signal,
  });
  assertEquals(first.metrics, null);
  assertEquals(first.training.curve.map((p) => p.epoch), [2]);
  const resumed = await trainRun(tiny(run, { epochs: 5, evalEvery: 2, resume: true }), {
    backend,
  });
  // Epochs 2 and 4 by the hook (2 before the interruption), 5 as the final evaluation.
  assertEquals(resumed.metrics!.curve!.map((p) => p.epoch), [2, 4, 5]);
  assertEquals((await evalLines(run)).map((l) => l.epoch), [2, 4, 5]);
  assertEquals(resumed.metrics!.curve![0], first.training.curve[0]);
  // The same run without interruption records the same curve.
  const straight = `${tmp}/straight`;
  await trainRun(tiny(straight, { epochs: 5, evalEvery: 2 }), { backend });
  const want = (await metrics(straight)).curve!.map((p) => [p.epoch, p.image_auroc]);
  assertEquals(resumed.metrics!.curve!.map((p) => [p.epoch, p.image_auroc]), want);
});

Deno.test({
  name: "eval-every test folder cleanup",
  fn: async () => await Deno.remove(tmp, { recursive: true }),
});
