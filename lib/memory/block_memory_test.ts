import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../tests/tf_helpers.ts";
import { ParamStore } from "../nn/params.ts";
import { Rng } from "../util/rng.ts";
import {
  addressMemory,
  assembleBlocks,
  BlockGeometryError,
  BlockMemory,
  compactnessLoss,
  divideBlocks,
  type Division,
  EMA_DECAY,
  emaItems,
  nearestItem,
  stopGradient,
  validateBlockMemoryConfig,
} from "./block_memory.ts";

await useBackend("cpu");

Deno.test("divideBlocks() puts each block's pixels, in h, w, c order, into one query", () => {
  // 1 image, 4x4 map, 2 channels; value = 100·h + 10·w + c.
  const vals: number[] = [];
  for (let h = 0; h < 4; h++) {
    for (let w = 0; w < 4; w++) for (let c = 0; c < 2; c++) vals.push(100 * h + 10 * w + c);
  }
  const f = tf.tensor4d(vals, [1, 4, 4, 2]);
  const q = divideBlocks(f, [2, 2, 1]);
  assertEquals(q.shape, [4, 8]);
  // Query 1 = block row 0, block column 1: pixels (0,2),(0,3),(1,2),(1,3).
  assertEquals(values(q).slice(8, 16), [20, 21, 30, 31, 120, 121, 130, 131]);
  // With rc = 2 each query holds one channel of one block: query 1 = block (0,0), channel 1.
  const q2 = divideBlocks(f, [2, 2, 2]);
  assertEquals(q2.shape, [8, 4]);
  assertEquals(values(q2).slice(4, 8), [1, 11, 101, 111]);
});

Deno.test("assembleBlocks() is the exact inverse of divideBlocks() for many geometries", () => {
  const rng = new Rng(3);
  const cases: [number[], Division][] = [
    [[2, 8, 8, 4], [2, 2, 1]],
    [[3, 8, 4, 6], [4, 2, 3]],
    [[1, 16, 16, 8], [16, 16, 1]],
    [[2, 6, 9, 4], [3, 9, 2]],
    [[1, 4, 4, 4], [1, 1, 1]],
  ];
  for (const [shape, div] of cases) {
    const f = tf.tensor4d(
      rng.normalArray(shape.reduce((a, b) => a * b)),
      shape as [number, number, number, number],
    );
    const q = divideBlocks(f, div);
    const [b, h, w, c] = shape;
    assertEquals(q.shape, [
      b * div[0] * div[1] * div[2],
      (h / div[0]) * (w / div[1]) * (c / div[2]),
    ]);
    assertEquals(
      values(assembleBlocks(q, f.shape, div)),
      values(f),
      `shape ${shape} division ${div}`,
    );
  }
});

Deno.test("addressMemory() 'daad' matches eq. 1-2 computed by hand on a tiny bank", () => {
  const q = [[1, 0], [0.6, 0.8]];
  const m = [[2, 0], [0, 1], [-1, 0]]; // N = 3, unnormalised items
  const r = addressMemory(tf.tensor2d(q), tf.tensor2d(m), { addressing: "daad" });
  for (let i = 0; i < q.length; i++) {
    const qn = Math.hypot(...q[i]);
    const sims = m.map((item) =>
      (q[i][0] * item[0] + q[i][1] * item[1]) / (qn * Math.hypot(...item))
    );
    const z = sims.reduce((a, s) => a + Math.exp(s), 0);
    const w = sims.map((s) => Math.exp(s) / z).map((v) => (v >= 1 / 3 ? v : 0)); // drop < 1/N
    const read = [0, 1].map((d) => w.reduce((a, wi, k) => a + wi * m[k][d], 0));
    const gotW = values(r.weights).slice(i * 3, i * 3 + 3);
    const gotR = values(r.read).slice(i * 2, i * 2 + 2);
    w.forEach((v, k) => assertAlmostEquals(gotW[k], v, 1e-6));
    read.forEach((v, d) => assertAlmostEquals(gotR[d], v, 1e-6));
  }
  assertEquals(r.entropy, null);
});

