import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../../tests/tf_helpers.ts";
import { ParamStore } from "../../nn/params.ts";
import { Rng } from "../../util/rng.ts";
import {
  distanceToItems,
  gatedUpdate,
  initialItemValues,
  MnadMemory,
  nearestItems,
  readMemory,
  updateMemory,
} from "./memory.ts";

await useBackend("cpu");

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const normalize = (a: number[]) => {
  const n = Math.hypot(...a);
  return a.map((v) => v / n);
};

Deno.test("readMemory() is eq. 1-2: softmax over items of q·p, then the weighted sum", () => {
  const items = [[1, 0], [0, 1], [0.6, 0.8]];
  const queries = [[0.8, 0.6], [-1, 0]];
  const r = readMemory(tf.tensor2d(queries), tf.tensor2d(items));
  assertEquals(r.weights.shape, [2, 3]);
  assertEquals(r.read.shape, [2, 2]);
  // Query 0: q·p = 0.8, 0.6, 0.96.
  const e = [Math.exp(0.8), Math.exp(0.6), Math.exp(0.96)];
  const z = e[0] + e[1] + e[2];
  const w0 = e.map((v) => v / z);
  const w = values(r.weights), read = values(r.read);
  for (let m = 0; m < 3; m++) assertAlmostEquals(w[m], w0[m], 1e-6);
  assertAlmostEquals(read[0], w0[0] * 1 + w0[2] * 0.6, 1e-6);
  assertAlmostEquals(read[1], w0[1] * 1 + w0[2] * 0.8, 1e-6);
  // Query 1: q·p = -1, 0, -0.6; every row of w sums to one.
  const e1 = [Math.exp(-1), Math.exp(0), Math.exp(-0.6)];
  const z1 = e1[0] + e1[1] + e1[2];
  assertAlmostEquals(w[3], e1[0] / z1, 1e-6);
  assertAlmostEquals(w[4], e1[1] / z1, 1e-6);
  assertAlmostEquals(w[3] + w[4] + w[5], 1, 1e-6);
  tf.dispose([r.weights, r.read]);
});

Deno.test("nearestItems() gives the nearest (eq. 11) and second-nearest (eq. 13) items", () => {
  const items = tf.tensor2d([[1, 0], [0, 1], [0.6, 0.8]]);
  const { nearest, second } = nearestItems(tf.tensor2d([[0.8, 0.6], [-1, 0]]), items);
  assertEquals(values(nearest), [2, 1]); // q·p: [0.8, 0.6, 0.96] and [-1, 0, -0.6]
  assertEquals(values(second), [0, 2]);
  assertThrows(
    () => nearestItems(tf.tensor2d([[1, 0]]), tf.tensor2d([[1, 0]])),
    RangeError,
    "at least 2 memory items, got 1",
  );
});

Deno.test("distanceToItems() is the Euclidean distance to the named item", () => {
  const d = distanceToItems(
    tf.tensor2d([[0.8, 0.6], [0, 0]]),
    tf.tensor2d([[1, 0], [0, 1]]),
    tf.tensor1d([0, 1], "int32"),
  );
  assertAlmostEquals(values(d)[0], Math.sqrt(0.04 + 0.36), 1e-6);
  assertAlmostEquals(values(d)[1], 1, 1e-6);
});

Deno.test("updateMemory() is eq. 3-5: max-renormalised softmax over the item's own queries", () => {
  const items = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  // q_a and q_c choose item 0, q_b item 1, nobody item 2. q_a is closer to item 1 than
  // q_b is, so eq. 5's maximum must be taken over U^1 = {b} only, not over all queries.
  const r = Math.sqrt(0.75);
  const queries = [[0.8, 0.6, 0], [0, 0.5, -r], [1, 0, 0]];
  const got = values(updateMemory(tf.tensor2d(queries), tf.tensor2d(items)));

  // Eq. 4 literally: softmax over the K queries of p_mᵀq^k, per item.
  const s = queries.map((q) => items.map((p) => dot(p, q))); // [K][M]
  const v = s.map((row) => row.map(() => 0));
  for (let m = 0; m < 3; m++) {
    const z = s.reduce((acc, row) => acc + Math.exp(row[m]), 0);
    for (let k = 0; k < 3; k++) v[k][m] = Math.exp(s[k][m]) / z;
  }
  const nearest = s.map((row) => row.indexOf(Math.max(...row)));
  assertEquals(nearest, [0, 1, 0]);
  const want: number[][] = [];
  for (let m = 0; m < 3; m++) {
    const u = [0, 1, 2].filter((k) => nearest[k] === m);
    const vmax = Math.max(0, ...u.map((k) => v[k][m])); // eq. 5
    const sum = [...items[m]];
    for (const k of u) for (let c = 0; c < 3; c++) sum[c] += (v[k][m] / vmax) * queries[k][c];
    want.push(normalize(sum)); // eq. 3, f = L2 normalisation
  }
  // By hand: item 0 = f([1, 0, 0] + e^{-0.2}·q_a + 1·q_c) (q_a·p_0 = 0.8, q_c·p_0 = 1);
  // item 1 = f([0, 1, 0] + 1·q_b); item 2 unchanged.
  const h = Math.exp(-0.2);
  const byHand = [normalize([2 + 0.8 * h, 0.6 * h, 0]), normalize([0, 1.5, -r]), [0, 0, 1]];
  for (let i = 0; i < 9; i++) {
    assertAlmostEquals(want.flat()[i], byHand.flat()[i], 1e-12, `hand value ${i}`);
    assertAlmostEquals(got[i], byHand.flat()[i], 1e-6, `value ${i}`);
  }
});

