import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DatasetError } from "./errors.ts";
import { encodePng } from "./image_io.ts";
import { loadMvtecCategory } from "./mvtec.ts";
import { cropDown, writePhotoTextures } from "./photo_textures.ts";

Deno.test("cropDown() averages each block of the crop into one pixel", () => {
  // A 4x4 photo, value = 10·y + x; the 4x4 crop at (0, 0) down to 2x2.
  const photo = {
    side: 4,
    pixels: Uint8Array.from({ length: 16 }, (_, k) => 10 * (k >> 2) + (k & 3)),
  };
  // Top-left block: 0, 1, 10, 11 -> 5.5 -> 6; top-right: 2, 3, 12, 13 -> 7.5 -> 8.
  assertEquals([...cropDown(photo, 0, 0, 4, 2)], [6, 8, 26, 28]);
  assertEquals([...cropDown(photo, 1, 1, 2, 2)], [11, 12, 21, 22]);
});

Deno.test("writePhotoTextures() writes an MVTec-layout set the kit reads, test crops from unseen rows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const from = join(dir, "photos");
    await Deno.mkdir(from);
    // Rows 0..179 are dark (value 40), rows 180..255 bright (200): train crops (top 70%
    // = rows < 179) must be dark, test crops (bottom 30%) bright.
    const side = 256;
    const px = Uint8Array.from({ length: side * side }, (_, k) => (k / side >= 180 ? 200 : 40));
    await Deno.writeFile(join(from, "stone.png"), await encodePng(px, side, side, 1));
    const out = join(dir, "set");
    const files = await writePhotoTextures({
      out,
      from,
      textures: ["stone"],
      size: 16,
      crop: 64,
      nTrain: 4,
      nTestGood: 2,
      nTestDefect: 1,
    });
    assertEquals(files, 4 + 2 + 3 * 2 + 1);
    const set = await loadMvtecCategory({ root: out, category: "stone", size: 16 });
    assertEquals([set.train.n, set.test.n], [4, 5]);
    assert(set.train.data.every((v) => Math.abs(v - (40 / 127.5 - 1)) < 0.02), "train is dark");
    const goodTest = set.test.data.subarray(0, 2 * 256);
    assert(goodTest.every((v) => Math.abs(v - (200 / 127.5 - 1)) < 0.02), "test is bright");
    assert(set.test.masks!.some((v) => v === 1), "defects have masks");
    // Not over an earlier folder, and not without the photographs.
    await assertRejects(
      () => writePhotoTextures({ out, from, textures: ["stone"] }),
      DatasetError,
      "not empty",
    );
    await assertRejects(
      () => writePhotoTextures({ out: join(dir, "b"), from, textures: ["sand"] }),
      DatasetError,
      "apt-get install python3-skimage",
    );
    await assertRejects(
      () =>
        writePhotoTextures({ out: join(dir, "c"), from, textures: ["stone"], size: 16, crop: 100 }),
      DatasetError,
      "multiple of size 16",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
