import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { minMaxPerGroup } from "./normalize.ts";

Deno.test("minMaxPerGroup() normalises within each video (eq. 17)", () => {
  const g = minMaxPerGroup([5, 1, 3, 10, 20, 7, 7], ["a", "a", "a", "b", "b", "c", "c"]);
  assertEquals(Array.from(g), [1, 0, 0.5, 0, 1, 0, 0]); // c is constant → 0
  // Groups need not be contiguous; null = one group.
  assertEquals(Array.from(minMaxPerGroup([2, 4, 6, 8], ["x", "y", "x", "y"])), [0, 0, 1, 1]);
  assertEquals(Array.from(minMaxPerGroup([2, 4, 6], null)), [0, 0.5, 1]);
  assertThrows(() => minMaxPerGroup([1, NaN], null), RangeError, "value 1 (group '') is NaN");
  assertThrows(() => minMaxPerGroup([1, 2], ["a"]), RangeError, "2 values but 1 group labels");
});
