/**
 * One run end to end: data, model, training with checkpoints, evaluation, metrics.json.
 * The CLI tasks are thin wrappers around these functions; notebooks and tests call
 * them directly.
 * @module
 */
import { tuneNewShapes } from "./kernels/webgpu/autotune.ts";
import { pathExists } from "./util/fs.ts";
import type { BackendInfo } from "./backend.ts";
import type { RunConfig, RunFlags } from "./config.ts";
import { loadRunData } from "./adapters.ts";
import type { SampleInfo } from "./families/family.ts";
import { familyOf, rebuildModel } from "./families/registry.ts";
import { runConfigFlags, runConfigFromSaved, validateRunConfig } from "./families/resolve.ts";
import type { RunData } from "./data/run_data.ts";
import { curvePointOf, evaluateModel, type RunMetrics } from "./eval/evaluate_model.ts";
import type { Threshold } from "./eval/evaluate.ts";
import { formatGanEpoch, GanMonitor, ganWarning } from "./eval/gan_monitor.ts";
import type { KitModel } from "./models/kit_model.ts";
import { readCheckpoint } from "./train/checkpoint.ts";
import { type ProgressSink, silentProgress } from "./train/progress.ts";
import { checkRunFolder, RunDir, RunDirError } from "./train/run_dir.ts";
import {
  type CurvePoint,
  type EpochStats,
  restoreTrainingState,
  ResumeError,
  train,
  type TrainFaults,
  type TrainOptions,
  type TrainResult,
} from "./train/trainer.ts";
import { ConfigError } from "./util/errors.ts";

export type { RunMetrics } from "./eval/evaluate_model.ts";

/** The kit's version, recorded in every run. */
export const KIT_VERSION = "0.1.0";

/**
 * The layout of config.json: 2 records the configuration the model was built with
 * (and the model's family); a record without `record_version` (1) was written before,
 * when a saved run was rebuilt from its run settings.
 */
export const RECORD_VERSION = 2;

/** What config.json holds. */
export interface RunRecord {
  kit_version: string;
  /** {@linkcode RECORD_VERSION}; absent in records of earlier versions. */
  record_version?: number;
  created: string;
  /** The model's family (`daad`, `daad-plus`, `mnad`); absent in earlier records. */
  family?: string;
  /** The run configuration as its flags (`runConfigFlags`): every run's and the family's. */
  config: RunFlags;
  /** The configuration the model was built with: eval, predict and resume rebuild from it. */
  model_config: Record<string, unknown>;
  /** Channels of one sample (a prediction clip stacks its frames along channels). */
  channels: number;
  protocol: string;
  n_train: number;
  n_test: number;
  backend: string;
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

/** A run folder's config.json, read back (see {@linkcode readRunRecord}). */
export interface LoadedRunRecord extends Omit<RunRecord, "config"> {
  /** The run configuration, resolved (settings an earlier version did not record filled in). */
  config: RunConfig;
}

/**
 * The settings that must agree between a run and the checkpoint it resumes (all but
 * the run folder, `--resume`, the backend and the number of epochs), as flags.
 */
export function identityOf(c: RunConfig): RunFlags {
  // How often the test set is scored changes no weight: a run may resume with another.
  const { out: _o, resume: _r, backend: _b, epochs: _e, evalEvery: _v, ...rest } = runConfigFlags(
    c,
  );
  return rest;
}

/**
 * JSON with object keys sorted and null entries left out: equal for equal settings
 * whatever their order, and whether a setting at its default is absent or null.
 */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v != null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v).filter(([, x]) => x !== null).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
        : v,
  );
}

/**
 * A saved identity (a checkpoint's or a record's), as this version resolves it: an
 * earlier version recorded other families' unused settings, or lacked later ones.
 */
function savedIdentity(saved: Record<string, unknown>, now: RunConfig): RunFlags {
  try {
    return identityOf(
      runConfigFromSaved({
        ...saved,
        out: null,
        resume: false,
        backend: now.backend,
        epochs: now.epochs,
      }),
    );
  } catch {
    return saved;
  }
}

