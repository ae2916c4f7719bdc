import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { classSummaryToMarkdown, meanCurvesToMarkdown, summarizeByClass } from "./class_summary.ts";
import type { ComparisonRow } from "./compare.ts";

const row = (
  model: string,
  which: string | null,
  seed: number,
  image_auroc: number,
  train_seconds: number | null = 600,
  memory = "-",
): ComparisonRow => ({
  run: `d${which}-${model}-s${seed}`,
  model,
  which,
  seed,
  epochs: 5,
  memory,
  n_train: 100,
  n_test: 200,
  image_auroc,
  pixel_auroc: null,
  train_seconds,
  items_read: [],
  max_weight_ratio: [],
  cosine_to_start: [],
});

const close = (a: number, b: number) => assert(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("summarizeByClass() takes the mean and half the range over seeds per class", () => {
  const s = summarizeByClass([
    row("ae", "2", 1, 0.90, 500),
    row("ae", "2", 0, 0.86, 700),
    row("ae", "10", 0, 0.99),
    row("daad", "2", 0, 0.95),
  ]);
  // Numeric classes sort as numbers, not strings.
  assertEquals(s.classes, ["2", "10"]);
  const ae = s.models.find((m) => m.model === "ae")!;
  assertEquals(ae.cells[0].seeds, [0, 1]);
  assertEquals(ae.cells[0].aurocs, [0.86, 0.90]);
  close(ae.cells[0].mean, 0.88);
  close(ae.cells[0].spread, 0.02);
  assertEquals(ae.cells[0].train_seconds, 600);
  // Class mean: (0.88 + 0.99) / 2; only seed 0 ran both classes.
  close(ae.class_mean!, 0.935);
  assertEquals(Object.keys(ae.seed_means), ["0"]);
  close(ae.seed_means["0"], (0.86 + 0.99) / 2);
  const daad = s.models.find((m) => m.model === "daad")!;
  assertEquals([daad.classes_measured, daad.cells[0].spread, daad.seed_means], [1, 0, {}]);
});

Deno.test("summarizeByClass() marks models short of the table's classes and refuses others", () => {
  const ten = Array.from({ length: 10 }, (_, i) => String(i));
  const s = summarizeByClass([row("ae", "3", 0, 0.9)], ten);
  assertEquals([s.classes.length, s.models[0].classes_measured], [10, 1]);
  const md = classSummaryToMarkdown(s, { paper: { daad: 0.99 }, paperHeading: "paper" });
  assert(md.includes("0.9000 (1 of 10 classes)"), md);
  assert(md.includes("| ae | - | - | - | 0.9000 (1) |"), md);
  assertThrows(() => summarizeByClass([row("ae", "11", 0, 0.9)], ten), Error, "class 11");
  assertThrows(() => summarizeByClass([row("ae", null, 0, 0.9)]), Error, "no normal class");
  assertThrows(
    () => summarizeByClass([row("ae", "1", 0, 0.9), row("ae", "1", 0, 0.8)]),
    Error,
    "seed 0",
  );
});

Deno.test("classSummaryToMarkdown() bolds a full table's mean and quotes the paper", () => {
  const s = summarizeByClass([
    row("daad", "0", 0, 0.99, 120),
    row("daad", "0", 1, 0.97, 240),
    row("daad", "1", 0, 0.95, 120),
    row("daad", "1", 1, 0.93, 240),
  ]);
  const md = classSummaryToMarkdown(s, { paper: { daad: 0.99 }, paperHeading: "paper" });
  assert(md.includes("| daad | 0.9800 ± 0.0100 (2) | 0.9400 ± 0.0100 (2) | **0.9600** |"), md);
  assert(md.includes("s0 0.9700, s1 0.9500 | 3.0 | 0.990 |"), md);
});

Deno.test("summarizeByClass() names a model by its settings when it ran with several", () => {
  const s = summarizeByClass([
    row("daad", "8", 0, 0.85, 1, "eq. 1 as printed"),
    row("daad", "8", 0, 0.87, 1, "τ 0.05, items random"),
  ]);
  assertEquals(s.models.map((m) => m.label), [
    "daad (eq. 1 as printed, 5 epochs)",
    "daad (τ 0.05, items random, 5 epochs)",
  ]);
});

Deno.test("summarizeByClass() keeps runs of another bottleneck or init apart", () => {
  const narrow = { ...row("ae", "8", 0, 0.95), network: "bottleneck 16" };
  const s = summarizeByClass([row("ae", "8", 0, 0.88), narrow]);
  assertEquals(s.models.map((m) => m.label), [
    "ae (-, 5 epochs)",
    "ae (bottleneck 16; -, 5 epochs)",
  ]);
  assertEquals(s.models.map((m) => m.class_mean), [0.88, 0.95]);
});

Deno.test("summarizeByClass() gives each model the mean curve over its runs and its peak epoch", () => {
  const curve = (points: [number, number][]) =>
    points.map(([epoch, image_auroc]) => ({ epoch, image_auroc }));
  const a = { ...row("ae", "2", 0, 0.8), curve: curve([[2, 0.7], [4, 0.9], [6, 0.8]]) };
  const b = { ...row("ae", "8", 0, 0.6), curve: curve([[2, 0.5], [4, 0.6], [6, 0.9]]) };
  // A run that scored only at epochs 2 and 6: the mean covers the epochs every run has.
  const c = { ...row("ae", "8", 1, 0.7), curve: curve([[2, 0.6], [6, 0.7]]) };
  const s = summarizeByClass([a, b, c]);
  const m = s.models[0].mean_curve!;
  assertEquals(m.epochs, [2, 6]);
  close(m.means[0], (0.7 + 0.5 + 0.6) / 3);
  close(m.means[1], (0.8 + 0.9 + 0.7) / 3);
  assertEquals(m.peak.epoch, 6);
  close(m.peak.mean, 0.8);
  // Without c, epoch 4 counts: (0.9 + 0.6) / 2 = 0.75 against epoch 6's 0.85.
  const two = summarizeByClass([a, b]).models[0].mean_curve!;
  assertEquals(two.epochs, [2, 4, 6]);
  assertEquals(two.peak.epoch, 6);
  // A tie goes to the earlier epoch (the smaller budget).
  const tie = summarizeByClass([
    { ...row("ae", "2", 0, 0.8), curve: curve([[2, 0.9], [4, 0.9]]) },
  ]).models[0].mean_curve!;
  assertEquals(tie.peak.epoch, 2);
  const md = meanCurvesToMarkdown(s);
  assert(md.includes("| ae | 3 | 0.6000 | 0.8000 | **0.8000** (6) |"), md);
  // A model whose runs have no curve has none, and no table is written for it.
  const plain = summarizeByClass([row("daad", "2", 0, 0.8)]);
  assertEquals(plain.models[0].mean_curve, undefined);
  assertEquals(meanCurvesToMarkdown(plain), "");
});
