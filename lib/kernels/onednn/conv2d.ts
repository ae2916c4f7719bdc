/**
 * Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on oneDNN, for NHWC tensors on
 * the wasm heap.
 *
 * Activations stay in tfjs's NHWC layout, which oneDNN 2.x convolves directly (its
 * `brgconv` forward and `jit` backward kernels read and write `nhwc`): no reorder of
 * activations at all. The weights, HWIO in tfjs, are reordered per call into the
 * blocked layout the primitive chose (they are small next to the activations), except
 * for 1x1 kernels, where oneDNN's GEMM path on the plain layout measured faster.
 * NCHW and shapes oneDNN declines run the kernel the backend had before.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DNNL, OneDnnError, OP_DESC_BYTES } from "./ffi.ts";
import { type MemoryDesc, type OneDnnContext, Plan, Primitive } from "./primitive.ts";
import { cachedPlan, isWasmHeapBackend, runPlan } from "./runtime.ts";

/** The geometry of one 2-D convolution, NHWC activations and HWIO weights. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** The geometry of `tf.conv2d(x, filter, strides, pad, "NHWC", dilations)`. */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number] | number,
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding,
  dilations: [number, number] | number = 1,
  dimRoundingMode?: "floor" | "round" | "ceil",
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
  );
  const g = {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: 0,
    padRight: 0,
  };
  // oneDNN wants the right/bottom padding that makes the output size exact.
  g.padBottom = (g.outH - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1 - g.inH - g.padTop;
  g.padRight = (g.outW - 1) * g.strideW + (g.kW - 1) * g.dilationW + 1 - g.inW - g.padLeft;
  return g;
}

function geometryKey(g: ConvGeometry): string {
  return [
    g.batch,
    g.inH,
    g.inW,
    g.inC,
    g.outH,
    g.outW,
    g.outC,
    g.kH,
    g.kW,
    g.strideH,
    g.strideW,
    g.dilationH,
    g.dilationW,
    g.padTop,
    g.padLeft,
    g.padBottom,
    g.padRight,
  ].join(",");
}

/** An HWIO filter [kh, kw, i, o] as oneDNN's logical (o, i, kh, kw). */
export function hwioDesc(
  ctx: OneDnnContext,
  kh: number,
  kw: number,
  i: number,
  o: number,
): MemoryDesc {
  return ctx.md([o, i, kh, kw], [1, o, kw * i * o, i * o]);
}

interface ConvDescs {
  src: MemoryDesc;
  dst: MemoryDesc;
  /** The weights as the primitive is asked for them (any layout, or HWIO for 1x1). */
  weights: MemoryDesc;
  /** The weights as tfjs holds them (HWIO). */
  userWeights: MemoryDesc;
  strides: BigInt64Array;
  dilates: BigInt64Array;
  padL: BigInt64Array;
  padR: BigInt64Array;
}

function convDescs(ctx: OneDnnContext, g: ConvGeometry): ConvDescs {
  const userWeights = hwioDesc(ctx, g.kH, g.kW, g.inC, g.outC);
  const pointwise = g.kH === 1 && g.kW === 1;
  return {
    src: ctx.nhwc(g.batch, g.inH, g.inW, g.inC),
    dst: ctx.nhwc(g.batch, g.outH, g.outW, g.outC),
    weights: pointwise ? userWeights : ctx.any([g.outC, g.inC, g.kH, g.kW]),
    userWeights,
    strides: ctx.dims([g.strideH, g.strideW]),
    // oneDNN counts dilation from 0 (no gaps), tfjs from 1.
    dilates: ctx.dims([g.dilationH - 1, g.dilationW - 1]),
    padL: ctx.dims([g.padTop, g.padLeft]),
    padR: ctx.dims([g.padBottom, g.padRight]),
  };
}

function forwardPrimitive(ctx: OneDnnContext, d: ConvDescs, what: string): Primitive {
  const op = new Uint8Array(OP_DESC_BYTES);
  const status = ctx.s.dnnl_dilated_convolution_forward_desc_init(
    op,
    DNNL.forwardTraining,
    DNNL.convolutionDirect,
    d.src,
    d.weights,
    null,
    d.dst,
    d.strides,
    d.dilates,
    d.padL,
    d.padR,
  );
  if (status !== DNNL.success) throw new OneDnnError("convolution_forward_desc_init", status, what);
  return new Primitive(ctx, op, what);
}

/** The forward convolution: x, filter -> y. */
export function convForwardPlan(ctx: OneDnnContext, g: ConvGeometry): Plan {
  const d = convDescs(ctx, g);
  const p = forwardPrimitive(ctx, d, `conv2d ${geometryKey(g)}`);
  return new Plan(ctx, p, [
    { arg: DNNL.argSrc, user: d.src, dir: "in" },
    { arg: DNNL.argWeights, user: d.userWeights, dir: "in" },
    { arg: DNNL.argDst, user: d.dst, dir: "out" },
  ]);
}

/** The input gradient: dy, filter -> dx. */
export function convBackwardDataPlan(ctx: OneDnnContext, g: ConvGeometry): Plan {
  const d = convDescs(ctx, g);
  const what = `conv2d backward data ${geometryKey(g)}`;
  const hint = forwardPrimitive(ctx, d, what);
  try {
    const op = new Uint8Array(OP_DESC_BYTES);
    const status = ctx.s.dnnl_dilated_convolution_backward_data_desc_init(
      op,
      DNNL.convolutionDirect,
      d.src,
      d.weights,
      d.dst,
      d.strides,
      d.dilates,
      d.padL,
      d.padR,
    );
    if (status !== DNNL.success) {
      throw new OneDnnError("convolution_backward_data_desc_init", status, what);
    }
    const p = new Primitive(ctx, op, what, hint);
    return new Plan(ctx, p, [
      { arg: DNNL.argDiffDst, user: d.dst, dir: "in" },
      { arg: DNNL.argWeights, user: d.userWeights, dir: "in" },
      { arg: DNNL.argDiffSrc, user: d.src, dir: "out" },
    ]);
  } finally {
    hint.destroy();
  }
}

