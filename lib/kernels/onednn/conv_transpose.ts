/**
 * The decoder's 2x2, stride-2 transposed convolution on oneDNN's deconvolution
 * primitive: output (with the bias), input gradient and weight + bias gradients, each
 * one primitive on NHWC tensors.
 *
 * The weights keep the layer's layout [Cin, kh·kw·Cout] (`ConvTranspose2x2` in
 * `nn/layers.ts`), read by oneDNN through strides as (Cout, Cin, kh, kw) and reordered
 * into the layout the primitive chose. {@linkcode convTranspose2x2} is the differentiable
 * op the layer calls on the `onednn` backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DNNL, OneDnnError, OP_DESC_BYTES } from "./ffi.ts";
import { type MemoryDesc, type OneDnnContext, Plan, Primitive } from "./primitive.ts";
import { cachedPlan, isWasmHeapBackend, runPlan, type WasmHeapBackend } from "./runtime.ts";

/** Kernel names of the kit's transposed-conv kernels (registered on `onednn` only). */
export const CONV_TRANSPOSE_2X2 = "KitOneDnnConvTranspose2x2";
/** See {@linkcode CONV_TRANSPOSE_2X2}. */
export const CONV_TRANSPOSE_2X2_GRAD_INPUT = "KitOneDnnConvTranspose2x2GradInput";
/** See {@linkcode CONV_TRANSPOSE_2X2}. */
export const CONV_TRANSPOSE_2X2_GRAD_WEIGHTS = "KitOneDnnConvTranspose2x2GradWeights";

interface Shape {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
}

const keyOf = (s: Shape) => `convT2x2 ${s.n},${s.h},${s.w},${s.cin},${s.cout}`;

interface Descs {
  src: MemoryDesc;
  dst: MemoryDesc;
  weights: MemoryDesc;
  userWeights: MemoryDesc;
  bias: MemoryDesc;
  strides: BigInt64Array;
  pad: BigInt64Array;
}

function descs(ctx: OneDnnContext, s: Shape): Descs {
  const co = s.cout;
  return {
    src: ctx.nhwc(s.n, s.h, s.w, s.cin),
    dst: ctx.nhwc(s.n, 2 * s.h, 2 * s.w, co),
    weights: ctx.any([co, s.cin, 2, 2]),
    // [Cin, kh, kw, Cout] read as (Cout, Cin, kh, kw).
    userWeights: ctx.md([co, s.cin, 2, 2], [1, 4 * co, 2 * co, co]),
    bias: ctx.plain([co]),
    strides: ctx.dims([2, 2]),
    pad: ctx.dims([0, 0]),
  };
}

function forwardPrimitive(ctx: OneDnnContext, d: Descs, what: string): Primitive {
  const op = new Uint8Array(OP_DESC_BYTES);
  const status = ctx.s.dnnl_deconvolution_forward_desc_init(
    op,
    DNNL.forwardTraining,
    DNNL.deconvolutionDirect,
    d.src,
    d.weights,
    d.bias,
    d.dst,
    d.strides,
    d.pad,
    d.pad,
  );
  if (status !== DNNL.success) {
    throw new OneDnnError("deconvolution_forward_desc_init", status, what);
  }
  return new Primitive(ctx, op, what);
}

function forwardPlan(ctx: OneDnnContext, s: Shape): Plan {
  const d = descs(ctx, s);
  return new Plan(ctx, forwardPrimitive(ctx, d, keyOf(s)), [
    { arg: DNNL.argSrc, user: d.src, dir: "in" },
    { arg: DNNL.argWeights, user: d.userWeights, dir: "in" },
    { arg: DNNL.argBias, user: d.bias, dir: "in" },
    { arg: DNNL.argDst, user: d.dst, dir: "out" },
  ]);
}

function gradInputPlan(ctx: OneDnnContext, s: Shape): Plan {
  const d = descs(ctx, s);
  const hint = forwardPrimitive(ctx, d, keyOf(s));
  try {
    const op = new Uint8Array(OP_DESC_BYTES);
    const status = ctx.s.dnnl_deconvolution_backward_data_desc_init(
      op,
      DNNL.deconvolutionDirect,
      d.src,
      d.weights,
      d.dst,
      d.strides,
      d.pad,
      d.pad,
    );
    if (status !== DNNL.success) {
      throw new OneDnnError("deconvolution_backward_data_desc_init", status, keyOf(s));
    }
    return new Plan(ctx, new Primitive(ctx, op, `${keyOf(s)} grad input`, hint), [
      { arg: DNNL.argDiffDst, user: d.dst, dir: "in" },
      { arg: DNNL.argWeights, user: d.userWeights, dir: "in" },
      { arg: DNNL.argDiffSrc, user: d.src, dir: "out" },
    ]);
  } finally {
    hint.destroy();
  }
}

function gradWeightsPlan(ctx: OneDnnContext, s: Shape): Plan {
  const d = descs(ctx, s);
  const hint = forwardPrimitive(ctx, d, keyOf(s));
  try {
    const op = new Uint8Array(OP_DESC_BYTES);
    const status = ctx.s.dnnl_deconvolution_backward_weights_desc_init(
      op,
      DNNL.deconvolutionDirect,
      d.src,
      d.weights,
      d.bias,
      d.dst,
      d.strides,
      d.pad,
      d.pad,
    );
    if (status !== DNNL.success) {
      throw new OneDnnError("deconvolution_backward_weights_desc_init", status, keyOf(s));
    }
    return new Plan(ctx, new Primitive(ctx, op, `${keyOf(s)} grad weights`, hint), [
      { arg: DNNL.argSrc, user: d.src, dir: "in" },
      { arg: DNNL.argDiffDst, user: d.dst, dir: "in" },
      { arg: DNNL.argDiffWeights, user: d.userWeights, dir: "out" },
      { arg: DNNL.argDiffBias, user: d.bias, dir: "out" },
    ]);
  } finally {
    hint.destroy();
  }
}

