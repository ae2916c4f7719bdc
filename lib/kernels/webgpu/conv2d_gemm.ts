/**
 * A 2-D convolution over NHWC tensors and both its gradients, each as an implicit GEMM
 * on {@linkcode GemmProgram}: the patch matrix is never materialised, the A reader
 * gathers it from the image while the tile is loaded.
 *
 * - forward: y[B·OH·OW, Co] = patches(x)[B·OH·OW, KH·KW·Ci] · w[KH·KW·Ci, Co]
 * - input gradient: dx[B·H·W, Ci] = scatter⁻¹(dy)[B·H·W, KH·KW·Co] · wᵀ[KH·KW·Co, Ci],
 *   where A holds dy at the output pixel that read input pixel (iy, ix) through tap
 *   (ky, kx), or 0 when the stride skips it
 * - weight gradient: dw[KH·KW·Ci, Co] = patches(x)ᵀ[KH·KW·Ci, B·OH·OW] · dy[B·OH·OW, Co]
 *   (long K, small output: split-K candidates suit it)
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type GemmSpec, type GpuBackend, runGemm, type Tile } from "./gemm_program.ts";

const CONV_UNIFORMS = "inH : i32, inW : i32, inC : i32, outH : i32, outW : i32, outC : i32, " +
  "kW : i32, strideH : i32, strideW : i32, padTop : i32, padLeft : i32, dilH : i32, dilW : i32, ";

function convUniforms(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ];
}

/** Throws unless `info` describes an NHWC convolution the kit's kernels compute. */
function checkNhwc(info: tf.backend_util.Conv2DInfo, op: string): void {
  if (info.dataFormat !== "channelsLast") {
    throw new Error(`${op}: the kit's WebGPU kernel takes NHWC only, got ${info.dataFormat}`);
  }
}

// WGSL: the image value x[b, iy, ix, ci], 0 outside the image.
const READ_X = `
  if (iy < 0 || iy >= uniforms.inH || ix < 0 || ix >= uniforms.inW) {
    return 0.0;
  }
  return x[((b * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + ci];`;

/** The GEMM of the forward convolution. */
export function conv2dSpec(info: tf.backend_util.Conv2DInfo, tile: Tile): GemmSpec {
  checkNhwc(info, "Conv2D");
  return {
    key: "conv2d",
    variableNames: ["x", "w"],
    uniforms: CONV_UNIFORMS,
    // row = (b, oy, ox), col = (ky, kx, ci)
    readA: `
  let ox = row % uniforms.outW;
  let t = row / uniforms.outW;
  let oy = t % uniforms.outH;
  let b = t / uniforms.outH;
  let ci = col % uniforms.inC;
  let t2 = col / uniforms.inC;
  let kx = t2 % uniforms.kW;
  let ky = t2 / uniforms.kW;
  let iy = oy * uniforms.strideH - uniforms.padTop + ky * uniforms.dilH;
  let ix = ox * uniforms.strideW - uniforms.padLeft + kx * uniforms.dilW;${READ_X}`,
    readB: "return w[row * uniforms.dimN + col];",
    batch: 1,
    m: info.batchSize * info.outHeight * info.outWidth,
    n: info.outChannels,
    k: info.filterHeight * info.filterWidth * info.inChannels,
    tile,
  };
}

