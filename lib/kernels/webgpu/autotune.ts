/**
 * Which kernel runs an op on WebGPU: tfjs's own, or the kit's GEMM with one of its tile
 * candidates, chosen by measuring them on the user's GPU (as cuDNN's benchmark mode
 * does), so that no tuning done on one card decides the speed on another.
 *
 * In the default mode, `auto`, an op runs tfjs's kernel until its shape has been tuned:
 * the first call of each (op, shape) records it, and {@linkcode tuneWebGpuKernels}
 * (which the bench awaits after its first step, and a run between training steps
 * through {@linkcode tuneNewShapes}) times tfjs's kernel
 * and every tile candidate on random inputs of that shape and keeps the fastest. A kit
 * kernel therefore runs only where it measured faster than tfjs's. Decisions are kept
 * per (op, shape, device) in memory and, when a cache directory is set, in
 * `webgpu_autotune.json` there, so later processes skip the measurement.
 *
 * The mode comes from {@linkcode setKernelMode} or the `DAAD_WEBGPU_KERNELS`
 * environment variable: `auto`, `tfjs` (never the kit's), `kit` (the kit's: the tuned
 * tile, else a default one) or a tile name such as `t32x32x16r2x2s1` (that tile
 * everywhere: tests force each candidate this way). The cache directory comes from
 * {@linkcode setAutotuneCacheDir} or `DAAD_AUTOTUNE_CACHE`.
 *
 * @example
 * ```ts ignore
 * await initBackend("webgpu");
 * await trainOneStep();            // records each op's shapes, runs tfjs's kernels
 * const picked = await tuneWebGpuKernels();
 * console.log(picked.map((d) => `${d.op}: ${d.winner}`));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { LARGE_TILE_CANDIDATES, type Tile, TILE_CANDIDATES, tileName } from "./gemm_program.ts";

/** The name of tfjs's own kernel among the candidates. */
export const BASELINE = "tfjs";
/** Environment variable holding the kernel mode. */
export const MODE_ENV = "DAAD_WEBGPU_KERNELS";
/** Environment variable holding the autotune cache directory. */
export const CACHE_ENV = "DAAD_AUTOTUNE_CACHE";
/** The tile `kit` mode uses for shapes not tuned yet. */
export const DEFAULT_TILE: Tile = TILE_CANDIDATES[1];

const TILES = new Map([...TILE_CANDIDATES, ...LARGE_TILE_CANDIDATES].map((t) => [tileName(t), t]));

/** What one op needs to be tuned: how to run each candidate on given inputs. */
export interface TunableOp {
  /** The tfjs kernel name, e.g. "Conv2D". */
  kernelName: string;
  /** Runs the kit's kernel with `tile`. */
  runKit(
    backend: tf.KernelBackend,
    inputs: Record<string, tf.TensorInfo>,
    attrs: tf.NamedAttrMap,
    tile: Tile,
  ): tf.TensorInfo;
  /** Runs the kernel the kit's replaces (tfjs's, or an earlier kit route). */
  baseline: tf.KernelFunc;
  /**
   * The tiles worth trying (default: {@linkcode TILE_CANDIDATES}). A kernel with no tile
   * parameter gives one; a mode forcing another tile then runs this one.
   */
  tiles?: readonly Tile[];
}

/** The outcome of tuning one (op, shape) on one device. */
export interface Decision {
  op: string;
  /** The inputs' shapes and the attributes, as JSON. */
  signature: string;
  device: string;
  /** {@linkcode BASELINE} or a tile name. */
  winner: string;
  /** Milliseconds per call of each candidate. */
  ms: Record<string, number>;
  /** Candidates left out, and why (failed, or a result unlike the reference's). */
  rejected?: Record<string, string>;
}

interface Pending {
  op: TunableOp;
  signature: string;
  shapes: Record<string, number[]>;
  attrs: tf.NamedAttrMap;
}

const decisions = new Map<string, Decision>();
const pending = new Map<string, Pending>();
let modeOverride: string | null = null;
let cacheDirOverride: string | null | undefined = undefined;
let loadedCache: string | null = null;

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: defaults
  }
}

