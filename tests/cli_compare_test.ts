/**
 * `deno task compare` on run folders written by the test: the per-run table, and with
 * `--by-class --paper mnist` the ten-class table over seeds with Table 2 quoted.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";

const dir = await Deno.makeTempDir({ prefix: "compare-cli-" });

async function fakeRun(
  name: string,
  model: string,
  normal: number,
  seed: number,
  auroc: number,
  curve?: { epoch: number; image_auroc: number }[],
) {
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
    JSON.stringify({
      image_auroc: auroc,
      pixel_auroc: null,
      epochs: 5,
      train_seconds: 300,
      ...(curve != null ? { curve } : {}),
    }),
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

Deno.test("compare --curves plots AUROC against epochs and tables it, peak included", async () => {
  const runs = [
    await fakeRun("ae-curve", "ae", 8, 0, 0.86, [
      { epoch: 2, image_auroc: 0.88 },
      { epoch: 4, image_auroc: 0.9 },
      { epoch: 5, image_auroc: 0.86 },
    ]),
    await fakeRun("daad-curve", "daad", 8, 0, 0.85, [{ epoch: 5, image_auroc: 0.85 }]),
    await fakeRun("no-curve", "ae", 2, 0, 0.95),
  ];
  const html = `${dir}/curves.html`;
  const r = await runTask("compare", ["--curves", html, ...runs]);
  assertEquals(r.code, 0, r.err);
  assert(r.out.includes("| run | epoch 2 | epoch 4 | epoch 5 | peak (epoch) |"), r.out);
  assert(r.out.includes("| ae-curve | 0.8800 | 0.9000 | 0.8600 | 0.9000 (4) |"), r.out);
  assert(r.out.includes("| daad-curve | - | - | 0.8500 | 0.8500 (5) |"), r.out);
  const page = await Deno.readTextFile(html);
  assert(page.includes("Image AUROC against epochs") && page.includes("ae-curve"), "page");
  // Without any curve, --curves says what to do.
  const none = await runTask("compare", ["--curves", `${dir}/none.html`, runs[2]]);
  assertEquals(none.code, 2, none.out);
  assert(none.err.includes("train with --eval-every K"), none.err);
});

Deno.test("compare names a file, a missing folder, a broken run and an unwritable --out, in one line", async () => {
  const run = await fakeRun("d3-ae-s0", "ae", 3, 0, 0.97);
  const broken = `${dir}/broken`;
  await Deno.mkdir(broken);
  await Deno.writeTextFile(`${broken}/config.json`, "{not json");
  await Deno.writeTextFile(`${dir}/x.log`, "a log, not a run");
  const cases: [string[], number, string][] = [
    [[`${dir}/x.log`], 1, `${dir}/x.log is not a run folder: it is a file`],
    [[`${dir}/nope`], 1, `${dir}/nope is not a run folder: there is no such folder`],
    [[run, broken], 1, `${broken}/config.json: `],
    [
      ["--out", `${dir}/no/such/table`, run],
      2,
      `--out ${dir}/no/such/table.json: cannot write it (its folder does not exist)`,
    ],
    [
      [
        "--curves",
        `${run}/metrics.json/c.html`,
        await fakeRun("c", "ae", 3, 1, 0.9, [
          { epoch: 1, image_auroc: 0.9 },
        ]),
      ],
      2,
      "cannot write it (a part of the path is a file, not a folder)",
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = await runTask("compare", args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.err}`);
    const lines = r.err.trim().split("\n");
    assertEquals(lines.length, 1, r.err);
    assert(lines[0].startsWith("error: ") && lines[0].includes(message), r.err);
  }
  assertEquals(await Deno.stat(`${dir}/no`).catch(() => null), null);
});
