/**
 * Sweeps of one setting of DAAD's block-wise memory on one data set, in memory (no run
 * folders): the division rate rh = rw (paper §4.3, Table 4 and Figure 5) and the memory
 * size N (supplement Figure 1). Every setting trains its own model from the same seed on
 * the same data, is evaluated like a run (image and pixel AUROC), and keeps the
 * reconstructions of a few test images for a Figure-5-style grid.
 *
 * The rates an input size allows are `models/daad/division.ts`'s `divisionRatesFor`; the
 * figures of a sweep are in `viz/sweep_figures.ts` and its table rows in `eval/table.ts`.
 *
 * @example
 * ```ts
 * import { rateSettings, withSeeds } from "./rates.ts";
 * console.log(rateSettings([2, 8]).map((s) => s.overrides.division)); // [[2, 2, 1], [8, 8, 1]]
 * console.log(withSeeds(rateSettings([2]), [0, 1]).map((s) => s.label)); // ["r=2 seed 0", "r=2 seed 1"]
 * ```
 * @module
 */
import type { BackendInfo } from "../backend.ts";
import type { RunConfig, RunFlags } from "../config.ts";
import { imageSize, subset } from "../data/image_set.ts";
import type { RunData } from "../data/run_data.ts";
import { ConfigError } from "../util/errors.ts";
import { configureModel, createModel } from "../families/registry.ts";
import { resolveRunConfig, runConfigFlags } from "../families/resolve.ts";
import { evaluateModel, type RunMetrics } from "../eval/evaluate_model.ts";
import { tuneNewShapes } from "../kernels/webgpu/autotune.ts";
import { type ProgressSink, silentProgress } from "../train/progress.ts";
import { type EpochStats, train } from "../train/trainer.ts";
import { scoreSet } from "../eval/score_set.ts";
import { pickExamples, type SweepExamples } from "../viz/sweep_figures.ts";

export type { SweepExamples } from "../viz/sweep_figures.ts";

/** One setting of a sweep: a label and the flags it changes (any run's or family's). */
export interface SweepSetting {
  label: string;
  overrides: RunFlags;
  /** Settings of one group (the same setting at several seeds) share it. Default: label. */
  group?: string;
}

/**
 * Settings rh = rw = r, rc = 1 for each rate, labelled `r=<rate>`.
 *
 * @example
 * ```ts
 * import { rateSettings } from "./rates.ts";
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
 * import { memorySettings } from "./rates.ts";
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
    const { out: _o, resume: _r, backend: _b, ...rest } = runConfigFlags(c);
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
  const sample = { channels: data.train.channels, nTrain: data.train.n };
  const configs = settings.map((s) => {
    try {
      const config = resolveRunConfig({
        ...runConfigFlags(base),
        ...s.overrides,
        out: null,
        resume: false,
      });
      configureModel(config, sample);
      return config;
    } catch (e) {
      (e as Error).message = `${s.label}: ${(e as Error).message}`;
      throw e;
    }
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
        betweenSteps: tuneNewShapes,
      });
      const metrics = await evaluateModel(model, { data, config, backend, training, progress });
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
 * import { rateSettings, withSeeds } from "./rates.ts";
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
