import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { pngSize } from "./display.ts";
import {
  colormapRgb,
  decodeRawPixels,
  gridGeometry,
  heatmapRgb,
  heatTile,
  imageGridPng,
  imageTile,
  overlay,
  type RawPixels,
  recompressPng,
  rgbTile,
  rgbToPng,
  sideBySidePng,
  toRgbBytes,
} from "./images.ts";

function pixel(img: RawPixels, x: number, y: number): number[] {
  const i = (y * img.width + x) * img.channels;
  return Array.from(img.data.subarray(i, i + 3));
}

Deno.test("toRgbBytes() maps [-1, 1] to [0, 255], clipping and repeating grey", () => {
  const grey = toRgbBytes([-1, 0, 1, 2, -3, NaN], 2, 3, 1);
  assertEquals(Array.from(grey), [
    ...[0, 0, 0],
    ...[128, 128, 128],
    ...[255, 255, 255],
    ...[255, 255, 255],
    ...[0, 0, 0],
    ...[0, 0, 0],
  ]);
  const rgb = toRgbBytes(Float32Array.from([-1, 0, 1, 0.5, -0.5, 1]), 1, 2, 3);
  assertEquals(Array.from(rgb), [0, 128, 255, 191, 64, 255]);
});

Deno.test("toRgbBytes() names the size that does not match", () => {
  assertThrows(() => toRgbBytes([0, 0, 0], 2, 2, 1), RangeError, "got 3 values, expected 4");
  assertThrows(() => toRgbBytes([0, 0], 1, 1, 2), RangeError, "channels must be 1 or 3, got 2");
  assertThrows(() => toRgbBytes([], 0, 1, 1), RangeError, "0x1");
});

Deno.test("colormapRgb() gives each colormap's published end colours", () => {
  assertEquals(colormapRgb(0, "jet"), [0, 0, 128]);
  assertEquals(colormapRgb(0.5, "jet"), [128, 255, 128]);
  assertEquals(colormapRgb(1, "jet"), [128, 0, 0]);
  assertEquals(colormapRgb(0, "viridis"), [0x44, 0x01, 0x54]);
  assertEquals(colormapRgb(1, "viridis"), [0xfd, 0xe7, 0x25]);
  assertEquals(colormapRgb(0.5, "viridis"), [0x21, 0x91, 0x8c]);
  assertEquals(colormapRgb(0, "inferno"), [0, 0, 4]);
  assertEquals(colormapRgb(1, "inferno"), [0xfc, 0xff, 0xa4]);
  // Outside [0, 1] clamps.
  assertEquals(colormapRgb(-2, "inferno"), colormapRgb(0, "inferno"));
  assertEquals(colormapRgb(7, "jet"), colormapRgb(1, "jet"));
  assertThrows(
    () => colormapRgb(0.5, "rainbow" as "jet"),
    RangeError,
    "unknown colormap 'rainbow'",
  );
});

Deno.test("heatmapRgb() stretches the map's range over the colormap unless min/max are given", () => {
  const map = [2, 3, 4];
  const auto = heatmapRgb(map, 1, 3, { colormap: "viridis" });
  assertEquals(Array.from(auto.subarray(0, 3)), colormapRgb(0, "viridis"));
  assertEquals(Array.from(auto.subarray(6, 9)), colormapRgb(1, "viridis"));
  const fixed = heatmapRgb(map, 1, 3, { min: 0, max: 3, colormap: "jet" });
  assertEquals(Array.from(fixed.subarray(3, 6)), colormapRgb(1, "jet"));
  assertEquals(Array.from(fixed.subarray(6, 9)), colormapRgb(1, "jet")); // clipped
  // A constant map is drawn in the start colour.
  assertEquals(Array.from(heatmapRgb([5, 5], 1, 2).subarray(3, 6)), colormapRgb(0, "jet"));
  assertThrows(() => heatmapRgb(map, 1, 3, { min: 4, max: 1 }), RangeError, "[4, 1]");
  assertThrows(() => heatmapRgb(map, 2, 2), RangeError, "heat map of 2x2: got 3 values");
});

