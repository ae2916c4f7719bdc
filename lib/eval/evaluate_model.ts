/**
 * A model's evaluation as a run reports it: scores the test set, computes the metrics
 * (image and pixel AUROC, AUPRO, the threshold, per-defect results), the memory report
 * and the speeds, and writes the run's report: what metrics.json holds. A run
 * (`run.ts`) calls it after training; `deno task eval` on a saved run; sweeps on every
 * setting.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendInfo } from "../backend.ts";
import { evenlySpaced, type ImageSet, subset } from "../data/image_set.ts";
import type { RunData } from "../data/run_data.ts";
import { type MemoryBankReport, uniformWarning } from "../memory/diagnostics.ts";
import { auroc } from "../metrics/auroc.ts";
import type { KitModel } from "../models/kit_model.ts";
import { type ProgressSink, silentProgress } from "../train/progress.ts";
import type { RunDir } from "../train/run_dir.ts";
import type { CurvePoint, EpochStats, TrainResult } from "../train/trainer.ts";
import { type EvalMetrics, evaluateScores, normalizeScores } from "./evaluate.ts";
import type { GanEpoch } from "./gan_monitor.ts";
import { writeRunReport } from "./run_report.ts";
import { scoreSet } from "./score_set.ts";

/** What metrics.json holds (DESIGN's contract, plus ROC and threshold). */
export interface RunMetrics extends EvalMetrics {
  model: string;
  data: string;
  category: string | null;
  normal: number | "all" | null;
  backend: string;
  device: string;
  epochs: number;
  train_images_per_s: number | null;
  train_seconds: number | null;
  score_images_per_s: number;
  /** Per memory bank: usage, sparsity and drift from its start (models with memories). */
  memory?: MemoryBankReport[];
  /** Set-level score statistics (DAAD+'s eq. 7 ranges), reused by predict. */
  score_calibration?: unknown;
  /**
   * Image AUROC of each raw score component on its own (DAAD+'s R(x) "rec" and L(x)
   * "ali"; MNAD's "psnr", where lower is anomalous, shows below 0.5), ranked over the
   * whole test set as it is. DAAD+ rows that train alike (adv+ali+R, adv+ali+L,
   * adv+ali+L+R) differ only in the score: one run gives all three.
   */
  component_auroc?: Record<string, number>;
  /** A GAN-trained model's epochs (D loss and accuracy, L(x) on a test probe) and warning. */
  gan?: { epochs: GanEpoch[]; warning: string | null };
  /**
   * With `--eval-every K`: the test set scored every K epochs and at the end, one point
   * per evaluation ({@linkcode curvePointOf}: AUROC, memory report), in epoch order.
   */
  curve?: CurvePoint[];
  protocol: string;
  created: string;
}

/**
 * What the metrics record of the run a model comes from: a `RunConfig` has these
 * fields (evaluation knows no run configuration beyond them).
 */
export interface EvaluatedRun {
  model: string;
  data: string;
  category: string | null;
  normal: number | "all" | null;
  /** Batch size of training; scoring uses at least 32. */
  batch: number;
  /** Epochs asked for (recorded when no training result says how many ran). */
  epochs: number;
}

/** What {@linkcode evaluateModel} needs besides the model. */
export interface EvaluateModelOptions {
  /** The run's data; its test set is scored. */
  data: RunData;
  /** The run's configuration (recorded in the metrics; its batch size scores). */
  config: EvaluatedRun;
  backend: BackendInfo;
  /** The training that made the model (its speed is recorded); none for a saved run. */
  training?: TrainResult | null;
  progress?: ProgressSink;
  /** Also write report.html and the best/worst case grids into this run folder. */
  report?: { dir: RunDir; history: readonly EpochStats[] };
  /** Print the memory warnings (near-uniform, collapsed banks). Default true. */
  warn?: boolean;
}

/**
 * Scores the test set and computes metrics: image and pixel AUROC, AUPRO, the
 * threshold, per-defect results, the memory report and the speeds (metrics.json).
 *
 * @example
 * ```ts
 * import { initBackend } from "../backend.ts";
 * import { resolveRunConfig } from "../families/resolve.ts";
 * import { createModel } from "../families/registry.ts";
 * import { loadRunData } from "../adapters.ts";
 * import { train } from "../train/trainer.ts";
 * import { evaluateModel } from "./evaluate_model.ts";
 * const backend = await initBackend("cpu");
 * const config = resolveRunConfig({ data: "stripes", size: 32, width: 4, epochs: 1 });
 * const data = await loadRunData(config);
 * const model = createModel(config, data.train.channels, data.train.n);
 * const training = await train(model, data.train, { epochs: 1, batchSize: config.batch,
 *   seed: config.seed, augment: config.augment });
 * const metrics = await evaluateModel(model, { data, config, backend, training });
 * console.log(metrics.image_auroc, metrics.pixel_auroc);
 * model.dispose();
 * ```
 */