/** Eq. 1-2 with temperature τ, the 1/N drop and optional renormalisation, by hand. */
function handAddress(q: number[], m: number[][], tau: number, renorm: boolean) {
  const n = m.length;
  const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k], 0);
  const sims = m.map((item) => dot(q, item) / (Math.hypot(...q) * Math.hypot(...item)) / tau);
  const z = sims.reduce((a, s) => a + Math.exp(s), 0);
  let w = sims.map((s) => Math.exp(s) / z).map((v) => (v >= 1 / n ? v : 0));
  if (renorm) {
    const sum = w.reduce((a, b) => a + b, 0);
    w = w.map((v) => v / sum);
  }
  const read = q.map((_, d) => w.reduce((a, wi, k) => a + wi * m[k][d], 0));
  return { w, read };
}

Deno.test("addressMemory() applies the temperature and renormalisation as computed by hand", () => {
  const q = [[1, 0.2, -0.3], [0.1, 0.9, 0.4]];
  const m = [[2, 0, 0], [0, 1, 0], [-1, 0, 1], [0.5, 0.5, 0.5]]; // N = 4
  for (const temperature of [1, 0.5, 0.1]) {
    for (const renormalize of [false, true]) {
      const r = addressMemory(tf.tensor2d(q), tf.tensor2d(m), {
        addressing: "daad",
        temperature,
        renormalize,
      });
      q.forEach((qi, i) => {
        const want = handAddress(qi, m, temperature, renormalize);
        const gotW = values(r.weights).slice(i * 4, i * 4 + 4);
        const gotR = values(r.read).slice(i * 3, i * 3 + 3);
        want.w.forEach((v, k) => assertAlmostEquals(gotW[k], v, 1e-5, `τ ${temperature}`));
        want.read.forEach((v, d) => assertAlmostEquals(gotR[d], v, 1e-5, `τ ${temperature}`));
      });
    }
  }
});

Deno.test("addressMemory() with a small temperature reads few items; τ = 1 caps weight ratios at e^2", () => {
  const rng = new Rng(9);
  const n = 100;
  const q = tf.tensor2d(rng.normalArray(30 * 8), [30, 8]);
  const m = tf.tensor2d(rng.normalArray(n * 8), [n, 8]);
  const count = (w: number[]) => w.filter((v) => v > 0).length / 30;
  const printed = values(addressMemory(q, m, { addressing: "daad" }).weights);
  const sharp = values(addressMemory(q, m, { addressing: "daad", temperature: 0.05 }).weights);
  for (let i = 0; i < 30; i++) {
    const row = printed.slice(i * n, (i + 1) * n).filter((v) => v > 0);
    assert(Math.max(...row) / Math.min(...row) <= Math.exp(2) + 1e-4);
  }
  assert(count(printed) > 25, `eq. 1 as printed reads ${count(printed)} items per query`);
  assert(count(sharp) < 10, `τ 0.05 reads ${count(sharp)} items per query`);
});

Deno.test("BlockMemory.initFromQueries() copies queries into the items once, and records the start", () => {
  const store = new ParamStore("t");
  const mem = new BlockMemory(store, "mem", new Rng(3), { height: 4, width: 4, channels: 2 }, {
    division: [2, 2, 1],
    items: 6,
    addressing: "daad",
    shrinkThreshold: 0,
    temperature: 0.1,
    renormalize: true,
    init: "queries",
  });
  assert(mem.needsInit);
  const rng = new Rng(1);
  const f = tf.tensor4d(rng.normalArray(2 * 4 * 4 * 2), [2, 4, 4, 2]); // 8 queries of D 8
  mem.initFromQueries(f, new Rng(2));
  assert(!mem.needsInit);
  const queries = values(divideBlocks(f, [2, 2, 1]));
  const items = values(mem.bank);
  const start = mem.startItems();
  assertEquals(values(start), items);
  // Each item is one of the 8 queries plus a jitter of about 1% of the query norm.
  for (let i = 0; i < 6; i++) {
    const item = items.slice(i * 8, i * 8 + 8);
    let best = Infinity;
    for (let j = 0; j < 8; j++) {
      const qj = queries.slice(j * 8, j * 8 + 8);
      best = Math.min(best, Math.hypot(...item.map((v, k) => v - qj[k])) / Math.hypot(...qj));
    }
    assert(best < 0.05, `item ${i} is ${best} away from its query`);
  }
  // A second call leaves the bank alone.
  mem.initFromQueries(tf.zeros([2, 4, 4, 2]), new Rng(3));
  assertEquals(values(mem.bank), items);
  start.dispose();
  store.dispose();
});

