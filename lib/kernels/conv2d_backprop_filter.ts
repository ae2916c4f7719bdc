/**
 * The conv2d weight gradient written as a forward conv2d of transposed tensors.
 *
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s + kh - top, ow·s + kw - left, ci] · dy[b,oh,ow,co]
 *
 * Read with ci as the batch, b as the channel and dy as a (dilated) filter, this is a
 * conv2d: input xᵀ [Ci, H', W', B], filter dyᵀ [OH, OW, B, Co], dilation = stride, output
 * [Ci, KH, KW, Co]. Backends whose forward conv is fast (XNNPACK in `wasm`) then get a
 * fast weight gradient, which `wasm` otherwise lacks entirely.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { nhwcConvGradKernel } from "./_tensor_info.ts";

/** Attributes of the `Conv2DBackpropFilter` kernel, as tfjs passes them. */
export interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/**
 * Pads or crops dims 1 and 2 of an NHWC tensor: `before`/`after` may be negative (crop).
 * Returns `x` itself when nothing changes (the caller must not dispose it then).
 */
export function padOrCrop2d(
  x: tf.Tensor4D,
  before: [number, number],
  after: [number, number],
): tf.Tensor4D {
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return x;
  const padded = tf.pad(x, [
    [0, 0],
    [Math.max(before[0], 0), Math.max(after[0], 0)],
    [Math.max(before[1], 0), Math.max(after[1], 0)],
    [0, 0],
  ]);
  const cropTop = Math.max(-before[0], 0), cropLeft = Math.max(-before[1], 0);
  const cropBottom = Math.max(-after[0], 0), cropRight = Math.max(-after[1], 0);
  if (cropTop + cropLeft + cropBottom + cropRight === 0) return padded;
  const [b, h, w, c] = padded.shape;
  return tf.slice(padded, [0, cropTop, cropLeft, 0], [
    b,
    h - cropTop - cropBottom,
    w - cropLeft - cropRight,
    c,
  ]);
}

/**
 * The weight gradient of `tf.conv2d(x, W, strides, pad)` for NHWC tensors, computed
 * with one forward conv2d. Equals tfjs's `conv2DBackpropFilter` (tested against the
 * `cpu` backend).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { conv2dBackpropFilterViaConv } from "./conv2d_backprop_filter.ts";
 * const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D, dy = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
 * const dW = conv2dBackpropFilterViaConv(x, dy, [3, 3, 1, 1], 1, "same");
 * console.log(dW.shape); // [3, 3, 1, 1]
 * ```
 */
export function conv2dBackpropFilterViaConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DBackpropFilterAttrs["pad"],
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  return tf.tidy(() => {
    // Rows [-top, needH - top) of x are read; pad or crop x to exactly that window.
    const needH = (oh - 1) * sh + kh, needW = (ow - 1) * sw + kw;
    const xw = padOrCrop2d(x, [top, left], [
      needH - top - x.shape[1],
      needW - left - x.shape[2],
    ]);
    const xt = tf.transpose(xw, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, needH, needW, B]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, B, Co]
    const out = tf.conv2d(xt, dyt, 1, "valid", "NHWC", [sh, sw]); // [Ci, KH, KW, Co]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/** A `Conv2DBackpropFilter` kernel config for `backendName` using the conv2d form. */
export function conv2dBackpropFilterKernel(backendName: string): tf.KernelConfig {
  return nhwcConvGradKernel<Conv2DBackpropFilterAttrs>(
    tf.Conv2DBackpropFilter,
    backendName,
    ["x", "dy"],
    (x, dy, a) =>
      conv2dBackpropFilterViaConv(x, dy, a.filterShape, a.strides, a.pad, a.dimRoundingMode),
  );
}