function shapeOf(x: tf.TensorInfo, w: tf.TensorInfo, what: string): Shape {
  if (x.shape.length !== 4 || w.shape.length !== 2 || w.shape[1] % 4 !== 0) {
    throw new RangeError(
      `${what}: needs x [N, H, W, Cin] and weights [Cin, 4·Cout], got [${x.shape}] and [${w.shape}]`,
    );
  }
  const [n, h, wd, cin] = x.shape;
  if (w.shape[0] !== cin) {
    throw new RangeError(`${what}: x has ${cin} channels, the weights [${w.shape}]`);
  }
  return { n, h, w: wd, cin, cout: w.shape[1] / 4 };
}

function plan(key: string, make: (ctx: OneDnnContext) => Plan): Plan {
  const p = cachedPlan(key, make);
  if (p == null) throw new Error(`oneDNN declined ${key}`);
  return p;
}

function heap(backend: unknown, what: string): WasmHeapBackend {
  if (!isWasmHeapBackend(backend)) throw new Error(`${what} runs on the onednn backend only`);
  return backend;
}

/** The three transposed-conv kernels for `backendName`. */
export function oneDnnConvTransposeKernels(backendName: string): tf.KernelConfig[] {
  return [
    {
      kernelName: CONV_TRANSPOSE_2X2,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
        const s = shapeOf(x, w, CONV_TRANSPOSE_2X2);
        if (b.shape.length !== 1 || b.shape[0] !== s.cout) {
          throw new RangeError(`${CONV_TRANSPOSE_2X2}: bias must be [${s.cout}], got [${b.shape}]`);
        }
        const p = plan(keyOf(s), (ctx) => forwardPlan(ctx, s));
        return runPlan(heap(backend, CONV_TRANSPOSE_2X2), p, [[x, "x"], [w, "w"], [b, "b"]], [
          [[s.n, 2 * s.h, 2 * s.w, s.cout], "float32"],
        ])[0];
      },
    },
    {
      kernelName: CONV_TRANSPOSE_2X2_GRAD_INPUT,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const { dy, w, x } = inputs as Record<string, tf.TensorInfo>;
        const s = shapeOf(x, w, CONV_TRANSPOSE_2X2_GRAD_INPUT);
        checkDy(dy, s, CONV_TRANSPOSE_2X2_GRAD_INPUT);
        const p = plan(`${keyOf(s)} grad input`, (ctx) => gradInputPlan(ctx, s));
        return runPlan(heap(backend, CONV_TRANSPOSE_2X2_GRAD_INPUT), p, [[dy, "dy"], [w, "w"]], [
          [[s.n, s.h, s.w, s.cin], "float32"],
        ])[0];
      },
    },
    {
      kernelName: CONV_TRANSPOSE_2X2_GRAD_WEIGHTS,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const { x, dy, w } = inputs as Record<string, tf.TensorInfo>;
        const s = shapeOf(x, w, CONV_TRANSPOSE_2X2_GRAD_WEIGHTS);
        checkDy(dy, s, CONV_TRANSPOSE_2X2_GRAD_WEIGHTS);
        const p = plan(`${keyOf(s)} grad weights`, (ctx) => gradWeightsPlan(ctx, s));
        return runPlan(heap(backend, CONV_TRANSPOSE_2X2_GRAD_WEIGHTS), p, [[x, "x"], [dy, "dy"]], [
          [[s.cin, 4 * s.cout], "float32"],
          [[s.cout], "float32"],
        ]);
      },
    },
  ];
}

function checkDy(dy: tf.TensorInfo, s: Shape, what: string): void {
  const want = [s.n, 2 * s.h, 2 * s.w, s.cout];
  if (dy.shape.join() !== want.join()) {
    throw new RangeError(`${what}: dy must be [${want}], got [${dy.shape}]`);
  }
}

/**
 * y[b, 2i+kh, 2j+kw, co] = Σ_ci x[b, i, j, ci]·w[ci, (kh·2 + kw)·Cout + co] + bias[co], the
 * layer `ConvTranspose2x2` on the `onednn` backend, differentiable in x, w and bias.
 */
export const convTranspose2x2: (x: tf.Tensor4D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor4D = tf
  .customGrad((x, w, b, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
    const value = tf.engine().runKernel(
      CONV_TRANSPOSE_2X2,
      { x, w, b } as unknown as tf.NamedTensorMap,
    ) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved;
        const d = dy as tf.Tensor;
        const dx = tf.engine().runKernel(
          CONV_TRANSPOSE_2X2_GRAD_INPUT,
          { dy: d, w: ws, x: xs } as unknown as tf.NamedTensorMap,
        ) as tf.Tensor;
        const [dw, db] = tf.engine().runKernel(
          CONV_TRANSPOSE_2X2_GRAD_WEIGHTS,
          { x: xs, dy: d, w: ws } as unknown as tf.NamedTensorMap,
        ) as tf.Tensor[];
        return [dx, dw, db];
      },
    };
  }) as unknown as (x: tf.Tensor4D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor4D;
