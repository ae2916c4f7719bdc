/**
 * Choosing and initialising the tfjs backend.
 *
 * Every entry point of the kit (CLI, notebooks, tests) calls {@linkcode initBackend}
 * once; nothing else in the kit calls `tf.setBackend`. The choice is printed so a
 * user always knows what ran.
 *
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, when the user
 *   has installed one (they cannot be installed on machines whose network blocks the
 *   libtensorflow download; see the README).
 * - `webgpu`: Deno's WebGPU through `@tensorflow/tfjs-backend-webgpu`, only on a real
 *   GPU adapter: the software fallback adapter is far slower than the CPU.
 * - `onednn`: the `wasm` backend with the kit's oneDNN kernels (convolutions and their
 *   gradients, batch norm, pooling, the transposed conv, matmuls) called through Deno's
 *   FFI on the wasm heap; needs oneDNN 2.x (`apt-get install libdnnl2`), see
 *   `lib/kernels/onednn/`. Every other op runs on wasm.
 * - `wasm`: XNNPACK + SIMD. tfjs ships no conv weight-gradient kernel and a slow
 *   input-gradient kernel for it; the kit registers both (see `lib/kernels/`).
 * - `cpu`: plain JavaScript, slow but the reference every kit kernel is tested against.
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * const info = await initBackend("cpu", { quiet: true });
 * console.log(info.name); // "cpu"
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { guardWasmHeap } from "./_wasm_heap.ts";
import "@tensorflow/tfjs-backend-wasm";
import { registerKitKernels } from "./kernels/register.ts";
import { prepareWasmThreads, wasmThreadCount } from "./_wasm_threads.ts";
import {
  ONEDNN_INSTALL,
  oneDnnThreads,
  probeOneDnn,
  registerOneDnnBackend,
  setOneDnnThreads,
} from "./kernels/onednn/mod.ts";

/** What a user may ask for with `--backend`. */
export type BackendRequest = "auto" | "tensorflow" | "webgpu" | "onednn" | "wasm" | "cpu";
/** The backends the kit can run on. */
export type BackendName = Exclude<BackendRequest, "auto">;

/** All values `--backend` accepts, in the order `auto` tries them. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = [
  "auto",
  "tensorflow",
  "webgpu",
  "onednn",
  "wasm",
  "cpu",
];

/** What {@linkcode initBackend} chose, and why. */
export interface BackendInfo {
  /** The tfjs backend now active. */
  name: BackendName;
  /** A human description of the device ("XNNPACK SIMD, 1 thread", the GPU name...). */
  device: string;
  /** Why this backend was chosen (for `auto`) or "requested". */
  reason: string;
}

/** Options of {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** Do not print the chosen backend (tests). Default false. */
  quiet?: boolean;
  /** Where the one-line backend notice goes. Default: `console.error`. */
  log?: (line: string) => void;
  /**
   * XNNPACK threads for `wasm` (fixed at its first initialisation in a process), or
   * oneDNN's threads for `onednn` (set at every call). Default: the `DAAD_WASM_THREADS`
   * environment variable, else the idle cores. On a machine whose other cores are busy,
   * 1 thread is as fast.
   */
  threads?: number;
}

/**
 * The default thread count for `wasm`: `DAAD_WASM_THREADS` if set, else the idle cores
 * (cores minus the 1-minute load average, at least 1). XNNPACK's threads spin while they
 * wait, so a thread on a core another process keeps busy makes every step slower (7x
 * measured with 2 threads beside one busy process on a 2-core machine).
 */
export function defaultWasmThreads(): number {
  const env = Deno.env.get("DAAD_WASM_THREADS");
  if (env != null && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new BackendUnavailableError(
        `DAAD_WASM_THREADS must be a positive integer, got '${env}'`,
      );
    }
    return n;
  }
  return idleCores();
}

/**
 * The default thread count of the CPU backends (wasm's XNNPACK threads, onednn's OpenMP
 * threads): {@linkcode defaultWasmThreads}.
 */
export function defaultThreads(): number {
  return defaultWasmThreads();
}

