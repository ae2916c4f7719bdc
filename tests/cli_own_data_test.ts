/**
 * `--data visa` and `--data folder` through `deno task train`, `eval` and `predict` as a
 * user runs them: AUPRO and per-defect results in metrics.json, the tables and the
 * report; a folder without anomalies thresholded at a quantile of its held-out normals;
 * bad folders answered with one line naming the file.
 */
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { writeSynthMvtec } from "../lib/data/synth_mvtec.ts";
import { writeVisaFixture } from "../lib/data/synth_visa.ts";

const dir = await Deno.makeTempDir({ prefix: "daad-own-data-" });
const TINY = [
  ...["--size", "16", "--width", "2", "--memory", "4", "--division", "1,1,1"],
  ...["--epochs", "1", "--batch", "4", "--backend", "wasm"],
];

// The synthetic MVTec-layout set, written out as plain folders the way a user keeps
// their own images: normal images, defects in one sub-folder per type, masks beside.
const synth = `${dir}/synth`;
await writeSynthMvtec({
  out: synth,
  categories: ["synth_pill"],
  nTrain: 10,
  nTestGood: 2,
  nTestDefect: 2,
  size: 32,
});
const own = `${dir}/own`;
for (const sub of ["ok", "defects", "masks"]) {
  await Deno.mkdir(`${own}/${sub}`, { recursive: true });
}
for (const e of Deno.readDirSync(`${synth}/synth_pill/train/good`)) {
  await Deno.copyFile(`${synth}/synth_pill/train/good/${e.name}`, `${own}/ok/${e.name}`);
}
for (const type of ["hole", "scratch", "stain"]) {
  for (const [from, to] of [["test", "defects"], ["ground_truth", "masks"]]) {
    await Deno.mkdir(`${own}/${to}/${type}`);
    for (const e of Deno.readDirSync(`${synth}/synth_pill/${from}/${type}`)) {
      await Deno.copyFile(
        `${synth}/synth_pill/${from}/${type}/${e.name}`,
        `${own}/${to}/${type}/${e.name}`,
      );
    }
  }
}

const metricsOf = async (run: string) => JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));

Deno.test("train --data visa --category all reports AUPRO per object, per defect and in the table", async () => {
  const root = `${dir}/visa`;
  await writeVisaFixture({ out: root, nTrain: 4, nTestNormal: 2, nTestAnomaly: 2, width: 32 });
  const out = `${dir}/visa-sweep`;
  const r = await runTask("train", [
    ...TINY,
    "--data",
    "visa",
    "--root",
    root,
    "--category",
    "all",
    "--out",
    out,
  ]);
  assertEquals(r.code, 0, r.err);
  assert(/\| name \| image_auroc \| pixel_auroc \| aupro \|/.test(r.out), r.out);
  const table = JSON.parse(await Deno.readTextFile(`${out}/table.json`));
  assertEquals(table.rows.map((row: { name: string }) => row.name), ["candle", "pcb1"]);
  for (const object of ["candle", "pcb1"]) {
    const m = await metricsOf(`${out}/${object}`);
    assert(m.aupro >= 0 && m.aupro <= 1, `AUPRO ${m.aupro}`);
    assertEquals(m.aupro_fpr_limit, 0.3);
    assertAlmostEquals(m.pro_curve.at(-1).fpr, 0.3, 1e-9);
    assertEquals(m.per_defect.map((d: { defect: string; n: number }) => [d.defect, d.n]), [[
      "anomaly",
      2,
    ]]);
    assertEquals(m.per_defect[0].image_auroc, m.image_auroc); // one defect type: the same set
    assertEquals(m.n_test, 4);
    const row = table.rows.find((row: { name: string }) => row.name === object);
    assertEquals(row.aupro, m.aupro);
    const html = await Deno.readTextFile(`${out}/${object}/report.html`);
    assert(html.includes("PRO curve (pixel level)") && html.includes("Per defect type"));
  }
});

Deno.test("train --data folder with defects and masks; eval recomputes AUPRO and per-defect results", async () => {
  const run = `${dir}/folder-run`;
  const r = await runTask("train", [
    ...TINY,
    ...["--data", "folder", "--normal-dir", `${own}/ok`, "--abnormal-dir", `${own}/defects`],
    ...["--mask-dir", `${own}/masks`, "--test-split", "0.3", "--out", run],
  ]);
  assertEquals(r.code, 0, r.err);
  assert(
    /image AUROC 0?\.?\d+.*AUPRO \d\.\d{4} on 9 test images \(6 anomalous\)/.test(r.out),
    r.out,
  );
  const before = await metricsOf(run);
  assertEquals([before.n_normal, before.n_anomalous], [3, 6]); // 30% of 10 held out
  assertEquals(
    before.per_defect.map((d: { defect: string }) => d.defect),
    ["hole", "scratch", "stain"],
  );
  const config = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
  assertEquals(config.n_train, 7);
  await Deno.remove(`${run}/metrics.json`);
  const e = await runTask("eval", ["--run", run, "--backend", "wasm"]);
  assertEquals(e.code, 0, e.err);
  assert(e.out.includes("AUPRO"), e.out);
  const after = await metricsOf(run);
  for (const k of ["image_auroc", "pixel_auroc", "aupro", "per_defect", "pro_curve"]) {
    assertEquals(after[k], before[k], k);
  }
});

