import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DatasetError } from "./errors.ts";
import { encodePng } from "./image_io.ts";
import { listMvtecCategories, loadMvtecCategory } from "./mvtec.ts";

const S = 8;

/** Writes an S x S image filled with `value` (0..255). */
async function img(path: string, value: number, channels: 1 | 3 = 3): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(
    path,
    await encodePng(new Uint8Array(S * S * channels).fill(value), S, S, channels),
  );
}

/** Writes an S x S mask that is 255 on the pixels `on` returns true for. */
async function mask(path: string, on: (x: number, y: number) => boolean): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const m = new Uint8Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) m[y * S + x] = on(x, y) ? 255 : 0;
  await Deno.writeFile(path, await encodePng(m, S, S, 1));
}

/** A category "widget" (RGB): 2 train, 1 good + 2 crack + 1 dent test images. */
async function widget(root: string): Promise<void> {
  const c = `${root}/widget`;
  await img(`${c}/train/good/001.png`, 60); // written first, sorted second
  await img(`${c}/train/good/000.png`, 40);
  await img(`${c}/test/good/000.png`, 80);
  await img(`${c}/test/crack/000.png`, 100);
  await img(`${c}/test/crack/001.png`, 120);
  await img(`${c}/test/dent/000.png`, 140);
  await mask(`${c}/ground_truth/crack/000_mask.png`, (x) => x < S / 2);
  await mask(`${c}/ground_truth/crack/001_mask.png`, (x, y) => x === 3 && y === 5);
  await mask(`${c}/ground_truth/dent/000_mask.png`, (_x, y) => y >= 6);
  await Deno.writeTextFile(`${c}/train/good/notes.txt`, "not an image: ignored");
}