/** Throws unless `mode` is `auto`, `tfjs`, `kit` or a tile candidate's name. */
export function checkKernelMode(mode: string): void {
  if (["auto", BASELINE, "kit"].includes(mode) || TILES.has(mode)) return;
  throw new Error(
    `unknown WebGPU kernel mode '${mode}': choose auto, tfjs, kit or a tile (${
      [...TILES.keys()].join(", ")
    })`,
  );
}

/** Sets the kernel mode for this process (null: back to `DAAD_WEBGPU_KERNELS` or auto). */
export function setKernelMode(mode: string | null): void {
  if (mode != null) checkKernelMode(mode);
  modeOverride = mode;
}

/** The kernel mode in force. */
export function kernelMode(): string {
  const mode = modeOverride ?? envVar(MODE_ENV) ?? "auto";
  checkKernelMode(mode);
  return mode;
}

/** Sets the directory of the decision cache (null: none; undefined: `DAAD_AUTOTUNE_CACHE`). */
export function setAutotuneCacheDir(dir: string | null | undefined): void {
  cacheDirOverride = dir;
  loadedCache = null;
}

function cacheFile(): string | null {
  const dir = cacheDirOverride === undefined ? envVar(CACHE_ENV) : cacheDirOverride;
  return dir ? `${dir.replace(/\/+$/, "")}/webgpu_autotune.json` : null;
}

function keyOf(device: string, op: string, signature: string): string {
  return `${device}\n${op}\n${signature}`;
}

function loadCache(): void {
  const file = cacheFile();
  if (file == null || loadedCache === file) return;
  loadedCache = file;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return; // no cache yet
  }
  let entries: Decision[];
  try {
    entries = JSON.parse(text).decisions;
    if (!Array.isArray(entries)) throw new Error("no 'decisions' array");
  } catch (e) {
    throw new Error(`autotune cache ${file} is not valid: ${(e as Error).message}`);
  }
  for (const d of entries) {
    if (d.winner === BASELINE || TILES.has(d.winner)) {
      decisions.set(keyOf(d.device, d.op, d.signature), d);
    }
  }
}

function saveCache(): void {
  const file = cacheFile();
  if (file == null) return;
  Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")) || ".", { recursive: true });
  const all = [...decisions.values()];
  Deno.writeTextFileSync(file, JSON.stringify({ version: 1, decisions: all }, null, 1) + "\n");
}

/** A name for the GPU behind `backend` (vendor, architecture, device), the cache's key. */
export function deviceName(backend: tf.KernelBackend): string {
  // deno-lint-ignore no-explicit-any
  const b = backend as any;
  const info = b.device?.adapterInfo ?? b.adapterInfo ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => typeof s === "string" && s.length > 0);
  return parts.length > 0 ? parts.join(" ") : "unknown WebGPU device";
}

/** Whether `backend` runs on a software rasteriser (llvmpipe, SwiftShader, lavapipe). */
export function isSoftwareAdapter(backend: tf.KernelBackend): boolean {
  // deno-lint-ignore no-explicit-any
  const info = (backend as any).device?.adapterInfo ?? {};
  return info.isFallbackAdapter === true ||
    /llvmpipe|swiftshader|software|lavapipe/i.test(deviceName(backend));
}

/** Every decision taken or loaded so far. */
export function tuneDecisions(): Decision[] {
  loadCache();
  return [...decisions.values()];
}

/** Forgets every decision and pending shape held in memory (the cache file stays). */
export function resetAutotune(): void {
  decisions.clear();
  pending.clear();
  loadedCache = null;
}

/** Shapes seen in `auto` mode and not tuned yet. */
export function pendingTunes(): { op: string; signature: string }[] {
  return [...pending.values()].map((p) => ({ op: p.op.kernelName, signature: p.signature }));
}

/**
 * The kernel to run for `op` on these inputs: {@linkcode BASELINE} or a tile. In `auto`
 * mode an untuned shape is recorded for {@linkcode tuneWebGpuKernels} and runs tfjs's.
 */
