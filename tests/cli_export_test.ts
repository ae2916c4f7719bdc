/**
 * `deno task export` and `deno task serve` as a user runs them, on a tiny trained run of
 * every exportable model (the stripes toy, 32x32, one epoch). Each ONNX file is then
 * checked here once more, independently of the command's own check: ONNX Runtime's
 * scores and maps on 32 test images of the run against the kit's `scoreImages` (what
 * predict scores with), within 1e-4 relative.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { useBackend } from "./tf_helpers.ts";
import { scoreImages } from "../lib/eval/score_images.ts";
import { ONNX_TOLERANCE, relativeDifference, runOnnx } from "../lib/export/onnx_check.ts";
import { readOnnxModel } from "../lib/export/onnx_graph.ts";
import { openExportRun, runTestImages } from "../lib/export/run_model.ts";
import { modelFromManifest, type WebManifest } from "../lib/export/web/manifest.ts";

await useBackend("cpu");

const dir = await Deno.makeTempDir({ prefix: "daad-export-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const TINY = [
  ...["--data", "stripes", "--size", "32", "--width", "4", "--memory", "10", "--epochs", "1"],
  ...["--max-train", "32", "--max-test", "32", "--batch", "8", "--backend", "wasm"],
];
const MODELS: Record<string, string[]> = {
  ae: [],
  "ae-skip": [],
  memae: [], // pixel-wise memory at 16x, MemAE's addressing
  daad: ["--division", "2,2,2"], // channel groups too
  "daad-plus": ["--division", "2,2,1"],
};

const runs = new Map<string, Promise<string>>();

/** The tiny run of `model`, trained on first use. */
function trained(model: string): Promise<string> {
  if (!runs.has(model)) {
    runs.set(
      model,
      (async () => {
        const out = `${dir}/${model}`;
        const r = await runTask("train", [
          "--model",
          model,
          ...TINY,
          ...MODELS[model],
          "--out",
          out,
        ]);
        assertEquals(r.code, 0, r.err);
        return out;
      })(),
    );
  }
  return runs.get(model)!;
}

for (const model of Object.keys(MODELS)) {
  Deno.test(`export --format onnx writes a ${model} model that ONNX Runtime scores as the kit does`, async () => {
    const run = await trained(model);
    const r = await runTask("export", ["--run", run]);
    assertEquals(r.code, 0, r.err);
    assert(r.out.includes(`wrote ${run}/model.onnx`), r.out);
    assert(/checked with ONNX Runtime 1\.\d+\.\d+ on 32 test images/.test(r.out), r.out);
    const bytes = await Deno.readFile(`${run}/model.onnx`);
    const meta = readOnnxModel(bytes).metadata;
    assertEquals(meta.model, model);
    const metrics = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
    assertEquals(Number(meta.threshold), metrics.threshold.value);
    assertEquals(JSON.parse(meta.preprocessing).size, 32);
    if (model === "daad-plus") {
      assertEquals(JSON.parse(meta.score_calibration).scale, "distance");
      assert(meta.score.startsWith("eq. 7"), meta.score);
    }
    // The check, once more here.
    const opened = await openExportRun(run);
    try {
      const images = await runTestImages(opened, 32);
      assertEquals(images.shape[0], 32);
      const kit = await scoreImages(opened.family.model, images.data, images.shape);
      const onnx = await runOnnx(bytes, images.data, images.shape);
      const scores = relativeDifference(onnx.scores, kit.scores);
      let maps = 0, perImage = 0;
      for (let i = 0; i < 32; i++) {
        perImage = Math.max(perImage, relativeDifference([onnx.scores[i]], [kit.scores[i]]));
        const span = [i * 1024, (i + 1) * 1024] as const;
        maps = Math.max(
          maps,
          relativeDifference(onnx.maps.subarray(...span), kit.maps.subarray(...span)),
        );
      }
      console.log(
        `${model}: scores ${scores.toExponential(2)} (per image ${perImage.toExponential(2)}), ` +
          `maps ${maps.toExponential(2)}`,
      );
      assert(
        scores <= ONNX_TOLERANCE && perImage <= ONNX_TOLERANCE && maps <= ONNX_TOLERANCE,
        `${scores} ${perImage} ${maps}`,
      );
      // Not a check that passes on anything: the scores vary from image to image.
      assert(new Set(kit.scores).size > 16);
    } finally {
      opened.dispose();
    }
  });
}