/** Cores not kept busy by other processes (1-minute load average), at least 1. */
export function idleCores(): number {
  const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
  let load = 0;
  try {
    load = Deno.loadavg()[0];
  } catch {
    // no permission to read the load: assume an idle machine
  }
  return Math.max(1, Math.min(cores, Math.round(cores - load)));
}

/** Raised when a requested backend cannot run here; the message names the alternatives. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

let silenced = false;
/**
 * Stops tfjs printing its "install tfjs-node" banner and other console warnings:
 * tfjs takes Deno for Node, and the banner would clutter every notebook.
 */
export function silenceTfjsWarnings(): void {
  if (silenced) return;
  // PROD only gates tfjs's console warnings (tfjs-core log.ts); kernels and checks are unchanged.
  tf.env().set("PROD", true);
  silenced = true;
}

/** Returns whether `value` names a backend request, for argument validation. */
export function isBackendRequest(value: string): value is BackendRequest {
  return (BACKEND_REQUESTS as readonly string[]).includes(value);
}

// The tfjs-node packages are looked up by bare name: they resolve only where the user
// added them to the import map, so probing costs no download and fails fast otherwise.
const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

async function tryTensorflow(): Promise<string | null> {
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      await import(pkg);
      if (tf.findBackend("tensorflow") != null) return pkg;
    } catch {
      // not installed or its native binding failed to load: try the next one
    }
  }
  return null;
}

interface GpuProbe {
  available: boolean;
  fallback: boolean;
  description: string;
}

/** Asks Deno's WebGPU for an adapter without initialising tfjs's webgpu backend. */
export async function probeWebGpu(): Promise<GpuProbe> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (gpu == null) return { available: false, fallback: false, description: "no navigator.gpu" };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter == null) return { available: false, fallback: false, description: "no adapter" };
    const info = adapter.info ?? {};
    const description = [info.vendor, info.architecture, info.device, info.description]
      .filter((s: unknown) => typeof s === "string" && s.length > 0).join(" ") || "unknown GPU";
    // Deno reports software rasterisers (llvmpipe, SwiftShader) as fallback adapters; the
    // description check catches drivers that do not set the flag.
    const fallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true ||
      /llvmpipe|swiftshader|software|lavapipe/i.test(description);
    return { available: true, fallback, description };
  } catch (e) {
    return { available: false, fallback: false, description: `requestAdapter failed: ${e}` };
  }
}

let wasmInitialised = false;

async function activate(name: BackendName, threads: number): Promise<void> {
  if (name === "onednn") {
    // The wasm backend first (one XNNPACK thread: oneDNN's threads do the heavy work, and
    // XNNPACK's spinning threads would compete with them), then its kernels copied under
    // the second name, then the oneDNN kernels over them.
    if (!wasmInitialised) await activate("wasm", 1);
    registerKitKernels("wasm");
    registerOneDnnBackend();
    registerKitKernels("onednn");
    if (!(await tf.setBackend("onednn"))) {
      throw new BackendUnavailableError("tfjs could not initialise the 'onednn' backend");
    }
    setOneDnnThreads(threads);
    return;
  }
  if (name === "webgpu" && tf.findBackend("webgpu") == null) {
    await import("@tensorflow/tfjs-backend-webgpu");
  }
  // The thread count takes effect only when the wasm module is first instantiated.
  const restore = name === "wasm" && !wasmInitialised ? prepareWasmThreads(threads) : () => {};
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } finally {
    restore();
  }
  if (!ok) throw new BackendUnavailableError(`tfjs could not initialise the '${name}' backend`);
  if (name === "wasm") {
    wasmInitialised = true;
    guardWasmHeap();
  }
  registerKitKernels(name);
}

function describe(name: BackendName, gpu?: GpuProbe): string {
  switch (name) {
    case "wasm": {
      const n = wasmInitialised ? wasmThreadCount() : 1;
      return `CPU, XNNPACK SIMD, ${n} thread${
        n === 1 ? "" : "s"
      } (conv gradients registered by the kit)`;
    }
    case "onednn": {
      const probe = probeOneDnn();
      if (!probe.ok) return "CPU, oneDNN";
      const { version, path, runtime, setThreads } = probe.lib;
      const n = oneDnnThreads();
      const threads = setThreads == null || n == null
        ? `threads as ${runtime} chooses`
        : `${n} thread${n === 1 ? "" : "s"}`;
      return `CPU, oneDNN ${version} (${path}, ${runtime}), ${threads}; other ops on wasm`;
    }
    case "cpu":
      return "CPU, plain JavaScript (reference backend, slow)";
    case "webgpu":
      return `GPU via WebGPU: ${gpu?.description ?? "adapter"}`;
    case "tensorflow":
      return "libtensorflow via tfjs-node";
  }
}