Deno.test("train --data folder without anomalies thresholds at a quantile of the held-out normals; predict uses it", async () => {
  const run = `${dir}/normals-only`;
  const r = await runTask("train", [
    ...TINY,
    "--data",
    "folder",
    "--normal-dir",
    `${own}/ok`,
    "--out",
    run,
  ]);
  assertEquals(r.code, 0, r.err);
  assert(r.out.includes("no anomalous test images: threshold"), r.out);
  const m = await metricsOf(run);
  assertEquals([m.image_auroc, m.pixel_auroc, m.aupro, m.n_test], [null, null, null, 2]);
  assertEquals([m.threshold.method, m.threshold.quantile], ["normal-quantile", 0.99]);
  // The 0.99 quantile of two scores lies between them, next to the larger one.
  const scores = (await Deno.readTextFile(`${run}/scores.csv`)).trim().split("\n").slice(1)
    .map((l) => Number(l.split(",").at(-1)));
  const [lo, hi] = scores.sort((a, b) => a - b);
  assertAlmostEquals(m.threshold.value, lo + 0.99 * (hi - lo), 1e-6 * Math.max(1, hi));
  const p = await runTask("predict", ["--run", run, `${own}/defects/hole`]);
  assertEquals(p.code, 0, p.err);
  const lines = p.out.trim().split("\n").map((l) => l.split("\t"));
  assertEquals(lines.length, 2);
  for (const [score, verdict] of lines) {
    assertEquals(verdict, Number(score) >= m.threshold.value ? "anomalous" : "normal");
  }
  assert(p.err.includes("0.99 quantile of the run's held-out normal scores"), p.err);
});

Deno.test("train --data folder names an empty folder, an unpaired mask and an unreadable file in one line", async () => {
  await Deno.mkdir(`${dir}/empty`);
  const bad = `${dir}/bad`;
  await new Deno.Command("cp", { args: ["-r", own, bad] }).output();
  await Deno.copyFile(`${bad}/masks/hole/000_mask.png`, `${bad}/masks/hole/077_mask.png`);
  const corrupt = `${dir}/corrupt`;
  await new Deno.Command("cp", { args: ["-r", `${own}/ok`, corrupt] }).output();
  await Deno.writeTextFile(`${corrupt}/003.png`, "not a png");
  const cases: [string[], string][] = [
    [["--normal-dir", `${dir}/empty`], `no images in --normal-dir folder ${dir}/empty`],
    [
      [
        "--normal-dir",
        `${bad}/ok`,
        "--abnormal-dir",
        `${bad}/defects`,
        "--mask-dir",
        `${bad}/masks`,
      ],
      `mask without its image: ${bad}/masks/hole/077_mask.png`,
    ],
    [["--normal-dir", corrupt], `${corrupt}/003.png`],
    [
      ["--normal-dir", `${own}/ok`, "--test-split", "1.5"],
      "--test-split expects a share between 0 and 1",
    ],
    [[], "--data folder needs --normal-dir DIR"],
  ];
  for (const [args, message] of cases) {
    const out = `${dir}/refused-${crypto.randomUUID()}`;
    const r = await runTask("train", [...TINY, "--data", "folder", ...args, "--out", out]);
    assertEquals(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert(r.err.includes(message), `expected '${message}' in: ${r.err}`);
    assertEquals(r.err.trim().split("\n").filter((l) => l.startsWith("error")).length, 1);
    assert(!r.err.includes("    at "), `no stack trace: ${r.err}`);
    assert(!(await Deno.stat(out).then(() => true, () => false)), "no run folder is left behind");
  }
  const wrong = await runTask("train", [
    ...TINY,
    "--data",
    "mvtec",
    "--root",
    synth,
    "--normal-dir",
    own,
  ]);
  assert(wrong.code !== 0 && wrong.err.includes("--normal-dir is for --data folder"), wrong.err);
});

Deno.test("train --data visa names a missing image file with its line in the split file", async () => {
  const root = `${dir}/visa-missing`;
  await writeVisaFixture({
    out: root,
    objects: ["candle"],
    nTrain: 2,
    nTestNormal: 1,
    nTestAnomaly: 1,
    width: 32,
  });
  await Deno.remove(`${root}/candle/Data/Images/Anomaly/000.JPG`);
  const out = `${dir}/visa-refused`;
  const r = await runTask("train", [
    ...TINY,
    "--data",
    "visa",
    "--root",
    root,
    "--category",
    "candle",
    "--out",
    out,
  ]);
  assertEquals(r.code, 1, r.err);
  assert(
    r.err.includes(
      `image file not found: ${root}/candle/Data/Images/Anomaly/000.JPG (listed on line 5`,
    ),
    r.err,
  );
});
