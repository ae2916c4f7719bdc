/**
 * `deno task compare` on run folders written by the test: the per-run table, and with
 * `--by-class --paper mnist` the ten-class table over seeds with Table 2 quoted.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";

const dir = await Deno.makeTempDir({ prefix: "compare-cli-" });

async function fakeRun(name: string, model: string, normal: number, seed: number, auroc: number) {
  const path = `${dir}/${name}`;
  await Deno.mkdir(path, { recursive: true });
  await Deno.writeTextFile(
    `${path}/config.json`,
    JSON.stringify({
      config: { model, normal, seed },
      model_config: { variant: model },
      n_train: 5851,
      n_test: 10000,
    }),
  );
  await Deno.writeTextFile(
    `${path}/metrics.json`,
    JSON.stringify({ image_auroc: auroc, pixel_auroc: null, epochs: 5, train_seconds: 300 }),
  );
  return path;
}

Deno.test("compare --by-class --paper mnist writes the per-class table over seeds", async () => {
  const runs = [
    await fakeRun("d8-ae-s0", "ae", 8, 0, 0.88),
    await fakeRun("d8-ae-s1", "ae", 8, 1, 0.90),
    await fakeRun("d2-daad-s0", "daad", 2, 0, 0.95),
  ];
  const r = await runTask("compare", [
    "--by-class",
    "--paper",
    "mnist",
    "--out",
    `${dir}/t`,
    ...runs,
  ]);
  assertEquals(r.code, 0, r.err);
  const md = await Deno.readTextFile(`${dir}/t.md`);
  assert(md.includes("| ae | - | - | - | - | - | - | - | - | 0.8900 ± 0.0100 (2) | - |"), md);
  assert(md.includes("0.9500 (1 of 10 classes)"), md);
  assert(md.includes("| 0.990 |"), md); // DAAD's Table 2 mean beside the daad row
  assert(md.includes("| d8-ae-s1 | ae | 8 | 1 | 5 |"), md); // the per-run table follows
  const json = JSON.parse(await Deno.readTextFile(`${dir}/t.json`));
  assertEquals(json.by_class.classes.length, 10);
  assertEquals(json.runs.length, 3);
});

Deno.test("compare refuses --paper without --by-class, naming the fix", async () => {
  const run = await fakeRun("d1-ae-s0", "ae", 1, 0, 0.99);
  const r = await runTask("compare", ["--paper", "mnist", run]);
  assertEquals(r.code, 2, r.out);
  assert(r.err.includes("add --by-class"), r.err);
});
