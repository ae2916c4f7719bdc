/**
 * Sweeps of one setting of DAAD's block-wise memory on one data set, in memory (no run
 * folders): the division rate rh = rw (paper §4.3, Table 4 and Figure 5) and the memory
 * size N (supplement Figure 1). Every setting trains its own model from the same seed on
 * the same data, is evaluated like a run (image and pixel AUROC), and keeps the
 * reconstructions of a few test images for a Figure-5-style grid.
 *
 * DAAD uses the same division rates at every memory scale (2x, 4x, 8x and 16x
 * down-sampling), so a rate must divide the smallest map, size/16:
 * {@linkcode divisionRatesFor} lists the rates an input size allows (256 px for rates up
 * to 16, as in the paper).
 *
 * @example
 * ```ts
 * import { divisionRatesFor, paperTable4Auroc, rateSettings } from "./sweep_rates.ts";
 * console.log(divisionRatesFor(64));   // [1, 2, 4]
 * console.log(divisionRatesFor(256));  // [1, 2, 4, 8, 16]
 * console.log(rateSettings([2, 8]).map((s) => s.overrides.division)); // [[2, 2, 1], [8, 8, 1]]
 * console.log(paperTable4Auroc(8)); // 0.845 (quoted from the paper)
 * ```
 * @module
 */
import type { BackendInfo } from "../backend.ts";
import { type RunConfig, validateRunConfig } from "../config.ts";
import { type ImageSet, imageSize, subset } from "../data/image_set.ts";
import type { RunData } from "../data/run_data.ts";
import { DAAD_VARIANTS, validateDaadConfig } from "../models/daad/config.ts";
import { ConfigError } from "../util/errors.ts";
import { createModel, daadConfigFor } from "../adapters.ts";
import { evaluateModel, type RunMetrics } from "../run.ts";
import { type ProgressSink, silentProgress } from "../train/progress.ts";
import { type EpochStats, train } from "../train/trainer.ts";
import { barFigure, type Figure } from "../viz/figures.ts";
import { type GridRow, heatTile, imageTile, type Tile } from "../viz/images.ts";
import { DAAD_TABLE4, paperValue } from "./paper_tables.ts";
import { scoreSet } from "./score_set.ts";

/** Down-sampling factors of the scales that carry a memory in DAAD (enc1..enc4 pooled). */
export const MEMORY_SCALE_FACTORS: readonly number[] = Object.freeze([2, 4, 8, 16]);

/**
 * The division rates r (rh = rw = r, rc = 1) among `candidates` that divide every memory
 * scale's map of a `size`x`size` input, i.e. that divide size/16.
 *
 * @example
 * ```ts
 * import { divisionRatesFor } from "./sweep_rates.ts";
 * console.log(divisionRatesFor(128)); // [1, 2, 4, 8]
 * ```
 */
export function divisionRatesFor(
  size: number,
  candidates: readonly number[] = [1, 2, 4, 8, 16, 32, 64],
): number[] {
  if (!Number.isInteger(size) || size < 16 || size % 16 !== 0) {
    throw new ConfigError(
      `input size must be a positive multiple of 16 (four 2x poolings), got ${size}`,
    );
  }
  for (const r of candidates) {
    if (!Number.isInteger(r) || r < 1) {
      throw new ConfigError(`division rate must be a positive integer, got ${r}`);
    }
  }
  return candidates.filter((r) => MEMORY_SCALE_FACTORS.every((f) => (size / f) % r === 0));
}

/**
 * Block side in pixels of the map at each memory scale (2x, 4x, 8x, 16x) for input
 * `size` and rate `rate`; throws {@linkcode ConfigError} when the rate does not divide
 * a map.
 *
 * @example
 * ```ts
 * import { blockSidesFor } from "./sweep_rates.ts";
 * console.log(blockSidesFor(256, 8)); // [16, 8, 4, 2]
 * ```
 */
