/**
 * Figures of a sweep over one setting (the division rate of paper §4.3, Table 4 and
 * Figure 5; the memory size of supplement Figure 1): bars of the image AUROC per setting
 * with whiskers over seeds, and a Figure-5-style grid of the reconstructions each setting
 * gives of a few test images. They take plain values; `lib/sweep/` trains the settings.
 *
 * @example
 * ```ts
 * import { sweepAurocFigure } from "./sweep_figures.ts";
 * const fig = sweepAurocFigure([
 *   { group: "r=1", imageAuroc: { mean: 0.7, min: 0.6, max: 0.8 } },
 *   { group: "r=8", imageAuroc: { mean: 0.9, min: 0.9, max: 0.9 } },
 * ]);
 * console.log(fig.data[0].y); // [0.7, 0.9]
 * ```
 * @module
 */
import type { ImageSet } from "../data/image_set.ts";
import { imageSize } from "../data/image_set.ts";
import { barFigure, type Figure } from "./figures.ts";
import { type GridRow, heatTile, imageTile, type Tile } from "./images.ts";

/** Test images shown in a grid, with their reconstructions per setting. */
export interface SweepExamples {
  /** Indices into the test set. */
  indices: number[];
  /** Per example: the reconstruction (H·W·C values). */
  reconstructions: Float32Array[];
  /** Per example: the anomaly (error) map (H·W values). */
  maps: Float32Array[];
  /** Per example: its anomaly score. */
  scores: number[];
}

/** Mean, smallest and largest image AUROC of one group of a sweep (one setting over seeds). */
export interface AurocSpreadGroup {
  group: string;
  imageAuroc: { mean: number; min: number; max: number };
}

/** What {@linkcode sweepGrid} reads of one sweep point. */
export interface SweepExamplesOf {
  label: string;
  group: string;
  examples: SweepExamples;
}

/** Options of {@linkcode sweepAurocFigure}. */
export interface SweepFigureOptions {
  /** Bar labels in order; a label without a summary gets an empty bar. Default: the groups. */
  labels?: readonly string[];
  title?: string;
  /** Name of the kit's bars. */
  name?: string;
  /** Bars beside the kit's (e.g. the paper's quoted values), one per label. */
  reference?: { name: string; values: readonly (number | null)[] };
}

/**
 * Bars of the mean image AUROC per group, with whiskers from the smallest to the largest
 * seed, optionally beside reference bars.
 */
export function sweepAurocFigure(
  summaries: readonly AurocSpreadGroup[],
  options: SweepFigureOptions = {},
): Figure {
  const labels = options.labels ?? summaries.map((s) => s.group);
  const byGroup = new Map(summaries.map((s) => [s.group, s]));
  const found = labels.map((l) => byGroup.get(l) ?? null);
  const fig = barFigure({
    labels,
    values: found.map((s) => s?.imageAuroc.mean ?? null),
    name: options.name,
    reference: options.reference,
    title: options.title,
    yTitle: "image AUROC",
    yRange: [0, 1.1],
  });
  fig.data[0].error_y = {
    type: "data",
    symmetric: false,
    array: found.map((s) => (s == null ? null : s.imageAuroc.max - s.imageAuroc.mean)),
    arrayminus: found.map((s) => (s == null ? null : s.imageAuroc.mean - s.imageAuroc.min)),
    color: "#444",
  };
  // Value labels would sit on the whiskers; the hover gives them.
  delete fig.data[0].texttemplate;
  return fig;
}

/**
 * `count` test images to show: the first normal image, then the first image of each
 * anomalous group (defect type) in order, then further anomalies, in test-set order.
 *
 * @example
 * ```ts
 * import { pickExamples } from "./sweep_figures.ts";
 * const test = { n: 4, height: 1, width: 1, channels: 1, data: new Float32Array(4),
 *   labels: Uint8Array.from([1, 0, 1, 1]), groups: ["hole", "good", "hole", "stain"] };
 * console.log(pickExamples(test, 3)); // [1, 0, 3]
 * ```
 */
export function pickExamples(test: ImageSet, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`example count must be a positive integer, got ${count}`);
  }
  const labels = test.labels ?? new Uint8Array(test.n);
  const picked: number[] = [];
  const normal = labels.findIndex((l) => l === 0);
  if (normal >= 0) picked.push(normal);
  const seen = new Set<string>();
  for (let i = 0; i < test.n; i++) {
    const g = test.groups?.[i] ?? "anomalous";
    if (labels[i] === 1 && !seen.has(g)) {
      seen.add(g);
      picked.push(i);
    }
  }
  for (let i = 0; i < test.n && picked.length < count; i++) {
    if (!picked.includes(i)) picked.push(i);
  }
  return picked.slice(0, Math.min(count, test.n));
}

/** Options of {@linkcode sweepGrid}. */
export interface SweepGridOptions {
  /** Add a row of error maps under each example's reconstructions. Default true. */
  maps?: boolean;
  /** Upper end of the error-map colour scale (shared by all maps). Default: the largest value. */
  mapMax?: number;
}

/**
 * Rows and column captions of a Figure-5-style grid for `imageGridPng`: per example, its
 * input, its ground-truth mask (when the set has masks) and its reconstruction under
 * each setting (captioned with the setting's group); optionally a second row with the
 * error maps on one colour scale. For seeded sweeps pass one point per group, e.g.
 * `summarizeSweep(points).map((s) => s.points[0])`.
 */
export function sweepGrid(
  test: ImageSet,
  points: readonly SweepExamplesOf[],
  options: SweepGridOptions = {},
): { rows: GridRow[]; captions: string[] } {
  if (points.length === 0) throw new RangeError("no sweep points to draw");
  const indices = points[0].examples.indices;
  for (const p of points) {
    if (p.examples.indices.join() !== indices.join()) {
      throw new RangeError(
        `sweep point ${p.label} kept examples ${p.examples.indices} but ${points[0].label} ` +
          `kept ${indices}`,
      );
    }
  }
  const { height: h, width: w, channels: c } = test;
  const px = h * w, per = imageSize(test);
  const withMaps = options.maps ?? true;
  let mapMax = options.mapMax;
  if (withMaps && mapMax == null) {
    mapMax = 0;
    for (const p of points) {
      for (const m of p.examples.maps) for (const v of m) mapMax = Math.max(mapMax, v);
    }
  }
  const hasMasks = test.masks != null;
  const rows: GridRow[] = [];
  indices.forEach((idx, e) => {
    const input = imageTile(test.data.subarray(idx * per, (idx + 1) * per), h, w, c);
    const mask = hasMasks
      ? heatTile(test.masks!.subarray(idx * px, (idx + 1) * px), h, w, { min: 0, max: 1 })
      : null;
    const label = test.labels?.[idx] === 1 ? (test.groups?.[idx] ?? "anomalous") : "normal";
    rows.push({
      label,
      tiles: [
        input,
        ...(hasMasks ? [mask] : []),
        ...points.map((p) => imageTile(p.examples.reconstructions[e], h, w, c) as Tile),
      ],
    });
    if (withMaps) {
      rows.push({
        label: "error",
        tiles: [
          null,
          ...(hasMasks ? [null] : []),
          ...points.map((p) => heatTile(p.examples.maps[e], h, w, { min: 0, max: mapMax }) as Tile),
        ],
      });
    }
  });
  const captions = ["input", ...(hasMasks ? ["mask"] : []), ...points.map((p) => p.group)];
  return { rows, captions };
}
