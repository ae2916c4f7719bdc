/** `deno task eval` as a user runs it. */
import { assert, assertEquals } from "./assert.ts";
import { runTask, TINY_TRAIN_ARGS } from "./cli_helpers.ts";

Deno.test("eval recomputes metrics.json from the checkpoint, equal to the training run's", async () => {
  const dir = await Deno.makeTempDir();
  const run = `${dir}/run`;
  const t = await runTask("train", [...TINY_TRAIN_ARGS, "--max-test", "150", "--out", run]);
  assertEquals(t.code, 0, t.err);
  const before = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  await Deno.remove(`${run}/metrics.json`);
  const e = await runTask("eval", ["--run", run, "--backend", "wasm"]);
  assertEquals(e.code, 0, e.err);
  const after = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  assertEquals(after.image_auroc, before.image_auroc);
  assertEquals(after.n_test, 150);
  assert(after.roc.length > 2 && after.threshold.f1 > 0);
  assertEquals(after.train_images_per_s, null); // eval does not invent a training speed
  // The memory report is recomputed too: four banks for DAAD.
  assertEquals(after.memory.map((b: { bank: string }) => b.bank), [
    "scale 1 (2x)",
    "scale 2 (4x)",
    "scale 3 (8x)",
    "scale 4 (16x)",
  ]);
  // compare puts the run in a table and writes it as JSON and Markdown.
  const c = await runTask("compare", ["--out", `${dir}/table`, run]);
  assertEquals(c.code, 0, c.err);
  const rows = JSON.parse(await Deno.readTextFile(`${dir}/table.json`));
  assertEquals([rows[0].run, rows[0].model, rows[0].image_auroc], [
    "run",
    "daad",
    after.image_auroc,
  ]);
  assertEquals(rows[0].items_read.length, 4);
  assert((await Deno.readTextFile(`${dir}/table.md`)).includes("| run | daad | 0 |"));
  const bad = await runTask("compare", [`${dir}/nope`]);
  assertEquals(bad.code, 1);
  assert(bad.err.includes("is it a finished run?"), bad.err);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("eval explains a missing or foreign run folder", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/run.log`, "a log, not a run");
  for (
    const [args, message] of [
      [[], "eval needs --run DIR"],
      [["--run", `${dir}/nope`], "is not a run folder"],
      [["--run", dir], "is not a run folder"],
      [["--run", `${dir}/run.log`], `${dir}/run.log is not a run folder: it is a file`],
    ] as const
  ) {
    const r = await runTask("eval", [...args]);
    assert(r.code !== 0 && r.err.includes(message), `${args.join(" ")}: ${r.err}`);
    assert(!r.err.includes("    at "), r.err);
  }
  await Deno.writeTextFile(
    `${dir}/config.json`,
    '{"config": {"model": "daad", "data": "mnist"}, "model_config": {}}',
  );
  const r = await runTask("eval", ["--run", dir]);
  assert(r.code === 1 && r.err.includes("no checkpoint"), r.err);
  await Deno.remove(dir, { recursive: true });
});
