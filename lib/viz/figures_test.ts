import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { summarizeMemoryUsage } from "../memory/diagnostics.ts";
import type { EpochStats } from "../train/trainer.ts";
import {
  aurocCurveFigure,
  barFigure,
  type Figure,
  lossCurveFigure,
  memoryUsageFigure,
  proFigure,
  rocFigure,
  scatterFigure,
  scoreHistogramFigure,
} from "./figures.ts";

/** A figure survives a JSON round trip unchanged: plain arrays, no undefined, no NaN. */
function assertPlainJson(fig: Figure): void {
  assertEquals(JSON.parse(JSON.stringify(fig)), fig);
}

Deno.test("lossCurveFigure() draws one line per loss term in first-seen order", () => {
  const history: EpochStats[] = [
    { epoch: 1, steps: 3, losses: { total: 0.9, recon: 0.8 }, seconds: 1, imagesPerSecond: 9 },
    {
      epoch: 2,
      steps: 3,
      losses: { total: 0.5, recon: 0.4, entropy: 0.1 },
      seconds: 1,
      imagesPerSecond: 9,
    },
  ];
  const fig = lossCurveFigure(history);
  assertEquals(fig.data.map((t) => t.name), ["total", "recon", "entropy"]);
  assertEquals(fig.data[0].x, [1, 2]);
  assertEquals(fig.data[0].y, [0.9, 0.5]);
  // A term missing from an epoch is a gap, not a zero.
  assertEquals(fig.data[2].y, [null, 0.1]);
  assertEquals((fig.layout.yaxis as { type: string }).type, "linear");
  assertPlainJson(fig);
});

Deno.test("lossCurveFigure() with logY uses a log axis and drops values <= 0 and NaN", () => {
  const fig = lossCurveFigure([
    { epoch: 1, losses: { total: 0.5, adv: -0.2 } },
    { epoch: 2, losses: { total: NaN, adv: 0.3 } },
  ], { logY: true, terms: ["adv", "total"] });
  assertEquals(fig.data.map((t) => t.name), ["adv", "total"]);
  assertEquals(fig.data[0].y, [null, 0.3]);
  assertEquals(fig.data[1].y, [0.5, null]);
  assertEquals((fig.layout.yaxis as { type: string }).type, "log");
  assertPlainJson(fig);
});

Deno.test("lossCurveFigure() of an empty history has no traces", () => {
  assertEquals(lossCurveFigure([]).data, []);
});

Deno.test("rocFigure() draws each curve with its AUROC and the chance diagonal last", () => {
  const points = [
    { threshold: Infinity, fpr: 0, tpr: 0 },
    { threshold: 0.7, fpr: 0, tpr: 0.5 },
    { threshold: 0.2, fpr: 1, tpr: 1 },
  ];
  const fig = rocFigure([{ name: "DAAD", points, auroc: 0.75 }, { name: "AE", points }]);
  assertEquals(fig.data.length, 3);
  assertEquals(fig.data[0].name, "DAAD (AUROC 0.750)");
  assertEquals(fig.data[1].name, "AE");
  assertEquals(fig.data[0].x, [0, 0, 1]);
  assertEquals(fig.data[0].y, [0, 0.5, 1]);
  assertEquals(fig.data[2].name, "chance");
  assertEquals([fig.data[2].x, fig.data[2].y], [[0, 1], [0, 1]]);
  assertPlainJson(fig);
});

Deno.test("proFigure() draws each PRO curve with its AUPRO, the x axis ending at the limit", () => {
  const points = [
    { threshold: Infinity, fpr: 0, pro: 0 },
    { threshold: 0.7, fpr: 0, pro: 0.6 },
    { threshold: 0.2, fpr: 0.1, pro: 0.9 },
  ];
  const fig = proFigure([{ name: "DAAD", points, aupro: 0.8 }, { name: "AE", points }], {
    fprLimit: 0.1,
  });
  assertEquals(fig.data.map((t) => t.name), ["DAAD (AUPRO 0.800)", "AE"]);
  assertEquals(fig.data[0].x, [0, 0, 0.1]);
  assertEquals(fig.data[0].y, [0, 0.6, 0.9]);
  assertEquals((fig.layout.xaxis as { range: number[] }).range, [0, 0.1]);
  assertPlainJson(fig);
  assertThrows(
    () => proFigure([{ name: "bad", points: [{ threshold: 1, fpr: -0.1, pro: 1 }] }]),
    RangeError,
    "PRO curve 'bad': point 0 has fpr -0.1",
  );
});