Deno.test("addressMemory() 'daad' zeroes every weight below 1/N and keeps the rest", () => {
  const rng = new Rng(4);
  const n = 50;
  const q = tf.tensor2d(rng.normalArray(20 * 16), [20, 16]);
  const m = tf.tensor2d(rng.normalArray(n * 16), [n, 16]);
  const w = values(addressMemory(q, m, { addressing: "daad" }).weights);
  const soft = values(tf.softmax(tf.matMul(
    tf.div(q, tf.norm(q, 2, 1, true)),
    tf.div(m, tf.norm(m, 2, 1, true)),
    false,
    true,
  )));
  let zeros = 0;
  for (let i = 0; i < w.length; i++) {
    if (soft[i] < 1 / n) {
      assertEquals(w[i], 0);
      zeros++;
    } else {
      assertAlmostEquals(w[i], soft[i], 1e-6);
    }
  }
  assert(zeros > 0 && zeros < w.length, `some but not all weights dropped (${zeros})`);
});

Deno.test("addressMemory() 'memae' shrinks, renormalises to 1 and reports the entropy", () => {
  const lambda = 0.3;
  const q = tf.tensor2d([[1, 0]]);
  const m = tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
  const r = addressMemory(q, m, { addressing: "memae", shrinkThreshold: lambda });
  const z = Math.exp(1) + Math.exp(0) + Math.exp(-1);
  const soft = [Math.exp(1) / z, 1 / z, Math.exp(-1) / z]; // 0.665, 0.245, 0.090
  const shrunk = soft.map((w) => (Math.max(w - lambda, 0) * w) / (Math.abs(w - lambda) + 1e-12));
  const sum = shrunk.reduce((a, b) => a + b, 0);
  const want = shrunk.map((v) => v / sum); // [1, 0, 0]: only the first passes λ
  values(r.weights).forEach((v, k) => assertAlmostEquals(v, want[k], 1e-6));
  assertAlmostEquals(values(r.weights).reduce((a, b) => a + b, 0), 1, 1e-6);
  const entropy = -want.reduce((a, w) => a + w * Math.log(w + 1e-12), 0);
  assertAlmostEquals(r.entropy!.dataSync()[0], entropy, 1e-6);
});

Deno.test("BlockMemory: gradients reach the memory items and the input", () => {
  const store = new ParamStore("t");
  const rng = new Rng(5);
  const mem = new BlockMemory(store, "mem", rng, { height: 4, width: 4, channels: 2 }, {
    division: [2, 2, 1],
    items: 6,
    addressing: "daad",
    shrinkThreshold: 0.0025,
    temperature: 1,
    renormalize: false,
    init: "random" as const,
  });
  const x = tf.variable(tf.tensor4d(rng.normalArray(2 * 4 * 4 * 2), [2, 4, 4, 2]));
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.square(mem.apply(x as unknown as tf.Tensor4D).output)),
    [mem.bank, x],
  );
  const gm = values(grads[mem.bank.name]), gx = values(grads[x.name]);
  assert(gm.some((v) => Math.abs(v) > 1e-6), "memory items get a gradient");
  assert(gx.some((v) => Math.abs(v) > 1e-6), "the input gets a gradient (through the addressing)");
  assert([...gm, ...gx].every(Number.isFinite));
  x.dispose();
  store.dispose();
});

