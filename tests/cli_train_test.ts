/**
 * `deno task train` as a user runs it: a real (tiny) run writes the contracted files,
 * and bad input gets one clear message and a non-zero exit code.
 */
import { assert, assertEquals } from "./assert.ts";
import { ROOT, runTask, TINY_TRAIN_ARGS } from "./cli_helpers.ts";
import { ONEDNN, testWith } from "./optional.ts";

const train = (args: string[]) => runTask("train", args);

const TINY = [...TINY_TRAIN_ARGS, "--max-test", "200"];

Deno.test("train writes config.json, log.jsonl, a checkpoint and metrics.json with the contract's fields", async () => {
  const out = await Deno.makeTempDir();
  const r = await train([...TINY, "--out", `${out}/run`]);
  assertEquals(r.code, 0, r.err);
  assert(/image AUROC 0\.\d{4}/.test(r.out), r.out);
  assert(r.err.includes("backend: wasm"), "the backend is printed");
  const files = [...Deno.readDirSync(`${out}/run`)].map((e) => e.name).sort();
  assertEquals(files, [
    "checkpoint.ckpt",
    "config.json",
    "grid_best.png",
    "grid_worst.png",
    "log.jsonl",
    "metrics.json",
    "report.html",
    "scores.csv",
  ]);
  const scores = (await Deno.readTextFile(`${out}/run/scores.csv`)).trim().split("\n");
  assertEquals(scores.length, 201); // header + one line per test image
  assert((await Deno.readTextFile(`${out}/run/report.html`)).includes("<html"));
  const m = JSON.parse(await Deno.readTextFile(`${out}/run/metrics.json`));
  for (
    const k of ["image_auroc", "pixel_auroc", "n_test", "model", "backend", "train_images_per_s"]
  ) {
    assert(k in m, `metrics.json has ${k}`);
  }
  assertEquals([m.model, m.backend, m.n_test, m.pixel_auroc], ["daad", "wasm", 200, null]);
  assert(m.image_auroc > 0.5 && m.image_auroc <= 1, `AUROC ${m.image_auroc}`);
  const log = (await Deno.readTextFile(`${out}/run/log.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert(log.some((e) => e.type === "epoch" && e.epoch === 1));
  // A second run into the same folder is refused: results are never overwritten by accident.
  const again = await train([...TINY, "--out", `${out}/run`]);
  assertEquals(again.code, 1);
  assert(again.err.includes("already holds a run"), again.err);
  await Deno.remove(out, { recursive: true });
});

await testWith([ONEDNN], {
  name: "train --backend onednn runs end to end and records the backend",
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const args = [...TINY].map((a) => a === "wasm" ? "onednn" : a);
      const r = await train([...args, "--threads", "1", "--out", `${out}/run`]);
      assertEquals(r.code, 0, r.err);
      assert(/backend: onednn \(CPU, oneDNN 2\./.test(r.err), r.err);
      const m = JSON.parse(await Deno.readTextFile(`${out}/run/metrics.json`));
      assertEquals([m.model, m.backend, m.n_test], ["daad", "onednn", 200]);
      assert(m.image_auroc > 0.5 && m.image_auroc <= 1, `AUROC ${m.image_auroc}`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/** The folders in the checkout's runs/ (where a run without --out goes). */
function defaultRuns(): Set<string> {
  try {
    return new Set([...Deno.readDirSync(`${ROOT}runs`)].map((e) => e.name));
  } catch {
    return new Set();
  }
}

Deno.test("train answers bad input with one message naming the flag and a non-zero exit", async () => {
  const before = defaultRuns();
  const cases: [string[], number, string][] = [
    [["--size", "40"], 1, "--size expects a multiple of 16"],
    [["--size", "abc"], 2, "--size expects an integer, got 'abc'"],
    [["--memory", "0"], 2, "--memory expects an integer >= 1, got '0'"],
    [["--normal", "11"], 2, "--normal expects 0..9 or 'all', got '11'"],
    [["--epochs", "-3"], 2, "--epochs expects an integer >= 1"],
    [["--lr", "x"], 2, "--lr expects a number, got 'x'"],
    [["--frobnicate"], 2, "unknown flag --frobnicate"],
    [["--division", "3,3,1"], 1, "division 3,3,1 does not divide the 16x16x16 feature map"],
    [["--resume"], 2, "--resume needs --out"],
    [["--resume", "--out", "/nonexistent/run"], 1, "/nonexistent/run"],
    [["--backend", "tensorflow"], 1, "Use --backend wasm"],
    [
      ["--max-train", "4", "--batch", "8", "--backend", "wasm"],
      1,
      "--batch 8 is larger than the 4 training images (--max-train 4)",
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = await train(args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert(r.err.includes(message), `${args.join(" ")}: expected '${message}' in: ${r.err}`);
    assert(!r.err.includes("    at "), `${args.join(" ")}: no stack trace: ${r.err}`);
  }
  // A refused run leaves no (empty) run folder behind.
  const left = [...defaultRuns()].filter((name) => !before.has(name));
  for (const name of left) await Deno.remove(`${ROOT}runs/${name}`, { recursive: true });
  assertEquals(left, [], "run folders left by refused runs");
});
