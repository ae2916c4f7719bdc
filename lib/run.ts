/**
 * One run end to end: data, model, training with checkpoints, evaluation, metrics.json.
 * The CLI tasks are thin wrappers around these functions; notebooks and tests call
 * them directly.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { pathExists } from "./util/fs.ts";
import { evenlySpaced, type ImageSet, subset } from "./data/image_set.ts";
import { type MemoryBankReport, uniformWarning } from "./memory/diagnostics.ts";
import type { BackendInfo } from "./backend.ts";
import { type RunConfig, validateRunConfig } from "./config.ts";
import { createModel, loadRunData, modelConfigFor } from "./adapters.ts";
import type { RunData } from "./data/run_data.ts";
import { type EvalMetrics, evaluateScores, normalizeScores } from "./eval/evaluate.ts";
import { scoreSet } from "./eval/score_set.ts";
import { auroc } from "./metrics/auroc.ts";
import { formatGanEpoch, type GanEpoch, GanMonitor, ganWarning } from "./eval/gan_monitor.ts";
import { writeRunReport } from "./eval/run_report.ts";
import type { KitModel } from "./models/kit_model.ts";
import { readCheckpoint } from "./train/checkpoint.ts";
import { type ProgressSink, silentProgress } from "./train/progress.ts";
import { RunDir, RunDirError } from "./train/run_dir.ts";
import {
  type CurvePoint,
  type EpochStats,
  restoreTrainingState,
  train,
  type TrainFaults,
  type TrainOptions,
  type TrainResult,
} from "./train/trainer.ts";

/** The kit's version, recorded in every run. */
export const KIT_VERSION = "0.1.0";

/** What config.json holds. */
export interface RunRecord {
  kit_version: string;
  created: string;
  config: RunConfig;
  model_config: Record<string, unknown>;
  /** Channels of one sample (a prediction clip stacks its frames along channels). */
  channels: number;
  protocol: string;
  n_train: number;
  n_test: number;
  backend: string;
}

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

/** Options shared by {@linkcode trainRun} and {@linkcode evaluateRunDir}. */
export interface RunOptions {
  backend: BackendInfo;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Reuse already loaded data (sweeps over one dataset). */
  data?: RunData;
  /** Passed to {@linkcode train}: how an interruption is reported (the CLI adds `--resume`). */
  onInterrupt?: TrainOptions["onInterrupt"];
  /** Passed to {@linkcode train}: faults injected by tests. */
  faults?: TrainFaults;
}

