/**
 * Identity without a copy. tfjs clones every tensor it saves for the backward pass
 * (customGrad's `save`, the gradients' saved inputs) through the Identity kernel, and the
 * wasm backend's Identity copies the data: 285 copies per DAAD training step, activations
 * included. Tensors are immutable in tfjs, so the clone can share the data (reference
 * counted), as the `cpu` backend's Identity and wasm's own Reshape do.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Identity for `backendName` sharing the input's data; strings keep `previous`. */
export function sharingIdentityKernel(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === "string") return previous(tf.Identity).kernelFunc(args);
      (args.backend as unknown as { incRef(d: unknown): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}