export function blockSidesFor(size: number, rate: number): number[] {
  if (!divisionRatesFor(size, [rate]).includes(rate)) {
    const maps = MEMORY_SCALE_FACTORS.map((f) => size / f).join(", ");
    throw new ConfigError(
      `division rate ${rate} does not divide the memory maps of a ${size}px input ` +
        `(sides ${maps}); allowed: ${divisionRatesFor(size).join(", ")}`,
    );
  }
  return MEMORY_SCALE_FACTORS.map((f) => size / f / rate);
}

/** One setting of a sweep: a label and the run-configuration fields it changes. */
export interface SweepSetting {
  label: string;
  overrides: Partial<RunConfig>;
  /** Settings of one group (the same setting at several seeds) share it. Default: label. */
  group?: string;
}

/**
 * Settings rh = rw = r, rc = 1 for each rate, labelled `r=<rate>`.
 *
 * @example
 * ```ts
 * import { rateSettings } from "./sweep_rates.ts";
 * console.log(rateSettings([4])[0]); // { label: "r=4", overrides: { division: [4, 4, 1] } }
 * ```
 */
export function rateSettings(rates: readonly number[]): SweepSetting[] {
  return rates.map((r) => {
    if (!Number.isInteger(r) || r < 1) {
      throw new ConfigError(`division rate must be a positive integer, got ${r}`);
    }
    return { label: `r=${r}`, overrides: { division: [r, r, 1] } };
  });
}

/**
 * Settings of memory size N for each value, labelled `N=<n>`.
 *
 * @example
 * ```ts
 * import { memorySettings } from "./sweep_rates.ts";
 * console.log(memorySettings([10, 50]).map((s) => s.label)); // ["N=10", "N=50"]
 * ```
 */
export function memorySettings(sizes: readonly number[]): SweepSetting[] {
  return sizes.map((n) => {
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(`memory size must be a positive integer, got ${n}`);
    }
    return { label: `N=${n}`, overrides: { memory: n } };
  });
}

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

/** The outcome of one setting. */
export interface SweepPoint {
  label: string;
  /** The setting's group (its label when it has none). */
  group: string;
  config: RunConfig;
  metrics: RunMetrics;
  history: EpochStats[];
  /** Training seconds of this setting. */
  trainSeconds: number;
  examples: SweepExamples;
}

/** Options of {@linkcode sweepSettings}. */
export interface SweepOptions {
  backend: BackendInfo;
  /** The data every setting trains and is evaluated on. */
  data: RunData;
  /** Test indices whose reconstructions are kept. Default: {@linkcode pickExamples}(test, 3). */
  examples?: number[];
  progress?: ProgressSink;
  /** Called after each setting (e.g. to print its AUROC in a notebook). */
  onPoint?: (point: SweepPoint, index: number) => void | Promise<void>;
  /**
   * Points of an earlier sweep on the same data: a setting whose configuration equals one
   * of theirs (and that kept the same examples) reuses it, relabelled, instead of
   * training again.
   */
  known?: readonly SweepPoint[];
}

/** Whether two configurations train the same model (run folder and backend aside). */
export function sameTraining(a: RunConfig, b: RunConfig): boolean {
  const key = (c: RunConfig) => {
    const { out: _o, resume: _r, backend: _b, ...rest } = c;
    return JSON.stringify(Object.entries(rest).sort(([x], [y]) => (x < y ? -1 : 1)));
  };
  return key(a) === key(b);
}

/**
 * Trains and evaluates one model per setting: `base` with the setting's overrides, from
 * the same seed, on `options.data`. Nothing is written to disk.
 */
