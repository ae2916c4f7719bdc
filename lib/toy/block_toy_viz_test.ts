import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { imageGridPng, tileRgb } from "../viz/images.ts";
import { pngSize } from "../viz/display.ts";
import { type BlockToyResult, toyStripes } from "./block_toy.ts";
import {
  BLOCK_TOY_COLUMNS,
  BLOCK_TOY_ERROR_FLOOR,
  blockToyErrorFigure,
  blockToyGrid,
  blockToyItemRows,
  blockToyTableRows,
} from "./block_toy_viz.ts";

const SIZE = 8;

/** A result with fixed numbers (no training): reconstruction = constant `level`. */
function fake(blockSize: number, errors: [number, number, number], level = 0): BlockToyResult {
  const px = SIZE * SIZE, dim = blockSize * blockSize, items = 3;
  const bank = Float32Array.from({ length: items * dim }, (_, i) => (i % 2 ? -2 : 4));
  const rec = new Float32Array(px).fill(level);
  const map = (e: number) => new Float32Array(px).fill(e);
  return {
    blockSize,
    rate: SIZE / blockSize,
    dim,
    items,
    losses: [{ step: 1, loss: 1 }],
    reconstruction: { a: rec, b: rec, c: rec },
    error: { a: errors[0], b: errors[1], c: errors[2] },
    errorMap: { a: map(errors[0]), b: map(errors[1]), c: map(errors[2]) },
    contrast: errors[2] / errors[1],
    bank,
    seconds: 0,
  };
}

const RESULTS = [fake(1, [0.05, 0.06, 0.01]), fake(2, [0.001, 0.01, 0.9]), fake(8, [0, 0.7, 1])];

Deno.test("blockToyGrid() gives one row per block size with the seven Figure-1 columns", async () => {
  const images = toyStripes({ size: SIZE });
  const { rows, captions } = blockToyGrid(images, RESULTS, { mapMax: 1 });
  assertEquals(captions, [...BLOCK_TOY_COLUMNS]);
  assertEquals(rows.map((r) => r.label), ["b=1", "b=2", "b=8"]);
  for (const r of rows) {
    assertEquals(r.tiles.map((t) => t!.kind), [
      "image",
      "image",
      "image",
      "heat",
      "image",
      "image",
      "heat",
    ]);
  }
  // Error maps share the scale 0..mapMax: 0.9 of 1 is drawn near the top of the colormap,
  // 0.01 near its start, so the two tiles differ.
  const hi = tileRgb(rows[1].tiles[6]!), lo = tileRgb(rows[0].tiles[6]!);
  assert(hi[0] !== lo[0] || hi[2] !== lo[2], "error maps on one scale differ in colour");
  const png = await imageGridPng(rows, { captions, tileSize: 16 });
  assert(pngSize(png).width > 7 * 16, `grid is ${pngSize(png).width} px wide`);
  assertThrows(() => blockToyGrid(images, []), RangeError, "no block toy results");
  assertThrows(() => blockToyGrid(images, RESULTS, { mapMax: 0 }), RangeError, "mapMax");
  assertThrows(() => blockToyGrid(toyStripes({ size: 16 }), RESULTS), RangeError, "not 16x16");
});

Deno.test("blockToyItemRows() shows each item as a b x b tile scaled to its peak", () => {
  const rows = blockToyItemRows(RESULTS, 2);
  assertEquals(rows.map((r) => r.tiles.length), [2, 2, 2]);
  const tile = rows[1].tiles[0]!;
  assert(tile.kind === "image");
  assertEquals([tile.height, tile.width], [2, 2]);
  // Item 0 of b=2 is [4, -2, 4, -2]: scaled by 4 to [1, -0.5, 1, -0.5].
  assertEquals(Array.from(tile.data), [1, -0.5, 1, -0.5]);
  assertThrows(() => blockToyItemRows(RESULTS, 0), RangeError, "maxItems");
});

Deno.test("blockToyErrorFigure() plots A, B and C errors against the block side", () => {
  const fig = blockToyErrorFigure(RESULTS);
  assertEquals(fig.data.map((t) => t.name), ["A (learned from)", "B (normal)", "C (anomaly)"]);
  assertEquals(fig.data[1].x, [1, 2, 8]);
  assertEquals(fig.data[1].y, [0.06, 0.01, 0.7]);
  assertEquals(fig.data[2].y, [0.01, 0.9, 1]);
  // A's zero error at b=8 is drawn at the floor of the log axis, its text keeps the value.
  assertEquals(fig.data[0].y, [0.05, 0.001, BLOCK_TOY_ERROR_FLOOR]);
  assertEquals(fig.data[0].text, ["0.0500", "0.00100", "0.00"]);
  assertEquals((fig.layout.xaxis as { type: string }).type, "log");
  assertThrows(() => blockToyErrorFigure([]), RangeError, "no block toy results");
});

Deno.test("blockToyTableRows() lists errors and the C / B contrast per block size", () => {
  const rows = blockToyTableRows(RESULTS);
  assertEquals(rows[1]["block b"], "2x2");
  assertEquals(rows[1]["grid"], "4x4");
  assertEquals(rows[1]["error C"], 0.9);
  assertEquals(rows[1]["C / B"], 90);
});
