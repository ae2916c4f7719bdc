import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { itemExemplars, mostUsedItems } from "./exemplars.ts";

// 2 images, division 2x2x1: 4 queries each, 8 in all; 3 items.
const W = Float32Array.from([
  // image 0: blocks (0,0) (0,1) (1,0) (1,1)
  ...[0.9, 0.1, 0],
  ...[0, 1, 0],
  ...[0.2, 0, 0.8],
  ...[0.5, 0.5, 0],
  // image 1
  ...[0, 0, 1],
  ...[0.95, 0, 0.05],
  ...[0.3, 0.7, 0],
  ...[0, 0.6, 0.4],
]);

Deno.test("itemExemplars() finds the blocks that weigh most on each item, with their positions", () => {
  const [item0, item2] = itemExemplars(W, 3, [2, 2, 1], [0, 2], 3);
  assertEquals(item0.map((e) => [e.image, e.blockRow, e.blockColumn, e.weight]), [
    [1, 0, 1, Math.fround(0.95)],
    [0, 0, 0, Math.fround(0.9)],
    [0, 1, 1, 0.5],
  ]);
  assertEquals(item2.map((e) => [e.image, e.blockRow, e.blockColumn]), [[1, 0, 0], [0, 1, 0], [
    1,
    1,
    1,
  ]]);
  // An item nobody reads has no exemplars; k caps the list.
  assertEquals(itemExemplars(new Float32Array(8 * 3), 3, [2, 2, 1], [1], 2), [[]]);
  assertEquals(itemExemplars(W, 3, [2, 2, 1], [1], 1)[0].length, 1);
});

Deno.test("itemExemplars() reads channel groups and refuses shapes that do not fit", () => {
  // 1 image, division 1x2x2: rows are (col 0, g 0), (col 0, g 1), (col 1, g 0), (col 1, g 1).
  const w = Float32Array.from([0, 1, 1, 0, 0.5, 0.5, 0.7, 0.3]);
  const [ex] = itemExemplars(w, 2, [1, 2, 2], [0], 4);
  assertEquals(ex.map((e) => [e.blockColumn, e.channelGroup]), [[0, 1], [1, 1], [1, 0]]);
  assertThrows(() => itemExemplars(w, 3, [1, 2, 2], [0], 1), RangeError, "not [Q, 3]");
  assertThrows(() => itemExemplars(w, 2, [2, 2, 2], [0], 1), RangeError, "whole number");
  assertThrows(() => itemExemplars(w, 2, [1, 2, 2], [5], 1), RangeError, "item 5");
});

Deno.test("mostUsedItems() orders items by total weight", () => {
  // Totals: item 0 2.85, item 1 2.9, item 2 2.25.
  assertEquals(mostUsedItems(W, 3, 2), [1, 0]);
  assertEquals(mostUsedItems(W, 3, 5), [1, 0, 2]);
});