Deno.test("BlockMemory handles an all-zero query (ReLU features) with finite gradients", () => {
  const store = new ParamStore("t");
  const mem = new BlockMemory(store, "mem", new Rng(6), { height: 2, width: 2, channels: 2 }, {
    division: [1, 1, 1],
    items: 4,
    addressing: "daad",
    shrinkThreshold: 0.0025,
    temperature: 1,
    renormalize: false,
    init: "random" as const,
  });
  const x = tf.variable(tf.zeros([1, 2, 2, 2]));
  const { grads } = tf.variableGrads(() => tf.sum(mem.apply(x as unknown as tf.Tensor4D).output), [
    mem.bank,
    x,
  ]);
  assert(
    values(grads[x.name]).every(Number.isFinite) &&
      values(grads[mem.bank.name]).every(Number.isFinite),
  );
  x.dispose();
  store.dispose();
});

Deno.test("validateBlockMemoryConfig() names the scale, the map size and the rates", () => {
  const config = {
    division: [3, 3, 1] as Division,
    items: 10,
    addressing: "daad" as const,
    shrinkThreshold: 0,
    temperature: 1,
    renormalize: false,
    init: "random" as const,
  };
  const e = assertThrows(
    () =>
      validateBlockMemoryConfig(config, { height: 8, width: 8, channels: 4 }, "memory at scale 2"),
    BlockGeometryError,
  );
  for (const part of ["memory at scale 2", "3,3,1", "8x8x4"]) {
    assert(e.message.includes(part), e.message);
  }
  assertThrows(
    () =>
      validateBlockMemoryConfig({ ...config, division: [2, 2, 1], items: 0 }, {
        height: 8,
        width: 8,
        channels: 4,
      }),
    BlockGeometryError,
    "memory size",
  );
  assertThrows(
    () =>
      validateBlockMemoryConfig({ ...config, division: [0, 2, 1] }, {
        height: 8,
        width: 8,
        channels: 4,
      }),
    BlockGeometryError,
    "rh=0",
  );
});

Deno.test("BlockMemory leaves no tensors behind", async () => {
  const store = new ParamStore("t");
  const mem = new BlockMemory(store, "mem", new Rng(7), { height: 4, width: 4, channels: 4 }, {
    division: [2, 2, 2],
    items: 8,
    addressing: "memae",
    shrinkThreshold: 0.0025,
    temperature: 1,
    renormalize: false,
    init: "random" as const,
  });
  const x = tf.randomNormal([2, 4, 4, 4]) as tf.Tensor4D;
  await assertNoLeak("memory forward+backward", () => {
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const o = mem.apply(x);
          return tf.add(tf.sum(o.output), o.entropy!) as tf.Scalar;
        }, [mem.bank]);
        values(grads[mem.bank.name]);
      });
    }
  });
  x.dispose();
  store.dispose();
});

Deno.test("compactnessLoss() is the mean squared distance to the item of largest weight, by hand", () => {
  const q = tf.tensor2d([[1, 2], [3, -1]]);
  const m = tf.tensor2d([[0, 0], [1, 1], [4, 0]]);
  const w = tf.tensor2d([[0.2, 0.7, 0.1], [0.1, 0.3, 0.6]]); // items 1 and 2
  const c = compactnessLoss(q, m, w);
  // ((1-1)² + (2-1)² + (3-4)² + (-1-0)²) / 4 = 3 / 4.
  assertAlmostEquals(c.dataSync()[0], 0.75, 1e-6);
  // Its gradient pulls only the chosen items: item 0 gets none.
  const mv = tf.variable(m);
  const { grads } = tf.variableGrads(() => compactnessLoss(q, mv as tf.Tensor2D, w), [mv]);
  const g = values(grads[mv.name]);
  assertEquals(g.slice(0, 2), [0, 0]);
  // d/dm1 = -2(q0 - m1) / 4 = [0, -0.5]; d/dm2 = -2(q1 - m2) / 4 = [0.5, 0.5].
  [0, -0.5, 0.5, 0.5].forEach((v, i) => assertAlmostEquals(g[2 + i], v, 1e-6));
  mv.dispose();
});

