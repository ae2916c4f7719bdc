/**
 * The training loop. It knows nothing about the model: a model offers one or more
 * {@linkcode Objective}s (a loss and the Adam that minimises it over its variables),
 * which are stepped in turn on every batch, and a {@linkcode ParamStore} holding all
 * the state a checkpoint must keep.
 *
 * Guarantees:
 * - every step runs inside `tf.tidy`: the tensor count does not grow across steps;
 * - shuffling and flips of epoch e come from a generator seeded by (seed, e), so a run
 *   resumed from a checkpoint (taken at an epoch end or on Ctrl-C mid-epoch) replays
 *   exactly the batches the uninterrupted run would have seen;
 * - a NaN or infinite loss stops the run with {@linkcode NonFiniteLossError}; the last
 *   checkpoint written (all finite) is kept and never overwritten by a bad one;
 * - checkpoints are written atomically (temporary file, fsync, rename);
 * - an evaluation hook ({@linkcode TrainOptions.evaluate}) runs between epochs and before
 *   that epoch's checkpoint, so its points survive a resume; it draws nothing from the
 *   training's random stream (batches come from generators seeded per epoch).
 *
 * {@linkcode train} reads as its steps: `startPosition` (fresh, or the checkpoint's
 * position with its state restored), then per epoch `trainEpoch` (replay to the saved
 * batch, then `stepAll`: one step of every objective per batch) and `finishEpoch` (the
 * epoch summary, its log line, the checkpoint). Progress, steps, epochs and
 * interruptions reach the caller through callbacks, and faults are injected through an
 * option; messages speak of the library, and the CLI adds its flag hints (such as
 * `--resume`) when it reports them.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Augment, batchesPerEpoch, type ImageSet, trainBatches } from "../data/image_set.ts";
import type { ParamStore } from "../nn/params.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import type { Adam } from "./adam.ts";
import {
  checkSameRun,
  readCheckpoint,
  restoreTrainingState,
  saveTrainingState,
  type TrainingPosition as Position,
} from "./checkpoint.ts";
import { NonFiniteLossError, ResumeError } from "./errors.ts";
import { type ProgressSink, silentProgress } from "./progress.ts";
import type { RunDir } from "./run_dir.ts";

export { NonFiniteLossError, restoreTrainingState, ResumeError };

/** Loss terms computed inside the gradient tape. */
export interface LossTerms {
  /** The scalar minimised. */
  total: tf.Scalar;
  /** Named scalars logged alongside (reconstruction, entropy, adversarial...). */
  parts: Record<string, tf.Scalar>;
}

/** One loss and the optimizer minimising it over `optimizer.variables`. */
export interface Objective {
  /** Short name used in logs and checkpoints ("model", "g", "d"). */
  name: string;
  optimizer: Adam;
  /** Runs the forward pass in training mode on `batch` and returns the loss terms. */
  loss(batch: tf.Tensor4D): LossTerms;
}

/** What the trainer needs from a model. */
export interface TrainableModel {
  /** Every variable a checkpoint must keep: weights, memory banks, batch-norm statistics. */
  readonly params: ParamStore;
  /** Minimised in this order on every batch (an autoencoder has one; a GAN D then G). */
  readonly objectives: Objective[];
  /** Non-gradient set-up before each step (e.g. memory items started from the first batch). */
  beforeStep?(batch: tf.Tensor4D): void;
  /** Non-gradient updates after each step (e.g. MNAD's memory update). */
  afterStep?(batch: tf.Tensor4D): void;
}

/** One evaluation during training: its epoch and step, and what the hook returned. */
export interface CurvePoint {
  /** 1-based epoch after which the evaluation ran. */
  epoch: number;
  /** Optimisation steps done by then. */
  step: number;
  [key: string]: unknown;
}

/** Evaluation during training (see {@linkcode TrainOptions.evaluate}). */
export interface EvaluationHook {
  /** Evaluate after every epoch whose 1-based number is a multiple of this. */
  every: number;
  /**
   * Evaluates the model after `epoch` (1-based) and returns a JSON record, or null to
   * record nothing then. It must leave the model as it found it (evaluation mode).
   */
  run: (epoch: number) => Promise<Record<string, unknown> | null>;
}

