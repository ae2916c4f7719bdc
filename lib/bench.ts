/**
 * Throughput measurements of the DAAD network: training steps (forward + backward +
 * Adam) and scoring, after warm-up, as plain records (the bench task prints them as
 * JSON lines).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendInfo } from "./backend.ts";
import { tuneWebGpuKernels } from "./kernels/webgpu/autotune.ts";
import type { Division } from "./memory/block_memory.ts";
import { type DaadConfig, type DaadVariant, DEFAULT_DAAD_CONFIG } from "./models/daad/config.ts";
import { DaadModel } from "./models/daad/mod.ts";
import { Rng } from "./util/rng.ts";

/** A benchmark configuration of the network. */
export interface BenchConfig {
  name: string;
  size: number;
  width: number;
  batch: number;
  memory: number;
  division: Division;
  /** Input channels: 3 (colour, the default) or 1 (grey). */
  channels?: number;
}

/** The networks the bench measures: the plain autoencoder and DAAD (same encoder/decoder). */
export type BenchModel = Extract<DaadVariant, "ae" | "daad">;

/** Both, in the order the bench runs them. */
export const BENCH_MODELS: readonly BenchModel[] = ["ae", "daad"];

/**
 * `paper`: supplement Table 2 at 256x256, batch 8, N = 500, division 8,8,1.
 * `small`: 64x64, width 16, batch 8; division 2,2,1 keeps the paper's block size in
 * feature pixels, as the PyTorch reference (tools/daad_ref.py) does at this size.
 * `mnist`: the `mnist` training preset's network: 32x32 grey, width 16, batch 32, N 100,
 * division 2,2,1.
 */
export const BENCH_CONFIGS: Readonly<Record<string, BenchConfig>> = Object.freeze({
  paper: { name: "paper", size: 256, width: 64, batch: 8, memory: 500, division: [8, 8, 1] },
  small: { name: "small", size: 64, width: 16, batch: 8, memory: 500, division: [2, 2, 1] },
  mnist: {
    name: "mnist",
    size: 32,
    width: 16,
    batch: 32,
    memory: 100,
    division: [2, 2, 1],
    channels: 1,
  },
});

/** One measurement. */
export interface BenchRecord {
  config: string;
  /** `ae` or `daad`. */
  model: BenchModel;
  backend: string;
  device: string;
  kind: "train" | "score";
  batch: number;
  step_ms: number;
  images_per_s: number;
  /** Median over `steps` timed steps; min and max alongside. */
  step_ms_min: number;
  step_ms_max: number;
  steps: number;
  /** Largest tfjs tensor memory seen during the timed steps, bytes. */
  peak_tensor_bytes: number;
  /** Resident set size of the process after the steps, bytes. */
  rss_bytes: number;
  /**
   * CPU time per step (all threads, 10 ms ticks averaged over the steps), or null off
   * Linux: on a machine other processes share, the work a step took, which wall time
   * mixes with the waits.
   */
  cpu_ms_per_step: number | null;
  params: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Options of {@linkcode benchDaad}. */
export interface BenchOptions {
  warmup?: number;
  steps?: number;
  /** Scoring batch sizes to measure (default [1, 32]). */
  scoreBatches?: number[];
  /** Called with each record as it is measured. */
  onRecord?: (r: BenchRecord) => void;
  /** The network: `daad` (default) or the plain autoencoder `ae`. */
  model?: BenchModel;
  /** Skip the scoring measurements (train only). */
  trainOnly?: boolean;
  /**
   * Run after the first warm-up step of each measurement (default on webgpu: autotune of
   * the shapes that step met, see lib/kernels/webgpu/autotune.ts).
   */
  tune?: () => Promise<unknown>;
}

/**
 * CPU time of this process so far in ms (user + system, every thread; Linux's
 * /proc/self/stat in clock ticks of 10 ms), or null where it cannot be read.
 */
export function processCpuMs(): number | null {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function timeSteps(
  fn: () => Promise<void>,
  warmup: number,
  steps: number,
  tune?: () => Promise<unknown>,
): Promise<{ times: number[]; peak: number; cpuMs: number | null }> {
  for (let i = 0; i < warmup; i++) {
    await fn();
    if (i === 0) await tune?.();
  }
  const times: number[] = [];
  let peak = 0;
  const cpu0 = processCpuMs();
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
    peak = Math.max(peak, tf.memory().numBytes);
  }
  const cpu1 = processCpuMs();
  return { times, peak, cpuMs: cpu0 == null || cpu1 == null ? null : (cpu1 - cpu0) / steps };
}

/** `n` images of side `size` with values uniform in [-1, 1] (the kit's input range). */
function randomBatch(rng: Rng, n: number, size: number, channels: number): tf.Tensor4D {
  return tf.tensor4d(rng.uniformArray(n * size * size * channels, -1, 1), [
    n,
    size,
    size,
    channels,
  ]);
}

/** The network configuration a bench config describes (DAAD unless `model` says `ae`). */
export function benchDaadConfig(config: BenchConfig, model: BenchModel = "daad"): DaadConfig {
  return {
    ...DEFAULT_DAAD_CONFIG,
    variant: model,
    size: config.size,
    width: config.width,
    memory: config.memory,
    division: config.division,
    channels: config.channels ?? 3,
  };
}

/** The network a bench config describes (seed 0). */
function benchNetwork(config: BenchConfig, model: BenchModel = "daad"): DaadModel {
  return new DaadModel(benchDaadConfig(config, model), 0);
}

/**
 * One training step of `model` on the batch `x`, as the trainer runs it; reading the
 * loss waits for the device, so the step's time is all its work.
 */
function trainStepOf(model: DaadModel, x: tf.Tensor4D): () => Promise<void> {
  const obj = model.objectives[0];
  return async () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => obj.loss(x).total, obj.optimizer.variables);
      obj.optimizer.apply(grads);
      return value;
    });
    await loss.data();
    loss.dispose();
  };
}

