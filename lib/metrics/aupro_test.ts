import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { Rng } from "../util/rng.ts";
import { aupro, labelRegions, MetricInputError, proAnalysis, proCurve } from "./mod.ts";

// Regions by union-find over every pair of 8-neighbours: a second way to the components.
function regionsBrute(mask: ArrayLike<number>, h: number, w: number): number[][] {
  const parent = Array.from({ length: h * w }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let a = 0; a < h * w; a++) {
    for (let b = a + 1; b < h * w; b++) {
      const ya = Math.floor(a / w), xa = a % w, yb = Math.floor(b / w), xb = b % w;
      if (mask[a] && mask[b] && Math.abs(ya - yb) <= 1 && Math.abs(xa - xb) <= 1) {
        parent[find(a)] = find(b);
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (let p = 0; p < h * w; p++) {
    if (!mask[p]) continue;
    const r = find(p);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(p);
  }
  return [...groups.values()];
}

// The definition, evaluated threshold by threshold: every distinct score (and +Inf),
// FPR and PRO counted directly, the limit point interpolated, the trapezoids summed.
function auproBrute(maps: Float32Array[], masks: Uint8Array[], h: number, w: number, lim: number) {
  const regions = masks.flatMap((m, i) =>
    regionsBrute(m, h, w).map((r) => r.map((p) => maps[i][p]))
  );
  const normals = masks.flatMap((m, i) => [...m].flatMap((v, p) => (v ? [] : [maps[i][p]])));
  const thresholds = [Infinity, ...new Set(maps.flatMap((m) => [...m]))].sort((a, b) => b - a);
  const curve = thresholds.map((t) => ({
    fpr: normals.filter((s) => s >= t).length / normals.length,
    pro: regions.reduce((a, r) => a + r.filter((s) => s >= t).length / r.length, 0) /
      regions.length,
  }));
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1], b = curve[i];
    if (a.fpr >= lim) break;
    if (b.fpr <= lim) {
      area += (b.fpr - a.fpr) * (a.pro + b.pro) / 2;
    } else {
      const pro = a.pro + (lim - a.fpr) / (b.fpr - a.fpr) * (b.pro - a.pro);
      area += (lim - a.fpr) * (a.pro + pro) / 2;
    }
  }
  return area / lim;
}

Deno.test("labelRegions() joins diagonal neighbours into one 8-connected region", () => {
  // 1 0 1
  // 0 1 0
  // 0 0 0
  // 1 1 0
  const r = labelRegions(Uint8Array.of(1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0), 4, 3);
  assertEquals(r.count, 2);
  assertEquals(r.sizes, [3, 2]);
  assertEquals(Array.from(r.labels), [1, 0, 1, 0, 1, 0, 0, 0, 0, 2, 2, 0]);
});

Deno.test("labelRegions() finds the components union-find finds on random masks", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 30; trial++) {
    const h = 1 + rng.int(9), w = 1 + rng.int(9);
    const mask = Uint8Array.from({ length: h * w }, () => (rng.next() < 0.35 ? 1 : 0));
    const r = labelRegions(mask, h, w);
    const brute = regionsBrute(mask, h, w);
    assertEquals(r.count, brute.length);
    for (const region of brute) {
      const ids = new Set(region.map((p) => r.labels[p]));
      assertEquals(ids.size, 1, "a region keeps one label");
      assertEquals(r.sizes[[...ids][0] - 1], region.length);
    }
  }
});

Deno.test("aupro() matches a computation by hand on two 3x3 maps", () => {
  // Image A: region 1 = the two top-left pixels, region 2 = the bottom-right one;
  // image B is normal. 15 normal pixels in all.
  const masks = [Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0, 1), new Uint8Array(9)];
  const maps = [
    Float32Array.of(0.9, 0.4, 0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.7),
    Float32Array.of(0.5, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1),
  ];
  // t = 0.9: PRO (1/2 + 0)/2;  0.7: (1/2 + 1)/2;  0.5: FPR 1/15;  0.4: PRO 1;
  // 0.3: FPR 3/15;  0.2: FPR 4/15;  0.1: FPR 1.
  const pts = proCurve(maps, masks, [3, 3]);
  assertEquals(
    pts.map((p) => p.threshold),
    [Infinity, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1].map(
      (t) => t === Infinity ? t : Math.fround(t),
    ),
  );
  const expected = [[0, 0], [0, 0.25], [0, 0.75], [1 / 15, 0.75], [1 / 15, 1], [3 / 15, 1], [
    4 / 15,
    1,
  ], [1, 1]];
  pts.forEach((p, i) => {
    assertAlmostEquals(p.fpr, expected[i][0], 1e-12);
    assertAlmostEquals(p.pro, expected[i][1], 1e-12);
  });
  // Up to 0.3: 0.75 from 0 to 1/15, then 1 to 0.3 (the limit point interpolated on the
  // flat segment to FPR 1): (0.05 + 0.2333...) / 0.3 = 17/18.
  assertAlmostEquals(aupro(maps, masks, [3, 3]), 17 / 18, 1e-12);
  assertAlmostEquals(aupro(maps, masks, [3, 3], 0.05), 0.75, 1e-12);
  // The whole curve: 0.05 + (1 - 1/15) = 59/60.
  assertAlmostEquals(aupro(maps, masks, [3, 3], 1), 0.05 + 14 / 15, 1e-12);
});

