/**
 * `BatchMatMul` with transposed operands, for backends whose kernel is slow on them.
 *
 * The `wasm` kernel runs a plain product at about 38 GFLOP/s but `transposeB` at about 3
 * and `transposeA` under 1 (measured, 32x4096 by 4096x500). Every matmul gradient uses
 * one of those flags, so the kit removes them with explicit transposes (memory-bound
 * copies) and calls the backend's own kernel on a plain product.
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

/**
 * Elements moved by explicit transposes for the two ways to avoid the flags (exported
 * for tests): `direct` transposes the flagged operands; `swapped` computes
 * Cᵀ = op(B)ᵀ·op(A)ᵀ, transposing the unflagged operands and the result.
 */
export function transposeCosts(
  aSize: number,
  bSize: number,
  cSize: number,
  transposeA: boolean,
  transposeB: boolean,
): { direct: number; swapped: number } {
  return {
    direct: (transposeA ? aSize : 0) + (transposeB ? bSize : 0),
    swapped: (transposeA ? 0 : aSize) + (transposeB ? 0 : bSize) + cSize,
  };
}

function outSize(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): number {
  const ra = a.shape.length, rb = b.shape.length;
  const rows = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const cols = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batch = Math.max(
    a.shape.slice(0, -2).reduce((x, y) => x * y, 1),
    b.shape.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  return batch * rows * cols;
}

const size = (t: tf.TensorInfo) => t.shape.reduce((x, y) => x * y, 1);

/**
 * A `BatchMatMul` config that removes transposes before calling `inner`, choosing the
 * cheaper of transposing the flagged operands or computing the transposed product. In
 * the memory module the query-sized operands are far smaller than the bank, so the
 * bank is never copied.
 */
export function batchMatMulKernel(backendName: string, inner: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (!transposeA && !transposeB) return inner.kernelFunc({ inputs, attrs, backend });
      const plain = { ...attrs, transposeA: false, transposeB: false };
      const cost = transposeCosts(
        size(a),
        size(b),
        outSize(a, b, transposeA, transposeB),
        transposeA,
        transposeB,
      );
      const temps: tf.Tensor[] = [];
      try {
        if (cost.direct <= cost.swapped) {
          const at = transposeA ? swapLastTwo(a) : null;
          const bt = transposeB ? swapLastTwo(b) : null;
          temps.push(...[at, bt].filter((t): t is tf.Tensor => t != null));
          return inner.kernelFunc({ inputs: { a: at ?? a, b: bt ?? b }, attrs: plain, backend });
        }
        // Cᵀ = op(B)ᵀ · op(A)ᵀ: a flagged operand is already in the needed layout.
        const left = transposeB ? b : swapLastTwo(b);
        const right = transposeA ? a : swapLastTwo(a);
        if (left !== b) temps.push(left as tf.Tensor);
        if (right !== a) temps.push(right as tf.Tensor);
        const ct = inner.kernelFunc({
          inputs: { a: left, b: right },
          attrs: plain,
          backend,
        }) as tf.TensorInfo;
        const ctTensor = tf.engine().makeTensorFromTensorInfo(ct);
        temps.push(ctTensor);
        return swapLastTwo(ctTensor);
      } finally {
        for (const t of temps) t.dispose();
      }
    },
  };
}