/** Measures training and scoring throughput of the network (DAAD or AE) in `config`. */
export async function benchDaad(
  config: BenchConfig,
  backend: BackendInfo,
  options: BenchOptions = {},
): Promise<BenchRecord[]> {
  const warmup = options.warmup ?? 2, steps = options.steps ?? 10;
  const tune = options.tune ??
    (backend.name === "webgpu" ? () => tuneWebGpuKernels() : undefined);
  const which = options.model ?? "daad";
  const model = benchNetwork(config, which);
  const channels = config.channels ?? 3;
  const rng = new Rng(1);
  const records: BenchRecord[] = [];
  const emit = (
    kind: BenchRecord["kind"],
    batch: number,
    times: number[],
    peak: number,
    cpuMs: number | null,
  ) => {
    const ms = median(times);
    const r: BenchRecord = {
      config: config.name,
      model: which,
      backend: backend.name,
      device: backend.device,
      kind,
      batch,
      step_ms: Math.round(ms * 10) / 10,
      images_per_s: Math.round((batch / ms) * 1000 * 10) / 10,
      step_ms_min: Math.round(Math.min(...times) * 10) / 10,
      step_ms_max: Math.round(Math.max(...times) * 10) / 10,
      steps: times.length,
      peak_tensor_bytes: peak,
      rss_bytes: Deno.memoryUsage().rss,
      cpu_ms_per_step: cpuMs == null ? null : Math.round(cpuMs * 10) / 10,
      params: model.params.numParams(),
    };
    records.push(r);
    options.onRecord?.(r);
  };
  try {
    const x = randomBatch(rng, config.batch, config.size, channels);
    const t = await timeSteps(trainStepOf(model, x), warmup, steps, tune);
    emit("train", config.batch, t.times, t.peak, t.cpuMs);
    x.dispose();
    for (const b of options.trainOnly ? [] : options.scoreBatches ?? [1, 32]) {
      const xs = randomBatch(rng, b, config.size, channels);
      const scoreStep = async () => {
        const out = model.score(xs);
        await out.scores.data();
        await out.maps.data();
        tf.dispose([out.scores, out.maps, out.reconstruction ?? []]);
      };
      const s = await timeSteps(
        scoreStep,
        Math.max(1, Math.ceil(warmup / 2)),
        Math.max(3, Math.ceil(steps / 2)),
        tune,
      );
      emit("score", b, s.times, s.peak, s.cpuMs);
      xs.dispose();
    }
  } finally {
    model.dispose();
  }
  return records;
}

/** Time spent in one kernel during a profiled training step. */
export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
  /** The kit's own kernels run other kernels; their time includes those. */
  inclusive: boolean;
}

/**
 * Per-kernel time of one training step of the network (DAAD or AE) in `config` (after
 * `warmup` steps), largest first. Kernels the kit registers are marked inclusive.
 */
export async function profileTrainStep(
  config: BenchConfig,
  kitKernels: string[],
  warmup = 2,
  which: BenchModel = "daad",
): Promise<KernelTime[]> {
  const model = benchNetwork(config, which);
  const rng = new Rng(1);
  const x = randomBatch(rng, config.batch, config.size, config.channels ?? 3);
  const step = trainStepOf(model, x);
  try {
    for (let i = 0; i < warmup; i++) await step();
    const prof = await tf.profile(step);
    const agg = new Map<string, KernelTime>();
    for (const k of prof.kernels) {
      const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      const a = agg.get(k.name) ??
        { kernel: k.name, ms: 0, calls: 0, inclusive: kitKernels.includes(k.name) };
      a.ms += ms;
      a.calls++;
      agg.set(k.name, a);
    }
    return [...agg.values()].sort((a, b) => b.ms - a.ms).map((a) => ({
      ...a,
      ms: Math.round(a.ms * 10) / 10,
    }));
  } finally {
    x.dispose();
    model.dispose();
  }
}