Deno.test("emaItems() takes one soft k-means step on running sums, as computed by hand", () => {
  // Two items, three queries of D 2; query 3 reads nothing (dropped weights).
  const q = tf.tensor2d([[2, 0], [0, 4], [9, 9]]);
  const w = tf.tensor2d([[1, 0], [0.5, 0.5], [0, 0]]);
  const count = tf.tensor1d([1, 2]);
  const sum = tf.tensor2d([[1, 1], [2, 0]]);
  const next = emaItems(q, w, count, sum, 0.9);
  // counts: 0.9·[1, 2] + 0.1·[1.5, 0.5] = [1.05, 1.85]
  const c = values(next.count);
  assertAlmostEquals(c[0], 1.05, 1e-6);
  assertAlmostEquals(c[1], 1.85, 1e-6);
  // sums: 0.9·[[1,1],[2,0]] + 0.1·[[1·2 + 0.5·0, 0 + 0.5·4], [0.5·0, 0.5·4]]
  const expectSum = [0.9 + 0.2, 0.9 + 0.2, 1.8 + 0, 0 + 0.2];
  values(next.sum).forEach((v, i) => assertAlmostEquals(v, expectSum[i], 1e-6));
  const expectItems = [1.1 / 1.05, 1.1 / 1.05, 1.8 / 1.85, 0.2 / 1.85];
  values(next.items).forEach((v, i) => assertAlmostEquals(v, expectItems[i], 1e-6));
  tf.dispose([q, w, count, sum, next.count, next.sum, next.items]);
});

Deno.test("BlockMemory with update 'ema' moves its items towards their queries, outside the optimiser", async () => {
  const store = new ParamStore("t");
  const config = {
    division: [2, 2, 1] as Division,
    items: 4,
    addressing: "daad" as const,
    shrinkThreshold: 0,
    temperature: 0.05,
    renormalize: true,
    init: "queries" as const,
    update: "ema" as const,
  };
  const mem = new BlockMemory(
    store,
    "mem",
    new Rng(5),
    { height: 4, width: 4, channels: 2 },
    config,
  );
  // The items are no trainable variable: the optimiser never sees them.
  assert(!store.trainableVariables().includes(mem.bank));
  const f = tf.tensor4d(new Rng(1).normalArray(2 * 4 * 4 * 2), [2, 4, 4, 2]);
  mem.initFromQueries(f, new Rng(2));
  const before = values(mem.bank);
  // An evaluation pass (no update) leaves the items alone.
  tf.dispose(Object.values(mem.apply(f)).filter((t) => t != null) as tf.Tensor[]);
  assertEquals(values(mem.bank), before);
  // A training pass reads the items as they were, then takes exactly emaItems()'s step.
  const expectRead = addressMemory(divideBlocks(f, [2, 2, 1]), tf.tensor2d(before, [4, 8]), config);
  const expected = emaItems(
    divideBlocks(f, [2, 2, 1]),
    expectRead.weights,
    tf.ones([4]),
    tf.tensor2d(before, [4, 8]),
    EMA_DECAY,
  );
  const out = mem.apply(f, { update: true });
  const assembled = values(assembleBlocks(expectRead.read, [2, 4, 4, 2], [2, 2, 1]));
  values(out.output).forEach((v, i) => assertAlmostEquals(v, assembled[i], 1e-5));
  values(mem.bank).forEach((v, i) => assertAlmostEquals(v, values(expected.items)[i], 1e-5));
  // Repeated training passes on the same queries: items approach the queries' weighted means.
  await assertNoLeak("ema training passes", () => {
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const o = mem.apply(f, { update: true });
        values(o.output);
      });
    }
  });
  tf.dispose([f, out.output, out.weights, expectRead.weights, expectRead.read]);
  tf.dispose([expected.count, expected.sum, expected.items]);
  store.dispose();
});