export function chooseKernel(
  op: TunableOp,
  backend: tf.KernelBackend,
  inputs: Record<string, tf.TensorInfo>,
  attrs: tf.NamedAttrMap,
): typeof BASELINE | Tile {
  const mode = kernelMode();
  if (mode === BASELINE) return BASELINE;
  const own = op.tiles ?? TILE_CANDIDATES;
  const forced = TILES.get(mode);
  if (forced != null) return own.includes(forced) ? forced : own[0];
  loadCache();
  const shapes = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.shape]));
  const signature = JSON.stringify({ shapes, attrs });
  const key = keyOf(deviceName(backend), op.kernelName, signature);
  const decision = decisions.get(key);
  if (mode === "kit") {
    const fallback = own.includes(DEFAULT_TILE) ? DEFAULT_TILE : own[0];
    if (decision == null) return fallback;
    const kit = Object.entries(decision.ms).filter(([name]) => TILES.has(name))
      .sort((a, b) => a[1] - b[1]);
    return kit.length > 0 ? TILES.get(kit[0][0])! : fallback;
  }
  if (decision != null) {
    return decision.winner === BASELINE ? BASELINE : TILES.get(decision.winner)!;
  }
  if (!pending.has(key)) pending.set(key, { op, signature, shapes, attrs });
  return BASELINE;
}

/** Disposes a kernel result, a Tensor (kernels built from ops) or a backend TensorInfo. */
function release(backend: tf.KernelBackend, out: tf.TensorInfo | tf.TensorInfo[]): void {
  for (const t of Array.isArray(out) ? out : [out]) {
    if (t instanceof tf.Tensor) t.dispose();
    else backend.disposeData(t.dataId);
  }
}

interface Checksum {
  sum: number;
  sumSq: number;
  size: number;
}

/** Sum and sum of squares of a kernel's (first) result, which is then released. */
async function checksum(
  backend: tf.KernelBackend,
  out: tf.TensorInfo | tf.TensorInfo[],
): Promise<Checksum> {
  const [first, ...rest] = Array.isArray(out) ? out : [out];
  release(backend, rest);
  const t = first instanceof tf.Tensor
    ? first
    : tf.engine().makeTensorFromTensorInfo(first, backend);
  try {
    const s = tf.tidy(() => tf.stack([tf.sum(t), tf.sum(tf.square(t))]));
    const [sum, sumSq] = await s.data();
    s.dispose();
    return { sum, sumSq, size: t.size };
  } finally {
    t.dispose();
  }
}

/** Whether two results agree to float32 accuracy (1e-3 relative, as sums of many terms). */
export function agrees(a: Checksum, b: Checksum): boolean {
  if (a.size !== b.size || !Number.isFinite(a.sum) || !Number.isFinite(a.sumSq)) return false;
  const scale = Math.sqrt(b.sumSq * b.size) + 1e-30;
  return Math.abs(a.sumSq - b.sumSq) <= 1e-3 * b.sumSq + 1e-30 &&
    Math.abs(a.sum - b.sum) <= 1e-3 * scale;
}

/** Waits until the GPU has finished everything submitted so far. */
async function gpuIdle(backend: tf.KernelBackend): Promise<void> {
  // deno-lint-ignore no-explicit-any
  const b = backend as any;
  if (typeof b.submitQueue === "function" && b.device?.queue?.onSubmittedWorkDone) {
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    b.submitQueue();
    await b.device.queue.onSubmittedWorkDone();
    return;
  }
  // Another backend (tests on cpu): reading a value waits for all earlier work.
  const probe = tf.tidy(() => tf.zeros([1]).add(1));
  await probe.data();
  probe.dispose();
}

/** Options of {@linkcode tuneWebGpuKernels}. */
export interface TuneOptions {
  /** Timed calls per candidate after one untimed (compiling) call. Default 3. */
  reps?: number;
  /** Candidates to try (default: tfjs's kernel and every tile). */
  candidates?: string[];
  /** Called with each decision as it is taken. */
  onDecision?: (d: Decision) => void;
  /**
   * Stop starting new shapes after this many milliseconds (those left keep running
   * tfjs's kernel and stay pending). Default: no limit.
   */
  budgetMs?: number;
}

