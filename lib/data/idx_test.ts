import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { DatasetError } from "./errors.ts";
import { encodeIdx, parseIdx } from "./idx.ts";

Deno.test("parseIdx() reads the header and values written by encodeIdx()", () => {
  const bytes = encodeIdx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
  // Magic 0x00000802, then 2 and 3 as big-endian uint32.
  assertEquals([...bytes.subarray(0, 12)], [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]);
  const t = parseIdx(bytes, "x");
  assertEquals(t.dims, [2, 3]);
  assertEquals([...t.data], [1, 2, 3, 4, 5, 6]);
});

Deno.test("parseIdx() refuses short, mistyped and over-long files naming them", () => {
  assertThrows(() => parseIdx(new Uint8Array(2), "f"), DatasetError, "f: not an IDX file");
  const good = encodeIdx([3], Uint8Array.from([1, 2, 3]));
  const float = good.slice();
  float[2] = 0x0d;
  assertThrows(() => parseIdx(float, "f"), DatasetError, "f: IDX type 0xd");
  assertThrows(() => parseIdx(good.subarray(0, 6), "f"), DatasetError, "f: truncated header");
  assertThrows(() => parseIdx(good.subarray(0, 10), "f"), DatasetError, "need 3 bytes of data");
  const long = new Uint8Array(good.length + 2);
  long.set(good);
  assertThrows(() => parseIdx(long, "f"), DatasetError, "2 bytes after");
});