Deno.test("overlay() blends bytes with alpha", () => {
  const out = overlay(Uint8Array.from([0, 100, 255]), Uint8Array.from([200, 100, 55]), 0.25);
  assertEquals(Array.from(out), [50, 100, 205]);
  assertThrows(
    () => overlay(new Uint8Array(3), new Uint8Array(6)),
    RangeError,
    "3 bytes but heat 6",
  );
  assertThrows(() => overlay(new Uint8Array(3), new Uint8Array(3), 2), RangeError, "alpha 2");
});

Deno.test("rgbToPng() encodes pixels that decodeRawPixels() reads back exactly", async () => {
  const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const png = await rgbToPng(rgb, 4, 3);
  assertEquals(pngSize(png), { width: 3, height: 4 });
  const back = await decodeRawPixels(png);
  assertEquals([back.width, back.height, back.channels], [3, 4, 3]);
  assertEquals(back.data, rgb);
});

Deno.test("imageGridPng() places each tile in its cell, scaled, with empty cells left blank", async () => {
  // Row 0: a 2x2 grey image (black, white / grey, black) | a 1x2 jet heat map (min, max).
  // Row 1: an RGB tile of pure red | (none) | a 3-channel image.
  const grey = imageTile([-1, 1, 0, -1], 2, 2, 1);
  const heat = heatTile([0, 1], 1, 2, { colormap: "jet" });
  const red = rgbTile(Uint8Array.from([255, 0, 0]), 1, 1);
  const rgb = imageTile([1, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, 1], 2, 2, 3);
  const rows = [{ tiles: [grey, heat] }, { tiles: [red, null, rgb] }];
  const options = { tileSize: 16, gap: 2 };
  const g = gridGeometry(rows, options);
  assertEquals([g.width, g.height, g.labelWidth, g.captionHeight], [2 + 3 * 18, 2 + 2 * 18, 0, 0]);
  const img = await decodeRawPixels(await imageGridPng(rows, options));
  assertEquals([img.width, img.height], [g.width, g.height]);
  const at = (row: number, col: number, dx: number, dy: number) => {
    const c = g.cell(row, col);
    return pixel(img, c.x + dx, c.y + dy);
  };
  // Nearest-neighbour scaling: each source pixel becomes an 8x8 block.
  assertEquals(at(0, 0, 3, 3), [0, 0, 0]);
  assertEquals(at(0, 0, 12, 3), [255, 255, 255]);
  assertEquals(at(0, 0, 3, 12), [128, 128, 128]);
  assertEquals(at(0, 0, 12, 12), [0, 0, 0]);
  // The 1x2 heat map keeps its aspect: a 8x16 band centred vertically (rows 4..11).
  assertEquals(at(0, 1, 2, 8), [0, 0, 128]);
  assertEquals(at(0, 1, 13, 8), [128, 0, 0]);
  assertEquals(at(0, 1, 8, 1), [255, 255, 255]);
  assertEquals(at(1, 0, 8, 8), [255, 0, 0]);
  assertEquals(at(1, 1, 8, 8), [255, 255, 255]); // the empty cell
  assertEquals(at(1, 2, 3, 3), [255, 0, 0]);
  assertEquals(at(1, 2, 12, 3), [0, 255, 0]);
  assertEquals(at(1, 2, 3, 12), [0, 0, 255]);
  assertEquals(at(1, 2, 12, 12), [255, 255, 255]);
  // The gap between cells is background.
  assertEquals(pixel(img, g.cell(0, 1).x - 1, 5), [255, 255, 255]);
});

