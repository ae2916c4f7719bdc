/**
 * oneDNN's C API (version 2.x) through Deno's FFI: opening the library, its symbols and
 * the constants the kit uses, read from oneDNN 2.6's `dnnl_types.h`.
 *
 * oneDNN 3.x changed the C API (opaque memory descriptors, primitive descriptors created
 * by one function per primitive, new values of the normalisation flags), so only 2.x
 * libraries are opened: a 3.x library is reported as such, never called with 2.x
 * structures.
 *
 * Opening never throws: {@linkcode openOneDnn} answers a library or the reason there is
 * none (not installed, wrong major version, no FFI permission).
 *
 * @example
 * ```ts ignore
 * import { openOneDnn } from "./ffi.ts";
 * const r = openOneDnn();
 * console.log(r.ok ? `oneDNN ${r.lib.version}` : r.reason);
 * ```
 * @module
 */

/** The install command printed where the library is missing (Debian/Ubuntu). */
export const ONEDNN_INSTALL = "apt-get install libdnnl2";

/** File names tried in turn by {@linkcode openOneDnn}, unless `DAAD_ONEDNN_LIB` names one. */
export const ONEDNN_LIBRARY_NAMES: readonly string[] = [
  "libdnnl.so.2", // Debian, Ubuntu, Fedora, conda (Linux)
  "libdnnl.2.dylib", // macOS (Homebrew's older formula, conda)
  "dnnl.dll", // Windows (conda)
];

