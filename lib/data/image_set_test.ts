import { assertEquals } from "../../tests/assert.ts";
import { evenlySpaced } from "./image_set.ts";

Deno.test("evenlySpaced() picks at most max indices, evenly from the first", () => {
  assertEquals(evenlySpaced(10, 4), [0, 2, 5, 7]);
  assertEquals(evenlySpaced(3, 128), [0, 1, 2]);
  assertEquals(evenlySpaced(0, 5), []);
});