/**
 * Tunes the shapes recorded since the last call when the backend is WebGPU (nothing
 * otherwise): the trainer's `betweenSteps` hook, awaited outside the timed step.
 */
export async function tuneNewShapes(): Promise<void> {
  if (tf.getBackend() === "webgpu" && pending.size > 0) await tuneWebGpuKernels();
}

/**
 * Times tfjs's kernel and each tile candidate on every shape recorded since the last
 * call, keeps the fastest per (op, shape, device), and saves the cache if one is set.
 * Run it when no other GPU work is in flight (e.g. after a training step's loss was read).
 */
export async function tuneWebGpuKernels(options: TuneOptions = {}): Promise<Decision[]> {
  const reps = options.reps ?? 3;
  const candidates = options.candidates ?? [BASELINE, ...TILES.keys()];
  for (const c of candidates) checkKernelMode(c);
  const backend = tf.backend();
  const device = deviceName(backend);
  const software = isSoftwareAdapter(backend);
  const taken: Decision[] = [];
  const t0 = performance.now();
  for (const [key, p] of [...pending]) {
    if (options.budgetMs != null && performance.now() - t0 > options.budgetMs) break;
    pending.delete(key);
    const inputs = tf.tidy(() =>
      Object.fromEntries(
        Object.entries(p.shapes).map(([k, shape]) => [k, tf.randomNormal(shape)]),
      )
    );
    const ms: Record<string, number> = {};
    const rejected: Record<string, string> = {};
    const own = new Set(
      (p.op.tiles ?? TILE_CANDIDATES)
        .filter((t) => !(software && LARGE_TILE_CANDIDATES.includes(t)))
        .map(tileName),
    );
    // The first candidate that runs (tfjs's) is the reference the others must agree with: a
    // kernel that failed to compile or computes garbage must not win by being fast.
    let reference: Checksum | null = null;
    try {
      for (const name of candidates.filter((c) => c === BASELINE || own.has(c))) {
        const run = () =>
          name === BASELINE
            ? p.op.baseline({ inputs, attrs: p.attrs, backend })
            : p.op.runKit(backend, inputs, p.attrs, TILES.get(name)!);
        try {
          const sums = await checksum(backend, run());
          if (reference == null) reference = sums;
          else if (!agrees(sums, reference)) {
            rejected[name] = `result differs (sum ${sums.sum}, reference ${reference.sum})`;
            continue;
          }
          await gpuIdle(backend);
          const t0 = performance.now();
          for (let i = 0; i < reps; i++) release(backend, run());
          await gpuIdle(backend);
          ms[name] = Math.round(((performance.now() - t0) / reps) * 1000) / 1000;
        } catch (e) {
          rejected[name] = `failed: ${(e as Error).message}`;
        }
      }
    } finally {
      tf.dispose(Object.values(inputs));
    }
    if (Object.keys(ms).length === 0) continue; // no candidate applies: tfjs's stays
    const winner = Object.entries(ms).sort((a, b) => a[1] - b[1])[0][0];
    const d: Decision = { op: p.op.kernelName, signature: p.signature, device, winner, ms };
    if (Object.keys(rejected).length > 0) d.rejected = rejected;
    decisions.set(keyOf(device, d.op, d.signature), d);
    taken.push(d);
    options.onDecision?.(d);
  }
  if (taken.length > 0) saveCache();
  return taken;
}

/**
 * Runs `op` on tensors outside a kernel (the kit's own ops, e.g. the decoder's transposed
 * conv): tfjs's route or the kit's kernel, as {@linkcode chooseKernel} decides.
 */
export function runTuned(op: TunableOp, inputs: Record<string, tf.Tensor>): tf.Tensor {
  const backend = tf.engine().backend;
  const choice = chooseKernel(op, backend, inputs, {});
  const out = choice === BASELINE
    ? op.baseline({ inputs, attrs: {}, backend })
    : op.runKit(backend, inputs, {}, choice);
  if (Array.isArray(out)) throw new Error(`${op.kernelName}: one output expected`);
  return out instanceof tf.Tensor ? out : tf.engine().makeTensorFromTensorInfo(out, backend);
}