export async function sweepSettings(
  base: RunConfig,
  settings: readonly SweepSetting[],
  options: SweepOptions,
): Promise<SweepPoint[]> {
  if (settings.length === 0) throw new ConfigError("a sweep needs at least one setting");
  const { data, backend } = options;
  const progress = options.progress ?? silentProgress;
  const indices = options.examples ?? pickExamples(data.test, 3);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= data.test.n) {
      throw new RangeError(`example index ${i} is outside the test set of ${data.test.n} images`);
    }
  }
  // Every setting is checked before the first one trains: a rate that does not divide a
  // memory map fails now, naming the scale, not minutes into the sweep.
  const configs = settings.map((s) => {
    const config = { ...base, ...s.overrides, out: null, resume: false } as RunConfig;
    validateRunConfig(config);
    if ((DAAD_VARIANTS as readonly string[]).includes(config.model)) {
      try {
        validateDaadConfig(daadConfigFor(config, data.train.channels));
      } catch (e) {
        (e as Error).message = `${s.label}: ${(e as Error).message}`;
        throw e;
      }
    }
    return config;
  });
  const shown = subset(data.test, indices);
  const points: SweepPoint[] = [];
  for (const [k, setting] of settings.entries()) {
    const config = configs[k];
    const reuse = options.known?.find((p) =>
      sameTraining(p.config, config) && p.examples.indices.join() === indices.join()
    );
    if (reuse != null) {
      progress.line(`${setting.label}: same model as ${reuse.label}, reused`);
      const point = { ...reuse, label: setting.label, group: setting.group ?? setting.label };
      points.push(point);
      await options.onPoint?.(point, k);
      continue;
    }
    progress.line(`${setting.label}: training ${config.model} for ${config.epochs} epochs`);
    const model = createModel(config, data.train.channels, data.train.n);
    try {
      const training = await train(model, data.train, {
        epochs: config.epochs,
        batchSize: config.batch,
        seed: config.seed,
        augment: config.augment,
        progress,
      });
      const metrics = await evaluateModel(model, data, config, backend, training, progress);
      const scored = await scoreSet(model, shown, {
        batchSize: Math.max(1, indices.length),
        keepMaps: true,
        keepReconstructions: true,
      });
      const px = data.test.height * data.test.width;
      const per = imageSize(data.test);
      const point: SweepPoint = {
        label: setting.label,
        group: setting.group ?? setting.label,
        config,
        metrics,
        history: training.history,
        trainSeconds: training.seconds,
        examples: {
          indices: [...indices],
          reconstructions: indices.map((_, i) =>
            scored.reconstructions!.slice(i * per, (i + 1) * per)
          ),
          maps: indices.map((_, i) => scored.maps!.slice(i * px, (i + 1) * px)),
          scores: Array.from(scored.scores),
        },
      };
      points.push(point);
      await options.onPoint?.(point, k);
    } finally {
      model.dispose();
    }
  }
  return points;
}

/**
 * Every setting at every seed: labels `<label> seed <s>`, grouped by the setting's label
 * (see {@linkcode summarizeSweep}). Seed-major inside a setting.
 *
 * @example
 * ```ts
 * import { rateSettings, withSeeds } from "./sweep_rates.ts";
 * const s = withSeeds(rateSettings([2]), [0, 1]);
 * console.log(s.map((x) => x.label), s[1].overrides); // ["r=2 seed 0", "r=2 seed 1"] { division: [2, 2, 1], seed: 1 }
 * ```
 */
export function withSeeds(
  settings: readonly SweepSetting[],
  seeds: readonly number[],
): SweepSetting[] {
  if (seeds.length === 0) throw new ConfigError("withSeeds() needs at least one seed");
  for (const seed of seeds) {
    if (!Number.isInteger(seed) || seed < 0) {
      throw new ConfigError(`seed must be an integer >= 0, got ${seed}`);
    }
  }
  return settings.flatMap((s) =>
    seeds.map((seed) => ({
      label: `${s.label} seed ${seed}`,
      group: s.group ?? s.label,
      overrides: { ...s.overrides, seed },
    }))
  );
}

/** Mean, smallest and largest of some values. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/** The points of one group (one setting over its seeds). */
export interface SweepSummary {
  group: string;
  points: SweepPoint[];
  imageAuroc: Spread;
  /** Null when a point has no pixel AUROC (no masks). */
  pixelAuroc: Spread | null;
}

