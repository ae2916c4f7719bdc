/**
 * The `onednn` tfjs backend: the `wasm` backend's instance under a second name, with
 * the wasm backend's kernels copied to it and the kit's oneDNN kernels on top.
 *
 * Both names share one backend object, so tensors, the heap and memory accounting are
 * the wasm backend's and every op oneDNN does not run stays on wasm; only the kernel
 * table differs. Switching between `wasm` and `onednn` moves no data, which lets tests
 * and benches compare the two paths in one process.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { openOneDnn, type OpenResult } from "./ffi.ts";

/** The backend name (`--backend onednn`). */
export const ONEDNN_BACKEND = "onednn";

/** Whether oneDNN 2.x loads here, and if not why (never throws). */
export function probeOneDnn(): OpenResult {
  return openOneDnn();
}

/**
 * Registers the `onednn` backend over the initialised `wasm` backend and copies the
 * kernels registered for `wasm` so far (call after the kit's wasm kernels, before the
 * kit's oneDNN kernels). Idempotent.
 */
export function registerOneDnnBackend(): void {
  if (tf.findBackendFactory(ONEDNN_BACKEND) != null) return;
  const wasm = tf.findBackend("wasm");
  if (wasm == null) throw new Error("the onednn backend needs the wasm backend initialised first");
  // Priority 0: never chosen by tfjs on its own; the kit sets it explicitly.
  tf.registerBackend(ONEDNN_BACKEND, () => wasm, 0);
  const have = new Set(tf.getKernelsForBackend(ONEDNN_BACKEND).map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("wasm")) {
    if (!have.has(k.kernelName)) tf.registerKernel({ ...k, backendName: ONEDNN_BACKEND });
  }
}