Deno.test("validateBlockMemoryConfig() refuses an unknown memory update, naming it", () => {
  assertThrows(
    () =>
      validateBlockMemoryConfig({
        division: [1, 1, 1],
        items: 2,
        addressing: "daad",
        shrinkThreshold: 0,
        temperature: 1,
        renormalize: false,
        init: "random",
        update: "kmeans" as "ema",
      }, { height: 2, width: 2, channels: 1 }),
    BlockGeometryError,
    "unknown memory update 'kmeans'",
  );
});

// ---------------------------------------------------------------------------------------
// `dot` and `vq` addressing, by hand on a bank of 2 items and 3 queries (D = 2):
// M = [[1, 0], [0, 2]], Q = [[2, 0.5], [1, 1], [0, 3]].
const HAND_M = [[1, 0], [0, 2]];
const HAND_Q = [[2, 0.5], [1, 1], [0, 3]];
// Upstream gradient of the read, dL/dread, for L = Σ read · G.
const HAND_G = [[0.5, -1], [2, 1], [-1, 0.25]];

/** L = Σ read·G (+ extra losses) and its gradients w.r.t. queries and items. */
function handGrads(
  options: Parameters<typeof addressMemory>[2],
  extra: (r: ReturnType<typeof addressMemory>) => tf.Scalar | null = () => null,
) {
  const q = tf.variable(tf.tensor2d(HAND_Q));
  const m = tf.variable(tf.tensor2d(HAND_M));
  const g = tf.tensor2d(HAND_G);
  const { value, grads } = tf.variableGrads(() => {
    const r = addressMemory(q as tf.Tensor2D, m as tf.Tensor2D, options);
    const loss = tf.sum(tf.mul(r.read, g)) as tf.Scalar;
    const more = extra(r);
    return more == null ? loss : tf.add(loss, more) as tf.Scalar;
  }, [q, m]);
  const out = { loss: value.dataSync()[0], dq: values(grads[q.name]), dm: values(grads[m.name]) };
  tf.dispose([q, m, g, value, ...Object.values(grads)]);
  return out;
}

Deno.test("stopGradient() passes values and stops gradients", () => {
  const x = tf.variable(tf.tensor1d([1, 2]));
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.add(tf.mul(x, 3), stopGradient(tf.mul(x, x)))) as tf.Scalar,
    [x],
  );
  assertEquals(value.dataSync()[0], 3 + 6 + 1 + 4);
  assertEquals(values(grads[x.name]), [3, 3]);
  tf.dispose([x, value, grads[x.name]]);
});

Deno.test("addressMemory() 'dot' matches a softmax of raw inner products by hand, then the 1/N drop", () => {
  // Inner products q·m: [2, 1], [1, 2], [0, 6]; softmax [e/(e+1), 1/(e+1)] etc.
  // Below 1/N = 1/2 and dropped: 1/(e+1) and 1/(1+e^6).
  const a = Math.E / (Math.E + 1), d = Math.exp(6) / (1 + Math.exp(6));
  const r = addressMemory(tf.tensor2d(HAND_Q), tf.tensor2d(HAND_M), {
    addressing: "daad",
    similarity: "dot",
  });
  // N = 2: weights below 1/2 are dropped (no renormalisation).
  values(r.weights).forEach((v, i) => assertAlmostEquals(v, [a, 0, 0, a, 0, d][i], 1e-6));
  values(r.read).forEach((v, i) => assertAlmostEquals(v, [a, 0, 0, 2 * a, 0, 2 * d][i], 1e-6));
  assertEquals([r.entropy, r.commitment, r.codebook], [null, null, null]);
  // The cosine softmax of the same bank differs: q1 = [2, 0.5] has cosines 0.970, 0.243.
  const cos = addressMemory(tf.tensor2d(HAND_Q), tf.tensor2d(HAND_M), { addressing: "daad" });
  const c1 = 2 / Math.hypot(2, 0.5), c2 = 0.5 / Math.hypot(2, 0.5);
  assertAlmostEquals(values(cos.weights)[0], 1 / (1 + Math.exp(c2 - c1)), 1e-6);
  // MemAE's shrinkage (λ = 0.3) on the dot softmax: q3's weights [c, d] -> [0, 1].
  const mem = addressMemory(tf.tensor2d(HAND_Q), tf.tensor2d(HAND_M), {
    addressing: "memae",
    similarity: "dot",
    shrinkThreshold: 0.3,
  });
  values(mem.weights).forEach((v, i) => assertAlmostEquals(v, [1, 0, 0, 1, 0, 1][i], 1e-6));
  tf.dispose([r.weights, r.read, cos.weights, cos.read, mem.weights, mem.read, mem.entropy!]);
});