/**
 * Chooses, initialises and announces the tfjs backend.
 *
 * `auto` takes tfjs-node(-gpu) when importable, else WebGPU on a real (non-fallback)
 * adapter, else `onednn` when oneDNN 2.x loads, else `wasm`. An explicit request that cannot run throws
 * {@linkcode BackendUnavailableError} with a message naming the alternatives.
 */
export async function initBackend(
  request: BackendRequest = "auto",
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  silenceTfjsWarnings();
  const threads = options.threads ?? defaultWasmThreads();
  if (!isBackendRequest(request)) {
    throw new BackendUnavailableError(
      `unknown backend '${request}': choose one of ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  let info: BackendInfo;
  if (request === "tensorflow") {
    const pkg = await tryTensorflow();
    if (pkg == null) {
      throw new BackendUnavailableError(
        "backend 'tensorflow' needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, which " +
          "is not installed (its installer downloads libtensorflow, which may be blocked). " +
          "Use --backend wasm (fast CPU), --backend webgpu (GPU) or --backend cpu.",
      );
    }
    await activate("tensorflow", threads);
    info = {
      name: "tensorflow",
      device: `${describe("tensorflow")} (${pkg})`,
      reason: "requested",
    };
  } else if (request === "webgpu") {
    const gpu = await probeWebGpu();
    if (!gpu.available) {
      throw new BackendUnavailableError(
        `backend 'webgpu' needs a WebGPU adapter (${gpu.description}). ` +
          "Use --backend wasm (fast CPU) or --backend cpu.",
      );
    }
    await activate("webgpu", threads);
    info = {
      name: "webgpu",
      device: describe("webgpu", gpu) + (gpu.fallback ? " [software fallback adapter]" : ""),
      reason: "requested",
    };
  } else if (request === "onednn") {
    const probe = probeOneDnn();
    if (!probe.ok) {
      throw new BackendUnavailableError(
        `backend 'onednn' needs oneDNN 2.x (${probe.reason}). Install it with: ` +
          `${ONEDNN_INSTALL} (Debian/Ubuntu; docs/performance.md names the others), ` +
          "or use --backend wasm.",
      );
    }
    await activate("onednn", threads);
    info = { name: "onednn", device: describe("onednn"), reason: "requested" };
  } else if (request === "wasm" || request === "cpu") {
    await activate(request, threads);
    info = { name: request, device: describe(request), reason: "requested" };
  } else {
    const pkg = await tryTensorflow();
    if (pkg != null) {
      await activate("tensorflow", threads);
      info = { name: "tensorflow", device: `${describe("tensorflow")} (${pkg})`, reason: "auto" };
    } else {
      const gpu = await probeWebGpu();
      if (gpu.available && !gpu.fallback) {
        await activate("webgpu", threads);
        info = {
          name: "webgpu",
          device: describe("webgpu", gpu),
          reason: "auto: real GPU adapter",
        };
      } else {
        const why = gpu.available ? "only a software GPU adapter" : "no GPU adapter";
        const probe = probeOneDnn();
        if (probe.ok) {
          await activate("onednn", threads);
          info = {
            name: "onednn",
            device: describe("onednn"),
            reason: `auto: ${why}, no tfjs-node, oneDNN loads`,
          };
        } else {
          await activate("wasm", threads);
          info = {
            name: "wasm",
            device: describe("wasm"),
            reason: `auto: ${why}, no tfjs-node, ${probe.reason}`,
          };
        }
      }
    }
  }
  if (!options.quiet) {
    (options.log ?? console.error)(`backend: ${info.name} (${info.device}; ${info.reason})`);
  }
  return info;
}