/** Options of {@linkcode train}. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  augment: Augment;
  /** Write a `step` line to log.jsonl every this many steps. Default 10. */
  logEverySteps?: number;
  /** Where log.jsonl and checkpoint.ckpt go; none for in-memory training (notebooks, tests). */
  runDir?: RunDir;
  /** Continue from this folder's checkpoint. */
  resume?: boolean;
  /** Saved in the checkpoint's metadata; a resumed run must match it. */
  meta?: Record<string, unknown>;
  /**
   * Checks the metadata of the checkpoint a run resumes from; throws
   * {@linkcode ResumeError} when it belongs to another run. Default: its `config` must
   * equal `meta.config` (as JSON).
   */
  checkResume?: (saved: Record<string, unknown>) => void | Promise<void>;
  progress?: ProgressSink;
  /** Called after every epoch (notebook plots, evaluation); may be async. */
  onEpochEnd?: (stats: EpochStats) => void | Promise<void>;
  /**
   * Evaluation every few epochs (AUROC curves): runs after the epoch's log line and
   * before its checkpoint, which keeps the points (`curve`), as log.jsonl does (`eval`
   * lines). The model the training ends with is the same as without it, provided the
   * hook evaluates without updating state (the trainer's random stream it cannot reach).
   */
  evaluate?: EvaluationHook;
  /** Set to request a stop (Ctrl-C): the run checkpoints its exact position and returns. */
  signal?: AbortSignal;
  /** Called after every optimisation step (after its log line, if any). */
  onStep?: (report: StepReport) => void | Promise<void>;
  /**
   * Awaited after every optimisation step, outside its timing: the backend's own work
   * between steps, such as WebGPU's kernel tuning for shapes met for the first time
   * (`tuneNewShapes` of `kernels/webgpu/autotune.ts`, which a run passes).
   */
  betweenSteps?: () => void | Promise<void>;
  /**
   * Called when training stops on `signal` (with a run folder: position saved). Default: a progress
   * line from {@linkcode interruptionLine}; the CLI adds how to continue (`--resume`).
   */
  onInterrupt?: (at: Interruption) => void;
  /** Faults injected by tests (none by default). */
  faults?: TrainFaults;
}

/** Faults a test can inject into {@linkcode train}. */
export interface TrainFaults {
  /** Report a NaN total loss at this optimisation step (1-based, counted over the run). */
  nanAtStep?: number | null;
  /**
   * After this epoch's checkpoint (1-based, before the last epoch), wait until `signal` is
   * raised, so that a test can stop a run at a known position (nothing happens without a
   * `signal`).
   */
  holdAfterEpoch?: number | null;
}

/** One optimisation step, as {@linkcode TrainOptions.onStep} sees it. */
export interface StepReport {
  /** 1-based epoch. */
  epoch: number;
  /** Optimisation steps so far in the run, this one included. */
  step: number;
  /** Every objective's total and logged parts (prefixed "name." with several objectives). */
  losses: Record<string, number>;
  /** Milliseconds the step took. */
  ms: number;
}

/** Where a run stopped on its `signal`. */
export interface Interruption {
  /** 1-based epoch in which (or after which) the run stopped. */
  epoch: number;
  /** Batches done in that epoch; 0 when it stopped at the epoch's end. */
  batch: number;
  /** True when it stopped after a complete epoch. */
  atEpochEnd: boolean;
}

/** Summary of one epoch. */
export interface EpochStats {
  epoch: number;
  steps: number;
  /** Mean of each objective's total loss and of every logged part over the epoch. */
  losses: Record<string, number>;
  seconds: number;
  imagesPerSecond: number;
}

/** What {@linkcode train} returns. */
export interface TrainResult {
  /** Epochs completed (including those before a resume). */
  epochs: number;
  /** Optimisation steps (including those before a resume). */
  steps: number;
  /** Training seconds in this process (excluding checkpoint writes). */
  seconds: number;
  /** Training images per second in this process. */
  imagesPerSecond: number;
  /** True when stopped early through `signal`. */
  interrupted: boolean;
  history: EpochStats[];
  /** The evaluations of {@linkcode TrainOptions.evaluate}, also those before a resume. */
  curve: CurvePoint[];
}