Deno.test("rocFigure() names the curve, point and value outside [0, 1]", () => {
  assertThrows(
    () => rocFigure([{ name: "bad", points: [{ threshold: 1, fpr: 0.2, tpr: 1.5 }] }]),
    RangeError,
    "ROC curve 'bad': point 0 has tpr 1.5",
  );
});

Deno.test("scoreHistogramFigure() puts both groups on shared bins covering every score", () => {
  const fig = scoreHistogramFigure({
    normal: [0.1, 0.2, 0.3],
    anomalous: Float32Array.from([0.5, 0.9]),
    threshold: 0.4,
  }, { bins: 8 });
  assertEquals(fig.data.length, 2);
  assertEquals(fig.data[0].name, "normal (n=3)");
  assertEquals(fig.data[1].name, "anomalous (n=2)");
  const a = fig.data[0].xbins as { start: number; end: number; size: number };
  assertEquals(fig.data[1].xbins, a);
  assertAlmostEquals(a.start, 0.1, 1e-9);
  assert(a.end > 0.9 - 1e-7, `bins end at ${a.end}, below the largest score`);
  assertAlmostEquals(a.size, (0.9 - 0.1) / 8, 1e-7);
  assertEquals(fig.data[0].histnorm, "probability density");
  const shapes = fig.layout.shapes as { x0: number }[];
  assertEquals(shapes.length, 1);
  assertEquals(shapes[0].x0, 0.4);
  assertEquals(fig.data[1].x, [0.5, Math.fround(0.9)]);
  assertPlainJson(fig);
});

Deno.test("scoreHistogramFigure() rejects non-finite scores and empty input", () => {
  assertThrows(
    () => scoreHistogramFigure({ normal: [0.1, NaN], anomalous: [1] }),
    RangeError,
    "normal[1] is NaN",
  );
  assertThrows(() => scoreHistogramFigure({ normal: [], anomalous: [] }), RangeError, "empty");
  assertThrows(
    () => scoreHistogramFigure({ normal: [1], anomalous: [2] }, { bins: 0 }),
    RangeError,
    "bins must be a positive integer, got 0",
  );
});

Deno.test("barFigure() puts reference values beside the kit's", () => {
  const fig = barFigure({
    labels: ["1,1,1", "4,4,1", "8,8,1"],
    values: [0.81, 0.85, 0.87],
    reference: { name: "paper", values: [0.8, null, 0.872] },
    title: "AUROC per division rate",
    yTitle: "image AUROC",
    yRange: [0.5, 1],
  });
  assertEquals(fig.data.map((t) => t.name), ["this kit", "paper"]);
  assertEquals(fig.data[1].y, [0.8, null, 0.872]);
  assertEquals(fig.data[0].x, ["1,1,1", "4,4,1", "8,8,1"]);
  assertEquals(fig.layout.barmode, "group");
  assertEquals((fig.layout.yaxis as { range: number[] }).range, [0.5, 1]);
  assertEquals((fig.layout.title as { text: string }).text, "AUROC per division rate");
  assertPlainJson(fig);
});

Deno.test("barFigure() rejects values that do not match the labels", () => {
  assertThrows(() => barFigure({ labels: ["a", "b"], values: [1] }), RangeError, "1 values for 2");
  assertThrows(
    () => barFigure({ labels: ["a"], values: [1], reference: { name: "paper", values: [] } }),
    RangeError,
    "series 'paper' has 0 values for 1 labels",
  );
  assertThrows(
    () => barFigure({ labels: ["a"], values: [1], more: [{ name: "daad", values: [1, 2] }] }),
    RangeError,
    "series 'daad' has 2 values for 1 labels",
  );
});

Deno.test("barFigure() draws more series of the kit's between the main one and the reference", () => {
  const fig = barFigure({
    labels: ["0", "1"],
    values: [0.99, 0.98],
    name: "AE",
    more: [{ name: "MemAE*", values: [0.97, null] }, { name: "DAAD", values: [0.995, 0.97] }],
    reference: { name: "paper", values: [0.99, 0.99] },
  });
  assertEquals(fig.data.map((t) => t.name), ["AE", "MemAE*", "DAAD", "paper"]);
  assertEquals(fig.data[1].y, [0.97, null]);
  assertEquals(new Set(fig.data.map((t) => (t.marker as { color: string }).color)).size, 4);
  assertEquals(fig.layout.showlegend, true);
});

