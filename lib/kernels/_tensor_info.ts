/**
 * Helpers for kit kernels that are written with tfjs ops.
 *
 * A kernel receives `TensorInfo`s. Wrapping one through the backend's own `Reshape`
 * kernel gives a `Tensor` that holds its own reference to the data (no copy), so it
 * can be disposed without freeing the caller's tensor.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A zero-copy, reference-counted `Tensor` over a kernel input. */
export function wrapTensorInfo<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  // runKernel accepts TensorInfos; its declared type asks for Tensors.
  const inputs = { x: info } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(tf.Reshape, inputs, { shape: info.shape }) as tf.Tensor<R>;
}

/**
 * Runs the `cpu` backend's kernel on copies of the inputs and writes the result back
 * into `backend`: the exact fallback for cases a kit kernel does not handle.
 */
export function runCpuKernel(
  kernelName: string,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const cpu = tf.engine().findBackend("cpu");
  const kernel = tf.getKernel(kernelName, "cpu");
  if (cpu == null || kernel == null) {
    throw new Error(`no cpu kernel '${kernelName}' to fall back to`);
  }
  const cpuInputs: Record<string, tf.TensorInfo> = {};
  for (const [k, info] of Object.entries(inputs)) {
    const values = backend.readSync(info.dataId) as tf.backend_util.BackendValues;
    cpuInputs[k] = {
      dataId: cpu.write(values, info.shape, info.dtype),
      shape: info.shape,
      dtype: info.dtype,
    };
  }
  const out = kernel.kernelFunc({
    inputs: cpuInputs,
    attrs: attrs as tf.NamedAttrMap,
    backend: cpu,
  }) as tf.TensorInfo;
  const values = cpu.readSync(out.dataId) as tf.backend_util.BackendValues;
  for (const info of [...Object.values(cpuInputs), out]) cpu.disposeData(info.dataId, true);
  return tf.engine().makeTensor(values as Float32Array, out.shape, out.dtype as "float32", backend);
}

/**
 * A kernel config for a conv gradient computed by `viaConv` from its two 4-D inputs
 * (named `names`, in order) in NHWC; NCHW, which the kit never produces, runs the `cpu`
 * kernel instead so that every case stays exact.
 */
export function nhwcConvGradKernel<A extends { dataFormat: "NHWC" | "NCHW" }>(
  kernelName: string,
  backendName: string,
  names: [string, string],
  viaConv: (a: tf.Tensor4D, b: tf.Tensor4D, attrs: A) => tf.Tensor,
): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const a = attrs as unknown as A;
      const [first, second] = names.map((n) => (inputs as Record<string, tf.TensorInfo>)[n]);
      if (a.dataFormat === "NCHW") {
        return runCpuKernel(
          kernelName,
          { [names[0]]: first, [names[1]]: second },
          attrs as Record<string, unknown>,
          backend as tf.KernelBackend,
        );
      }
      return tf.tidy(() =>
        viaConv(wrapTensorInfo<tf.Rank.R4>(first), wrapTensorInfo<tf.Rank.R4>(second), a)
      );
    },
  };
}
