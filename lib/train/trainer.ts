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
 * - checkpoints are written atomically (temporary file, fsync, rename).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { pendingTunes, tuneWebGpuKernels } from "../kernels/webgpu/autotune.ts";
import { type Augment, batchesPerEpoch, type ImageSet, trainBatches } from "../data/image_set.ts";
import type { ParamStore, TensorData } from "../nn/params.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import { nanAtStep } from "../util/test_hooks.ts";
import type { Adam } from "./adam.ts";
import { type Checkpoint, readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { type ProgressSink, silentProgress } from "./progress.ts";
import { describeIoError, type RunDir, RunDirError } from "./run_dir.ts";

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
  progress?: ProgressSink;
  /** Called after every epoch (notebook plots, evaluation); may be async. */
  onEpochEnd?: (stats: EpochStats) => void | Promise<void>;
  /** Set to request a stop (Ctrl-C): the run checkpoints its exact position and returns. */
  signal?: AbortSignal;
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
}

/** Raised when a loss becomes NaN or infinite. */
export class NonFiniteLossError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NonFiniteLossError";
  }
}

/** Raised when a checkpoint does not belong to the run being resumed. */
export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResumeError";
  }
}

interface Position {
  /** Completed epochs. */
  epoch: number;
  /** Batches done in the current (incomplete) epoch. */
  batch: number;
  step: number;
}

function allFinite(state: Map<string, TensorData>): string | null {
  for (const [name, t] of state) {
    for (let i = 0; i < t.values.length; i++) {
      if (!Number.isFinite(t.values[i])) return name;
    }
  }
  return null;
}

async function saveCheckpoint(
  model: TrainableModel,
  dir: RunDir,
  pos: Position,
  meta: Record<string, unknown>,
  history: EpochStats[],
): Promise<void> {
  const tensors = new Map<string, TensorData>();
  const params = await model.params.snapshot();
  const bad = allFinite(params);
  if (bad != null) {
    throw new NonFiniteLossError(
      `parameter '${bad}' is not finite at epoch ${pos.epoch}; the last good checkpoint is kept`,
    );
  }
  for (const [k, v] of params) tensors.set(`params/${k}`, v);
  const optSteps: Record<string, number> = {};
  for (const obj of model.objectives) {
    const st = await obj.optimizer.state();
    optSteps[obj.name] = st.step;
    for (const [k, v] of st.moments) tensors.set(`opt/${obj.name}/${k}`, v);
  }
  try {
    await writeCheckpoint(dir.checkpointPath, {
      meta: { ...meta, position: pos, optimizerSteps: optSteps, history },
      tensors,
    });
  } catch (e) {
    throw new RunDirError(`cannot write checkpoint ${dir.checkpointPath}: ${describeIoError(e)}`);
  }
}

