import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../../tests/assert.ts";
import { bmp8 } from "../../tests/image_fixtures.ts";
import { DatasetError } from "./errors.ts";
import {
  convertChannels,
  decodeBmp,
  encodePng,
  imageInfo,
  readImage,
  readImageRgb,
  readMask,
  resizeBilinear,
} from "./image_io.ts";

/** Writes raw 8-bit pixels as a PNG (sharp, through encodePng: grey 1, grey+alpha 2, RGB 3, RGBA 4). */
async function writePng(
  path: string,
  pixels: Uint8Array,
  w: number,
  h: number,
  c: 1 | 2 | 3 | 4,
): Promise<void> {
  await Deno.writeFile(path, await encodePng(pixels, w, h, c));
}

Deno.test("readImage() scales an RGB PNG to [-1, 1] and keeps pixel order at the same size", async () => {
  const dir = await Deno.makeTempDir();
  const px = new Uint8Array(4 * 4 * 3).map((_, i) => (i * 37) % 256);
  await writePng(`${dir}/rgb.png`, px, 4, 4, 3);
  const img = await readImage(`${dir}/rgb.png`, { size: 4 });
  assertEquals([img.width, img.height, img.channels, img.sourceWidth], [4, 4, 3, 4]);
  for (let i = 0; i < px.length; i++) assertAlmostEquals(img.data[i], px[i] / 127.5 - 1, 1e-6);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readImage() resizes bilinearly: a horizontal ramp stays a monotone ramp, greys stay 1 channel", async () => {
  const dir = await Deno.makeTempDir();
  const w = 32;
  const px = new Uint8Array(w * w).map((_, i) => (i % w) * 8);
  await writePng(`${dir}/ramp.png`, px, w, w, 1);
  const img = await readImage(`${dir}/ramp.png`, { size: 8, channels: 1 });
  assertEquals([img.channels, img.data.length, img.sourceWidth], [1, 64, 32]);
  for (let y = 0; y < 8; y++) {
    for (let x = 1; x < 8; x++) assert(img.data[y * 8 + x] > img.data[y * 8 + x - 1]);
    // Pixel x covers source columns 4x..4x+3: mean value 8·(4x+1.5).
    for (let x = 0; x < 8; x++) {
      assertAlmostEquals(img.data[y * 8 + x], (8 * (4 * x + 1.5)) / 127.5 - 1, 0.05);
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readImage() drops a fully opaque alpha channel and refuses real transparency", async () => {
  const dir = await Deno.makeTempDir();
  const rgba = new Uint8Array(4 * 4 * 4).map((_, i) => (i % 4 === 3 ? 255 : 200));
  await writePng(`${dir}/opaque.png`, rgba, 4, 4, 4);
  const img = await readImage(`${dir}/opaque.png`, { size: 4, channels: 3 });
  assertEquals(img.channels, 3);
  assertAlmostEquals(img.data[0], 200 / 127.5 - 1, 1e-6);
  rgba[3] = 0;
  await writePng(`${dir}/transparent.png`, rgba, 4, 4, 4);
  const e = await assertRejects(
    () => readImage(`${dir}/transparent.png`, { size: 4 }),
    DatasetError,
    `${dir}/transparent.png has a transparent alpha channel (RGBA, 4 channels)`,
  );
  assert(e.message.includes("grey (1) or RGB (3)"));
  const ga = new Uint8Array(4 * 4 * 2).map((_, i) => (i % 2 ? (i === 1 ? 10 : 255) : 90));
  await writePng(`${dir}/greyalpha.png`, ga, 4, 4, 2);
  await assertRejects(
    () => readImage(`${dir}/greyalpha.png`, { size: 4 }),
    DatasetError,
    "greyalpha.png has a transparent alpha channel (grey+alpha, 2 channels)",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readImage() refuses a channel count other than the one required, naming both", async () => {
  const dir = await Deno.makeTempDir();
  await writePng(`${dir}/grey.png`, new Uint8Array(16), 4, 4, 1);
  await writePng(`${dir}/rgb.png`, new Uint8Array(48), 4, 4, 3);
  await assertRejects(
    () => readImage(`${dir}/grey.png`, { size: 4, channels: 3 }),
    DatasetError,
    `${dir}/grey.png has 1 channels (grey), expected 3 (RGB)`,
  );
  await assertRejects(
    () => readImage(`${dir}/rgb.png`, { size: 4, channels: 1 }),
    DatasetError,
    `${dir}/rgb.png has 3 channels (RGB), expected 1 (grey)`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readImage() names the file when it is missing, empty, corrupt or truncated", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(
    () => readImage(`${dir}/nope.png`, { size: 4 }),
    DatasetError,
    `image file not found: ${dir}/nope.png`,
  );
  await Deno.writeFile(`${dir}/empty.png`, new Uint8Array(0));
  await assertRejects(
    () => readImage(`${dir}/empty.png`, { size: 4 }),
    DatasetError,
    `image file is empty (0 bytes): ${dir}/empty.png`,
  );
  await Deno.writeTextFile(`${dir}/text.png`, "this is not an image at all");
  await assertRejects(
    () => readImage(`${dir}/text.png`, { size: 4 }),
    DatasetError,
    `cannot decode image ${dir}/text.png`,
  );
  const good = await encodePng(new Uint8Array(32 * 32 * 3).map((_, i) => i % 251), 32, 32, 3);
  await Deno.writeFile(`${dir}/truncated.png`, good.subarray(0, Math.floor(good.length / 2)));
  await assertRejects(
    () => readImage(`${dir}/truncated.png`, { size: 4 }),
    DatasetError,
    `${dir}/truncated.png`,
  );
  await assertRejects(() => readImage(dir, { size: 4 }), DatasetError, `found a folder: ${dir}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readMask() resizes with nearest sampling to exact 0/1 values", async () => {
  const dir = await Deno.makeTempDir();
  const m = new Uint8Array(16 * 16);
  for (let y = 4; y < 8; y++) for (let x = 8; x < 16; x++) m[y * 16 + x] = 255;
  await writePng(`${dir}/m.png`, m, 16, 16, 1);
  const full = await readMask(`${dir}/m.png`, 16);
  assertEquals(Array.from(full), Array.from(m, (v) => v / 255));
  const half = await readMask(`${dir}/m.png`, 8);
  assert(half.every((v) => v === 0 || v === 1), "binary after resizing");
  const expected = new Float32Array(64);
  for (let y = 2; y < 4; y++) for (let x = 4; x < 8; x++) expected[y * 8 + x] = 1;
  assertEquals(Array.from(half), Array.from(expected));
  await assertRejects(() => readMask(`${dir}/none.png`, 8), DatasetError, `${dir}/none.png`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("encodePng() round-trips floats in [-1, 1] and bytes, and is byte-for-byte deterministic", async () => {
  const dir = await Deno.makeTempDir();
  const f = new Float32Array(5 * 3 * 3).map((_, i) => (i % 9) / 4 - 1);
  const png = await encodePng(f, 5, 3, 3);
  assertEquals(Array.from(png.subarray(1, 4)), [80, 78, 71]);
  await Deno.writeFile(`${dir}/f.png`, png);
  const info = await imageInfo(`${dir}/f.png`);
  assertEquals(info, { width: 5, height: 3, channels: 3, hasAlpha: false, format: "png" });
  const g = new Uint8Array(6 * 6).map((_, i) => i * 7);
  await Deno.writeFile(`${dir}/g.png`, await encodePng(g, 6, 6, 1));
  assertEquals((await imageInfo(`${dir}/g.png`)).channels, 1);
  const back = await readImage(`${dir}/g.png`, { size: 6, channels: 1 });
  assertEquals(Array.from(back.data, (v) => Math.round((v + 1) * 127.5)), Array.from(g));
  assertEquals(await encodePng(g, 6, 6, 1), await encodePng(g, 6, 6, 1));
  await assertRejects(() => encodePng(g, 5, 6, 1), DatasetError, "36 values for 5x6x1");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resizeBilinear() interpolates with half-pixel centres and keeps constants", () => {
  const up = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 1, 4, 4);
  // Row 0: source row 0 only (clamped); columns at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  assertEquals(Array.from(up.subarray(0, 4)), [0, 0.25, 0.75, 1]);
  assertEquals(Array.from(up.subarray(12, 16)), [2, 2.25, 2.75, 3]);
  const c = resizeBilinear(new Float32Array(6 * 6 * 3).fill(0.3), 6, 6, 3, 4, 4);
  assert(c.every((v) => Math.abs(v - 0.3) < 1e-6));
});

Deno.test("readImage({ convert: true }) converts grey and RGB as Pillow does, and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Pure red, green, blue and white: Pillow's convert("L") gives 76, 150, 29, 255.
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    await writePng(`${dir}/rgb.png`, rgb, 2, 2, 3);
    const grey = await readImage(`${dir}/rgb.png`, { size: 2, channels: 1, convert: true });
    assertEquals(grey.channels, 1);
    assertEquals(grey.convertedFrom, 3);
    assertEquals(Array.from(grey.data, (v) => Math.round((v + 1) * 127.5)), [76, 150, 29, 255]);
    await writePng(`${dir}/grey.png`, Uint8Array.from([0, 100, 200, 255]), 2, 2, 1);
    const colour = await readImage(`${dir}/grey.png`, { size: 2, channels: 3, convert: true });
    assertEquals([colour.channels, colour.convertedFrom], [3, 1]);
    assertEquals(
      Array.from(colour.data, (v) => Math.round((v + 1) * 127.5)),
      [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255],
    );
    const same = await readImage(`${dir}/grey.png`, { size: 2, channels: 1, convert: true });
    assertEquals(same.convertedFrom, undefined);
    assertEquals(Array.from(convertChannels(Uint8Array.from([1, 2, 3]), 3, 3)), [1, 2, 3]);
    // At the file's own resolution, as RGB.
    await writePng(`${dir}/wide.png`, new Uint8Array(3 * 5).fill(9), 5, 3, 1);
    const full = await readImageRgb(`${dir}/wide.png`);
    assertEquals([full.width, full.height, full.rgb.length, full.rgb[14]], [5, 3, 45, 9]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeBmp() reads palettised bottom-up and 24-bit top-down BMPs", () => {
  const a = decodeBmp(bmp8(3, 2, [0, 1, 0, 1, 0, 0]));
  assertEquals([a.width, a.height, Array.from(a.grey)], [3, 2, [0, 255, 0, 255, 0, 0]]);
  // 24-bit, negative height (top-down), 2x1: a blue and a black pixel.
  const b = new Uint8Array(54 + 8);
  const dv = new DataView(b.buffer);
  b[0] = 0x42, b[1] = 0x4d;
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, 2, true);
  dv.setInt32(22, -1, true);
  dv.setUint16(28, 24, true);
  b.set([200, 0, 0, 0, 0, 0], 54);
  assertEquals(Array.from(decodeBmp(b).grey), [200, 0]);
  assertThrows(() => decodeBmp(new Uint8Array(60), "x.bmp"), DatasetError, "x.bmp is not a BMP");
});