/** One optimisation step of one objective; returns the loss terms as numbers. */
function step(objective: Objective, batch: tf.Tensor4D): Record<string, number> {
  const kept: Record<string, tf.Scalar> = {};
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const terms = objective.loss(batch);
      for (const [k, v] of Object.entries(terms.parts)) kept[k] = tf.keep(v.clone());
      kept.total = tf.keep(terms.total.clone());
      return terms.total;
    }, objective.optimizer.variables);
    objective.optimizer.apply(grads);
  });
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(kept)) {
    out[k] = v.dataSync()[0];
    v.dispose();
  }
  return out;
}

/** The text of an interruption, without how to continue (callers add that). */
export function interruptionLine(at: Interruption): string {
  return at.atEpochEnd
    ? `interrupted after epoch ${at.epoch}; checkpoint saved`
    : `interrupted at epoch ${at.epoch}, batch ${at.batch}; checkpoint saved`;
}

/** What every step of {@linkcode train} shares. */
interface Loop {
  model: TrainableModel;
  data: ImageSet;
  options: TrainOptions;
  progress: ProgressSink;
  meta: Record<string, unknown>;
  /** Batches in one epoch. */
  perEpoch: number;
  /** The loss shown on the progress bar: the last objective's total. */
  mainKey: string;
}

/** Throws a RangeError for epochs, batch size or data that cannot train. */
function checkTrainOptions(data: ImageSet, { epochs, batchSize, evaluate }: TrainOptions): void {
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(`epochs must be >= 1, got ${epochs}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be >= 1, got ${batchSize}`);
  }
  if (data.n < batchSize) {
    throw new RangeError(`batch size ${batchSize} is larger than the ${data.n} training images`);
  }
  const every = evaluate?.every;
  if (every != null && !(Number.isInteger(every) && every >= 1)) {
    throw new RangeError(`evaluation interval must be an integer >= 1 epoch, got ${every}`);
  }
}

/** The key of the loss shown while training: "total", or "<last objective>.total". */
function mainLossKey(model: TrainableModel): string {
  return model.objectives.length === 1 ? "total" : `${model.objectives.at(-1)!.name}.total`;
}

/**
 * Step 1: where training starts. Fresh, or (with `resume`) the checkpoint's position,
 * with model and optimizer state restored and the log cut back to the checkpoint.
 */
async function startPosition(
  loop: Loop,
): Promise<{ position: Position; history: EpochStats[]; curve: CurvePoint[] }> {
  const { model, options, progress, meta } = loop;
  if (!options.resume) {
    return { position: { epoch: 0, batch: 0, step: 0 }, history: [], curve: [] };
  }
  const runDir = options.runDir;
  if (runDir == null) throw new ResumeError("resuming needs a run folder");
  const ckpt = await readCheckpoint(runDir.checkpointPath);
  if (options.checkResume != null) await options.checkResume(ckpt.meta);
  else checkSameRun(ckpt.meta, meta);
  const restored = restoreTrainingState(model, ckpt);
  const pos = restored.position;
  // Drop log lines written after the checkpoint by the interrupted process.
  await runDir.filterLog((e) => typeof e.step === "number" && e.step <= pos.step);
  progress.line(`resuming from epoch ${pos.epoch}, batch ${pos.batch} (step ${pos.step})`);
  return restored;
}

/**
 * Step 2: one optimisation step of every objective on `batch`, in order, between the
 * model's before/after hooks. Returns the losses, keyed "name.part" when there are
 * several objectives.
 */
function stepAll(model: TrainableModel, batch: tf.Tensor4D): Record<string, number> {
  const losses: Record<string, number> = {};
  model.beforeStep?.(batch);
  for (const obj of model.objectives) {
    const r = step(obj, batch);
    for (const [k, v] of Object.entries(r)) {
      losses[model.objectives.length === 1 ? k : `${obj.name}.${k}`] = v;
    }
  }
  model.afterStep?.(batch);
  return losses;
}

/** Throws {@linkcode NonFiniteLossError} naming the first loss that is NaN or infinite. */
function checkFinite(loop: Loop, losses: Record<string, number>, pos: Position): void {
  const bad = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
  if (bad == null) return;
  loop.progress.end();
  const runDir = loop.options.runDir;
  throw new NonFiniteLossError(
    `loss '${bad[0]}' became ${bad[1]} at epoch ${pos.epoch + 1}, step ${pos.step}; training ` +
      `stopped. The last good checkpoint (if any) is kept` +
      (runDir ? ` in ${runDir.checkpointPath}` : "") + `.`,
  );
}