/** Restores model and optimizer state from a checkpoint; returns the saved position. */
export function restoreTrainingState(
  model: TrainableModel,
  ckpt: Checkpoint,
): { position: Position; history: EpochStats[] } {
  const pick = (prefix: string) => {
    const out = new Map<string, TensorData>();
    for (const [k, v] of ckpt.tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  };
  model.params.load(pick("params/"));
  const steps = (ckpt.meta.optimizerSteps ?? {}) as Record<string, number>;
  for (const obj of model.objectives) {
    obj.optimizer.load({ step: steps[obj.name] ?? 0, moments: pick(`opt/${obj.name}/`) });
  }
  return {
    position: ckpt.meta.position as Position,
    history: (ckpt.meta.history ?? []) as EpochStats[],
  };
}

/** Compares the saved run metadata with this run's; names the first difference. */
function checkSameRun(saved: Record<string, unknown>, current: Record<string, unknown>): void {
  const a = JSON.stringify(saved.config ?? null), b = JSON.stringify(current.config ?? null);
  if (a !== b) {
    throw new ResumeError(
      `the checkpoint was written by a run with another configuration; resume with the same ` +
        `flags (saved: ${a}; now: ${b})`,
    );
  }
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

/**
 * Trains `model` on `data` for `options.epochs` epochs (counted from the start of the
 * run, so a resumed run stops at the same epoch as an uninterrupted one).
 */
export async function train(
  model: TrainableModel,
  data: ImageSet,
  options: TrainOptions,
): Promise<TrainResult> {
  const { epochs, batchSize, seed, augment, runDir } = options;
  const logEvery = options.logEverySteps ?? 10;
  const progress = options.progress ?? silentProgress;
  const meta = options.meta ?? {};
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(`epochs must be >= 1, got ${epochs}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be >= 1, got ${batchSize}`);
  }
  if (data.n < batchSize) {
    throw new RangeError(`batch size ${batchSize} is larger than the ${data.n} training images`);
  }

  let pos: Position = { epoch: 0, batch: 0, step: 0 };
  let history: EpochStats[] = [];
  if (options.resume) {
    if (runDir == null) throw new ResumeError("resuming needs a run folder");
    const ckpt = await readCheckpoint(runDir.checkpointPath);
    checkSameRun(ckpt.meta, meta);
    ({ position: pos, history } = restoreTrainingState(model, ckpt));
    // Drop log lines written after the checkpoint by the interrupted process.
    await runDir.filterLog((e) => typeof e.step === "number" && e.step <= pos.step);
    progress.line(`resuming from epoch ${pos.epoch}, batch ${pos.batch} (step ${pos.step})`);
  }

  const perEpoch = batchesPerEpoch(data.n, batchSize);
  const injectNanAt = nanAtStep();
  let trainSeconds = 0, images = 0, interrupted = false;
  for (let epoch = pos.epoch; epoch < epochs && !interrupted; epoch++) {
    const rng = new Rng(deriveSeed(seed, "epoch", epoch));
    const sums: Record<string, number> = {};
    let count = 0;
    const t0 = performance.now();
    let epochTrainMs = 0;
    const label = `epoch ${epoch + 1}/${epochs}`;
    let batchIndex = 0;
    for (const batch of trainBatches(data, batchSize, rng, augment)) {
      if (batchIndex < pos.batch) {
        // Replaying the epoch's random draws up to the saved position.
        batch.dispose();
        batchIndex++;
        continue;
      }
      const ts = performance.now();
      const losses: Record<string, number> = {};
      try {
        model.beforeStep?.(batch);
        for (const obj of model.objectives) {
          const r = step(obj, batch);
          for (const [k, v] of Object.entries(r)) {
            losses[model.objectives.length === 1 ? k : `${obj.name}.${k}`] = v;
          }
        }
        model.afterStep?.(batch);
      } finally {
        batch.dispose();
      }
      const dt = performance.now() - ts;
      epochTrainMs += dt;
      trainSeconds += dt / 1000;
      images += batch.shape[0];
      batchIndex++;
      pos = { epoch, batch: batchIndex, step: pos.step + 1 };
      if (injectNanAt === pos.step) losses.total = NaN;
      const bad = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
      if (bad != null) {
        progress.end();
        throw new NonFiniteLossError(
          `loss '${bad[0]}' became ${bad[1]} at epoch ${epoch + 1}, step ${pos.step}; training ` +
            `stopped. The last good checkpoint (if any) is kept` +
            (runDir ? ` in ${runDir.checkpointPath}` : "") + `. Try a lower --lr.`,
        );
      }
      for (const [k, v] of Object.entries(losses)) sums[k] = (sums[k] ?? 0) + v;
      count++;
      // On WebGPU, shapes met for the first time are tuned once, outside the timed step.
      if (tf.getBackend() === "webgpu" && pendingTunes().length > 0) await tuneWebGpuKernels();
      const mainKey = model.objectives.length === 1
        ? "total"
        : `${model.objectives.at(-1)!.name}.total`;
      progress.update({
        label,
        done: batchIndex,
        total: perEpoch,
        fields: {
          loss: (losses[mainKey] ?? 0).toPrecision(4),
          "img/s": (batchSize * count / (epochTrainMs / 1000)).toFixed(1),
        },
      });
      if (runDir != null && pos.step % logEvery === 0) {
        await runDir.log({
          type: "step",
          epoch: epoch + 1,
          step: pos.step,
          ...losses,
          ms: Math.round(dt),
        });
      }
      if (options.signal?.aborted && batchIndex < perEpoch) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) {
      progress.end();
      if (runDir != null) {
        await saveCheckpoint(model, runDir, pos, meta, history);
        progress.line(
          `interrupted at epoch ${
            epoch + 1
          }, batch ${pos.batch}; checkpoint saved — continue with --resume`,
        );
      }
      break;
    }
    const losses: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) losses[k] = v / Math.max(count, 1);
    const stats: EpochStats = {
      epoch: epoch + 1,
      steps: count,
      losses,
      seconds: (performance.now() - t0) / 1000,
      imagesPerSecond: (batchSize * count) / Math.max(epochTrainMs / 1000, 1e-9),
    };
    history.push(stats);
    pos = { epoch: epoch + 1, batch: 0, step: pos.step };
    const mainKey = model.objectives.length === 1
      ? "total"
      : `${model.objectives.at(-1)!.name}.total`;
    progress.end({
      label,
      done: perEpoch,
      total: perEpoch,
      fields: {
        loss: (losses[mainKey] ?? 0).toPrecision(4),
        "img/s": stats.imagesPerSecond.toFixed(1),
      },
    });
    if (runDir != null) {
      await runDir.log({ type: "epoch", step: pos.step, ...stats, losses: undefined, ...losses });
      await saveCheckpoint(model, runDir, pos, meta, history);
    }
    await options.onEpochEnd?.(stats);
    if (options.signal?.aborted && epoch + 1 < epochs) {
      interrupted = true;
      progress.line(
        `interrupted after epoch ${epoch + 1}; checkpoint saved — continue with --resume`,
      );
    }
  }
  return {
    epochs: pos.epoch,
    steps: pos.step,
    seconds: trainSeconds,
    imagesPerSecond: images / Math.max(trainSeconds, 1e-9),
    interrupted,
    history,
  };
}