Deno.test("loadMvtecCategory() loads train and test in sorted order with labels, masks, names and groups", async () => {
  const root = await Deno.makeTempDir();
  await widget(root);
  const { train, test, protocol } = await loadMvtecCategory({ root, category: "widget", size: S });
  assertEquals([train.n, train.height, train.width, train.channels], [2, S, S, 3]);
  assertEquals(train.names, ["widget/train/good/000.png", "widget/train/good/001.png"]);
  assertAlmostEquals(train.data[0], 40 / 127.5 - 1, 1e-6);
  assertAlmostEquals(train.data[S * S * 3], 60 / 127.5 - 1, 1e-6);
  assertEquals(test.names, [
    "widget/test/crack/000.png",
    "widget/test/crack/001.png",
    "widget/test/dent/000.png",
    "widget/test/good/000.png",
  ]);
  assertEquals(test.groups, ["crack", "crack", "dent", "good"]);
  assertEquals(Array.from(test.labels!), [1, 1, 1, 0]);
  for (let i = 0; i < 4; i++) {
    assertAlmostEquals(test.data[i * S * S * 3], [100, 120, 140, 80][i] / 127.5 - 1, 1e-6);
  }
  const m = (i: number) => Array.from(test.masks!.subarray(i * S * S, (i + 1) * S * S));
  assertEquals(m(0), Array.from({ length: S * S }, (_, p) => (p % S < S / 2 ? 1 : 0)));
  assertEquals(m(1), Array.from({ length: S * S }, (_, p) => (p === 5 * S + 3 ? 1 : 0)));
  assertEquals(m(2), Array.from({ length: S * S }, (_, p) => (p >= 6 * S ? 1 : 0)));
  assertEquals(m(3), new Array(S * S).fill(0));
  assert(protocol.includes("category widget") && protocol.includes("1 good + 3 defective"));
  assert(protocol.startsWith("MVTec AD layout") && !protocol.includes("SYNTHETIC"), protocol);
  // Resized: masks stay binary, images keep their (constant) value.
  const small = await loadMvtecCategory({ root, category: "widget", size: 4 });
  assertEquals(small.test.masks!.length, 4 * 16);
  assert(small.test.masks!.every((v) => v === 0 || v === 1));
  assertEquals(
    Array.from(small.test.masks!.subarray(0, 16)),
    [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadMvtecCategory() takes the channel count from the train images and refuses a mismatch", async () => {
  const root = await Deno.makeTempDir();
  const c = `${root}/screwy`;
  await img(`${c}/train/good/000.png`, 50, 1);
  await img(`${c}/test/good/000.png`, 50, 1);
  const ok = await loadMvtecCategory({ root, category: "screwy", size: S });
  assertEquals([ok.train.channels, ok.test.channels, ok.train.data.length], [1, 1, S * S]);
  await img(`${c}/test/good/001.png`, 50, 3);
  await assertRejects(
    () => loadMvtecCategory({ root, category: "screwy", size: S }),
    DatasetError,
    `${c}/test/good/001.png has 3 channels, but the images of category 'screwy' have 1 ` +
      `(decided by its first training image ${c}/train/good/000.png)`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadMvtecCategory() pairs masks with images by name and names the unpaired file", async () => {
  const root = await Deno.makeTempDir();
  await widget(root);
  const c = `${root}/widget`;
  await Deno.remove(`${c}/ground_truth/crack/001_mask.png`);
  await assertRejects(
    () => loadMvtecCategory({ root, category: "widget", size: S }),
    DatasetError,
    `defect image without its mask: ${c}/test/crack/001.png (expected ${c}/ground_truth/crack/001_mask.png)`,
  );
  await mask(`${c}/ground_truth/crack/001_mask.png`, () => true);
  await mask(`${c}/ground_truth/crack/007_mask.png`, () => true);
  await assertRejects(
    () => loadMvtecCategory({ root, category: "widget", size: S }),
    DatasetError,
    `mask without its image: ${c}/ground_truth/crack/007_mask.png`,
  );
  await Deno.remove(`${c}/ground_truth/crack/007_mask.png`);
  await mask(`${c}/ground_truth/bend/000_mask.png`, () => true);
  await assertRejects(
    () => loadMvtecCategory({ root, category: "widget", size: S }),
    DatasetError,
    `mask without its image: ${c}/ground_truth/bend/000_mask.png (no folder ${c}/test/bend)`,
  );
  await Deno.remove(`${c}/ground_truth/bend`, { recursive: true });
  // A mask of another size than its image.
  await Deno.writeFile(
    `${c}/ground_truth/dent/000_mask.png`,
    await encodePng(new Uint8Array(4 * 4).fill(255), 4, 4, 1),
  );
  await assertRejects(
    () => loadMvtecCategory({ root, category: "widget", size: S }),
    DatasetError,
    `mask ${c}/ground_truth/dent/000_mask.png is 4x4 but its image ${c}/test/dent/000.png is 8x8`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadMvtecCategory() names the path for a missing root, unknown category, empty train, missing test", async () => {
  const root = await Deno.makeTempDir();
  await assertRejects(
    () => loadMvtecCategory({ root: `${root}/nope`, category: "widget", size: S }),
    DatasetError,
    `MVTec AD root folder not found: ${root}/nope`,
  );
  await widget(root);
  await img(`${root}/bottle/train/good/000.png`, 1);
  await assertRejects(
    () => loadMvtecCategory({ root, category: "cabel", size: S }),
    DatasetError,
    `unknown MVTec AD category 'cabel': no folder ${root}/cabel; categories found in ${root}: bottle, widget`,
  );
  await assertRejects(
    () => loadMvtecCategory({ root, category: "bottle", size: S }),
    DatasetError,
    `missing test folder: ${root}/bottle/test`,
  );
  await Deno.mkdir(`${root}/empty/train/good`, { recursive: true });
  await assertRejects(
    () => loadMvtecCategory({ root, category: "empty", size: S }),
    DatasetError,
    `no training images in ${root}/empty/train/good (the folder is empty)`,
  );
  await Deno.mkdir(`${root}/untrained/test/good`, { recursive: true });
  await assertRejects(
    () => loadMvtecCategory({ root, category: "untrained", size: S }),
    DatasetError,
    `missing training folder: ${root}/untrained/train/good`,
  );
  await Deno.writeFile(`${root}/widget/test/good/001.png`, new Uint8Array(0));
  await assertRejects(
    () => loadMvtecCategory({ root, category: "widget", size: S }),
    DatasetError,
    `image file is empty (0 bytes): ${root}/widget/test/good/001.png`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("listMvtecCategories() lists the folders that hold train or test, MVTec AD's first", async () => {
  const root = await Deno.makeTempDir();
  await widget(root);
  await img(`${root}/bottle/train/good/000.png`, 1);
  await Deno.mkdir(`${root}/docs/misc`, { recursive: true });
  await Deno.writeTextFile(`${root}/license.txt`, "x");
  await img(`${root}/carpet/train/good/000.png`, 1);
  await img(`${root}/aardvark/test/good/000.png`, 1);
  // MVTec AD's categories in the paper's order (textures first), then others sorted.
  assertEquals(await listMvtecCategories(root), ["carpet", "bottle", "aardvark", "widget"]);
  await assertRejects(
    () => listMvtecCategories(`${root}/license.txt`),
    DatasetError,
    "not a folder",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadMvtecCategory() with maxTest keeps evenly spaced test images of the sorted list", async () => {
  const root = await Deno.makeTempDir();
  await widget(root);
  const d = await loadMvtecCategory({ root, category: "widget", size: S, maxTest: 2 });
  assertEquals(d.test.n, 2);
  assertEquals(d.test.names, ["widget/test/crack/000.png", "widget/test/dent/000.png"]);
  assertEquals(d.test.masks!.length, 2 * S * S);
  assert(d.protocol.includes("2 of 4 kept"), d.protocol);
  await Deno.remove(root, { recursive: true });
});