/** What one pass over an epoch's batches did. */
interface EpochPass {
  position: Position;
  /** Sum of every loss over the steps of this pass. */
  sums: Record<string, number>;
  steps: number;
  trainMs: number;
  images: number;
  startedAt: number;
  interrupted: boolean;
}

/**
 * Step 3: the batches of epoch `epoch` from `start` on. Draws the epoch's batches from a
 * generator seeded by (seed, epoch), skipping (replaying) those before the saved
 * position; stops early, mid-epoch, when `signal` is raised.
 */
async function trainEpoch(loop: Loop, epoch: number, start: Position): Promise<EpochPass> {
  const { model, data, options, progress, perEpoch } = loop;
  const { batchSize, epochs } = options;
  const logEvery = options.logEverySteps ?? 10;
  const nanAt = options.faults?.nanAtStep ?? null;
  const rng = new Rng(deriveSeed(options.seed, "epoch", epoch));
  const pass: EpochPass = {
    position: start,
    sums: {},
    steps: 0,
    trainMs: 0,
    images: 0,
    startedAt: performance.now(),
    interrupted: false,
  };
  const label = `epoch ${epoch + 1}/${epochs}`;
  let batchIndex = 0;
  for (const batch of trainBatches(data, batchSize, rng, options.augment)) {
    if (batchIndex < start.batch) {
      // Replaying the epoch's random draws up to the saved position.
      batch.dispose();
      batchIndex++;
      continue;
    }
    const ts = performance.now();
    let losses: Record<string, number>;
    try {
      losses = stepAll(model, batch);
    } finally {
      batch.dispose();
    }
    const dt = performance.now() - ts;
    pass.trainMs += dt;
    pass.images += batch.shape[0];
    batchIndex++;
    const pos = { epoch, batch: batchIndex, step: pass.position.step + 1 };
    pass.position = pos;
    if (nanAt === pos.step) losses.total = NaN;
    checkFinite(loop, losses, pos);
    for (const [k, v] of Object.entries(losses)) pass.sums[k] = (pass.sums[k] ?? 0) + v;
    pass.steps++;
    // Work between steps, outside the timed step (WebGPU: tuning the shapes met first).
    await options.betweenSteps?.();
    progress.update({
      label,
      done: batchIndex,
      total: perEpoch,
      fields: {
        loss: (losses[loop.mainKey] ?? 0).toPrecision(4),
        "img/s": (batchSize * pass.steps / (pass.trainMs / 1000)).toFixed(1),
      },
    });
    const report: StepReport = { epoch: epoch + 1, step: pos.step, losses, ms: dt };
    if (options.runDir != null && pos.step % logEvery === 0) {
      await options.runDir.log({
        type: "step",
        epoch: epoch + 1,
        step: pos.step,
        ...losses,
        ms: Math.round(dt),
      });
    }
    await options.onStep?.(report);
    if (options.signal?.aborted && batchIndex < perEpoch) {
      pass.interrupted = true;
      break;
    }
  }
  return pass;
}

/**
 * Step 4: the end of a complete epoch: its summary (mean losses, speed), the progress
 * bar's last state, the epoch log line, the evaluation when one is due, and the
 * checkpoint.
 */