Deno.test("export refuses mnad in one line, and names a run without a threshold", async () => {
  const run = await trained("ae");
  const fake = `${dir}/mnad-run`;
  await Deno.mkdir(fake, { recursive: true });
  const record = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
  record.config.model = "mnad";
  await Deno.writeTextFile(`${fake}/config.json`, JSON.stringify(record));
  const r = await runTask("export", ["--run", fake]);
  assertEquals(r.code, 1);
  const lines = r.err.trim().split("\n");
  assertEquals(lines.length, 1, r.err);
  assert(lines[0].startsWith("error: mnad cannot be exported") && lines[0].includes("test time"));
  const bare = `${dir}/no-metrics`;
  await Deno.mkdir(bare);
  for (const f of ["config.json", "checkpoint.ckpt"]) {
    await Deno.copyFile(`${run}/${f}`, `${bare}/${f}`);
  }
  const r2 = await runTask("export", ["--run", bare, "--skip-check"]);
  assertEquals(r2.code, 1);
  assert(r2.err.includes("no threshold in metrics.json"), r2.err);
  const r3 = await runTask("export", ["--run", `${dir}/missing`]);
  assertEquals(r3.code, 1);
  assert(r3.err.includes(`${dir}/missing`), r3.err);
});

Deno.test("export names an --out it cannot write in one line, and leaves what is there", async () => {
  const run = await trained("ae");
  const config = await Deno.readTextFile(`${run}/config.json`);
  const cases: [string[], string][] = [
    [
      ["--out", `${dir}/no/such/model.onnx`, "--skip-check"],
      `--out ${dir}/no/such/model.onnx: cannot write it (its folder does not exist)`,
    ],
    [["--out", run, "--skip-check"], `--out ${run}: cannot write it (it is a folder)`],
    [
      ["--format", "web", "--out", `${run}/config.json`],
      `--out ${run}/config.json: cannot write it (a file of that name is in the way)`,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runTask("export", ["--run", run, "--backend", "wasm", ...args]);
    assertEquals(r.code, 2, r.err);
    assertEquals(r.err.trim().split("\n").at(-1), `error: ${message}`, r.err);
    assert(!r.err.includes("    at "), r.err);
  }
  assertEquals(await Deno.readTextFile(`${run}/config.json`), config);
  assertEquals(await Deno.stat(`${dir}/no`).catch(() => null), null);
  // No temporary file is left beside the run folder (the export wrote through one).
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("ae."));
  assertEquals(left, []);
});

Deno.test("export --format web writes the page, its script, the model and the wasm files", async () => {
  const run = await trained("daad-plus");
  const site = `${dir}/site`;
  const r = await runTask("export", ["--run", run, "--format", "web", "--out", site]);
  assertEquals(r.code, 0, r.err);
  const files = [...Deno.readDirSync(site)].map((e) => e.name).sort();
  assertEquals(files, [
    "app.js",
    "index.html",
    "model.json",
    "tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm",
    "tfjs-backend-wasm.wasm",
    "weights.bin",
  ]);
  // The page's model, rebuilt here from model.json and weights.bin, scores as the run.
  const manifest: WebManifest = JSON.parse(await Deno.readTextFile(`${site}/model.json`));
  assertEquals(manifest.info.model, "daad-plus");
  const copy = modelFromManifest(manifest, await Deno.readFile(`${site}/weights.bin`));
  const opened = await openExportRun(run);
  try {
    const images = await runTestImages(opened, 8);
    const a = await scoreImages(opened.family.model, images.data, images.shape);
    const b = await scoreImages(copy, images.data, images.shape);
    assertEquals(Array.from(b.scores), Array.from(a.scores));
  } finally {
    copy.dispose();
    opened.dispose();
  }
});

Deno.test("serve answers on 127.0.0.1 with the folder's files only", async () => {
  const site = `${dir}/serve-site`;
  await Deno.mkdir(site, { recursive: true });
  await Deno.writeTextFile(`${site}/index.html`, "<p>page</p>");
  await Deno.writeTextFile(`${dir}/outside.txt`, "OUTSIDE");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../lib/cli/serve.ts", import.meta.url).pathname,
      site,
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let line = "";
    while (!line.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      line += value;
    }
    reader.releaseLock();
    const url = line.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
    assert(url != null, `no address in '${line}'`);
    assertEquals(await (await fetch(url)).text(), "<p>page</p>");
    const escape = await fetch(`${url}..%2foutside.txt`);
    assertEquals(escape.status, 400);
    assert(!(await escape.text()).includes("OUTSIDE"));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
  }
  const bad = await runTask("serve", [`${dir}/nowhere`]);
  assertEquals(bad.code, 2);
  assert(bad.err.includes(`no such folder: ${dir}/nowhere`), bad.err);
  const host = await runTask("serve", [site, "--host", "no-such-host.invalid", "--port", "0"]);
  assertEquals(host.code, 2, host.err);
  assertEquals(host.err.trim().split("\n").length, 1, host.err);
  assert(host.err.startsWith("error: --host no-such-host.invalid: cannot listen there"), host.err);
});
