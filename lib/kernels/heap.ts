/**
 * Direct access to tensor memory on backends that keep it in one heap (`wasm`), for the
 * few places where one JavaScript pass beats a chain of small kernels.
 *
 * Rule: never write into a tensor another kernel may have cached by its data id (the
 * wasm conv caches packed filters by id): write results into a new buffer from
 * {@linkcode HeapBackend.makeOutput}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The part of the wasm backend that exposes tensor memory as typed arrays. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** Whether `b` exposes its tensors' memory (the `wasm` backend does). */
export function isHeapBackend(b: unknown): b is HeapBackend {
  const h = b as Partial<HeapBackend>;
  return h != null && typeof h.typedArrayFromHeap === "function" &&
    typeof h.makeOutput === "function";
}

/** The active backend as a {@linkcode HeapBackend}, or null. */
export function heapBackend(): HeapBackend | null {
  const b = tf.backend();
  return isHeapBackend(b) ? b : null;
}