/** Throws {@linkcode ResumeError} when `saved` (an identity) is not the run `now` would train. */
function checkSameIdentity(saved: Record<string, unknown> | undefined, now: RunConfig): void {
  const then = saved == null ? null : savedIdentity(saved, now);
  const current = identityOf(now);
  if (canonical(then) !== canonical(current)) {
    throw new ResumeError(
      `the checkpoint was written by a run with another configuration; resume with the same ` +
        `flags (saved: ${JSON.stringify(saved ?? null)}; now: ${JSON.stringify(current)})`,
    );
  }
}

/**
 * Trains and evaluates one run: loads its data, builds its model through its family,
 * writes config.json (with the configuration the model was built with), trains with a
 * checkpoint per epoch (and log.jsonl), then writes metrics.json and report.html. With
 * `config.resume`, continues the run in `config.out` from its checkpoint, its model
 * rebuilt from the configuration config.json recorded. `deno task train` is this
 * function behind flag parsing.
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { resolveRunConfig } from "./families/resolve.ts";
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
  const family = familyOf(config.model);
  // Data first: a bad dataset must not leave a run folder behind.
  const data = options.data ?? await loadRunData(config);
  if (data.train.n < config.batch) {
    throw new ConfigError(
      `--batch ${config.batch} is larger than the ${data.train.n} training images` +
        `${config.maxTrain != null ? ` (--max-train ${config.maxTrain})` : ""}; lower --batch`,
    );
  }
  const sample: SampleInfo = { channels: data.train.channels, nTrain: data.train.n };
  // A run resumed from its checkpoint is rebuilt from the configuration it recorded; a
  // run killed before its first checkpoint has nothing to continue and starts afresh.
  const saved = config.resume && await pathExists(`${path}/checkpoint.ckpt`)
    ? await readRunRecord(path)
    : null;
  if (saved != null) checkSameIdentity(runConfigFlags(saved.config), config);
  // The model next (a division that does not divide a feature map is refused here), so
  // that a refused configuration leaves no empty run folder either.
  const { model, modelConfig } = saved == null
    ? family.create(config, sample)
    : rebuildForResume(saved, config, sample);
  try {
    const dir = await RunDir.open(path, { resume: config.resume });
    if (config.resume && saved == null) {
      progress.line(`no checkpoint in ${path} yet: training from the start`);
    }
    const record: RunRecord = {
      kit_version: KIT_VERSION,
      record_version: RECORD_VERSION,
      created: saved?.created ?? new Date().toISOString(),
      family: family.name,
      config: runConfigFlags({ ...config, out: path, resume: false }),
      model_config: modelConfig as Record<string, unknown>,
      channels: data.train.channels,
      protocol: data.protocol,
      n_train: data.train.n,
      n_test: data.test.n,
      backend: saved?.backend ?? options.backend.name,
    };
    if (saved == null) await dir.writeJson("config.json", record);
    // Resumed for another number of epochs (or recorded by an earlier version), the record
    // follows the run it now describes, once the checkpoint is known to be this run's.
    const updateRecord = saved != null && (
      saved.record_version !== RECORD_VERSION || saved.config.epochs !== config.epochs ||
      canonical(saved.model_config) !== canonical(modelConfig)
    );
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
      resume: saved != null,
      meta: { config: identityOf(config) },
      checkResume: async (meta) => {
        checkSameIdentity(meta.config as Record<string, unknown> | undefined, config);
        if (!updateRecord) return;
        await dir.writeJson("config.json", record);
        if (saved!.config.epochs !== config.epochs) {
          progress.line(
            `--epochs ${config.epochs} (was ${saved!.config.epochs}): config.json updated`,
          );
        }
      },
      progress,
      signal: options.signal,
      onInterrupt: options.onInterrupt,
      faults: options.faults,
      betweenSteps: tuneNewShapes,
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

/** The model of a resumed run, from its record (adapted to the run's length by its family). */
function rebuildForResume(saved: LoadedRunRecord, config: RunConfig, sample: SampleInfo) {
  const family = familyOf(config.model);
  const modelConfig = family.resume?.(saved.model_config, config, sample) ?? saved.model_config;
  return { model: family.build(modelConfig, config), modelConfig };
}

