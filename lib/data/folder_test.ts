import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DatasetError } from "./errors.ts";
import { loadImageFolders } from "./folder.ts";
import { encodePng } from "./image_io.ts";

/** Writes a w x h grey image filled with `value`. */
async function img(path: string, value: number, w = 8, h = 8): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, await encodePng(new Uint8Array(w * h).fill(value), w, h, 1));
}

/** Writes a w x h mask that is 255 on the left half. */
async function leftMask(path: string, w = 8, h = 8): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const m = Uint8Array.from({ length: w * h }, (_, p) => (p % w < w / 2 ? 255 : 0));
  await Deno.writeFile(path, await encodePng(m, w, h, 1));
}

/** ten normal images (value 10 * i; two of another size), three abnormal in two folders. */
async function folders(): Promise<string> {
  const d = await Deno.makeTempDir({ prefix: "daad-folder-" });
  for (let i = 0; i < 10; i++) {
    await img(`${d}/ok/${String(i).padStart(2, "0")}.png`, 10 * i, i < 2 ? 20 : 8, i < 2 ? 12 : 8);
  }
  await Deno.writeTextFile(`${d}/ok/readme.txt`, "not an image: ignored");
  await img(`${d}/bad/scratch/a.png`, 200, 16, 16);
  await img(`${d}/bad/scratch/b.png`, 210);
  await img(`${d}/bad/stain/c.png`, 220);
  await leftMask(`${d}/masks/scratch/a_mask.png`, 16, 16);
  await leftMask(`${d}/masks/scratch/b.png`);
  await leftMask(`${d}/masks/stain/c_mask.png`);
  return d;
}

Deno.test("loadImageFolders() holds out a seeded share of the normal images for testing", async () => {
  const d = await folders();
  const a = await loadImageFolders({ normalDir: `${d}/ok`, size: 8 });
  assertEquals([a.train.n, a.test.n], [8, 2]);
  assertEquals(Array.from(a.test.labels!), [0, 0]);
  assertEquals(a.test.masks, undefined);
  const trainNames = new Set(a.train.names);
  for (const n of a.test.names!) assert(!trainNames.has(n), `${n} both trains and tests`);
  assertEquals(new Set([...a.train.names!, ...a.test.names!]).size, 10);
  // The same seed holds out the same images; the share follows testSplit.
  const again = await loadImageFolders({ normalDir: `${d}/ok`, size: 8 });
  assertEquals(again.test.names, a.test.names);
  const seeds = await Promise.all(
    [1, 2, 3].map((seed) => loadImageFolders({ normalDir: `${d}/ok`, size: 8, seed })),
  );
  assert(seeds.some((s) => s.test.names!.join() !== a.test.names!.join()), "seed is ignored");
  const half = await loadImageFolders({ normalDir: `${d}/ok`, size: 8, testSplit: 0.5 });
  assertEquals([half.train.n, half.test.n], [5, 5]);
  assert(a.protocol.includes("2 normal images held out") && a.protocol.includes("quantile"));
});

Deno.test("loadImageFolders() resizes mixed sizes and pairs masks by file name, defect types from sub-folders", async () => {
  const d = await folders();
  const { train, test } = await loadImageFolders({
    normalDir: `${d}/ok`,
    abnormalDir: `${d}/bad`,
    maskDir: `${d}/masks`,
    normalTestDir: `${d}/ok`,
    size: 4,
  });
  assertEquals([train.n, train.height, train.width, train.channels], [10, 4, 4, 1]);
  assertEquals(train.data[0], -1); // the 20x12 image 00.png (value 0), resized
  assertEquals(test.n, 13);
  assertEquals(test.groups!.slice(10), ["scratch", "scratch", "stain"]);
  assertEquals(test.names!.slice(10), [
    "abnormal/scratch/a.png",
    "abnormal/scratch/b.png",
    "abnormal/stain/c.png",
  ]);
  assertEquals(Array.from(test.labels!).slice(9), [0, 1, 1, 1]);
  const m = (i: number) => Array.from(test.masks!.subarray(i * 16, (i + 1) * 16));
  assertEquals(m(0), new Array(16).fill(0));
  const left = Array.from({ length: 16 }, (_, p) => (p % 4 < 2 ? 1 : 0));
  assertEquals([m(10), m(11), m(12)], [left, left, left]);
  assertEquals(test.data[10 * 16], Math.fround(200 / 127.5 - 1));
});

Deno.test("loadImageFolders() names an empty or missing folder, an unpaired mask or image, a corrupt file", async () => {
  const d = await folders();
  await Deno.mkdir(`${d}/empty`);
  const cases: [Parameters<typeof loadImageFolders>[0], string][] = [
    [{ normalDir: `${d}/empty`, size: 8 }, `no images in --normal-dir folder ${d}/empty`],
    [{ normalDir: `${d}/nowhere`, size: 8 }, `--normal-dir folder not found: ${d}/nowhere`],
    [
      { normalDir: `${d}/ok`, maskDir: `${d}/masks`, size: 8 },
      "--mask-dir " + `${d}/masks needs --abnormal-dir`,
    ],
  ];
  for (const [options, message] of cases) {
    await assertRejects(() => loadImageFolders(options), DatasetError, message);
  }
  await leftMask(`${d}/masks/stain/zz_mask.png`);
  await assertRejects(
    () =>
      loadImageFolders({
        normalDir: `${d}/ok`,
        abnormalDir: `${d}/bad`,
        maskDir: `${d}/masks`,
        size: 8,
      }),
    DatasetError,
    `mask without its image: ${d}/masks/stain/zz_mask.png`,
  );
  await Deno.remove(`${d}/masks/stain/zz_mask.png`);
  await img(`${d}/bad/stain/d.png`, 230);
  await assertRejects(
    () =>
      loadImageFolders({
        normalDir: `${d}/ok`,
        abnormalDir: `${d}/bad`,
        maskDir: `${d}/masks`,
        size: 8,
      }),
    DatasetError,
    `abnormal image without its mask: ${d}/bad/stain/d.png`,
  );
  await Deno.writeTextFile(`${d}/ok/05.png`, "not a png");
  await assertRejects(
    () => loadImageFolders({ normalDir: `${d}/ok`, size: 8 }),
    DatasetError,
    `${d}/ok/05.png`,
  );
});
