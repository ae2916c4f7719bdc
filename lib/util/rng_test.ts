import { assert, assertEquals, assertNotEquals, assertThrows } from "../../tests/assert.ts";
import { deriveSeed, Rng } from "./rng.ts";

Deno.test("Rng() gives the same sequence for the same seed and another for another seed", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const sa = Array.from({ length: 5 }, () => a.nextUint32());
  const sb = Array.from({ length: 5 }, () => b.nextUint32());
  const sc = Array.from({ length: 5 }, () => c.nextUint32());
  assertEquals(sa, sb);
  assertNotEquals(sa, sc);
});

Deno.test("Rng.state() restores the generator exactly, including mid-sequence", () => {
  const a = new Rng(123);
  for (let i = 0; i < 10; i++) a.next();
  const b = new Rng(a.state());
  for (let i = 0; i < 100; i++) assertEquals(a.nextUint32(), b.nextUint32());
});

Deno.test("Rng.next() is uniform: mean and variance near 1/2 and 1/12", () => {
  const r = new Rng(1);
  const n = 200_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = r.next();
    assert(v >= 0 && v < 1);
    s += v;
    s2 += v * v;
  }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
});

Deno.test("Rng.normal() has mean 0 and standard deviation 1", () => {
  const r = new Rng(2);
  const v = r.normalArray(100_000);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  assert(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert(Math.abs(sd - 1) < 0.02, `sd ${sd}`);
});

Deno.test("Rng.permutation() is a permutation and Rng.int() rejects n < 1", () => {
  const p = new Rng(3).permutation(50);
  assertEquals([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assertNotEquals(p, Array.from({ length: 50 }, (_, i) => i));
  assertThrows(() => new Rng(1).int(0), RangeError, "n >= 1");
  assertThrows(() => new Rng(NaN), RangeError, "finite");
});

Deno.test("deriveSeed() separates labels and is stable", () => {
  assertEquals(deriveSeed(1, "epoch", 3), deriveSeed(1, "epoch", 3));
  assertNotEquals(deriveSeed(1, "epoch", 3), deriveSeed(1, "epoch", 4));
  assertNotEquals(deriveSeed(1, "epoch", 3), deriveSeed(2, "epoch", 3));
});