/**
 * Reads a run folder's config.json, with a clear error when it is not a run. The run
 * configuration is resolved again (a record of an earlier version gets the settings it
 * lacked, as that version ran them); `model_config` is the configuration the model was
 * built with: as recorded, or, for a record of an earlier version (which recorded the
 * configuration apart from the model and could differ from it, as MNAD's cosine schedule
 * did), as the model's family maps the run, which is how that version built it.
 */
export async function readRunRecord(path: string): Promise<LoadedRunRecord> {
  await checkRunFolder(path);
  const dir = new RunDir(path);
  let saved: RunRecord | null;
  try {
    saved = await dir.readJson<RunRecord>("config.json");
  } catch (e) {
    throw new RunDirError(`${path} is not a readable run folder: ${(e as Error).message}`);
  }
  if (saved == null || saved.config == null) {
    throw new RunDirError(`${path} is not a run folder of this kit (no config.json)`);
  }
  let config: RunConfig;
  try {
    config = runConfigFromSaved(saved.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new RunDirError(
      `${path}/config.json holds a configuration this kit cannot run: ${e.message}`,
    );
  }
  const channels = saved.channels ??
    Number((saved.model_config as { channels?: number } | undefined)?.channels ?? 1);
  const modelConfig = (saved.record_version ?? 1) >= RECORD_VERSION
    ? saved.model_config
    : familyOf(config.model).modelConfig(config, { channels, nTrain: saved.n_train ?? 0 });
  return { ...saved, config, channels, model_config: modelConfig as Record<string, unknown> };
}

/** A saved run's model, with its weights, record and training history. */
export interface LoadedRunModel {
  record: LoadedRunRecord;
  model: KitModel;
  /** The configuration the model was built with (config.json's `model_config`). */
  modelConfig: Record<string, unknown>;
  /** Epochs the checkpoint completed. */
  epochs: number;
  history: EpochStats[];
}

/**
 * Rebuilds a run's model from the model configuration its config.json recorded, and
 * loads the checkpoint's weights.
 *
 * @example
 * ```ts ignore
 * import { loadRunModel } from "./run.ts";
 * const { model, modelConfig, epochs } = await loadRunModel("runs/digit3");
 * console.log(modelConfig, epochs);
 * model.dispose();
 * ```
 */
export async function loadRunModel(path: string): Promise<LoadedRunModel> {
  const record = await readRunRecord(path);
  const dir = new RunDir(path);
  const ckpt = await readCheckpoint(dir.checkpointPath);
  const model = rebuildModel(record.config, record.model_config);
  try {
    const { position, history } = restoreTrainingState(model, ckpt);
    return { record, model, modelConfig: record.model_config, epochs: position.epoch, history };
  } catch (e) {
    model.dispose();
    throw new RunDirError(
      `the checkpoint in ${path} does not fit the model its config.json describes: ${
        (e as Error).message
      }`,
    );
  }
}

/** A saved run's model set up to score new images ({@linkcode loadRunScorer}). */
export interface RunScorer extends LoadedRunModel {
  /** The run's metrics.json; null for a run never evaluated. */
  metrics: RunMetrics | null;
  /** metrics.json's decision threshold; null when it has none. */
  threshold: Threshold | null;
}

/**
 * Rebuilds a run's model ({@linkcode loadRunModel}) to score new images as the run's
 * evaluation scored its test set: set-level scores (DAAD+'s eq. 7) are scaled with the
 * test set's ranges (metrics.json's `score_calibration`). `deno task predict` and the
 * exporters open a run through it; the threshold is metrics.json's.
 */
export async function loadRunScorer(path: string): Promise<RunScorer> {
  const loaded = await loadRunModel(path);
  const metrics = await new RunDir(path).readJson<RunMetrics>("metrics.json").catch(() => null);
  if (metrics?.score_calibration != null) loaded.model.calibrate?.(metrics.score_calibration);
  const saved = metrics?.threshold;
  const threshold = saved?.value != null && Number.isFinite(saved.value) ? saved : null;
  return { ...loaded, metrics, threshold };
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
    await dir.writeJson("metrics.json", metrics);
    return metrics;
  } finally {
    model.dispose();
  }
}
