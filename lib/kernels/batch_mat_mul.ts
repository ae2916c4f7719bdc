/**
 * `BatchMatMul` with transposed operands, for backends whose kernel is slow on them.
 *
 * The `wasm` kernel runs a plain product at about 38 GFLOP/s but `transposeB` at about 3
 * and `transposeA` under 1 (measured, 32x4096 by 4096x500). Every matmul gradient uses
 * one of those flags, so the kit transposes the operand explicitly (a memory-bound
 * copy) and calls the backend's own kernel on the plain product.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

function swapLastTwo(info: tf.TensorInfo): tf.Tensor {
  const rank = info.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const inputs = { x: info } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(tf.Transpose, inputs, { perm }) as tf.Tensor;
}

/** A `BatchMatMul` config that removes transposes before calling `inner`. */
export function batchMatMulKernel(backendName: string, inner: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (!transposeA && !transposeB) return inner.kernelFunc({ inputs, attrs, backend });
      const at = transposeA ? swapLastTwo(a) : null;
      const bt = transposeB ? swapLastTwo(b) : null;
      try {
        return inner.kernelFunc({
          inputs: { a: at ?? a, b: bt ?? b },
          attrs: { ...attrs, transposeA: false, transposeB: false },
          backend,
        });
      } finally {
        at?.dispose();
        bt?.dispose();
      }
    },
  };
}
