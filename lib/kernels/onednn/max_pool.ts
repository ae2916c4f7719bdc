/**
 * MaxPool and MaxPoolGrad on oneDNN's pooling for NHWC tensors.
 *
 * oneDNN's max-pool backward reads the argmax its training forward recorded in a
 * workspace; tfjs's MaxPoolGrad kernel gets the input instead. The kernel therefore runs
 * the forward again into held buffers (one pass over the input, a small cost next to a
 * second scan for the maxima) and then the backward. Ties go to the first maximum of a
 * window in both (tested against the `cpu` backend).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DNNL, OneDnnError, OP_DESC_BYTES } from "./ffi.ts";
import { type OneDnnContext, Plan, Primitive } from "./primitive.ts";
import { bufferOf, cachedPlan, isWasmHeapBackend, runPlan } from "./runtime.ts";

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  top: number;
  left: number;
  bottom: number;
  right: number;
}

function poolGeometry(xShape: readonly number[], a: PoolAttrs): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const g = {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    c: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    kH: info.filterHeight,
    kW: info.filterWidth,
    sH: info.strideHeight,
    sW: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    bottom: 0,
    right: 0,
  };
  g.bottom = (g.outH - 1) * g.sH + g.kH - g.inH - g.top;
  g.right = (g.outW - 1) * g.sW + g.kW - g.inW - g.left;
  return g;
}

const keyOf = (g: PoolGeometry) => Object.values(g).join(",");

function forwardDesc(ctx: OneDnnContext, g: PoolGeometry, prop: number): Uint8Array {
  const op = new Uint8Array(OP_DESC_BYTES);
  const status = ctx.s.dnnl_pooling_v2_forward_desc_init(
    op,
    prop,
    DNNL.poolingMax,
    ctx.nhwc(g.batch, g.inH, g.inW, g.c),
    ctx.nhwc(g.batch, g.outH, g.outW, g.c),
    ctx.dims([g.sH, g.sW]),
    ctx.dims([g.kH, g.kW]),
    ctx.dims([0, 0]),
    ctx.dims([g.top, g.left]),
    ctx.dims([g.bottom, g.right]),
  );
  if (status !== DNNL.success) throw new OneDnnError("pooling_forward_desc_init", status, keyOf(g));
  return op;
}

function inferencePlan(ctx: OneDnnContext, g: PoolGeometry): Plan {
  const p = new Primitive(ctx, forwardDesc(ctx, g, DNNL.forwardInference), `maxpool ${keyOf(g)}`);
  return new Plan(ctx, p, [
    { arg: DNNL.argSrc, user: ctx.nhwc(g.batch, g.inH, g.inW, g.c), dir: "in" },
    { arg: DNNL.argDst, user: ctx.nhwc(g.batch, g.outH, g.outW, g.c), dir: "out" },
  ]);
}

/** The backward, with the training forward (argmax into the workspace) attached. */
function gradPlans(ctx: OneDnnContext, g: PoolGeometry): Plan {
  const src = ctx.nhwc(g.batch, g.inH, g.inW, g.c), dst = ctx.nhwc(g.batch, g.outH, g.outW, g.c);
  const fp = new Primitive(ctx, forwardDesc(ctx, g, DNNL.forwardTraining), `maxpool ${keyOf(g)}`);
  const forward = new Plan(ctx, fp, [
    { arg: DNNL.argSrc, user: src, dir: "in" },
    { arg: DNNL.argDst, user: dst, dir: "out" },
    { arg: DNNL.argWorkspace, user: null, dir: "out" },
  ]);
  try {
    const op = new Uint8Array(OP_DESC_BYTES);
    const status = ctx.s.dnnl_pooling_v2_backward_desc_init(
      op,
      DNNL.poolingMax,
      src,
      dst,
      ctx.dims([g.sH, g.sW]),
      ctx.dims([g.kH, g.kW]),
      ctx.dims([0, 0]),
      ctx.dims([g.top, g.left]),
      ctx.dims([g.bottom, g.right]),
    );
    if (status !== DNNL.success) {
      throw new OneDnnError("pooling_backward_desc_init", status, keyOf(g));
    }
    const bp = new Primitive(ctx, op, `maxpool backward ${keyOf(g)}`, fp);
    const backward = new Plan(ctx, bp, [
      { arg: DNNL.argDiffDst, user: dst, dir: "in" },
      { arg: DNNL.argWorkspace, user: null, dir: "in" },
      { arg: DNNL.argDiffSrc, user: src, dir: "out" },
    ]);
    return backward.attach(forward);
  } catch (e) {
    forward.destroy();
    throw e;
  }
}

/** MaxPool and MaxPoolGrad for `backendName`, each falling back to `previous`. */
export function oneDnnMaxPoolKernels(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig[] {
  const forward: tf.KernelConfig = {
    kernelName: tf.MaxPool,
    backendName,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const a = args.attrs as unknown as PoolAttrs;
      const backend = args.backend;
      if (!isWasmHeapBackend(backend) || x.dtype !== "float32" || x.shape.some((d) => d === 0)) {
        return previous(tf.MaxPool).kernelFunc(args);
      }
      const g = poolGeometry(x.shape, a);
      const plan = cachedPlan(`maxpool ${keyOf(g)}`, (ctx) => inferencePlan(ctx, g));
      if (plan == null) return previous(tf.MaxPool).kernelFunc(args);
      return runPlan(backend, plan, [[x, "MaxPool x"]], [
        [[g.batch, g.outH, g.outW, g.c], "float32"],
      ])[0];
    },
  };
  const backward: tf.KernelConfig = {
    kernelName: tf.MaxPoolGrad,
    backendName,
    kernelFunc: (args) => {
      const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const a = args.attrs as unknown as PoolAttrs;
      const backend = args.backend;
      if (
        !isWasmHeapBackend(backend) || input.dtype !== "float32" ||
        input.shape.some((d) => d === 0)
      ) {
        return previous(tf.MaxPoolGrad).kernelFunc(args);
      }
      const g = poolGeometry(input.shape, a);
      if (dy.shape.join() !== [g.batch, g.outH, g.outW, g.c].join()) {
        throw new RangeError(
          `MaxPoolGrad: dy has shape [${dy.shape}], the pooling gives ` +
            `[${[g.batch, g.outH, g.outW, g.c]}]`,
        );
      }
      const plan = cachedPlan(`maxpool grad ${keyOf(g)}`, (ctx) => gradPlans(ctx, g));
      if (plan == null) return previous(tf.MaxPoolGrad).kernelFunc(args);
      const fwd = plan.companion(0);
      // The argmax again, into temporaries that no tensor refers to.
      const wsWords = Math.ceil(fwd.bytes(DNNL.argWorkspace) / 4);
      const temps = runPlan(backend, fwd, [[input, "MaxPoolGrad input"]], [
        [[g.batch, g.outH, g.outW, g.c], "float32"],
        [[wsWords], "int32"],
      ]);
      try {
        const out = backend.makeOutput([...input.shape], "float32");
        try {
          plan.run([
            bufferOf(backend, dy, "MaxPoolGrad dy"),
            bufferOf(backend, temps[1], "workspace"),
            bufferOf(backend, out, "output"),
          ]);
        } catch (e) {
          backend.disposeData(out.dataId, true);
          throw e;
        }
        return out;
      } finally {
        for (const t of temps) backend.disposeData(t.dataId, true);
      }
    },
  };
  return [forward, backward];
}
