/**
 * Kernels the kit registers with tfjs backends that lack them or run them slowly.
 * Each is expressed through the backend's own fast ops and tested against `cpu`.
 * @module
 */

export {
  conv2dBackpropFilterKernel,
  conv2dBackpropFilterViaConv,
} from "./conv2d_backprop_filter.ts";
export { conv2dBackpropInputKernel, conv2dBackpropInputViaConv } from "./conv2d_backprop_input.ts";
export { batchMatMulKernel } from "./batch_mat_mul.ts";
export { kitKernelNames, registerKitKernels, unregisterKitKernels } from "./register.ts";
