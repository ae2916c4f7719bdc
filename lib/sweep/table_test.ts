import { assert, assertAlmostEquals, assertEquals } from "../../tests/assert.ts";
import { trainFlags } from "../cli/sweep.ts";
import { RECORD_VERSION } from "../run.ts";
import { runConfigFlags } from "../families/resolve.ts";

import { expandSweep, type PlannedRun, type SweepPlan } from "./plan.ts";
import { parseSweepSpec } from "./spec.ts";
import {
  buildSweepTable,
  sweepTableToCsv,
  sweepTableToMarkdown,
  writeSweepTable,
} from "./table.ts";

const flags = trainFlags();

async function plan(dir: string, axes: Record<string, unknown>): Promise<SweepPlan> {
  const spec = parseSweepSpec({ out: "sw", base: { data: "mnist" }, axes }, "s");
  return await expandSweep(spec, flags, { cwd: dir });
}

/** A finished run folder as train writes it, with an image AUROC and epoch times. */
async function finish(run: PlannedRun, auroc: number, seconds: number[]): Promise<void> {
  await Deno.mkdir(run.dir, { recursive: true });
  await Deno.writeTextFile(
    `${run.dir}/config.json`,
    JSON.stringify({
      record_version: RECORD_VERSION,
      config: runConfigFlags(run.config),
      model_config: { variant: run.config.model },
      n_train: 48,
      n_test: 64,
    }),
  );
  await Deno.writeTextFile(
    `${run.dir}/metrics.json`,
    JSON.stringify({ image_auroc: auroc, pixel_auroc: null, epochs: seconds.length }),
  );
  await Deno.writeTextFile(
    `${run.dir}/log.jsonl`,
    seconds.map((s, i) => JSON.stringify({ type: "epoch", epoch: i + 1, seconds: s })).join("\n"),
  );
}

Deno.test("buildSweepTable() lists finished runs, names missing ones, and averages per class", async () => {
  const dir = await Deno.makeTempDir();
  const p = await plan(dir, { model: ["ae", "daad"], seed: [0, 1], normal: [0, 1] });
  const auroc = [0.9, 0.6, 0.8, 0.7, 0.95, 0.5, 0.85];
  // Runs in plan order: ae s0 n0, ae s0 n1, ae s1 n0, ae s1 n1, daad s0 n0, daad s0 n1, ...
  for (const [i, a] of auroc.entries()) await finish(p.runs[i], a, [10, 20]);
  const t = await buildSweepTable(p);
  assertEquals([t.complete, t.planned, t.runs.length], [false, 8, 7]);
  assertEquals(t.missing, ["model-daad_seed-1_normal-1"]);
  assertEquals(t.runs[1], {
    run: "model-ae_seed-0_normal-1",
    values: { model: "ae", seed: 0, normal: 1 },
    image_auroc: 0.6,
    pixel_auroc: null,
    aupro: null,
    epochs: 2,
    train_seconds: 30,
  });
  const byClass = t.by_class!;
  assertEquals(byClass.classes, ["0", "1"]);
  const [ae, daad] = byClass.models;
  // AE: class 0 = (0.9 + 0.8) / 2, class 1 = (0.6 + 0.7) / 2; DAAD's class 1 has seed 0 only.
  assertAlmostEquals(ae.cells[0].mean, 0.85, 1e-12);
  assertAlmostEquals(ae.cells[1].mean, 0.65, 1e-12);
  assertAlmostEquals(ae.class_mean!, 0.75, 1e-12);
  assertEquals(daad.cells[1].seeds, [0]);
  assertAlmostEquals(daad.class_mean!, ((0.95 + 0.85) / 2 + 0.5) / 2, 1e-12);
  const md = sweepTableToMarkdown(t, ["model", "seed", "normal"]);
  assert(md.includes("7 of 8 runs finished; missing: model-daad_seed-1_normal-1."), md);
  assert(md.includes("| model-ae_seed-0_normal-1 | ae | 0 | 1 | 0.6000 | - | - | 2 | 30 |"), md);
  assert(md.includes("| ae | 0.8500 ± 0.0500 (2) | 0.6500 ± 0.0500 (2) | **0.7500** |"), md);
  const csv = sweepTableToCsv(t, ["model", "seed", "normal"]).split("\n");
  assertEquals(csv[0], "run,model,seed,normal,image_auroc,pixel_auroc,aupro,epochs,train_seconds");
  assertEquals(csv[2], "model-ae_seed-0_normal-1,ae,0,1,0.6,,,2,30");
  assertEquals(csv.length, 9);
  await writeSweepTable(p, t);
  for (const f of ["table.json", "table.md", "table.csv"]) await Deno.stat(`${p.out}/${f}`);
  assertEquals(JSON.parse(await Deno.readTextFile(`${p.out}/table.json`)).missing, t.missing);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildSweepTable() labels per-class rows with the other axes' values", async () => {
  const dir = await Deno.makeTempDir();
  const p = await plan(dir, { lr: [0.001, 0.01], normal: [2] });
  await finish(p.runs[0], 0.7, [5]);
  await finish(p.runs[1], 0.8, [5]);
  const t = await buildSweepTable(p);
  assert(t.complete);
  assertEquals(t.by_class!.models.map((m) => [m.label, m.class_mean]), [
    ["daad (lr 0.001)", 0.7],
    ["daad (lr 0.01)", 0.8],
  ]);
  await Deno.remove(dir, { recursive: true });
});