/** What {@linkcode trainRun} returns. */
export interface RunOutcome {
  dir: RunDir;
  training: TrainResult;
  /** Null when training was interrupted. */
  metrics: RunMetrics | null;
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${
    p(d.getMinutes())
  }${p(d.getSeconds())}`;
}

/** The default run folder: runs/<data>[-<category or class>]-<model>-<time>. */
export function defaultRunPath(c: RunConfig): string {
  const which = c.category ?? (c.normal != null ? String(c.normal) : null);
  return `runs/${c.data}${which != null ? `-${which}` : ""}-${c.model}-${stamp()}`;
}

/** The fields that must agree between a run and the checkpoint it resumes. */
export function identityOf(c: RunConfig): Partial<RunConfig> {
  // How often the test set is scored changes no weight: a run may resume with another.
  const { out: _o, resume: _r, backend: _b, epochs: _e, evalEvery: _v, ...rest } = c;
  return rest;
}

/** What {@linkcode evaluateModel} needs besides the model. */
export interface EvaluateModelOptions {
  /** The run's data; its test set is scored. */
  data: RunData;
  /** The run's configuration (recorded in the metrics; its batch size scores). */
  config: RunConfig;
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
 * import { initBackend } from "./backend.ts";
 * import { resolveRunConfig } from "./config.ts";
 * import { createModel, loadRunData } from "./adapters.ts";
 * import { train } from "./train/trainer.ts";
 * import { evaluateModel } from "./run.ts";
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
 * Trains and evaluates one run: loads its data, builds its model, writes config.json,
 * trains with a checkpoint per epoch (and log.jsonl), then writes metrics.json and
 * report.html. With `config.resume`, continues the run in `config.out` from its
 * checkpoint. `deno task train` is this function behind flag parsing.
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { resolveRunConfig } from "./config.ts";
 * import { trainRun } from "./run.ts";
 * const backend = await initBackend("auto");
 * const config = resolveRunConfig({ data: "mnist", normal: 3, epochs: 2, out: "runs/digit3" });
 * const { dir, metrics } = await trainRun(config, { backend });
 * console.log(dir.path, metrics?.image_auroc); // runs/digit3 0.9...
 * ```
 */
export async function trainRun(config: RunConfig, options: RunOptions): Promise<RunOutcome> {
  validateRunConfig(config);
  const progress = options.progress ?? silentProgress;
  const path = config.out ?? defaultRunPath(config);
  // Data first: a bad dataset must not leave a run folder behind.
  const data = options.data ?? await loadRunData(config);
  // The model next (a division that does not divide a feature map is refused here), so
  // that a refused configuration leaves no empty run folder either.
  const model = createModel(config, data.train.channels, data.train.n);
  try {
    const dir = await RunDir.open(path, { resume: config.resume });
    // A run killed before its first checkpoint has nothing to continue: start it afresh.
    const resume = config.resume && await pathExists(dir.checkpointPath);
    if (config.resume && !resume) {
      progress.line(`no checkpoint in ${path} yet: training from the start`);
    }
    if (!resume) {
      const record: RunRecord = {
        kit_version: KIT_VERSION,
        created: new Date().toISOString(),
        config: { ...config, out: path },
        model_config: modelConfigFor(config, data.train.channels),
        channels: data.train.channels,
        protocol: data.protocol,
        n_train: data.train.n,
        n_test: data.test.n,
        backend: options.backend.name,
      };
      await dir.writeJson("config.json", record);
    }
    progress.line(
      `run ${path}: ${config.model} on ${data.protocol}; ${data.train.n} train / ${data.test.n} test images, ` +
        `${model.params.numParams().toLocaleString("en")} parameters`,
    );
    // DAAD+: D's accuracy and L(x)'s separation on a test probe, every epoch.
    const gan = model.alignmentProbe != null && data.test.labels != null
      ? new GanMonitor((x) => model.alignmentProbe!(x), data.test)
      : null;
    // --eval-every K: the whole test set, scored as the final evaluation scores it (batch
    // norm in inference mode). The last epoch is left to that final evaluation.
    const evaluate = config.evalEvery == null ? undefined : {
      every: config.evalEvery,
      run: async (epoch: number) => {
        if (epoch >= config.epochs) return null;
        const m = await evaluateModel(model, {
          data,
          config,
          backend: options.backend,
          progress,
          warn: false,
        });
        progress.line(`epoch ${epoch}: image AUROC ${m.image_auroc?.toFixed(4) ?? "n/a"}`);
        return curvePointOf(m);
      },
    };
    const training = await train(model, data.train, {
      epochs: config.epochs,
      batchSize: config.batch,
      seed: config.seed,
      augment: config.augment,
      runDir: dir,
      resume,
      meta: { config: identityOf(config) },
      progress,
      signal: options.signal,
      onInterrupt: options.onInterrupt,
      faults: options.faults,
      evaluate,
      onEpochEnd: gan == null ? undefined : async (stats) => {
        const e = gan.epochEnd(stats);
        if (e == null) return;
        await dir.log({ type: "gan", ...e });
        progress.line(formatGanEpoch(e));
      },
    });
    if (training.interrupted) return { dir, training, metrics: null };
    const ganAlarm = gan == null || gan.history.length === 0 ? null : ganWarning(gan.history);
    if (ganAlarm != null) progress.line(`warning: ${ganAlarm}`);
    const metrics = await evaluateModel(model, {
      data,
      config,
      backend: options.backend,
      training,
      progress,
      report: {
        dir,
        // The report's curves show L(x)'s probe AUROC beside D's accuracy for DAAD+.
        history: gan == null ? training.history : training.history.map((h) => {
          const e = gan.history.find((g) => g.epoch === h.epoch);
          return e?.ali_auroc == null
            ? h
            : { ...h, losses: { ...h.losses, "probe.ali_auroc": e.ali_auroc } };
        }),
      },
    });
    if (gan != null && gan.history.length > 0) {
      metrics.gan = { epochs: gan.history, warning: ganAlarm };
    }
    if (evaluate != null) {
      // The final evaluation is the curve's last point.
      const last: CurvePoint = {
        ...curvePointOf(metrics),
        epoch: training.epochs,
        step: training.steps,
      };
      await dir.log({ type: "eval", ...last });
      metrics.curve = [...training.curve.filter((p) => p.epoch < last.epoch), last];
    }
    await dir.writeJson("metrics.json", metrics);
    return { dir, training, metrics };
  } finally {
    model.dispose();
  }
}

/** Reads a run folder's config.json, with a clear error when it is not a run. */
export async function readRunRecord(path: string): Promise<RunRecord> {
  const dir = new RunDir(path);
  let record: RunRecord | null;
  try {
    record = await dir.readJson<RunRecord>("config.json");
  } catch (e) {
    throw new RunDirError(`${path} is not a readable run folder: ${(e as Error).message}`);
  }
  if (record == null || record.config == null) {
    throw new RunDirError(`${path} is not a run folder of this kit (no config.json)`);
  }
  const saved = record.config as Partial<RunConfig>;
  if (saved.temperature === undefined) {
    // Written before the memory options existed: its memory used eq. 1 as printed, and
    // MemAE*'s threshold was 0.0025.
    record.config = {
      ...record.config,
      temperature: null,
      renorm: null,
      memInit: null,
      memUpdate: null,
      compactness: null,
      eq1: true,
      shrink: saved.shrink ?? 0.0025,
    };
  }
  // MNAD runs recorded before --mnad-variant existed were trained by the paper reading.
  if (record.config.model === "mnad") record.config.mnadVariant ??= "paper";
  return record;
}

/** Rebuilds a run's model from its folder and loads the checkpoint's weights. */
export async function loadRunModel(
  path: string,
): Promise<{ record: RunRecord; model: KitModel; epochs: number; history: EpochStats[] }> {
  const record = await readRunRecord(path);
  const dir = new RunDir(path);
  const ckpt = await readCheckpoint(dir.checkpointPath);
  const channels = record.channels ??
    Number((record.model_config as { channels?: number }).channels ?? 1);
  const model = createModel(record.config, channels, record.n_train);
  try {
    const { position, history } = restoreTrainingState(model, ckpt);
    return { record, model, epochs: position.epoch, history };
  } catch (e) {
    model.dispose();
    throw new RunDirError(
      `the checkpoint in ${path} does not fit the model its config.json describes: ${
        (e as Error).message
      }`,
    );
  }
}

/**
 * Recomputes metrics.json of a run folder from its checkpoint, and rewrites its
 * report.html and best/worst case grids.
 */
export async function evaluateRunDir(path: string, options: RunOptions): Promise<RunMetrics> {
  const { record, model, epochs, history } = await loadRunModel(path);
  try {
    const data = options.data ?? await loadRunData(record.config);
    const dir = new RunDir(path);
    const previous = await dir.readJson<RunMetrics>("metrics.json").catch(() => null);
    const metrics = await evaluateModel(model, {
      data,
      config: record.config,
      backend: options.backend,
      progress: options.progress,
      report: { dir, history },
    });
    metrics.epochs = epochs;
    metrics.train_images_per_s = previous?.train_images_per_s ?? null;
    metrics.train_seconds = previous?.train_seconds ?? null;
    // The GAN record and the curve belong to training; evaluation cannot redo them.
    if (previous?.gan != null) metrics.gan = previous.gan;
    if (previous?.curve != null) metrics.curve = previous.curve;
    await new RunDir(path).writeJson("metrics.json", metrics);
    return metrics;
  } finally {
    model.dispose();
  }
}