async function finishEpoch(
  loop: Loop,
  epoch: number,
  pass: EpochPass,
  history: EpochStats[],
  curve: CurvePoint[],
): Promise<{ stats: EpochStats; position: Position }> {
  const { options, progress, perEpoch, model, meta } = loop;
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(pass.sums)) losses[k] = v / Math.max(pass.steps, 1);
  const stats: EpochStats = {
    epoch: epoch + 1,
    steps: pass.steps,
    losses,
    seconds: (performance.now() - pass.startedAt) / 1000,
    imagesPerSecond: (options.batchSize * pass.steps) / Math.max(pass.trainMs / 1000, 1e-9),
  };
  history.push(stats);
  const position = { epoch: epoch + 1, batch: 0, step: pass.position.step };
  progress.end({
    label: `epoch ${epoch + 1}/${options.epochs}`,
    done: perEpoch,
    total: perEpoch,
    fields: {
      loss: (losses[loop.mainKey] ?? 0).toPrecision(4),
      "img/s": stats.imagesPerSecond.toFixed(1),
    },
  });
  if (options.runDir != null) {
    await options.runDir.log({
      type: "epoch",
      step: position.step,
      ...stats,
      losses: undefined,
      ...losses,
    });
  }
  const hook = options.evaluate;
  if (hook != null && (epoch + 1) % hook.every === 0) {
    const result = await hook.run(epoch + 1);
    if (result != null) {
      const point: CurvePoint = { ...result, epoch: epoch + 1, step: position.step };
      curve.push(point);
      await options.runDir?.log({ type: "eval", ...point });
    }
  }
  if (options.runDir != null) {
    await saveTrainingState(model, options.runDir, position, meta, history, curve);
  }
  return { stats, position };
}

/** The test fault {@linkcode TrainFaults.holdAfterEpoch}: waits for `signal` after `epoch`. */
async function holdIfAsked(loop: Loop, epoch: number): Promise<void> {
  const { signal, faults, epochs } = loop.options;
  if (signal == null || faults?.holdAfterEpoch !== epoch || epoch >= epochs) return;
  loop.progress.line(`test hook: holding after epoch ${epoch} (checkpoint saved) until stopped`);
  // The timer keeps the event loop alive where no signal listener does.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Trains `model` on `data` for `options.epochs` epochs (counted from the start of the
 * run, so a resumed run stops at the same epoch as an uninterrupted one).
 *
 * @example
 * ```ts
 * import { stripesDataset } from "../data/stripes.ts";
 * import { DaadModel, DEFAULT_DAAD_CONFIG } from "../models/daad/mod.ts";
 * import { train } from "./trainer.ts";
 * const { train: data } = stripesDataset({ size: 32, nTrain: 16, nTest: 4 });
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, size: 32, width: 4, memory: 10,
 *   division: [2, 2, 1] }, 0);
 * const result = await train(model, data, { epochs: 2, batchSize: 8, seed: 0, augment: "flip" });
 * console.log(result.history.map((e) => e.losses.total));
 * model.dispose();
 * ```
 */
export async function train(
  model: TrainableModel,
  data: ImageSet,
  options: TrainOptions,
): Promise<TrainResult> {
  checkTrainOptions(data, options);
  const progress = options.progress ?? silentProgress;
  const loop: Loop = {
    model,
    data,
    options,
    progress,
    meta: options.meta ?? {},
    perEpoch: batchesPerEpoch(data.n, options.batchSize),
    mainKey: mainLossKey(model),
  };
  const interrupt = options.onInterrupt ??
    ((at: Interruption) => progress.line(interruptionLine(at)));
  const { epochs, runDir } = options;
  const start = await startPosition(loop);
  let pos = start.position;
  const { history, curve } = start;

  let trainSeconds = 0, images = 0, interrupted = false;
  for (let epoch = pos.epoch; epoch < epochs && !interrupted; epoch++) {
    const pass = await trainEpoch(loop, epoch, pos);
    pos = pass.position;
    trainSeconds += pass.trainMs / 1000;
    images += pass.images;
    if (pass.interrupted) {
      interrupted = true;
      progress.end();
      if (runDir != null) {
        await saveTrainingState(model, runDir, pos, loop.meta, history, curve);
        interrupt({ epoch: epoch + 1, batch: pos.batch, atEpochEnd: false });
      }
      break;
    }
    const done = await finishEpoch(loop, epoch, pass, history, curve);
    pos = done.position;
    await options.onEpochEnd?.(done.stats);
    await holdIfAsked(loop, epoch + 1);
    if (options.signal?.aborted && epoch + 1 < epochs) {
      interrupted = true;
      interrupt({ epoch: epoch + 1, batch: 0, atEpochEnd: true });
    }
  }
  return {
    epochs: pos.epoch,
    steps: pos.step,
    seconds: trainSeconds,
    imagesPerSecond: images / Math.max(trainSeconds, 1e-9),
    interrupted,
    history,
    curve,
  };
}
