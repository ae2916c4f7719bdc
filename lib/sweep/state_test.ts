import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { trainFlags } from "../cli/sweep.ts";
import type { RunConfig } from "../config.ts";
import { RECORD_VERSION } from "../run.ts";
import { runConfigFlags } from "../families/resolve.ts";

import { ConfigError } from "../util/errors.ts";
import { expandSweep, type PlannedRun } from "./plan.ts";
import { parseSweepSpec } from "./spec.ts";
import { finishedMetrics, runStatus, statusLine, sweepStatus } from "./state.ts";

const flags = trainFlags();

async function threeRuns(dir: string): Promise<PlannedRun[]> {
  const spec = parseSweepSpec({ base: { data: "stripes" }, axes: { seed: [0, 1, 2] } }, "s");
  return (await expandSweep(spec, flags, { cwd: dir })).runs;
}

/** Writes a run folder as train leaves it: config.json, and metrics.json when finished. */
async function fakeRun(run: PlannedRun, config: object, metrics?: object): Promise<void> {
  await Deno.mkdir(run.dir, { recursive: true });
  await Deno.writeTextFile(
    `${run.dir}/config.json`,
    JSON.stringify({ record_version: RECORD_VERSION, config: runConfigFlags(config as RunConfig) }),
  );
  if (metrics) await Deno.writeTextFile(`${run.dir}/metrics.json`, JSON.stringify(metrics));
}

Deno.test("runStatus() reads new, started and finished runs from their folders", async () => {
  const dir = await Deno.makeTempDir();
  const [a, b, c] = await threeRuns(dir);
  await fakeRun(b, b.config);
  await Deno.writeFile(`${b.dir}/checkpoint.ckpt`, new Uint8Array(4));
  await fakeRun(c, c.config, { image_auroc: 0.75, epochs: 20 });
  const statuses = await sweepStatus([a, b, c]);
  assertEquals(statuses.map((s) => [s.state, s.checkpoint]), [
    ["new", false],
    ["started", true],
    ["finished", false],
  ]);
  assertEquals(statuses[2].metrics?.image_auroc, 0.75);
  assertEquals(statusLine(statuses), "3 runs: 1 finished, 1 started (they resume), 1 new");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("finishedMetrics() takes only a complete metrics.json", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals(await finishedMetrics(dir), null);
  await Deno.writeTextFile(`${dir}/metrics.json`, '{"image_auroc": 0.9, "epo');
  assertEquals(await finishedMetrics(dir), null);
  await Deno.writeTextFile(`${dir}/metrics.json`, '{"image_auroc": null}');
  assertEquals(await finishedMetrics(dir), null);
  await Deno.writeTextFile(`${dir}/metrics.json`, '{"image_auroc": 0.5}');
  assertEquals((await finishedMetrics(dir))?.image_auroc, 0.5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runStatus() refuses a folder trained with other settings, naming them", async () => {
  const dir = await Deno.makeTempDir();
  const [a] = await threeRuns(dir);
  // Another backend or folder path is the same training; other epochs or lr are not.
  await fakeRun(a, { ...a.config, backend: "cpu", out: "elsewhere" });
  assertEquals((await runStatus(a)).state, "started");
  await fakeRun(a, { ...a.config, epochs: 3, lr: 0.01 }, { image_auroc: 0.5 });
  await assertRejects(
    () => runStatus(a),
    ConfigError,
    `run seed-0: ${a.dir} holds a run with other settings (epochs 3 there, 20 in the sweep; ` +
      `lr 0.01 there, 0.001 in the sweep)`,
  );
  await Deno.remove(dir, { recursive: true });
});
