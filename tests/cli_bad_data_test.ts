/**
 * Bad datasets as a user meets them through `deno task train`: one clear message naming
 * the folder or file, a non-zero exit, and no run folder left behind.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { writeSynthMvtec } from "../lib/data/synth_mvtec.ts";
import { encodePng } from "../lib/data/image_io.ts";
import { encodeIdx } from "../lib/data/idx.ts";
import { MNIST_FILES } from "../lib/data/mnist.ts";

const dir = await Deno.makeTempDir({ prefix: "daad-bad-data-" });
const root = `${dir}/mvtec`;
await writeSynthMvtec({
  out: root,
  categories: ["synth_pill"],
  nTrain: 8,
  nTestGood: 2,
  nTestDefect: 1,
  size: 32,
});
const SMALL = [
  "--size",
  "32",
  "--width",
  "2",
  "--memory",
  "4",
  "--division",
  "1,1,1",
  "--epochs",
  "1",
  "--backend",
  "wasm",
];

async function expectRefused(args: string[], message: string): Promise<void> {
  const out = `${dir}/run-${crypto.randomUUID()}`;
  const r = await runTask("train", [...SMALL, ...args, "--out", out]);
  assertEquals(r.code, 1, `${args.join(" ")}: ${r.err}`);
  assert(r.err.includes(message), `${args.join(" ")}: expected '${message}' in: ${r.err}`);
  assert(!r.err.includes("    at "), `no stack trace: ${r.err}`);
  const left = await Deno.stat(out).then(() => true, () => false);
  assert(!left, `${args.join(" ")}: no run folder is left behind`);
}

async function copyCategory(name: string): Promise<string> {
  const copy = `${dir}/${name}`;
  await new Deno.Command("cp", { args: ["-r", root, copy] }).output();
  return copy;
}

Deno.test("train refuses a missing dataset root, naming it", async () => {
  await expectRefused(
    ["--data", "mvtec", "--root", `${dir}/nowhere`, "--category", "synth_pill"],
    `${dir}/nowhere`,
  );
});

Deno.test("train refuses an unknown category and lists the ones found", async () => {
  await expectRefused(["--data", "mvtec", "--root", root, "--category", "bottle"], "synth_pill");
});

Deno.test("train refuses an empty category", async () => {
  const copy = await copyCategory("empty");
  for (const e of Deno.readDirSync(`${copy}/synth_pill/train/good`)) {
    await Deno.remove(`${copy}/synth_pill/train/good/${e.name}`);
  }
  await expectRefused(
    ["--data", "mvtec", "--root", copy, "--category", "synth_pill"],
    `${copy}/synth_pill/train/good`,
  );
});

Deno.test("train names a corrupt PNG, a zero-byte file and an image of the wrong channel count", async () => {
  const corrupt = await copyCategory("corrupt");
  await Deno.writeTextFile(`${corrupt}/synth_pill/train/good/000.png`, "this is not a png");
  await expectRefused(
    ["--data", "mvtec", "--root", corrupt, "--category", "synth_pill"],
    "000.png",
  );
  const empty = await copyCategory("zero");
  await Deno.writeFile(`${empty}/synth_pill/test/good/000.png`, new Uint8Array(0));
  await expectRefused(
    ["--data", "mvtec", "--root", empty, "--category", "synth_pill"],
    "test/good/000.png",
  );
  const grey = await copyCategory("grey");
  await Deno.writeFile(
    `${grey}/synth_pill/train/good/003.png`,
    await encodePng(new Float32Array(32 * 32), 32, 32, 1),
  );
  await expectRefused(["--data", "mvtec", "--root", grey, "--category", "synth_pill"], "003.png");
});

Deno.test("train names a mask without its image and an image without its mask", async () => {
  const noMask = await copyCategory("nomask");
  const mask = [...Deno.readDirSync(`${noMask}/synth_pill/ground_truth/hole`)][0].name;
  await Deno.remove(`${noMask}/synth_pill/ground_truth/hole/${mask}`);
  await expectRefused(
    ["--data", "mvtec", "--root", noMask, "--category", "synth_pill"],
    mask.replace("_mask", ""),
  );
  const noImage = await copyCategory("noimage");
  const img = [...Deno.readDirSync(`${noImage}/synth_pill/test/hole`)][0].name;
  await Deno.remove(`${noImage}/synth_pill/test/hole/${img}`);
  await expectRefused(
    ["--data", "mvtec", "--root", noImage, "--category", "synth_pill"],
    img.replace(".png", "_mask.png"),
  );
});

Deno.test("train refuses --data mvtec without --root and CIFAR-10 without its batches", async () => {
  await expectRefused(
    ["--data", "mvtec", "--category", "synth_pill"],
    "--data mvtec needs --root DIR",
  );
  await expectRefused(["--data", "cifar10", "--root", dir, "--normal", "3"], "data_batch_1.bin");
});

Deno.test("train names a truncated or mislabelled IDX file given with --data mnist --root", async () => {
  const idx = `${dir}/idx`;
  await Deno.mkdir(idx);
  const write = (name: string, dims: number[], n: number) =>
    Deno.writeFile(`${idx}/${name}`, encodeIdx(dims, new Uint8Array(n)));
  await write(MNIST_FILES.trainImages, [4, 28, 28], 4 * 784);
  await write(MNIST_FILES.trainLabels, [4], 4);
  await write(MNIST_FILES.testImages, [2, 28, 28], 2 * 784);
  await write(MNIST_FILES.testLabels, [3], 3);
  await expectRefused(["--data", "mnist", "--root", idx], "holds 2 images but");
  await write(MNIST_FILES.testLabels, [2], 2);
  const images = `${idx}/${MNIST_FILES.trainImages}`;
  await Deno.writeFile(images, (await Deno.readFile(images)).subarray(0, 100));
  await expectRefused(["--data", "mnist", "--root", idx], `${images}: truncated`);
  await expectRefused(["--data", "mnist", "--root", `${dir}/no-idx`], `${dir}/no-idx`);
});