Deno.test("updateMemory(…, 'all') divides by the maximum over every query (official code)", () => {
  const items = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const r = Math.sqrt(0.75);
  const queries = [[0.8, 0.6, 0], [0, 0.5, -r], [1, 0, 0]];
  const got = values(updateMemory(tf.tensor2d(queries), tf.tensor2d(items), "all"));
  // Item 1: U^1 = {b} (q_b·p_1 = 0.5), but q_a·p_1 = 0.6 is the largest over all queries,
  // so q_b's weight is e^{0.5 − 0.6} instead of 1. Item 0's maximum is q_c's in both.
  const h = Math.exp(-0.2), w = Math.exp(-0.1);
  const want = [normalize([2 + 0.8 * h, 0.6 * h, 0]), normalize([0, 1 + 0.5 * w, -r * w]), [
    0,
    0,
    1,
  ]];
  for (let i = 0; i < 9; i++) assertAlmostEquals(got[i], want.flat()[i], 1e-6, `value ${i}`);
  assert(Math.abs(got[4] - normalize([0, 1.5, -r])[1]) > 1e-3, "differs from eq. 5 as printed");
});

Deno.test("readMemory(…, false) reads the same values but passes no gradient to queries", () => {
  const items = tf.tensor2d([[1, 0], [0, 1], [0.6, 0.8]]);
  const q = tf.tensor2d([[0.8, 0.6], [-1, 0]]);
  const read = (gradient: boolean) => (x: tf.Tensor) =>
    tf.sum(readMemory(x as tf.Tensor2D, items, gradient).read);
  assertEquals(values(read(false)(q)), values(read(true)(q)));
  assertEquals(values(tf.grad(read(false))(q)), [0, 0, 0, 0]);
  assert(values(tf.grad(read(true))(q)).some((v) => Math.abs(v) > 1e-3));
});

Deno.test("distanceToItems(…, 'mse') is the squared distance over C", () => {
  const d = distanceToItems(
    tf.tensor2d([[0.8, 0.6], [0, 0]]),
    tf.tensor2d([[1, 0], [0, 1]]),
    tf.tensor1d([0, 1], "int32"),
    "mse",
  );
  assertAlmostEquals(values(d)[0], (0.04 + 0.36) / 2, 1e-6);
  assertAlmostEquals(values(d)[1], 1 / 2, 1e-6);
});

Deno.test("initialItemValues(): uniform draws in [0, 1), as many draws as the normal ones", () => {
  const a = new Rng(3), b = new Rng(3);
  const u = initialItemValues(a, 500, "uniform");
  initialItemValues(b, 500, "normal");
  assert(u.every((v) => v >= 0 && v < 1));
  const mean = u.reduce((x, y) => x + y, 0) / u.length;
  assertAlmostEquals(mean, 0.5, 0.05);
  // Box-Muller takes two uniforms per value (rerolling u = 0, which 2^-32 of draws are).
  assertEquals(a.next(), b.next());
  const store = new ParamStore("t");
  const mem = new MnadMemory(store, "memory", new Rng(1), 5, 8, "uniform");
  assert(values(mem.items).every((v) => v >= 0), "official items start in the positive orthant");
  for (const n of values(tf.norm(mem.items, 2, 1))) assertAlmostEquals(n, 1, 1e-5);
  store.dispose();
});

Deno.test("gatedUpdate() updates only when the regular score is below γ", () => {
  const items = tf.tensor2d([[1, 0], [0, 1]]);
  const q = tf.tensor2d([[0.6, 0.8]]);
  const updated = values(updateMemory(q, items));
  assertEquals(values(gatedUpdate(q, items, tf.scalar(0.009), 0.01)), updated);
  assertEquals(values(gatedUpdate(q, items, tf.scalar(0.011), 0.01)), [1, 0, 0, 1]);
  assertEquals(values(gatedUpdate(q, items, tf.scalar(0.01), 0.01)), [1, 0, 0, 1]); // not below
});

Deno.test("MnadMemory holds unit-norm, non-trainable items that update() changes in place", async () => {
  const store = new ParamStore("t");
  const mem = new MnadMemory(store, "memory", new Rng(1), 5, 8);
  assertEquals(mem.items.shape, [5, 8]);
  assertEquals(store.trainableVariables().length, 0);
  assertEquals(store.names(), ["memory.items"]);
  const norms = () => values(tf.tidy(() => tf.norm(mem.items, 2, 1)));
  for (const n of norms()) assertAlmostEquals(n, 1, 1e-5);
  const before = values(mem.items);
  const q = tf.tidy(() => tf.div(tf.ones([3, 8]), Math.sqrt(8))) as tf.Tensor2D;
  mem.update(q);
  await assertNoLeak("3 memory updates", () => {
    for (let i = 0; i < 3; i++) mem.update(q);
  });
  assert(values(mem.items).some((v, i) => v !== before[i]));
  for (const n of norms()) assertAlmostEquals(n, 1, 1e-5);
  assertThrows(() => new MnadMemory(store, "m2", new Rng(1), 1, 8), RangeError, "got 1");
  q.dispose();
  store.dispose();
});
