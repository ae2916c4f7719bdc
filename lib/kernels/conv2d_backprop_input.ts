/**
 * The conv2d input gradient written as a forward conv2d with the flipped filter.
 *
 * dx[b,h,w,ci] = Σ_{kh,kw,co} dy↑[b, h + top - kh, w + left - kw, co] · W[kh,kw,ci,co]
 *
 * where dy↑ is dy with (stride - 1) zeros inserted between its rows and columns. After
 * padding dy↑ by (K - 1 - pad) this is a 'valid' conv2d with the filter flipped in
 * space and its channel axes swapped. The `wasm` backend's own kernel for this is a
 * scalar loop (about 3 GFLOP/s measured); its forward conv runs at about 30.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { padOrCrop2d } from "./conv2d_backprop_filter.ts";
import { nhwcConvGradKernel } from "./_tensor_info.ts";
import { heapBackend } from "./heap.ts";

/** Attributes of the `Conv2DBackpropInput` kernel, as tfjs passes them. */
export interface Conv2DBackpropInputAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

/** Inserts (stride - 1) zeros between the rows and columns of an NHWC tensor. */
export function dilateSpatial(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => {
    // [B, H, 1, W, 1, C] padded to [B, H, sh, W, sw, C] puts the zeros after each value.
    const up = tf.pad(x.reshape([b * h, 1, w, 1 * c]), [[0, 0], [0, sh - 1], [0, 0], [0, 0]]);
    const up2 = tf.pad(up.reshape([b * h * sh * w, 1, c]), [[0, 0], [0, sw - 1], [0, 0]]);
    const full = up2.reshape([b, h * sh, w * sw, c]);
    return tf.slice(full, [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
  }) as tf.Tensor4D;
}

/**
 * The filter rotated by 180° in space with its channel axes swapped: [KH, KW, Ci, Co]
 * to [KH, KW, Co, Ci]. On `wasm` one pass over the heap does both (its Gather and
 * Reverse kernels copy element by element and took 66 ms of a 580 ms training step);
 * elsewhere a row gather of the flattened kh·kw index and a transpose.
 */
export function flipFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const backend = heapBackend();
  if (filter.dtype === "float32" && backend != null) {
    const out = backend.makeOutput([kh, kw, co, ci], "float32");
    // Views after the allocation: growing the heap may replace its buffer.
    const src = backend.typedArrayFromHeap(filter), dst = backend.typedArrayFromHeap(out);
    const k2 = kh * kw, plane = ci * co;
    for (let k = 0; k < k2; k++) {
      const s = (k2 - 1 - k) * plane, d = k * plane;
      for (let i = 0; i < ci; i++) {
        const si = s + i * co;
        for (let o = 0; o < co; o++) dst[d + o * ci + i] = src[si + o];
      }
    }
    return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const rows = tf.tensor1d(Array.from({ length: kh * kw }, (_, i) => kh * kw - 1 - i), "int32");
    const flipped = tf.gather(filter.reshape([kh * kw, ci, co]), rows);
    return tf.transpose(flipped, [0, 2, 1]).reshape([kh, kw, co, ci]);
  });
}

/**
 * The input gradient of `tf.conv2d(x, W, strides, pad)` for NHWC tensors, computed with
 * one forward conv2d. Equals tfjs's `conv2DBackpropInput` (tested against `cpu`).
 */
export function conv2dBackpropInputViaConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DBackpropInputAttrs["pad"],
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const [, h, w] = inputShape;
  return tf.tidy(() => {
    const up = dilateSpatial(dy, sh, sw);
    const frontH = kh - 1 - top, frontW = kw - 1 - left;
    const padded = padOrCrop2d(up, [frontH, frontW], [
      h + kh - 1 - frontH - up.shape[1],
      w + kw - 1 - frontW - up.shape[2],
    ]);
    return tf.conv2d(padded, flipFilter(filter), 1, "valid");
  });
}

/** A `Conv2DBackpropInput` kernel config for `backendName` using the conv2d form. */
export function conv2dBackpropInputKernel(backendName: string): tf.KernelConfig {
  return nhwcConvGradKernel<Conv2DBackpropInputAttrs>(
    tf.Conv2DBackpropInput,
    backendName,
    ["dy", "filter"],
    (dy, filter, a) =>
      conv2dBackpropInputViaConv(dy, filter, a.inputShape, a.strides, a.pad, a.dimRoundingMode),
  );
}
