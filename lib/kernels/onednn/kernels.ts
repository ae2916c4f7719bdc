/**
 * The kit's oneDNN kernels as tfjs kernel configs for the `onednn` backend. Each runs
 * the previous kernel (the wasm backend's, or the kit's wasm kernel) where oneDNN
 * declines a case.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  BATCH_NORM_GRAD,
  BATCH_NORM_INFER,
  BATCH_NORM_TRAIN,
  oneDnnBatchNormKernels,
  registerBatchNormInferGradient,
} from "./batch_norm.ts";
import { oneDnnConcatKernels } from "./concat.ts";
import { oneDnnConvKernels } from "./conv2d.ts";
import {
  CONV_TRANSPOSE_2X2,
  CONV_TRANSPOSE_2X2_GRAD_INPUT,
  CONV_TRANSPOSE_2X2_GRAD_WEIGHTS,
  oneDnnConvTransposeKernels,
} from "./conv_transpose.ts";
import { sharingIdentityKernel } from "./identity.ts";
import { oneDnnMatMulKernel } from "./mat_mul.ts";
import { oneDnnMaxPoolKernels } from "./max_pool.ts";

/** The tfjs kernels the kit replaces on `onednn`. */
export const ONEDNN_KIT_KERNEL_NAMES: readonly string[] = Object.freeze([
  tf.Conv2D,
  tf.Conv2DBackpropInput,
  tf.Conv2DBackpropFilter,
  BATCH_NORM_TRAIN,
  BATCH_NORM_GRAD,
  BATCH_NORM_INFER,
  tf.MaxPool,
  tf.MaxPoolGrad,
  tf.BatchMatMul,
  CONV_TRANSPOSE_2X2,
  CONV_TRANSPOSE_2X2_GRAD_INPUT,
  CONV_TRANSPOSE_2X2_GRAD_WEIGHTS,
  tf.Identity,
  tf.Concat,
  tf.SplitV,
]);

/** All oneDNN kernels for `backendName`; `previous` gives the kernel each replaces. */
export function oneDnnKitKernels(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig[] {
  registerBatchNormInferGradient();
  return [
    ...oneDnnConvKernels(backendName, previous),
    ...oneDnnBatchNormKernels(backendName),
    ...oneDnnMaxPoolKernels(backendName, previous),
    oneDnnMatMulKernel(backendName, previous),
    ...oneDnnConvTransposeKernels(backendName),
    sharingIdentityKernel(backendName, previous),
    ...oneDnnConcatKernels(backendName, previous),
  ];
}