Deno.test("aupro() counts tied pixels together and interpolates at the limit", () => {
  // One anomalous and one normal pixel with the same score: the curve jumps from (0, 0)
  // to (1, 1) at once; at FPR 0.3 the PRO is 0.3, so the area is 0.3 * 0.3 / 2.
  const maps = [Float32Array.of(0.5, 0.5)], masks = [Uint8Array.of(1, 0)];
  assertEquals(proCurve(maps, masks, [1, 2]).map((p) => [p.fpr, p.pro]), [[0, 0], [1, 1]]);
  assertAlmostEquals(aupro(maps, masks, [1, 2]), 0.15, 1e-12);
  // Perfect and inverted maps.
  assertEquals(
    aupro([Float32Array.of(0.9, 0.8, 0.1, 0.2)], [Uint8Array.of(1, 1, 0, 0)], [2, 2]),
    1,
  );
  assertEquals(
    aupro([Float32Array.of(0.1, 0.2, 0.9, 0.8)], [Uint8Array.of(1, 1, 0, 0)], [2, 2]),
    0,
  );
});

Deno.test("aupro() weighs every region equally, whatever its size", () => {
  // A 3-pixel region fully found and a 1-pixel region missed: PRO 0.5, not 3/4.
  // 1 1 1 0 0
  // 0 0 0 0 1
  const masks = [Uint8Array.of(1, 1, 1, 0, 0, 0, 0, 0, 0, 1)];
  const maps = [Float32Array.of(9, 9, 9, 1, 1, 1, 1, 1, 1, 0)];
  const pts = proCurve(maps, masks, [2, 5]);
  assertEquals(pts[1], { threshold: 9, fpr: 0, pro: 0.5 });
  assertAlmostEquals(aupro(maps, masks, [2, 5]), 0.5, 1e-12);
});

Deno.test("aupro() matches a brute-force threshold sweep to 1e-6 on random maps", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 40; trial++) {
    const h = 2 + rng.int(7), w = 2 + rng.int(7), n = 1 + rng.int(4);
    const ties = trial % 2 === 0;
    const masks = Array.from(
      { length: n },
      () => Uint8Array.from({ length: h * w }, () => (rng.next() < 0.3 ? 1 : 0)),
    );
    masks[0][0] = 1; // at least one region
    masks[0][h * w - 1] = 0; // at least one normal pixel
    const maps = masks.map((m) =>
      Float32Array.from(m, (v) => (ties ? rng.int(6) / 5 : rng.next()) + 0.3 * v)
    );
    for (const lim of [0.3, 0.05, 0.5, 1]) {
      assertAlmostEquals(aupro(maps, masks, [h, w], lim), auproBrute(maps, masks, h, w, lim), 1e-6);
    }
  }
});

Deno.test("aupro() rejects masks without regions or normals, bad shapes and limits, NaN", () => {
  const map = [new Float32Array(4)];
  assertThrows(() => aupro(map, [new Uint8Array(4)], [2, 2]), MetricInputError, "region");
  assertThrows(() => aupro(map, [new Uint8Array(4).fill(1)], [2, 2]), MetricInputError, "normal");
  assertThrows(() => aupro(map, [Uint8Array.of(1, 0, 0, 0)], [3, 2]), MetricInputError, "has 4");
  assertThrows(() => aupro(map, [], [2, 2]), MetricInputError, "1 anomaly maps but 0 masks");
  assertThrows(
    () => aupro(map, [Uint8Array.of(1, 0, 0, 0)], [2, 2], 0),
    MetricInputError,
    "fprLimit must be in (0, 1], got 0",
  );
  assertThrows(
    () => aupro([Float32Array.of(0, NaN, 0, 0)], [Uint8Array.of(1, 0, 0, 0)], [2, 2]),
    MetricInputError,
    "pixel 1 is NaN",
  );
});

Deno.test("proAnalysis() thins the curve it returns but keeps the area exact", () => {
  const rng = new Rng(4);
  const h = 40, w = 40;
  const masks = [0, 1, 2].map(() =>
    Uint8Array.from({ length: h * w }, (_, p) => (p % w > 30 && p % w < 36 ? 1 : 0))
  );
  const maps = masks.map((m) => Float32Array.from(m, (v) => rng.next() + 0.4 * v));
  const full = proAnalysis(maps, masks, [h, w]);
  const thin = proAnalysis(maps, masks, [h, w], { maxPoints: 20 });
  assert(full.curve.length > 500, `${full.curve.length} points`);
  assert(thin.curve.length <= 42, `${thin.curve.length} points`);
  assertEquals(thin.aupro, full.aupro);
  assertEquals(thin.curve[0], full.curve[0]);
  assertEquals(thin.curve.at(-1), full.curve.at(-1));
  assertAlmostEquals(full.curve.at(-1)!.fpr, 0.3, 1e-12);
  assertEquals([full.regions, full.normalPixels], [3, 3 * (h * w - 5 * h)]);
  for (let i = 1; i < thin.curve.length; i++) {
    assert(
      thin.curve[i].fpr >= thin.curve[i - 1].fpr && thin.curve[i].pro >= thin.curve[i - 1].pro,
    );
  }
});
