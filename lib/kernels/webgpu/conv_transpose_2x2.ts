/**
 * The decoder's ConvTranspose 2x2, stride 2 (`ConvTranspose2x2` in lib/nn/layers.ts) as
 * three GEMMs on {@linkcode GemmProgram}, for the webgpu backend:
 *
 * - forward: Y[B·H·W, 4·Co] = X[B·H·W, Ci] · W[Ci, 4·Co], written straight to its
 *   depth-to-space place y[b, 2i+ky, 2j+kx, co] with the bias added (the matmul route
 *   spends a transpose and an add on that);
 * - input gradient: dx[B·H·W, Ci] = G[B·H·W, 4·Co] · Wᵀ, G read from dy space-to-depth;
 * - weight gradient: dW[Ci, 4·Co] = Xᵀ · G.
 *
 * Each runs where autotune measured it faster than the matmul route (see autotune.ts);
 * the weight layout is the layer's, [Ci, 4·Co] with columns (ky, kx, co).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { runTuned, type TunableOp } from "./autotune.ts";
import { type GemmSpec, type GpuBackend, runGemm, type Tile } from "./gemm_program.ts";

const UNIFORMS = "inH : i32, inW : i32, outC : i32, ";

// WGSL: G[row = (b, i, j)][col = (ky, kx, co)] = dy[b, 2i + ky, 2j + kx, co].
const READ_G = (row: string, col: string) => `
  let j = ${row} % uniforms.inW;
  let t = ${row} / uniforms.inW;
  let i = t % uniforms.inH;
  let b = t / uniforms.inH;
  let co = ${col} % uniforms.outC;
  let q = ${col} / uniforms.outC;
  let y = 2 * i + q / 2;
  let x = 2 * j + q % 2;
  return dy[((b * 2 * uniforms.inH + y) * 2 * uniforms.inW + x) * uniforms.outC + co];`;

/** Rows of the GEMMs (B·H·W input pixels) and input channels of `x` [B, H, W, Ci]. */
function dims(x: number[]): { m: number; ci: number } {
  return { m: x[0] * x[1] * x[2], ci: x[3] };
}

/** The forward GEMM with the depth-to-space and bias epilogue (1 split only). */
export function convTranspose2x2Spec(xShape: number[], co: number, tile: Tile): GemmSpec {
  const { m, ci } = dims(xShape);
  return {
    key: "convT2x2",
    variableNames: ["x", "w", "bias"],
    uniforms: UNIFORMS,
    readA: "return x[row * uniforms.dimK + col];",
    readB: "return w[row * uniforms.dimN + col];",
    write: `
  let j = row % uniforms.inW;
  let t = row / uniforms.inW;
  let i = t % uniforms.inH;
  let b = t / uniforms.inH;
  let co = col % uniforms.outC;
  let q = col / uniforms.outC;
  let y = 2 * i + q / 2;
  let x = 2 * j + q % 2;
  result[((b * 2 * uniforms.inH + y) * 2 * uniforms.inW + x) * uniforms.outC + co] =
      value + bias[co];`,
    batch: 1,
    m,
    n: 4 * co,
    k: ci,
    tile: { ...tile, splits: 1 },
  };
}

/** The input-gradient GEMM. */
export function convTranspose2x2GradXSpec(xShape: number[], co: number, tile: Tile): GemmSpec {
  const { m, ci } = dims(xShape);
  return {
    key: "convT2x2Dx",
    variableNames: ["dy", "w"],
    uniforms: UNIFORMS,
    readA: READ_G("row", "col"),
    // Wᵀ[k][ci] = w[ci][k]
    readB: "return w[col * uniforms.dimK + row];",
    batch: 1,
    m,
    n: ci,
    k: 4 * co,
    tile,
  };
}

/** The weight-gradient GEMM. */
export function convTranspose2x2GradWSpec(xShape: number[], co: number, tile: Tile): GemmSpec {
  const { m, ci } = dims(xShape);
  return {
    key: "convT2x2Dw",
    variableNames: ["x", "dy"],
    uniforms: UNIFORMS,
    // Xᵀ[ci][p] = x[p][ci]
    readA: "return x[col * uniforms.dimM + row];",
    readB: READ_G("row", "col"),
    batch: 1,
    m: ci,
    n: 4 * co,
    k: m,
    tile,
  };
}

const gpu = (b: tf.KernelBackend) => b as unknown as GpuBackend;
type Inputs = Record<string, tf.TensorInfo>;
const t4 = (t: tf.TensorInfo) => t as tf.Tensor4D;

