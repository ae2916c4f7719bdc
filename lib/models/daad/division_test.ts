import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import { ConfigError } from "../../util/errors.ts";
import { blockSidesFor, divisionRatesFor, paperBlockRate } from "./division.ts";

Deno.test("divisionRatesFor() keeps the rates dividing every memory map (size/16)", () => {
  assertEquals(divisionRatesFor(32), [1, 2]);
  assertEquals(divisionRatesFor(64), [1, 2, 4]);
  assertEquals(divisionRatesFor(128), [1, 2, 4, 8]);
  assertEquals(divisionRatesFor(256), [1, 2, 4, 8, 16]);
  assertEquals(divisionRatesFor(48, [1, 2, 3, 6]), [1, 3]);
  assertThrows(() => divisionRatesFor(40), ConfigError, "got 40");
  assertThrows(() => divisionRatesFor(64, [0]), ConfigError, "got 0");
});

Deno.test("blockSidesFor() gives the block side at 2x, 4x, 8x and 16x", () => {
  assertEquals(blockSidesFor(256, 8), [16, 8, 4, 2]);
  assertEquals(blockSidesFor(256, 16), [8, 4, 2, 1]);
  assertEquals(blockSidesFor(128, 4), [16, 8, 4, 2]);
  assertThrows(() => blockSidesFor(64, 8), ConfigError, "allowed: 1, 2, 4");
});

Deno.test("paperBlockRate() keeps the paper's block sides", () => {
  assertEquals([paperBlockRate(256), paperBlockRate(128), paperBlockRate(64)], [8, 4, 2]);
  assertEquals(blockSidesFor(64, paperBlockRate(64)), blockSidesFor(256, 8));
  assertThrows(() => paperBlockRate(16), ConfigError, "got 16");
});