Deno.test("scatterFigure() draws one marker series per group with hover names", () => {
  const fig = scatterFigure({
    series: [
      { name: "DAAD", x: Float32Array.from([0, 0.25]), y: [1, 2], text: ["good/000", "cut/001"] },
      { name: "DAAD+", x: [0, 0.5], y: [0.5, 3] },
    ],
    title: "Score vs anomaly area",
  });
  assertEquals(fig.data.length, 2);
  assertEquals(fig.data[0].mode, "markers");
  assertEquals(fig.data[0].x, [0, 0.25]);
  assertEquals(fig.data[0].text, ["good/000", "cut/001"]);
  assertEquals("text" in fig.data[1], false);
  assertPlainJson(fig);
  assertThrows(
    () => scatterFigure({ series: [{ name: "s", x: [1, 2], y: [1] }] }),
    RangeError,
    "series 's': 2 x values but 1 y",
  );
});

Deno.test("memoryUsageFigure() shows each item's share of the weight, largest first", () => {
  const fig = memoryUsageFigure([1, 0, 6, 3], { summary: summarizeMemoryUsage([1, 0, 6, 3]) });
  const y = fig.data[0].y as number[];
  assertEquals(y.length, 4);
  assertAlmostEquals(y.reduce((a, b) => a + b, 0), 1, 1e-12);
  assertEquals(y, [0.6, 0.3, 0.1, 0]);
  assertEquals(fig.data[0].text, ["item 2", "item 3", "item 0", "item 1"]);
  // 6 + 3 = 90% of 10: two items carry 90%, one is unused.
  assert(
    String((fig.layout.title as { text: string }).text).includes("2 of 4 items carry 90%"),
    JSON.stringify(fig.layout.title),
  );
  const unsorted = memoryUsageFigure([1, 0, 6, 3], { sort: false });
  assertEquals(unsorted.data[0].y, [0.1, 0, 0.6, 0.3]);
  assertPlainJson(fig);
});

Deno.test("memoryUsageFigure() takes plain numbers and rejects negative weights", () => {
  assertEquals(
    (memoryUsageFigure([0, 0, 5]).layout.title as { text: string }).text,
    "Memory usage",
  );
  assertThrows(() => memoryUsageFigure([1, -2]), RangeError, "usage[1] is -2");
  assertThrows(() => memoryUsageFigure([]), RangeError, "usage is empty");
});

Deno.test("anomalousSpans() and scoreCurveFigure() shade exactly the anomalous frames", async () => {
  const { anomalousSpans, scoreCurveFigure } = await import("./figures.ts");
  assertEquals(anomalousSpans([4, 5, 6, 7, 8, 9], [0, 1, 1, 0, 1, 0]), [[5, 6], [8, 8]]);
  const fig = scoreCurveFigure({
    name: "v01",
    frames: [4, 5, 6, 7],
    scores: [0.1, 0.9, 0.8, 0.2],
    labels: [0, 1, 1, 0],
  });
  const shapes = (fig.layout as { shapes: { x0: number; x1: number }[] }).shapes;
  assertEquals(shapes.map((s) => [s.x0, s.x1]), [[4.5, 6.5]]);
  assertEquals((fig.data[0] as unknown as { y: number[] }).y, [0.1, 0.9, 0.8, 0.2]);
});

Deno.test("aurocCurveFigure() draws one line per run over its epochs, sorted, gaps for null", () => {
  const fig = aurocCurveFigure([
    { name: "AE", points: [{ epoch: 4, value: 0.9 }, { epoch: 2, value: 0.88 }] },
    { name: "DAAD", points: [{ epoch: 2, value: null }] },
  ], { yRange: [0.5, 1] });
  assertEquals(fig.data.map((t) => t.name), ["AE", "DAAD"]);
  assertEquals([fig.data[0].x, fig.data[0].y], [[2, 4], [0.88, 0.9]]);
  assertEquals([fig.data[1].mode, fig.data[1].y], ["markers", [null]]);
  assertEquals((fig.layout.yaxis as { range: number[] }).range, [0.5, 1]);
  assertThrows(
    () => aurocCurveFigure([{ name: "x", points: [{ epoch: NaN, value: 1 }] }]),
    RangeError,
    "curve 'x': point 0 has epoch NaN",
  );
});