Deno.test("imageGridPng() draws row labels and column captions outside the tiles", async () => {
  const tile = rgbTile(new Uint8Array(8 * 8 * 3), 8, 8); // black
  const rows = [{ label: "normal", tiles: [tile, tile] }, { label: "anomalous", tiles: [tile] }];
  const options = {
    tileSize: 48,
    captions: ["input", "error"],
    background: [255, 255, 255] as [
      number,
      number,
      number,
    ],
  };
  const g = gridGeometry(rows, options);
  assert(g.labelWidth > 0 && g.captionHeight > 0, JSON.stringify(g));
  const img = await decodeRawPixels(await imageGridPng(rows, options));
  const darkIn = (x0: number, y0: number, x1: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(img, x, y)[0] < 128) n++;
    return n;
  };
  const c00 = g.cell(0, 0), c11 = g.cell(1, 1);
  assert(darkIn(0, c00.y, g.labelWidth, c00.y + g.tileSize) > 10, "no text in the label column");
  assert(darkIn(c00.x, 0, c00.x + g.tileSize, c00.y - 1) > 10, "no text in the caption band");
  // Tiles are untouched by the text layer.
  assertEquals(pixel(img, c00.x + 24, c00.y + 24), [0, 0, 0]);
  assertEquals(pixel(img, c11.x + 24, c11.y + 24), [255, 255, 255]);
  assertEquals(darkIn(c11.x, c11.y, c11.x + g.tileSize, c11.y + g.tileSize), 0);
});

Deno.test("imageGridPng() rejects empty grids and bad tile sizes", async () => {
  let err: unknown = null;
  try {
    await imageGridPng([]);
  } catch (e) {
    err = e;
  }
  assert(err instanceof RangeError && err.message.includes("at least one row"), String(err));
  assertThrows(
    () => gridGeometry([{ tiles: [rgbTile(new Uint8Array(3), 1, 1)] }], { tileSize: 0 }),
    RangeError,
    "tileSize 0",
  );
  assertThrows(
    () => gridGeometry([{ tiles: [null] }], { captions: ["a", "b"] }),
    RangeError,
    "2 captions for 1 columns",
  );
});

Deno.test("sideBySidePng() puts panels of one size side by side, enlarging small ones", async () => {
  const red = rgbTile(new Uint8Array(10 * 20 * 3).map((_, i) => (i % 3 === 0 ? 255 : 0)), 10, 20);
  const blue = rgbTile(new Uint8Array(10 * 20 * 3).map((_, i) => (i % 3 === 2 ? 255 : 0)), 10, 20);
  const png = await decodeRawPixels(
    await sideBySidePng([red, blue], {
      title: "score 1",
      captions: ["a", "b"],
      minSide: 40,
      gap: 2,
    }),
  );
  // 20x10 panels enlarged 2x (to a 40 px side): 2 + 2 * (40 + 2) wide.
  assertEquals(png.width, 86);
  const bottom = png.height - 2 - 1;
  assertEquals(pixel(png, 2 + 5, bottom), [255, 0, 0]);
  assertEquals(pixel(png, 2 + 42 + 5, bottom), [0, 0, 255]);
  const plain = await decodeRawPixels(await sideBySidePng([red], { minSide: 1, gap: 0 }));
  assertEquals([plain.width, plain.height], [20, 10]);
  let refused = "";
  await sideBySidePng([red, rgbTile(new Uint8Array(12), 2, 2)]).catch((e) => refused = e.message);
  assert(refused.includes("one size expected"), refused);
});

Deno.test("recompressPng() is lossless, and null when it cannot do better", async () => {
  const rgb = new Uint8Array(64 * 64 * 3).map((_, i) => (i >> 4) % 256);
  const png = await rgbToPng(rgb, 64, 64);
  const smaller = await recompressPng(png);
  for (const candidate of [smaller, await recompressPng(smaller ?? png)]) {
    if (candidate == null) continue;
    assert(candidate.length < png.length);
    assertEquals((await decodeRawPixels(candidate)).data, (await decodeRawPixels(png)).data);
  }
});