export async function evaluateModel(
  model: KitModel,
  options: EvaluateModelOptions,
): Promise<RunMetrics> {
  const { data, config, backend, report } = options;
  const training = options.training ?? null;
  const progress = options.progress ?? silentProgress;
  if (data.test.labels == null) throw new Error("the test set has no labels");
  const scored = await scoreSet(model, data.test, {
    batchSize: Math.max(config.batch, 32),
    keepMaps: data.test.masks != null || report != null,
    keepReconstructions: report != null,
    progress,
    label: "test",
  });
  // Video protocols (MemAE, MNAD) compare scores within each video: min-max per video,
  // unless the model already normalised them itself (MNAD's eq. 17).
  const scores = model.finalizeScores == null
    ? normalizeScores(scored.scores, data.scoreNormalization, data.test.groups)
    : scored.scores;
  const m = evaluateScores(scores, data.test.labels, scored.maps, data.test.masks, {
    shape: [data.test.height, data.test.width],
    groups: data.test.groups,
  });
  const metrics: RunMetrics = {
    model: config.model,
    data: config.data,
    category: config.category,
    normal: config.normal,
    backend: backend.name,
    device: backend.device,
    epochs: training?.epochs ?? config.epochs,
    train_images_per_s: training ? round(training.imagesPerSecond, 2) : null,
    train_seconds: training ? round(training.seconds, 1) : null,
    score_images_per_s: round(scored.imagesPerSecond, 1),
    protocol: data.protocol,
    created: new Date().toISOString(),
    ...m,
  };
  const memory = memoryReportOn(model, data.test);
  if (memory != null) {
    metrics.memory = memory;
    for (const r of memory) {
      const warning = uniformWarning(r) ??
        (r.collapsed
          ? `memory ${r.bank}: ${r.items_for_90} of ${r.items} items carry 90% ` +
            `of the addressing weight: the bank has collapsed onto a few prototypes`
          : null);
      if (warning != null && options.warn !== false) progress.line(`warning: ${warning}`);
    }
  }
  const calibration = model.calibration?.();
  if (calibration != null) metrics.score_calibration = calibration;
  if (scored.components != null) {
    metrics.component_auroc = Object.fromEntries(
      Object.entries(scored.components).map(([k, v]) => [k, auroc(v, data.test.labels!)]),
    );
  }
  if (report != null) {
    const which = config.category ??
      (config.normal != null ? `class ${config.normal}` : config.data);
    const title = `${config.model} on ${config.data} (${which})`;
    await writeRunReport(report.dir, title, metrics, report.history, data.test, scored, scores);
  }
  return metrics;
}

/** Test images probed for the memory report: at most this many, evenly spaced. */
export const MEMORY_PROBE_IMAGES = 128;

/** The model's memory report over up to {@linkcode MEMORY_PROBE_IMAGES} test images. */
function memoryReportOn(model: KitModel, test: ImageSet): MemoryBankReport[] | null {
  if (model.memoryReport == null) return null;
  const n = Math.min(test.n, MEMORY_PROBE_IMAGES);
  const probe = subset(test, evenlySpaced(test.n, n));
  const x = tf.tensor4d(probe.data, [n, probe.height, probe.width, probe.channels]);
  try {
    const report = model.memoryReport(x);
    return report.length > 0 ? report : null;
  } finally {
    x.dispose();
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * One point of a run's AUROC curve from its metrics: image and pixel AUROC, AUPRO, the
 * components' AUROC and the memory report, where the run has them.
 */
export function curvePointOf(m: RunMetrics): Record<string, unknown> {
  return {
    image_auroc: m.image_auroc,
    pixel_auroc: m.pixel_auroc,
    ...(m.aupro != null ? { aupro: m.aupro } : {}),
    ...(m.component_auroc != null ? { component_auroc: m.component_auroc } : {}),
    ...(m.memory != null ? { memory: m.memory } : {}),
  };
}