Deno.test("addressMemory() 'dot' gradients w.r.t. queries and items equal the softmax Jacobian by hand", () => {
  // Forward in float64: s = Q Mᵀ, w = softmax(s), mask = w >= 1/N, read = (mask·w) M.
  const n = 2, dim = 2;
  const s = HAND_Q.map((q) => HAND_M.map((m) => q[0] * m[0] + q[1] * m[1]));
  const w = s.map((row) => {
    const z = row.map(Math.exp), t = z[0] + z[1];
    return z.map((v) => v / t);
  });
  const mask = w.map((row) => row.map((v) => (v >= 1 / n ? 1 : 0)));
  // dL/dw_ij = mask_ij (g_i·m_j); dL/ds_ij = w_ij (dL/dw_ij − Σ_k w_ik dL/dw_ik).
  const dw = HAND_G.map((g, i) => HAND_M.map((m, j) => mask[i][j] * (g[0] * m[0] + g[1] * m[1])));
  const ds = dw.map((row, i) => {
    const dot = row[0] * w[i][0] + row[1] * w[i][1];
    return row.map((v, j) => w[i][j] * (v - dot));
  });
  // dL/dq_i = Σ_j ds_ij m_j; dL/dm_j = Σ_i mask_ij w_ij g_i + Σ_i ds_ij q_i.
  const dq = HAND_Q.flatMap((_, i) =>
    Array.from({ length: dim }, (_, k) => ds[i][0] * HAND_M[0][k] + ds[i][1] * HAND_M[1][k])
  );
  const dm = HAND_M.flatMap((_, j) =>
    Array.from({ length: dim }, (_, k) =>
      HAND_Q.reduce(
        (acc, q, i) => acc + mask[i][j] * w[i][j] * HAND_G[i][k] + ds[i][j] * q[k],
        0,
      ))
  );
  const got = handGrads({ addressing: "daad", similarity: "dot" });
  got.dq.forEach((v, i) => assertAlmostEquals(v, dq[i], 1e-5, `dL/dq[${i}]`));
  got.dm.forEach((v, i) => assertAlmostEquals(v, dm[i], 1e-5, `dL/dm[${i}]`));
  // Non-trivial: the softmax carries gradient to both sides.
  assert(dq.some((v) => Math.abs(v) > 1e-3) && dm.some((v) => Math.abs(v) > 1e-3));
});

