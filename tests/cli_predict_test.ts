/** `deno task predict` as a user runs it, on a tiny run over the synthetic MVTec-layout set. */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { writeSynthMvtec } from "../lib/data/synth_mvtec.ts";
import { decodeRawPixels } from "../lib/viz/images.ts";
import { encodePng } from "../lib/data/image_io.ts";

const task = runTask;

const dir = await Deno.makeTempDir({ prefix: "daad-predict-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
await writeSynthMvtec({
  out: `${dir}/synth`,
  categories: ["synth_pill"],
  nTrain: 16,
  nTestGood: 4,
  nTestDefect: 2,
  size: 32,
});
const run = `${dir}/run`;
const trained = await task("train", [
  ...["--data", "mvtec", "--root", `${dir}/synth`, "--category", "synth_pill", "--size", "32"],
  ...[
    "--width",
    "4",
    "--memory",
    "10",
    "--division",
    "2,2,1",
    "--epochs",
    "1",
    "--batch",
    "8",
    "--backend",
    "wasm",
  ],
  ...["--out", run],
]);
assertEquals(trained.code, 0, trained.err);

Deno.test("predict prints one scored verdict per image and writes a heat-map for each", async () => {
  const metrics = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  const r = await task("predict", [
    "--run",
    run,
    `${dir}/synth/synth_pill/test/good`,
    `${dir}/synth/synth_pill/test/hole/000.png`,
  ]);
  assertEquals(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => l.split("\t"));
  assertEquals(lines.length, 5);
  for (const [score, verdict, path] of lines) {
    assert(path.endsWith(".png"));
    assertEquals(verdict, Number(score) >= metrics.threshold.value ? "anomalous" : "normal");
  }
  const heatmaps = [...Deno.readDirSync(`${run}/predictions`)].map((e) => e.name).sort();
  assertEquals(heatmaps.length, 5);
  // input | heat-map | overlay, each 32x32 enlarged 6x (to 192 px) so the text fits.
  const png = await decodeRawPixels(await Deno.readFile(`${run}/predictions/${heatmaps[0]}`));
  assertEquals(png.width, 8 + 3 * (192 + 8));
  assert(png.height > 192 + 16, `${png.height}`);
});

Deno.test("predict on a real folder: scores every readable image, converts grey to RGB once, lists the unreadable", async () => {
  const folder = `${dir}/mixed`;
  await Deno.mkdir(folder);
  const good = `${dir}/synth/synth_pill/test/good`;
  for (const name of ["000.png", "001.png"]) {
    await Deno.copyFile(`${good}/${name}`, `${folder}/${name}`);
  }
  await Deno.writeTextFile(`${folder}/002_corrupt.png`, "not a png");
  // Grey images, one of them at a size of its own: the run's model reads RGB.
  const grey = (h: number, w: number) =>
    encodePng(Uint8Array.from({ length: h * w }, (_, i) => (i * 7) % 256), w, h, 1);
  await Deno.writeFile(`${folder}/003_grey.png`, await grey(32, 32));
  await Deno.writeFile(`${folder}/004_grey_large.png`, await grey(200, 256));
  const r = await task("predict", ["--run", run, "--out", `${dir}/mixed-out`, folder]);
  assertEquals(r.code, 1, r.err);
  const scored = r.out.trim().split("\n").map((l) => l.split("\t")[2].replace(/^.*\//, ""));
  assertEquals(scored, ["000.png", "001.png", "003_grey.png", "004_grey_large.png"]);
  assertEquals(r.err.match(/^note: /gm)?.length, 1, r.err);
  assert(r.err.includes("003_grey.png is grey") && r.err.includes('convert("RGB")'), r.err);
  assert(
    r.err.includes("1 of 5 images could not be read") &&
      r.err.includes(`cannot decode image ${folder}/002_corrupt.png`),
    r.err,
  );
  assert(!r.err.includes("    at "), r.err);
  // The picture is at the input's resolution: three 256x200 panels side by side.
  const files = [...Deno.readDirSync(`${dir}/mixed-out`)].map((e) => e.name).sort();
  assertEquals(files.length, 4);
  const large = await decodeRawPixels(await Deno.readFile(`${dir}/mixed-out/${files[3]}`));
  assertEquals(large.width, 8 + 3 * (256 + 8));
  assert(large.height > 200 + 16 && large.height < 200 + 100, `${large.height}`);
});

Deno.test("predict --threshold overrides the run's threshold", async () => {
  const all = await task("predict", [
    "--run",
    run,
    "--threshold",
    "0",
    "--out",
    `${dir}/p0`,
    `${dir}/synth/synth_pill/test/good`,
  ]);
  assert(all.out.trim().split("\n").every((l) => l.includes("\tanomalous\t")), all.out);
  const none = await task("predict", [
    "--run",
    run,
    "--threshold",
    "1e9",
    "--out",
    `${dir}/p1`,
    `${dir}/synth/synth_pill/test/good`,
  ]);
  assert(none.out.trim().split("\n").every((l) => l.includes("\tnormal\t")), none.out);
});

Deno.test("predict names a missing path, an empty folder and a corrupt image", async () => {
  await Deno.mkdir(`${dir}/empty`);
  await Deno.writeTextFile(`${dir}/bad.png`, "not a png");
  for (
    const [path, message] of [
      [`${dir}/missing.png`, "no such file or folder"],
      [`${dir}/empty`, "no images"],
      [`${dir}/bad.png`, `cannot decode image ${dir}/bad.png`],
    ]
  ) {
    const r = await task("predict", ["--run", run, path]);
    assert(
      r.code === 1 && r.err.includes(message) && !r.err.includes("    at "),
      `${path}: ${r.err}`,
    );
  }
  const noRun = await task("predict", [`${dir}/bad.png`]);
  assert(noRun.code === 2 && noRun.err.includes("--run"), noRun.err);
  // --out names a file: one line, and the file is left as it was.
  const image = `${dir}/synth/synth_pill/test/hole/000.png`;
  const badOut = await task("predict", ["--run", run, "--out", `${dir}/bad.png`, image]);
  assertEquals(badOut.code, 2, badOut.err);
  assertEquals(
    badOut.err.trim().split("\n").at(-1),
    `error: --out ${dir}/bad.png: cannot write it (a file of that name is in the way)`,
  );
  assertEquals(await Deno.readTextFile(`${dir}/bad.png`), "not a png");
});
