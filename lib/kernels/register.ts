/**
 * Registration of the kit's kernels with tfjs: which kernels each backend gets, and
 * registering or restoring them (tfjs' own kernels are kept to be put back).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilterKernel } from "./conv2d_backprop_filter.ts";
import { conv2dBackpropInputKernel } from "./conv2d_backprop_input.ts";
import { batchMatMulKernel } from "./batch_mat_mul.ts";
import { WEBGPU_KIT_KERNEL_NAMES, webgpuKitKernels } from "./webgpu/kernels.ts";
import { ONEDNN_KIT_KERNEL_NAMES, oneDnnKitKernels } from "./onednn/kernels.ts";

type Factory = (
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
) => tf.KernelConfig[];

const KIT_KERNELS: Record<string, Factory> = {
  wasm: (b, previous) => [
    conv2dBackpropFilterKernel(b),
    conv2dBackpropInputKernel(b),
    batchMatMulKernel(b, previous(tf.BatchMatMul)),
  ],
  // The kit's WGSL GEMMs, each run only where autotune measured it faster than the
  // kernel it replaces (see webgpu/autotune.ts).
  webgpu: webgpuKitKernels,
  // oneDNN through FFI on the wasm heap (the onednn backend shares the wasm backend).
  onednn: oneDnnKitKernels,
};

/** Names only: the factories need the backend's previous kernels, not needed here. */
const KIT_KERNEL_NAMES: Record<string, string[]> = {
  wasm: [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.BatchMatMul],
  webgpu: [...WEBGPU_KIT_KERNEL_NAMES],
  onednn: [...ONEDNN_KIT_KERNEL_NAMES],
};

const original = new Map<string, tf.KernelConfig>();
const registered = new Set<string>();

/** The kernel names the kit replaces or adds on `backendName`. */
export function kitKernelNames(backendName: string): string[] {
  return [...(KIT_KERNEL_NAMES[backendName] ?? [])];
}

/** Registers the kit's kernels for `backendName` (idempotent). */
export function registerKitKernels(backendName: string): void {
  const factory = KIT_KERNELS[backendName];
  if (factory == null) return;
  // The backend's own kernels, captured before any is replaced (some kit kernels wrap them).
  const previous = (name: string) => {
    const k = original.get(`${backendName}/${name}`) ?? tf.getKernel(name, backendName);
    if (k == null) throw new Error(`backend '${backendName}' has no kernel '${name}' to wrap`);
    return k;
  };
  for (const config of factory(backendName, previous)) {
    const key = `${backendName}/${config.kernelName}`;
    if (registered.has(key)) continue;
    const existing = tf.getKernel(config.kernelName, backendName);
    if (existing != null) {
      original.set(key, existing);
      tf.unregisterKernel(config.kernelName, backendName);
    }
    tf.registerKernel(config);
    registered.add(key);
  }
}

/** Restores tfjs's own kernels for `backendName` (for comparisons in tests and benches). */
export function unregisterKitKernels(backendName: string): void {
  for (const name of kitKernelNames(backendName)) {
    const key = `${backendName}/${name}`;
    if (!registered.has(key)) continue;
    tf.unregisterKernel(name, backendName);
    const prev = original.get(key);
    if (prev != null) tf.registerKernel(prev);
    registered.delete(key);
  }
}
