import { assertEquals } from "../../tests/assert.ts";
import { blockCrop, exemplarRows } from "./exemplars.ts";

// Two 4x4 single-channel images; pixel value = 100·image + 10·y + x.
const images = {
  data: Float32Array.from({ length: 32 }, (_, k) => {
    const i = Math.floor(k / 16), y = Math.floor((k % 16) / 4), x = k % 4;
    return 100 * i + 10 * y + x;
  }),
  height: 4,
  width: 4,
  channels: 1,
};

Deno.test("blockCrop() cuts the input region of a block of the division grid", () => {
  const e = { image: 1, blockRow: 1, blockColumn: 0, channelGroup: 0, weight: 1 };
  const t = blockCrop(images, e, [2, 2, 1]);
  assertEquals([t.height, t.width, t.channels], [2, 2, 1]);
  assertEquals(Array.from(t.data), [120, 121, 130, 131]);
  const whole = blockCrop(images, { ...e, blockRow: 0 }, [1, 1, 1]);
  assertEquals(whole.data.length, 16);
  assertEquals(whole.data[5], 111);
});

Deno.test("exemplarRows() makes one labelled row per item", () => {
  const e = (image: number, blockColumn: number) => ({
    image,
    blockRow: 0,
    blockColumn,
    channelGroup: 0,
    weight: 1,
  });
  const rows = exemplarRows(images, [[e(0, 1), e(1, 0)], []], [7, 3], [2, 2, 1]);
  assertEquals(rows.map((r) => [r.label, r.tiles.length]), [["item 7", 2], ["item 3", 0]]);
  assertEquals(Array.from(blockCrop(images, e(0, 1), [2, 2, 1]).data), [2, 3, 12, 13]);
  assertEquals(rows[0].tiles[0], blockCrop(images, e(0, 1), [2, 2, 1]));
});