/** The GEMM of the input gradient (dilation 1, as tfjs's own kernel). */
export function conv2dBackpropInputSpec(info: tf.backend_util.Conv2DInfo, tile: Tile): GemmSpec {
  checkNhwc(info, "Conv2DBackpropInput");
  return {
    key: "conv2dDx",
    variableNames: ["dy", "w"],
    uniforms: CONV_UNIFORMS,
    // row = (b, iy, ix), col = (ky, kx, co)
    readA: `
  let ix = row % uniforms.inW;
  let t = row / uniforms.inW;
  let iy = t % uniforms.inH;
  let b = t / uniforms.inH;
  let co = col % uniforms.outC;
  let t2 = col / uniforms.outC;
  let kx = t2 % uniforms.kW;
  let ky = t2 / uniforms.kW;
  let sy = iy + uniforms.padTop - ky * uniforms.dilH;
  let sx = ix + uniforms.padLeft - kx * uniforms.dilW;
  if (sy < 0 || sx < 0 || sy % uniforms.strideH != 0 || sx % uniforms.strideW != 0) {
    return 0.0;
  }
  let oy = sy / uniforms.strideH;
  let ox = sx / uniforms.strideW;
  if (oy >= uniforms.outH || ox >= uniforms.outW) {
    return 0.0;
  }
  return dy[((b * uniforms.outH + oy) * uniforms.outW + ox) * uniforms.outC + co];`,
    // row = (ky, kx, co), col = ci: w[ky, kx, ci, co]
    readB: `
  let co = row % uniforms.outC;
  let tap = row / uniforms.outC;
  return w[(tap * uniforms.inC + col) * uniforms.outC + co];`,
    batch: 1,
    m: info.batchSize * info.inHeight * info.inWidth,
    n: info.inChannels,
    k: info.filterHeight * info.filterWidth * info.outChannels,
    tile,
  };
}

/** The GEMM of the weight gradient. */
export function conv2dBackpropFilterSpec(
  info: tf.backend_util.Conv2DInfo,
  tile: Tile,
): GemmSpec {
  checkNhwc(info, "Conv2DBackpropFilter");
  return {
    key: "conv2dDw",
    variableNames: ["x", "dy"],
    uniforms: CONV_UNIFORMS,
    // row = (ky, kx, ci), col = (b, oy, ox)
    readA: `
  let ci = row % uniforms.inC;
  let t = row / uniforms.inC;
  let kx = t % uniforms.kW;
  let ky = t / uniforms.kW;
  let ox = col % uniforms.outW;
  let t2 = col / uniforms.outW;
  let oy = t2 % uniforms.outH;
  let b = t2 / uniforms.outH;
  let iy = oy * uniforms.strideH - uniforms.padTop + ky * uniforms.dilH;
  let ix = ox * uniforms.strideW - uniforms.padLeft + kx * uniforms.dilW;${READ_X}`,
    readB: "return dy[row * uniforms.dimN + col];",
    batch: 1,
    m: info.filterHeight * info.filterWidth * info.inChannels,
    n: info.outChannels,
    k: info.batchSize * info.outHeight * info.outWidth,
    tile,
  };
}

/**
 * y = conv2d(x, w) for NHWC `x` [B, H, W, Ci] and `w` [KH, KW, Ci, Co].
 *
 * @example
 * ```ts ignore
 * const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, 1, 1, "same");
 * const y = conv2dGemm(backend, x, w, info, TILE_CANDIDATES[0]); // [B, H, W, Co]
 * ```
 */
export function conv2dGemm(
  backend: GpuBackend,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  tile: Tile,
): tf.TensorInfo {
  return runGemm(backend, conv2dSpec(info, tile), [x, w], convUniforms(info), info.outShape);
}

/** dx [B, H, W, Ci] of the convolution `info` from `dy` [B, OH, OW, Co] and `w`. */
export function conv2dBackpropInputGemm(
  backend: GpuBackend,
  dy: tf.TensorInfo,
  w: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  tile: Tile,
): tf.TensorInfo {
  return runGemm(
    backend,
    conv2dBackpropInputSpec(info, tile),
    [dy, w],
    convUniforms(info),
    [info.batchSize, info.inHeight, info.inWidth, info.inChannels],
  );
}

/** dw [KH, KW, Ci, Co] of the convolution `info` from `x` and `dy`. */
export function conv2dBackpropFilterGemm(
  backend: GpuBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  tile: Tile,
): tf.TensorInfo {
  return runGemm(
    backend,
    conv2dBackpropFilterSpec(info, tile),
    [x, dy],
    convUniforms(info),
    [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels],
  );
}
