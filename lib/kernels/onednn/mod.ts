/**
 * The `onednn` backend: oneDNN 2.x's CPU primitives called through Deno's FFI on the
 * tensors of tfjs's wasm backend (see `backend.ts`). Optional: where the library does not
 * load, {@linkcode probeOneDnn} says why and the kit runs on `wasm`.
 * @module
 */
export { ONEDNN_BACKEND, probeOneDnn, registerOneDnnBackend } from "./backend.ts";
export { ONEDNN_INSTALL, ONEDNN_LIBRARY_NAMES, OneDnnError, openOneDnn } from "./ffi.ts";
export { ONEDNN_KIT_KERNEL_NAMES, oneDnnKitKernels } from "./kernels.ts";
export {
  cachedPlanCount,
  clearOneDnnPlans,
  oneDnnRunCount,
  oneDnnThreads,
  setOneDnnThreads,
} from "./runtime.ts";
