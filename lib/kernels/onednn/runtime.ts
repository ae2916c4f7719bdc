/**
 * The oneDNN path's state in one isolate: the opened library, its engine and stream,
 * the cache of plans, the thread count, and the addresses of tensors on the `wasm`
 * heap, which the `onednn` backend shares (its tensors are the wasm backend's).
 *
 * Addresses are taken fresh for every run: the WebAssembly heap can grow, and growing
 * replaces its buffer. A kernel therefore allocates its outputs first and only then
 * asks for the addresses of inputs and outputs. Each address is checked to lie inside
 * the heap with the tensor's full size, and a disposed tensor is an error.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { OneDnnError, type OneDnnLibrary, openOneDnn } from "./ffi.ts";
import { type Buffer, OneDnnContext, Plan, PlanCache } from "./primitive.ts";

/** The part of tfjs's wasm backend the oneDNN kernels use. */
export interface WasmHeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: {
    has(dataId: unknown): boolean;
    get(dataId: unknown): { memoryOffset: number | null; shape: number[]; dtype: string };
  };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: unknown, force?: boolean): boolean;
}

/** Whether `b` is (or shares) the wasm backend, whose tensors live in one heap. */
export function isWasmHeapBackend(b: unknown): b is WasmHeapBackend {
  const w = b as Partial<WasmHeapBackend>;
  return w != null && w.wasm?.HEAPU8 instanceof Uint8Array && w.dataIdMap != null &&
    typeof w.makeOutput === "function";
}

interface Runtime {
  lib: OneDnnLibrary;
  ctx: OneDnnContext;
  plans: PlanCache;
}

let runtime: Runtime | null = null;
let threads: number | null = null;

/** The isolate's oneDNN runtime, created on first use; throws where oneDNN is missing. */
export function oneDnnRuntime(): Runtime {
  if (runtime != null) return runtime;
  const r = openOneDnn();
  if (!r.ok) throw new Error(`the onednn backend needs oneDNN 2.x: ${r.reason}`);
  runtime = { lib: r.lib, ctx: new OneDnnContext(r.lib), plans: new PlanCache() };
  if (threads != null) r.lib.setThreads?.(threads);
  return runtime;
}

/**
 * Sets the threads oneDNN runs with (OpenMP's, for the calling thread, which is the
 * thread running this isolate's kernels). Returns the count in force.
 */
export function setOneDnnThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`threads must be >= 1, got ${n}`);
  threads = n;
  const rt = oneDnnRuntime();
  rt.lib.setThreads?.(n);
  return rt.lib.maxThreads?.() ?? n;
}

/** The threads oneDNN runs with, as its runtime reports them (null: not reachable). */
export function oneDnnThreads(): number | null {
  return runtime?.lib.maxThreads?.() ?? threads;
}

/** How many oneDNN plans ran in this isolate so far (tests: a kernel did not fall back). */
export function oneDnnRunCount(): number {
  return Plan.runs;
}

/** How many plans the cache holds (tests check it stays bounded). */
export function cachedPlanCount(): number {
  return runtime?.plans.size ?? 0;
}

/** Frees every cached plan (primitives, reorders, held buffers). */
export function clearOneDnnPlans(): void {
  runtime?.plans.clear();
}

let heapBuffer: ArrayBufferLike | null = null;
let heapBase = 0;

function baseOf(heap: Uint8Array): number {
  if (heap.buffer !== heapBuffer) {
    heapBuffer = heap.buffer;
    heapBase = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(heapBuffer))));
  }
  return heapBase;
}

/**
 * The address and size of a float32 tensor on the wasm heap, checked: the tensor exists
 * (not disposed), is float32, and lies inside the heap with all its elements.
 */
export function bufferOf(backend: WasmHeapBackend, info: tf.TensorInfo, what: string): Buffer {
  if (!backend.dataIdMap.has(info.dataId)) {
    throw new Error(`onednn: ${what} refers to a disposed tensor`);
  }
  const data = backend.dataIdMap.get(info.dataId);
  if (data.dtype !== "float32" && data.dtype !== "int32") {
    throw new TypeError(`onednn: ${what} must be float32, got ${data.dtype}`);
  }
  const size = info.shape.reduce((a, b) => a * b, 1);
  const stored = data.shape.reduce((a, b) => a * b, 1);
  if (size !== stored) {
    throw new RangeError(
      `onednn: ${what} has shape [${info.shape}] over a buffer of [${data.shape}]`,
    );
  }
  const bytes = size * 4;
  const heap = backend.wasm.HEAPU8;
  const offset = data.memoryOffset ?? -1;
  if (offset < 0 || offset + bytes > heap.byteLength) {
    throw new RangeError(`onednn: ${what} lies outside the wasm heap`);
  }
  return { address: baseOf(heap) + offset, bytes };
}

/** Keys oneDNN declined (their kernels run the previous kernel from then on). */
const declined = new Set<string>();

/**
 * The cached plan for `key`, made by `make` on first use, or null when oneDNN declines
 * it (remembered, so it is asked once). Other errors propagate.
 */
export function cachedPlan(key: string, make: (ctx: OneDnnContext) => Plan): Plan | null {
  if (declined.has(key)) return null;
  const rt = oneDnnRuntime();
  try {
    return rt.plans.get(key, () => make(rt.ctx));
  } catch (e) {
    if (e instanceof OneDnnError && (e.status === 3 || e.status === 2)) {
      declined.add(key);
      return null;
    }
    throw e;
  }
}

/**
 * Allocates `outputs` (shape, dtype), then runs `plan` on `inputs` followed by the
 * outputs, in the plan's argument order; frees the outputs again when the run throws.
 * Addresses are taken after the allocation, which may have grown the heap.
 */
export function runPlan(
  backend: WasmHeapBackend,
  plan: Plan,
  inputs: [tf.TensorInfo, string][],
  outputs: [number[], "float32" | "int32"][],
): tf.TensorInfo[] {
  const outs = outputs.map(([shape, dtype]) => backend.makeOutput(shape, dtype));
  try {
    plan.run([
      ...inputs.map(([t, name]) => bufferOf(backend, t, name)),
      ...outs.map((t, i) => bufferOf(backend, t, `output ${i}`)),
    ]);
  } catch (e) {
    for (const o of outs) backend.disposeData(o.dataId, true);
    throw e;
  }
  return outs;
}