/** The weight gradient: x, dy -> dW. */
export function convBackwardWeightsPlan(ctx: OneDnnContext, g: ConvGeometry): Plan {
  const d = convDescs(ctx, g);
  const what = `conv2d backward weights ${geometryKey(g)}`;
  const hint = forwardPrimitive(ctx, d, what);
  try {
    const op = new Uint8Array(OP_DESC_BYTES);
    const status = ctx.s.dnnl_dilated_convolution_backward_weights_desc_init(
      op,
      DNNL.convolutionDirect,
      d.src,
      d.weights,
      null,
      d.dst,
      d.strides,
      d.dilates,
      d.padL,
      d.padR,
    );
    if (status !== DNNL.success) {
      throw new OneDnnError("convolution_backward_weights_desc_init", status, what);
    }
    const p = new Primitive(ctx, op, what, hint);
    return new Plan(ctx, p, [
      { arg: DNNL.argSrc, user: d.src, dir: "in" },
      { arg: DNNL.argDiffDst, user: d.dst, dir: "in" },
      { arg: DNNL.argDiffWeights, user: d.userWeights, dir: "out" },
    ]);
  } finally {
    hint.destroy();
  }
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

const hasZero = (shape: readonly number[]) => shape.some((d) => d === 0);

/** The three convolution kernels for `backendName`, each falling back to `previous`. */
export function oneDnnConvKernels(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig[] {
  const forward: tf.KernelConfig = {
    kernelName: tf.Conv2D,
    backendName,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const a = args.attrs as unknown as ConvAttrs;
      const backend = args.backend;
      if (
        a.dataFormat === "NCHW" || !isWasmHeapBackend(backend) || hasZero(x.shape) ||
        hasZero(filter.shape)
      ) {
        return previous(tf.Conv2D).kernelFunc(args);
      }
      const g = convGeometry(
        x.shape,
        filter.shape,
        a.strides,
        a.pad,
        a.dilations,
        a.dimRoundingMode,
      );
      const plan = cachedPlan(`fwd ${geometryKey(g)}`, (ctx) => convForwardPlan(ctx, g));
      if (plan == null) return previous(tf.Conv2D).kernelFunc(args);
      return runPlan(backend, plan, [
        [x, "Conv2D x"],
        [filter, "Conv2D filter"],
      ], [[[g.batch, g.outH, g.outW, g.outC], "float32"]])[0];
    },
  };
  const backwardData: tf.KernelConfig = {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: (args) => {
      const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = args.attrs as unknown as ConvAttrs;
      const backend = args.backend;
      if (
        a.dataFormat === "NCHW" || !isWasmHeapBackend(backend) || hasZero(dy.shape) ||
        hasZero(filter.shape) || hasZero(a.inputShape!)
      ) {
        return previous(tf.Conv2DBackpropInput).kernelFunc(args);
      }
      const g = convGeometry(a.inputShape!, filter.shape, a.strides, a.pad, 1, a.dimRoundingMode);
      if (dy.shape.join() !== [g.batch, g.outH, g.outW, g.outC].join()) {
        throw new RangeError(
          `Conv2DBackpropInput: dy has shape [${dy.shape}], the convolution gives ` +
            `[${[g.batch, g.outH, g.outW, g.outC]}]`,
        );
      }
      const plan = cachedPlan(`bwd_d ${geometryKey(g)}`, (ctx) => convBackwardDataPlan(ctx, g));
      if (plan == null) return previous(tf.Conv2DBackpropInput).kernelFunc(args);
      return runPlan(backend, plan, [
        [dy, "Conv2DBackpropInput dy"],
        [filter, "Conv2DBackpropInput filter"],
      ], [[[g.batch, g.inH, g.inW, g.inC], "float32"]])[0];
    },
  };
  const backwardWeights: tf.KernelConfig = {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = args.attrs as unknown as ConvAttrs;
      const backend = args.backend;
      if (
        a.dataFormat === "NCHW" || !isWasmHeapBackend(backend) || hasZero(x.shape) ||
        hasZero(dy.shape) || hasZero(a.filterShape!)
      ) {
        return previous(tf.Conv2DBackpropFilter).kernelFunc(args);
      }
      const g = convGeometry(x.shape, a.filterShape!, a.strides, a.pad, 1, a.dimRoundingMode);
      if (dy.shape.join() !== [g.batch, g.outH, g.outW, g.outC].join()) {
        throw new RangeError(
          `Conv2DBackpropFilter: dy has shape [${dy.shape}], the convolution gives ` +
            `[${[g.batch, g.outH, g.outW, g.outC]}]`,
        );
      }
      const plan = cachedPlan(`bwd_w ${geometryKey(g)}`, (ctx) => convBackwardWeightsPlan(ctx, g));
      if (plan == null) return previous(tf.Conv2DBackpropFilter).kernelFunc(args);
      return runPlan(backend, plan, [
        [x, "Conv2DBackpropFilter x"],
        [dy, "Conv2DBackpropFilter dy"],
      ], [[[...a.filterShape!], "float32"]])[0];
    },
  };
  return [forward, backwardData, backwardWeights];
}