function spread(values: number[]): Spread {
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Groups points by {@linkcode SweepPoint.group}, in first-seen order, with AUROC spreads. */
export function summarizeSweep(points: readonly SweepPoint[]): SweepSummary[] {
  const groups = new Map<string, SweepPoint[]>();
  for (const p of points) {
    const list = groups.get(p.group) ?? [];
    list.push(p);
    groups.set(p.group, list);
  }
  return [...groups].map(([group, pts]) => {
    const pixel = pts.map((p) => p.metrics.pixel_auroc);
    return {
      group,
      points: pts,
      imageAuroc: spread(pts.map((p) => p.metrics.image_auroc ?? NaN)),
      pixelAuroc: pixel.every((v) => v != null) ? spread(pixel as number[]) : null,
    };
  });
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
  summaries: readonly SweepSummary[],
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
 * A table row per group: mean image and pixel AUROC, the range over seeds, and the
 * reference value (e.g. the paper's) when given.
 */
export function summaryTableRows(
  summaries: readonly SweepSummary[],
  reference?: { name: string; value: (summary: SweepSummary) => number | null },
): Record<string, unknown>[] {
  const range = (s: Spread) =>
    s.min === s.max ? s.min.toFixed(3) : `${s.min.toFixed(3)} to ${s.max.toFixed(3)}`;
  return summaries.map((s) => ({
    setting: s.group,
    seeds: s.points.length,
    "image AUROC (mean)": s.imageAuroc.mean,
    "image AUROC (range)": range(s.imageAuroc),
    "pixel AUROC (mean)": s.pixelAuroc?.mean ?? null,
    ...(reference != null ? { [reference.name]: reference.value(s) } : {}),
    "train s (mean)": Math.round(
      s.points.reduce((a, p) => a + p.trainSeconds, 0) / s.points.length * 10,
    ) / 10,
  }));
}

/**
 * `count` test images to show: the first normal image, then the first image of each
 * anomalous group (defect type) in order, then further anomalies, in test-set order.
 *
 * @example
 * ```ts
 * import { pickExamples } from "./sweep_rates.ts";
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
  points: readonly SweepPoint[],
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

/** A table row per sweep point: AUROC, training time, and the paper's value when given. */
export function sweepTableRows(
  points: readonly SweepPoint[],
  paper?: (point: SweepPoint) => number | null,
): Record<string, unknown>[] {
  return points.map((p) => ({
    setting: p.label,
    image_auroc: p.metrics.image_auroc,
    pixel_auroc: p.metrics.pixel_auroc,
    ...(paper != null ? { "paper (MVTec AD)": paper(p) } : {}),
    train_s: Math.round(p.trainSeconds * 10) / 10,
  }));
}

/**
 * The paper's Table 4 AUROC (DAAD on MVTec AD, quoted in {@linkcode DAAD_TABLE4}) for a
 * division rate, or null when the table has no such rate.
 *
 * @example
 * ```ts
 * import { paperTable4Auroc } from "./sweep_rates.ts";
 * console.log(paperTable4Auroc(1), paperTable4Auroc(32)); // 0.716 null
 * ```
 */
export function paperTable4Auroc(rate: number): number | null {
  return paperValue(DAAD_TABLE4, "DAAD", String(rate));
}

/**
 * The rate whose blocks have the paper's default sides at every scale (division 8 at
 * 256 px: 16, 8, 4 and 2 feature pixels), i.e. size/32, for inputs of 32 px and more.
 *
 * @example
 * ```ts
 * import { paperBlockRate } from "./sweep_rates.ts";
 * console.log(paperBlockRate(256), paperBlockRate(128), paperBlockRate(64)); // 8 4 2
 * ```
 */
export function paperBlockRate(size: number): number {
  divisionRatesFor(size, [1]);
  if (size % 32 !== 0) {
    throw new ConfigError(`paperBlockRate needs a multiple of 32 pixels, got ${size}`);
  }
  return size / 32;
}
