/**
 * Training-mode batch norm's reductions and input gradient as fused WGSL kernels for the
 * webgpu backend (the `BatchNorm` layer of lib/nn/layers.ts uses them there):
 *
 * - `batchNormMoments(x)`: the per-channel mean and variance in one pass over x (sums of
 *   x − x[0] and its square: the shift by the first row keeps the variance exact when the
 *   mean is large), where tfjs's moments makes three passes (mean, squared difference,
 *   mean);
 * - `batchNormGradSums(dy, x, mean, invStd)`: Σdy and Σdy·x̂ per channel in one pass;
 * - `batchNormDx(...)`: dx = γ·invStd/n · (n·dy − Σdy − x̂·Σ(dy·x̂)) in one element-wise
 *   pass, where the tfjs ops take about ten.
 *
 * Each runs where autotune measured it faster than the tfjs ops it replaces.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import { runTuned, type TunableOp } from "./autotune.ts";
import { type GpuBackend, SplitSumProgram, TILE_CANDIDATES } from "./gemm_program.ts";

/** Per-channel sums over the rows of an NHWC tensor, as [chunks, 2, C] partial sums. */
class ChannelSumsProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms = "rows : i32, chans : i32, chunk : i32, ";
  workgroupSize: [number, number, number] = [64, 4, 1];

  constructor(readonly kind: "moments" | "grad", chunks: number, chans: number) {
    this.outputShape = [chunks, 2, chans];
    this.dispatch = [Math.ceil(chans / 64), chunks, 1];
    this.variableNames = kind === "moments" ? ["x"] : ["dy", "x", "mean", "invStd"];
    this.shaderKey = `kitChannelSums_${kind}`;
  }

  getUserCode(): string {
    const accumulate = this.kind === "moments"
      ? `let d = x[p * uniforms.chans + c] - x[c];
      a = a + d;
      b = b + d * d;`
      : `let g = dy[p * uniforms.chans + c];
      a = a + g;
      b = b + g * (x[p * uniforms.chans + c] - mean[c]) * invStd[c];`;
    return `
var<workgroup> kitSumA : array<f32, 256>;
var<workgroup> kitSumB : array<f32, 256>;

fn main() {
  let lx = i32(localId.x);
  let ly = i32(localId.y);
  let c = i32(workgroupId.x) * 64 + lx;
  let chunk = i32(workgroupId.y);
  let p0 = chunk * uniforms.chunk;
  let p1 = min(p0 + uniforms.chunk, uniforms.rows);
  var a = 0.0;
  var b = 0.0;
  if (c < uniforms.chans) {
    for (var p = p0 + ly; p < p1; p = p + 4) {
      ${accumulate}
    }
  }
  kitSumA[ly * 64 + lx] = a;
  kitSumB[ly * 64 + lx] = b;
  workgroupBarrier();
  if (ly == 0 && c < uniforms.chans) {
    let sa = kitSumA[lx] + kitSumA[64 + lx] + kitSumA[128 + lx] + kitSumA[192 + lx];
    let sb = kitSumB[lx] + kitSumB[64 + lx] + kitSumB[128 + lx] + kitSumB[192 + lx];
    result[(chunk * 2) * uniforms.chans + c] = sa;
    result[(chunk * 2 + 1) * uniforms.chans + c] = sb;
  }
}
`;
  }
}

