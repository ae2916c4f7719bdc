import { assertEquals } from "../../tests/assert.ts";
import { Rng } from "../util/rng.ts";
import { argsort } from "./_argsort.ts";

Deno.test("argsort() orders negatives, zeros, subnormals, infinities and ties like a stable sort", () => {
  const values = [3, -1, 0, -0, 5e-324, -5e-324, Infinity, -Infinity, -1, 1e300, -2.5, 0.1];
  const expected = values.map((v, i) => [v === 0 ? 0 : v, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  assertEquals(Array.from(argsort(values)), expected);
});

Deno.test("argsort() agrees with a comparator sort on random float32 and float64 values", () => {
  const rng = new Rng(2);
  for (const n of [0, 1, 7, 1000, 70000]) {
    const f64 = Array.from({ length: n }, () => (rng.next() - 0.5) * 10 ** rng.int(6));
    const f32 = Float32Array.from({ length: n }, () => rng.int(50) / 7 - 3);
    for (const values of [f64, f32]) {
      const expected = Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => values[a] - values[b] || a - b);
      assertEquals(Array.from(argsort(values)), expected);
    }
  }
});