Deno.test("nearestItem() 'vq': one-hot weights, read, both losses and straight-through gradients by hand", () => {
  // Squared distances: q1 [1.25, 6.25] -> item 0; q2 [1, 2] -> item 0; q3 [10, 1] -> item 1.
  const r = nearestItem(tf.tensor2d(HAND_Q), tf.tensor2d(HAND_M));
  assertEquals(values(r.weights), [1, 0, 1, 0, 0, 1]);
  assertEquals(values(r.read), [1, 0, 1, 0, 0, 2]);
  assertEquals(r.entropy, null);
  // (q − m_k)²: [1, 0.25], [0, 1], [0, 1]: mean 3.25 / 6.
  assertAlmostEquals(r.commitment.dataSync()[0], 3.25 / 6, 1e-6);
  assertAlmostEquals(r.codebook.dataSync()[0], 3.25 / 6, 1e-6);
  tf.dispose([r.weights, r.read, r.commitment, r.codebook]);
  const vq = { addressing: "daad" as const, similarity: "vq" as const };
  // The read alone: its gradient goes straight through to the queries, none to the items.
  const read = handGrads(vq);
  assertAlmostEquals(read.loss, 0.5 + 2 + 0.5, 1e-6); // Σ read·G
  read.dq.forEach((v, i) => assertAlmostEquals(v, HAND_G.flat()[i], 1e-6));
  assertEquals(read.dm, [0, 0, 0, 0]);
  // β·commitment: d/dq = β·2(q − m_k)/6, nothing to the items.
  const beta = 0.25;
  const commit = handGrads(vq, (x) => tf.mul(x.commitment!, beta) as tf.Scalar);
  const diff = [[1, 0.5], [0, 1], [0, 1]]; // q − m_k
  commit.dq.forEach((v, i) =>
    assertAlmostEquals(v, HAND_G.flat()[i] + beta * 2 * diff.flat()[i] / 6, 1e-6)
  );
  assertEquals(commit.dm, [0, 0, 0, 0]);
  // Codebook: d/dm_k = Σ over its queries of 2(m_k − q)/6; nothing to the queries.
  const book = handGrads(vq, (x) => x.codebook!);
  book.dq.forEach((v, i) => assertAlmostEquals(v, HAND_G.flat()[i], 1e-6));
  const dm = [(2 / 6) * (-1 + 0), (2 / 6) * (-0.5 - 1), 0, (2 / 6) * (2 - 3)];
  book.dm.forEach((v, i) => assertAlmostEquals(v, dm[i], 1e-6, `dL/dm[${i}]`));
});

Deno.test("BlockMemory 'vq' with items by EMA takes emaItems()'s step with one-hot weights", () => {
  const store = new ParamStore("t");
  const config = {
    division: [2, 2, 1] as Division,
    items: 4,
    addressing: "daad" as const,
    shrinkThreshold: 0,
    temperature: 1,
    renormalize: false,
    init: "queries" as const,
    update: "ema" as const,
    similarity: "vq" as const,
  };
  const mem = new BlockMemory(
    store,
    "mem",
    new Rng(5),
    { height: 4, width: 4, channels: 2 },
    config,
  );
  const f = tf.tensor4d(new Rng(1).normalArray(2 * 4 * 4 * 2), [2, 4, 4, 2]);
  mem.initFromQueries(f, new Rng(2));
  const before = values(mem.bank);
  const q = divideBlocks(f, [2, 2, 1]);
  const expectRead = nearestItem(q, tf.tensor2d(before, [4, 8]));
  // Every row one-hot: a hard k-means step.
  assertEquals(values(tf.sum(expectRead.weights, 1)), Array(8).fill(1));
  const expected = emaItems(
    q,
    expectRead.weights,
    tf.ones([4]),
    tf.tensor2d(before, [4, 8]),
    EMA_DECAY,
  );
  const out = mem.apply(f, { update: true });
  values(mem.bank).forEach((v, i) => assertAlmostEquals(v, values(expected.items)[i], 1e-5));
  // EMA items have no codebook loss (the optimiser does not move them); commitment stays.
  assertEquals(out.codebook, null);
  assertAlmostEquals(out.commitment!.dataSync()[0], expectRead.commitment.dataSync()[0], 1e-6);
  tf.dispose([f, q, out.output, out.weights, out.commitment!, expected.count, expected.sum]);
  tf.dispose([expected.items, expectRead.weights, expectRead.read, expectRead.commitment]);
  tf.dispose(expectRead.codebook);
  store.dispose();
});

Deno.test("validateBlockMemoryConfig() refuses an unknown similarity, naming it", () => {
  assertThrows(
    () =>
      validateBlockMemoryConfig({
        division: [1, 1, 1],
        items: 2,
        addressing: "daad",
        shrinkThreshold: 0,
        temperature: 1,
        renormalize: false,
        init: "random",
        similarity: "l1" as "vq",
      }, { height: 2, width: 2, channels: 1 }),
    BlockGeometryError,
    "unknown similarity 'l1'",
  );
});