/** dx of training-mode batch norm, element-wise. */
class BatchNormDxProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = "kitBatchNormDx";
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames = ["dy", "x", "mean", "invStd", "gamma", "sums"];
  uniforms = "rows : i32, chans : i32, ";
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    let c = index % uniforms.chans;
    let n = f32(uniforms.rows);
    let xhat = (x[index] - mean[c]) * invStd[c];
    let inner = n * dy[index] - sums[c] - xhat * sums[uniforms.chans + c];
    setOutputAtIndex(index, gamma[c] * invStd[c] / n * inner);
  }
}
`;
  }
}

/** [2, C] per-channel sums of `kind` over the rows of `x`-shaped inputs. */
function channelSums(
  backend: GpuBackend,
  kind: "moments" | "grad",
  inputs: tf.TensorInfo[],
): tf.TensorInfo {
  const shape = inputs[kind === "moments" ? 0 : 1].shape;
  const chans = shape[shape.length - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / chans;
  const chunks = Math.max(1, Math.min(256, Math.ceil(rows / 256)));
  const chunk = Math.ceil(rows / chunks);
  const uniforms = [rows, chans, chunk].map((v) => ({ type: "int32", data: [v] }));
  const partial = backend.runWebGPUProgram(
    new ChannelSumsProgram(kind, chunks, chans),
    inputs,
    "float32",
    uniforms,
  );
  const sums = backend.runWebGPUProgram(
    new SplitSumProgram(1, 2, chans),
    [partial],
    "float32",
    [{ type: "int32", data: [chunks] }],
  );
  backend.disposeData(partial.dataId);
  return { dataId: sums.dataId, shape: [2, chans], dtype: "float32" };
}

type Inputs = Record<string, tf.TensorInfo>;
const T = (t: tf.TensorInfo) => t as tf.Tensor;
const gpu = (b: tf.KernelBackend) => b as unknown as GpuBackend;
const channelsOf = (t: tf.TensorInfo) => t.shape[t.shape.length - 1];
const rowsOf = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1) / channelsOf(t);
const axes = (t: tf.TensorInfo) => t.shape.slice(0, -1).map((_, i) => i);
// These kernels have no tile: one nominal candidate stands for "the kit's".
const ONE = [TILE_CANDIDATES[0]];

/** The three ops autotune chooses for. */
export const BATCH_NORM_OPS: Readonly<Record<"moments" | "gradSums" | "dx", TunableOp>> = {
  moments: {
    kernelName: "KitBatchNormMoments",
    tiles: ONE,
    baseline: ({ inputs }) =>
      tf.tidy(() => {
        const x = T((inputs as Inputs).x);
        const { mean, variance } = tf.moments(x, axes(x));
        return tf.stack([mean, variance]);
      }),
    runKit: (backend, i) =>
      tf.tidy(() => {
        const sums = tf.engine().makeTensorFromTensorInfo(
          channelSums(gpu(backend), "moments", [i.x]),
          backend,
        );
        const n = rowsOf(i.x), c = channelsOf(i.x);
        const shift = T(i.x).reshape([n, c]).slice([0, 0], [1, c]).reshape([c]);
        const [s1, s2] = tf.unstack(tf.div(sums, n));
        const variance = tf.relu(tf.sub(s2, tf.square(s1)));
        return tf.stack([tf.add(shift, s1), variance]);
      }),
  },
  gradSums: {
    kernelName: "KitBatchNormGradSums",
    tiles: ONE,
    baseline: ({ inputs }) =>
      tf.tidy(() => {
        const i = inputs as Inputs;
        const xhat = tf.mul(tf.sub(T(i.x), T(i.mean)), T(i.invStd));
        return tf.stack([tf.sum(T(i.dy), axes(i.dy)), tf.sum(tf.mul(T(i.dy), xhat), axes(i.dy))]);
      }),
    runKit: (backend, i) => channelSums(gpu(backend), "grad", [i.dy, i.x, i.mean, i.invStd]),
  },
  dx: {
    kernelName: "KitBatchNormDx",
    tiles: ONE,
    baseline: ({ inputs }) =>
      tf.tidy(() => {
        const i = inputs as Inputs;
        const n = rowsOf(i.x);
        const [sumDy, sumDyXhat] = tf.unstack(T(i.sums));
        const xhat = tf.mul(tf.sub(T(i.x), T(i.mean)), T(i.invStd));
        const inner = tf.sub(tf.sub(tf.mul(T(i.dy), n), sumDy), tf.mul(xhat, sumDyXhat));
        return tf.mul(inner, tf.div(tf.mul(T(i.gamma), T(i.invStd)), n));
      }),
    runKit: (backend, i) => {
      const uniforms = [rowsOf(i.x), channelsOf(i.x)].map((v) => ({ type: "int32", data: [v] }));
      return gpu(backend).runWebGPUProgram(
        new BatchNormDxProgram(i.x.shape),
        [i.dy, i.x, i.mean, i.invStd, i.gamma, i.sums],
        "float32",
        uniforms,
      );
    },
  },
};

/**
 * Per-channel mean and (biased) variance of NHWC `x` over all but the last axis, as
 * `tf.moments(x, [0, 1, 2])` gives them.
 *
 * @example
 * ```ts ignore
 * const { mean, variance } = batchNormMoments(x); // each [C]
 * ```
 */
export function batchNormMoments(x: tf.Tensor): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  return tf.tidy(() => {
    const [mean, variance] = tf.unstack(runTuned(BATCH_NORM_OPS.moments, { x }));
    return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/**
 * The gradient of training-mode batch norm: dx, Σ(dy·x̂) (γ's gradient) and Σdy (β's),
 * with `invStd` = 1/√(variance + ε) of the forward pass.
 */
export function batchNormBackward(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  invStd: tf.Tensor,
  gamma: tf.Tensor,
): { dx: tf.Tensor; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const sums = runTuned(BATCH_NORM_OPS.gradSums, { dy, x, mean, invStd });
    const dx = runTuned(BATCH_NORM_OPS.dx, { dy, x, mean, invStd, gamma, sums });
    const [dBeta, dGamma] = tf.unstack(sums);
    return { dx, dGamma: dGamma as tf.Tensor1D, dBeta: dBeta as tf.Tensor1D };
  });
}