/** G [B·H·W, 4·Co] from dy [B, 2H, 2W, Co] with tf ops (the matmul route). */
function spaceToDepth(dy: tf.Tensor4D): tf.Tensor2D {
  const [b, h2, w2, co] = dy.shape;
  const g = tf.transpose(dy.reshape([b * (h2 / 2), 2, w2 / 2, 2 * co]), [0, 2, 1, 3]);
  return g.reshape([b * (h2 / 2) * (w2 / 2), 4 * co]);
}

/** The forward pass of the layer with tf ops: matmul, depth-to-space, bias. */
export function convTranspose2x2ViaMatMul(
  x: tf.Tensor4D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, wd, c] = x.shape;
    const co = w.shape[1] / 4;
    const y = tf.matMul(x.reshape([b * h * wd, c]), w);
    // [B·H, W, kh, kw·Co] -> [B·H, kh, W, kw·Co] = [B, 2H, 2W, Co]
    const up = tf.transpose(y.reshape([b * h, wd, 2, 2 * co]), [0, 2, 1, 3]);
    return tf.add(up.reshape([b, 2 * h, 2 * wd, co]), bias) as tf.Tensor4D;
  });
}

const convUniforms = (xShape: number[], co: number) => [xShape[1], xShape[2], co];

/** The three ops autotune chooses for, by name. */
export const CONV_TRANSPOSE_OPS: Readonly<Record<"forward" | "dx" | "dw", TunableOp>> = {
  forward: {
    kernelName: "KitConvTranspose2x2",
    baseline: ({ inputs }) => {
      const i = inputs as Inputs;
      return convTranspose2x2ViaMatMul(t4(i.x), i.w as tf.Tensor2D, i.bias as tf.Tensor1D);
    },
    runKit: (backend, i, _a, tile) => {
      const co = i.w.shape[1] / 4;
      const [b, h, w] = i.x.shape;
      return runGemm(
        gpu(backend),
        convTranspose2x2Spec(i.x.shape, co, tile),
        [i.x, i.w, i.bias],
        convUniforms(i.x.shape, co),
        [b, 2 * h, 2 * w, co],
      );
    },
  },
  dx: {
    kernelName: "KitConvTranspose2x2GradX",
    baseline: ({ inputs }) => {
      const i = inputs as Inputs;
      return tf.tidy(() => {
        const [b, h2, w2] = i.dy.shape;
        const dx = tf.matMul(spaceToDepth(t4(i.dy)), i.w as tf.Tensor2D, false, true);
        return dx.reshape([b, h2 / 2, w2 / 2, i.w.shape[0]]);
      });
    },
    runKit: (backend, i, _a, tile) => {
      const [b, h2, w2, co] = i.dy.shape;
      const xShape = [b, h2 / 2, w2 / 2, i.w.shape[0]];
      return runGemm(
        gpu(backend),
        convTranspose2x2GradXSpec(xShape, co, tile),
        [i.dy, i.w],
        convUniforms(xShape, co),
        xShape,
      );
    },
  },
  dw: {
    kernelName: "KitConvTranspose2x2GradW",
    baseline: ({ inputs }) => {
      const i = inputs as Inputs;
      return tf.tidy(() => {
        const [b, h, w, c] = i.x.shape;
        return tf.matMul(t4(i.x).reshape([b * h * w, c]), spaceToDepth(t4(i.dy)), true, false);
      });
    },
    runKit: (backend, i, _a, tile) => {
      const co = i.dy.shape[3];
      return runGemm(
        gpu(backend),
        convTranspose2x2GradWSpec(i.x.shape, co, tile),
        [i.x, i.dy],
        convUniforms(i.x.shape, co),
        [i.x.shape[3], 4 * co],
      );
    },
  },
};

/**
 * ConvTranspose 2x2, stride 2 of `x` [B, H, W, Ci] with the layer's weights `w`
 * [Ci, 4·Co] and `bias` [Co], with its gradient; for the webgpu backend (elsewhere the
 * layer keeps its matmul form).
 *
 * @example
 * ```ts ignore
 * const y = convTranspose2x2(x, layer.w, layer.b); // [B, 2H, 2W, Co]
 * ```
 */
export function convTranspose2x2(
  x: tf.Tensor4D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor4D {
  const f = tf.customGrad((x, w, bias, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
    return {
      value: runTuned(CONV_TRANSPOSE_OPS.forward, {
        x: x as tf.Tensor,
        w: w as tf.Tensor,
        bias: bias as tf.Tensor,
      }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved;
        const d = dy as tf.Tensor;
        return [
          runTuned(CONV_TRANSPOSE_OPS.dx, { dy: d, w: ws }),
          runTuned(CONV_TRANSPOSE_OPS.dw, { x: xs, dy: d }),
          tf.sum(d, [0, 1, 2]),
        ];
      },
    };
  });
  return f(x, w, bias) as tf.Tensor4D;
}
