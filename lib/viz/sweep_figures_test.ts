import { assertEquals, assertThrows } from "../../tests/assert.ts";
import type { ImageSet } from "../data/image_set.ts";
import { pickExamples } from "./sweep_figures.ts";

Deno.test("pickExamples() takes a normal image, then one per defect type", () => {
  const test: ImageSet = {
    n: 6,
    height: 1,
    width: 1,
    channels: 1,
    data: new Float32Array(6),
    labels: Uint8Array.from([1, 1, 0, 1, 0, 1]),
    groups: ["hole", "hole", "good", "stain", "good", "scratch"],
  };
  assertEquals(pickExamples(test, 3), [2, 0, 3]);
  assertEquals(pickExamples(test, 5), [2, 0, 3, 5, 1]);
  assertEquals(pickExamples(test, 10).length, 6);
  assertThrows(() => pickExamples(test, 0), RangeError, "got 0");
});