// deno-fmt-ignore
const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_set_verbose: { parameters: ["i32"], result: "i32" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_engine_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_strides: { parameters: ["buffer", "i32", "buffer", "i32", "buffer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: ["buffer", "i32", "buffer", "i32", "i32"], result: "i32" },
  dnnl_memory_desc_init_submemory: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "usize"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "usize"], result: "i32" },
  dnnl_primitive_desc_create: { parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_eltwise: { parameters: ["pointer", "f32", "i32", "f32", "f32"], result: "i32" },
  dnnl_reorder_primitive_desc_create: { parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: { parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_dilated_convolution_backward_data_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_dilated_convolution_backward_weights_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_deconvolution_forward_desc_init: { parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_deconvolution_backward_data_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_deconvolution_backward_weights_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_batch_normalization_forward_desc_init: { parameters: ["buffer", "i32", "buffer", "f32", "u32"], result: "i32" },
  dnnl_batch_normalization_backward_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "f32", "u32"], result: "i32" },
  dnnl_pooling_v2_forward_desc_init: { parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_pooling_v2_backward_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_matmul_desc_init: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  dnnl_eltwise_forward_desc_init: { parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"], result: "i32" },
  dnnl_eltwise_backward_desc_init: { parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"], result: "i32" },
} as const;

/** OpenMP's thread control, from the runtime oneDNN was built with (libgomp on Linux). */
const OMP_SYMBOLS = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
  omp_get_max_threads: { parameters: [], result: "i32" },
} as const;

const OMP_LIBRARY_NAMES = ["libgomp.so.1", "libomp.so", "libiomp5.so", "libomp.dylib"];

/** The symbols of oneDNN 2.x the kit calls. */
export type OneDnnSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Constants of oneDNN 2.x (`dnnl_types.h` of 2.6; stable within the 2.x ABI). */
export const DNNL = Object.freeze({
  success: 0,
  f32: 3,
  s32: 4,
  u8: 6,
  formatAny: 1, // dnnl_format_tag_any
  cpu: 1, // dnnl_cpu
  streamDefault: 1,
  forwardTraining: 64,
  forwardInference: 96,
  backward: 128,
  backwardData: 160,
  backwardWeights: 192,
  convolutionDirect: 1,
  deconvolutionDirect: 10,
  poolingMax: 0x1ff,
  eltwiseRelu: 0x1f,
  useGlobalStats: 1,
  fuseNormRelu: 4,
  useScale: 8,
  useShift: 16,
  argSrc: 1,
  argDst: 17,
  argWeights: 33,
  argBias: 41,
  argMean: 49,
  argVariance: 50,
  argScale: 51,
  argShift: 52,
  argWorkspace: 64,
  argDiffSrc: 129,
  argDiffDst: 145,
  argDiffWeights: 161,
  argDiffBias: 169,
  argDiffScale: 255,
  argDiffShift: 256,
  queryImplInfoStr: 8,
  queryExecArgMd: 255,
  querySrcMd: 129,
  queryDiffSrcMd: 130,
  queryWeightsMd: 131,
  queryDiffWeightsMd: 132,
  queryDstMd: 133,
  queryDiffDstMd: 134,
  queryWorkspaceMd: 135,
  maxNdims: 12,
  runtimeOmp: 2,
  runtimeSeq: 1,
  runtimeTbb: 4,
  runtimeThreadpool: 8,
});

/** Bytes of `dnnl_memory_desc_t` in 2.x (696 in 2.6); buffers keep a margin. */
export const MEMORY_DESC_BYTES = 1024;
/** Bytes reserved for any op descriptor (`dnnl_convolution_desc_t` is 5976 in 2.6). */
export const OP_DESC_BYTES = 8192;

const STATUS_NAMES: Record<number, string> = {
  0: "success",
  1: "out_of_memory",
  2: "invalid_arguments",
  3: "unimplemented",
  4: "iterator_ends",
  5: "runtime_error",
  6: "not_required",
};

/** A oneDNN call that did not succeed; names the call and oneDNN's status. */
export class OneDnnError extends Error {
  constructor(readonly call: string, readonly status: number, detail = "") {
    super(
      `oneDNN ${call} failed: ${STATUS_NAMES[status] ?? "status"} (${status})` +
        (detail ? `: ${detail}` : ""),
    );
    this.name = "OneDnnError";
  }
}

/** Throws {@linkcode OneDnnError} unless `status` is success. */
export function check(status: number, call: string, detail = ""): void {
  if (status !== DNNL.success) throw new OneDnnError(call, status, detail);
}

/** An opened oneDNN library. */
export interface OneDnnLibrary {
  symbols: OneDnnSymbols;
  /** e.g. "2.6.3". */
  version: string;
  /** The file opened, e.g. "libdnnl.so.2". */
  path: string;
  /** The threading runtime oneDNN was built with: "OpenMP", "TBB", "sequential"... */
  runtime: string;
  /** Sets the threads of the OpenMP runtime (the calling thread's), when reachable. */
  setThreads: ((n: number) => void) | null;
  /** The OpenMP runtime's thread count for the calling thread, when reachable. */
  maxThreads: (() => number) | null;
}

/** What {@linkcode openOneDnn} found. */
export type OpenResult = { ok: true; lib: OneDnnLibrary } | { ok: false; reason: string };

function runtimeName(code: number): string {
  switch (code) {
    case DNNL.runtimeOmp:
      return "OpenMP";
    case DNNL.runtimeTbb:
      return "TBB";
    case DNNL.runtimeSeq:
      return "sequential";
    case DNNL.runtimeThreadpool:
      return "threadpool";
    default:
      return `runtime ${code}`;
  }
}

/** The OpenMP runtimes mapped into this process (Linux), in the order they appear. */
function loadedOmp(): string[] {
  try {
    const maps = Deno.readTextFileSync("/proc/self/maps");
    const found = new Set<string>();
    for (const m of maps.matchAll(/\/\S*\/(?:libgomp|libiomp5|libomp)\.so[.\d]*$/gm)) {
      found.add(m[0].trim());
    }
    return [...found];
  } catch {
    return [];
  }
}

function openOmp(): Pick<OneDnnLibrary, "setThreads" | "maxThreads"> {
  // The runtime oneDNN itself loaded (a conda build may bring Intel's libiomp5 instead of
  // GCC's libgomp): setting the threads of another runtime would change nothing.
  const loaded = loadedOmp();
  for (const name of loaded.length > 0 ? loaded : OMP_LIBRARY_NAMES) {
    try {
      const omp = Deno.dlopen(name, OMP_SYMBOLS);
      return {
        setThreads: (n) => omp.symbols.omp_set_num_threads(n),
        maxThreads: () => omp.symbols.omp_get_max_threads(),
      };
    } catch {
      // try the next runtime
    }
  }
  return { setThreads: null, maxThreads: null };
}

let opened: OpenResult | null = null;

/**
 * Opens oneDNN once per isolate: the file named by `DAAD_ONEDNN_LIB`, else the first of
 * {@linkcode ONEDNN_LIBRARY_NAMES} that loads. Answers the library or why there is none.
 */
export function openOneDnn(): OpenResult {
  if (opened != null) return opened;
  let names: readonly string[] = ONEDNN_LIBRARY_NAMES;
  try {
    const env = Deno.env.get("DAAD_ONEDNN_LIB");
    if (env) names = [env];
  } catch {
    // no env permission: the default names
  }
  const failures: string[] = [];
  for (const path of names) {
    // The version first, through the one symbol every release has: a 3.x library lacks
    // the 2.x symbols, and opening it with them would fail with an unhelpful message.
    let version: string, runtime: string;
    try {
      const probe = Deno.dlopen(path, { dnnl_version: SYMBOLS.dnnl_version });
      const v = new Deno.UnsafePointerView(probe.symbols.dnnl_version()!);
      const major = v.getInt32(0);
      version = `${major}.${v.getInt32(4)}.${v.getInt32(8)}`;
      runtime = runtimeName(v.getUint32(24));
      probe.close();
      if (major !== 2) {
        return opened = {
          ok: false,
          reason: `${path} is oneDNN ${version}; the kit's binding speaks the 2.x C API`,
        };
      }
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof Deno.errors.NotCapable || /permission|--allow-ffi/i.test(msg)) {
        return opened = { ok: false, reason: "no FFI permission (run with --allow-ffi or -A)" };
      }
      failures.push(`${path}: ${msg.split("\n")[0]}`);
      continue;
    }
    let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      dl = Deno.dlopen(path, SYMBOLS);
    } catch (e) {
      return opened = {
        ok: false,
        reason: `${path} (oneDNN ${version}) lacks a symbol the kit calls: ${
          (e as Error).message.split("\n")[0]
        }`,
      };
    }
    const omp = runtime === "OpenMP" ? openOmp() : { setThreads: null, maxThreads: null };
    return opened = { ok: true, lib: { symbols: dl.symbols, version, path, runtime, ...omp } };
  }
  return opened = {
    ok: false,
    reason: `oneDNN not found (${failures.join("; ") || "no library name to try"})`,
  };
}
