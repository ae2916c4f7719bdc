/**
 * A clear error instead of a crash or a hang when the `wasm` backend runs out of memory.
 *
 * WebAssembly's heap is 32-bit: tfjs-backend-wasm caps it at 4 GiB. Past that, a failed
 * allocation surfaces as "divide by zero" or "memory access out of bounds" inside tfjs, and
 * in the multi-threaded build an allocation that fails inside XNNPACK can hang the process
 * (measured: DAAD at 256 px, width 16, batch 8 needs about 4.6 GiB). Every tensor tfjs
 * allocates on wasm goes through the module's `_malloc` from JavaScript, so the kit checks
 * there: a failed allocation, or a heap grown to within {@linkcode WASM_HEAP_MARGIN} of the
 * cap (XNNPACK's own buffers follow the tensors), throws {@linkcode WasmHeapFullError}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** tfjs-backend-wasm's maximum heap (its build sets 4 GiB, the wasm32 limit). */
export const WASM_HEAP_LIMIT = 4 * 2 ** 30;
/** Headroom kept below the cap for allocations made inside the wasm module. */
export const WASM_HEAP_MARGIN = 256 * 2 ** 20;

/** Raised when a run needs more memory than the `wasm` backend's heap can hold. */
export class WasmHeapFullError extends Error {
  constructor(heapBytes: number, limitBytes: number) {
    super(
      `out of memory on the wasm backend: its heap is capped at ` +
        `${(limitBytes / 2 ** 30).toFixed(2)} GiB (32-bit WebAssembly) and this run has filled ` +
        `${(heapBytes / 2 ** 30).toFixed(2)} GiB of it. Lower --batch, --size or --width, or ` +
        `train on a GPU (--backend webgpu or tensorflow)`,
    );
    this.name = "WasmHeapFullError";
  }
}

interface WasmModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  kitHeapGuard?: boolean;
}

let heapLimit = WASM_HEAP_LIMIT;

function wasmModule(): WasmModule | undefined {
  return (tf.findBackend("wasm") as unknown as { wasm?: WasmModule } | null)?.wasm;
}

/**
 * Wraps the wasm module's allocator so that running out of heap throws
 * {@linkcode WasmHeapFullError}. Wraps once; a later call only sets the limit (tests
 * lower it). Does nothing when `wasm` is not loaded.
 */
export function guardWasmHeap(limit = WASM_HEAP_LIMIT): void {
  heapLimit = limit;
  const mod = wasmModule();
  if (mod == null || mod.kitHeapGuard) return;
  // Emscripten's first call of `_malloc` replaces the property with the raw export:
  // make that call before wrapping, or the wrapper is overwritten.
  mod._free(mod._malloc(16));
  const malloc = mod._malloc.bind(mod);
  mod._malloc = (bytes: number) => {
    const ptr = malloc(bytes);
    const heap = mod.HEAPU8.buffer.byteLength;
    if (ptr === 0 || heap > heapLimit - WASM_HEAP_MARGIN) {
      if (ptr !== 0) mod._free(ptr);
      throw new WasmHeapFullError(heap, heapLimit);
    }
    return ptr;
  };
  mod.kitHeapGuard = true;
}

/** Current size of the wasm backend's heap in bytes, or null when it is not loaded. */
export function wasmHeapBytes(): number | null {
  return wasmModule()?.HEAPU8.buffer.byteLength ?? null;
}
