/**
 * Batch normalisation over N, H, W of an NHWC tensor on oneDNN, with the following ReLU
 * fused (`fuse_norm_relu`): training forward (output, batch mean and biased variance,
 * and the ReLU mask oneDNN keeps in a workspace), its backward (dx, dγ, dβ in one pass)
 * and inference with running statistics.
 *
 * These are kernels of the kit's own (tfjs has no fused batch-norm gradient kernel):
 * the layers call them through {@linkcode batchNormTrain}, {@linkcode batchNormGrad} and
 * {@linkcode batchNormInfer} on the `onednn` backend only. The workspace is an int32
 * tensor, so tfjs owns its lifetime like any saved activation.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DNNL, OneDnnError, OP_DESC_BYTES } from "./ffi.ts";
import { type OneDnnContext, Plan, type PlanArg, Primitive } from "./primitive.ts";
import {
  bufferOf,
  cachedPlan,
  isWasmHeapBackend,
  runPlan,
  type WasmHeapBackend,
} from "./runtime.ts";

/** Kernel names of the kit's batch-norm kernels (registered on `onednn` only). */
export const BATCH_NORM_TRAIN = "KitOneDnnBatchNormTrain";
/** See {@linkcode BATCH_NORM_TRAIN}. */
export const BATCH_NORM_GRAD = "KitOneDnnBatchNormGrad";
/** See {@linkcode BATCH_NORM_TRAIN}. */
export const BATCH_NORM_INFER = "KitOneDnnBatchNormInfer";

interface BnAttrs {
  epsilon: number;
  relu: boolean;
  /** Momentum of the running statistics (training with running statistics only). */
  momentum?: number;
}

type Shape4 = [number, number, number, number];

function key(kind: string, s: readonly number[], a: BnAttrs): string {
  return `bn ${kind} ${s.join(",")} eps${a.epsilon} relu${a.relu}`;
}

function forwardDesc(
  ctx: OneDnnContext,
  s: Shape4,
  a: BnAttrs,
  prop: number,
  extraFlags: number,
): Uint8Array {
  const op = new Uint8Array(OP_DESC_BYTES);
  const flags = DNNL.useScale | DNNL.useShift | (a.relu ? DNNL.fuseNormRelu : 0) | extraFlags;
  const status = ctx.s.dnnl_batch_normalization_forward_desc_init(
    op,
    prop,
    ctx.nhwc(...s),
    a.epsilon,
    flags,
  );
  if (status !== DNNL.success) {
    throw new OneDnnError("batch_normalization_forward_desc_init", status, `[${s}]`);
  }
  return op;
}

function trainPlan(ctx: OneDnnContext, s: Shape4, a: BnAttrs): Plan {
  const p = new Primitive(ctx, forwardDesc(ctx, s, a, DNNL.forwardTraining, 0), `bn [${s}]`);
  const data = ctx.nhwc(...s), vec = ctx.plain([s[3]]);
  const args: PlanArg[] = [
    { arg: DNNL.argSrc, user: data, dir: "in" },
    { arg: DNNL.argScale, user: vec, dir: "in" },
    { arg: DNNL.argShift, user: vec, dir: "in" },
    { arg: DNNL.argDst, user: data, dir: "out" },
    { arg: DNNL.argMean, user: vec, dir: "out" },
    { arg: DNNL.argVariance, user: vec, dir: "out" },
  ];
  if (a.relu) args.push({ arg: DNNL.argWorkspace, user: null, dir: "out" });
  return new Plan(ctx, p, args);
}

function gradPlan(ctx: OneDnnContext, s: Shape4, a: BnAttrs): Plan {
  const hint = new Primitive(ctx, forwardDesc(ctx, s, a, DNNL.forwardTraining, 0), `bn [${s}]`);
  try {
    const data = ctx.nhwc(...s), vec = ctx.plain([s[3]]);
    const op = new Uint8Array(OP_DESC_BYTES);
    const flags = DNNL.useScale | DNNL.useShift | (a.relu ? DNNL.fuseNormRelu : 0);
    const status = ctx.s.dnnl_batch_normalization_backward_desc_init(
      op,
      DNNL.backward,
      data,
      data,
      a.epsilon,
      flags,
    );
    if (status !== DNNL.success) {
      throw new OneDnnError("batch_normalization_backward_desc_init", status, `[${s}]`);
    }
    const p = new Primitive(ctx, op, `bn backward [${s}]`, hint);
    const args: PlanArg[] = [
      { arg: DNNL.argSrc, user: data, dir: "in" },
      { arg: DNNL.argDiffDst, user: data, dir: "in" },
      { arg: DNNL.argMean, user: vec, dir: "in" },
      { arg: DNNL.argVariance, user: vec, dir: "in" },
      { arg: DNNL.argScale, user: vec, dir: "in" },
      // oneDNN 2.x counts the shift among the backward's inputs, though dx does not use it.
      { arg: DNNL.argShift, user: vec, dir: "in" },
    ];
    if (a.relu) args.push({ arg: DNNL.argWorkspace, user: null, dir: "in" });
    args.push(
      { arg: DNNL.argDiffSrc, user: data, dir: "out" },
      { arg: DNNL.argDiffScale, user: vec, dir: "out" },
      { arg: DNNL.argDiffShift, user: vec, dir: "out" },
    );
    return new Plan(ctx, p, args);
  } finally {
    hint.destroy();
  }
}

function inferPlan(ctx: OneDnnContext, s: Shape4, a: BnAttrs): Plan {
  const op = forwardDesc(ctx, s, a, DNNL.forwardInference, DNNL.useGlobalStats);
  const p = new Primitive(ctx, op, `bn inference [${s}]`);
  const data = ctx.nhwc(...s), vec = ctx.plain([s[3]]);
  return new Plan(ctx, p, [
    { arg: DNNL.argSrc, user: data, dir: "in" },
    { arg: DNNL.argMean, user: vec, dir: "in" },
    { arg: DNNL.argVariance, user: vec, dir: "in" },
    { arg: DNNL.argScale, user: vec, dir: "in" },
    { arg: DNNL.argShift, user: vec, dir: "in" },
    { arg: DNNL.argDst, user: data, dir: "out" },
  ]);
}

function checkShapes(what: string, x: tf.TensorInfo, vectors: [string, tf.TensorInfo][]): Shape4 {
  if (x.shape.length !== 4) {
    throw new RangeError(`${what}: x must be 4-D NHWC, got shape [${x.shape}]`);
  }
  const c = x.shape[3];
  for (const [name, v] of vectors) {
    if (v.shape.length !== 1 || v.shape[0] !== c) {
      throw new RangeError(`${what}: ${name} must have shape [${c}], got [${v.shape}]`);
    }
  }
  return x.shape as Shape4;
}

function heap(backend: unknown, what: string): WasmHeapBackend {
  if (!isWasmHeapBackend(backend)) throw new Error(`${what} runs on the onednn backend only`);
  return backend;
}

function planOrThrow(k: string, make: (ctx: OneDnnContext) => Plan): Plan {
  const plan = cachedPlan(k, make);
  if (plan == null) throw new Error(`oneDNN declined ${k}`);
  return plan;
}

/**
 * The running statistics after one batch, as PyTorch keeps them: (1 − m)·running + m·batch,
 * the variance unbiased (·n/(n − 1)). A loop over the channels in JavaScript: one call
 * instead of seven tfjs kernels per layer.
 */
function runningStats(
  b: WasmHeapBackend,
  s: Shape4,
  a: BnAttrs,
  mean: tf.TensorInfo,
  variance: tf.TensorInfo,
  runningMean: tf.TensorInfo,
  runningVar: tf.TensorInfo,
): tf.TensorInfo[] {
  const c = s[3], n = s[0] * s[1] * s[2], m = a.momentum ?? 0.1;
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar]] as const) {
    if (t.shape.length !== 1 || t.shape[0] !== c) {
      throw new RangeError(`${BATCH_NORM_TRAIN}: ${name} must have shape [${c}], got [${t.shape}]`);
    }
  }
  const outs = [b.makeOutput([c], "float32"), b.makeOutput([c], "float32")];
  // Views after the allocations (they may grow the heap and replace its buffer).
  const heap = b.wasm.HEAPU8.buffer;
  const view = (t: tf.TensorInfo, what: string) => {
    bufferOf(b, t, what); // checks: not disposed, float32, inside the heap
    return new Float32Array(heap, b.dataIdMap.get(t.dataId).memoryOffset!, c);
  };
  const [bm, bv, rm, rv] = [
    view(mean, "mean"),
    view(variance, "variance"),
    view(runningMean, "runningMean"),
    view(runningVar, "runningVar"),
  ];
  const [nm, nv] = [view(outs[0], "output"), view(outs[1], "output")];
  const unbias = n / Math.max(n - 1, 1);
  for (let i = 0; i < c; i++) {
    nm[i] = (1 - m) * rm[i] + m * bm[i];
    nv[i] = (1 - m) * rv[i] + m * bv[i] * unbias;
  }
  return outs;
}

/** The three batch-norm kernels for `backendName`. */
export function oneDnnBatchNormKernels(backendName: string): tf.KernelConfig[] {
  const train: tf.KernelConfig = {
    kernelName: BATCH_NORM_TRAIN,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as unknown as BnAttrs;
      const b = heap(backend, BATCH_NORM_TRAIN);
      const s = checkShapes(BATCH_NORM_TRAIN, x, [["gamma", gamma], ["beta", beta]]);
      const plan = planOrThrow(key("train", s, a), (ctx) => trainPlan(ctx, s, a));
      const outputs: [number[], "float32" | "int32"][] = [
        [[...s], "float32"],
        [[s[3]], "float32"],
        [[s[3]], "float32"],
      ];
      // The workspace (the ReLU mask) as int32 words, at least as many bytes as oneDNN's.
      if (a.relu) outputs.push([[Math.ceil(plan.bytes(DNNL.argWorkspace) / 4)], "int32"]);
      const outs = runPlan(b, plan, [[x, "x"], [gamma, "gamma"], [beta, "beta"]], outputs);
      const { runningMean, runningVar } = inputs as Record<string, tf.TensorInfo>;
      if (runningMean == null || runningVar == null) return outs;
      return [...outs, ...runningStats(b, s, a, outs[1], outs[2], runningMean, runningVar)];
    },
  };
  const grad: tf.KernelConfig = {
    kernelName: BATCH_NORM_GRAD,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy, mean, variance, gamma, beta, workspace } = inputs as Record<
        string,
        tf.TensorInfo
      >;
      const a = attrs as unknown as BnAttrs;
      const b = heap(backend, BATCH_NORM_GRAD);
      const s = checkShapes(BATCH_NORM_GRAD, x, [
        ["mean", mean],
        ["variance", variance],
        ["gamma", gamma],
        ["beta", beta],
      ]);
      if (dy.shape.join() !== x.shape.join()) {
        throw new RangeError(`${BATCH_NORM_GRAD}: dy has shape [${dy.shape}], x [${x.shape}]`);
      }
      const plan = planOrThrow(key("grad", s, a), (ctx) => gradPlan(ctx, s, a));
      const ins: [tf.TensorInfo, string][] = [
        [x, "x"],
        [dy, "dy"],
        [mean, "mean"],
        [variance, "variance"],
        [gamma, "gamma"],
        [beta, "beta"],
      ];
      if (a.relu) {
        if (workspace == null) throw new Error(`${BATCH_NORM_GRAD}: relu needs the workspace`);
        ins.push([workspace, "workspace"]);
      }
      return runPlan(b, plan, ins, [[[...s], "float32"], [[s[3]], "float32"], [
        [s[3]],
        "float32",
      ]]);
    },
  };
  const infer: tf.KernelConfig = {
    kernelName: BATCH_NORM_INFER,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, mean, variance, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as unknown as BnAttrs;
      const b = heap(backend, BATCH_NORM_INFER);
      const s = checkShapes(BATCH_NORM_INFER, x, [
        ["mean", mean],
        ["variance", variance],
        ["gamma", gamma],
        ["beta", beta],
      ]);
      const plan = planOrThrow(key("infer", s, a), (ctx) => inferPlan(ctx, s, a));
      return runPlan(b, plan, [
        [x, "x"],
        [mean, "mean"],
        [variance, "variance"],
        [gamma, "gamma"],
        [beta, "beta"],
      ], [[[...s], "float32"]])[0];
    },
  };
  return [train, grad, infer];
}

/** What {@linkcode batchNormTrain} returns. */
export interface BatchNormTrainOutput {
  /** relu?(γ·(x − μ)/√(σ² + ε) + β), same shape as x. */
  y: tf.Tensor4D;
  /** Batch mean per channel. */
  mean: tf.Tensor1D;
  /** Batch variance per channel (biased, as normalisation uses it). */
  variance: tf.Tensor1D;
  /** The ReLU mask for {@linkcode batchNormGrad} (int32 words; only with `relu`). */
  workspace: tf.Tensor1D | null;
  /** The updated running mean and (unbiased) variance, when `running` was given. */
  runningMean: tf.Tensor1D | null;
  runningVar: tf.Tensor1D | null;
}

/**
 * Training-mode batch norm (and ReLU when `relu`) of NHWC `x` with the batch statistics,
 * on the `onednn` backend. Not differentiable by itself: the layer wraps it in a
 * `customGrad` whose gradient is {@linkcode batchNormGrad}.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
  running?: { mean: tf.Tensor1D; variance: tf.Tensor1D; momentum: number },
): BatchNormTrainOutput {
  const inputs: Record<string, tf.Tensor> = { x, gamma, beta };
  if (running != null) {
    inputs.runningMean = running.mean;
    inputs.runningVar = running.variance;
  }
  const out = tf.engine().runKernel(
    BATCH_NORM_TRAIN,
    inputs as unknown as tf.NamedTensorMap,
    { epsilon, relu, momentum: running?.momentum ?? 0.1 } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  const k = relu ? 4 : 3;
  return {
    y: out[0] as tf.Tensor4D,
    mean: out[1] as tf.Tensor1D,
    variance: out[2] as tf.Tensor1D,
    workspace: relu ? out[3] as tf.Tensor1D : null,
    runningMean: running != null ? out[k] as tf.Tensor1D : null,
    runningVar: running != null ? out[k + 1] as tf.Tensor1D : null,
  };
}

/** dx, dγ, dβ of {@linkcode batchNormTrain} given dy, from the saved forward values. */
export function batchNormGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  workspace: tf.Tensor1D | null,
  epsilon: number,
): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] {
  const inputs: Record<string, tf.Tensor> = { x, dy, mean, variance, gamma, beta };
  if (workspace != null) inputs.workspace = workspace;
  return tf.engine().runKernel(
    BATCH_NORM_GRAD,
    inputs as unknown as tf.NamedTensorMap,
    { epsilon, relu: workspace != null } as unknown as tf.NamedAttrMap,
  ) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
}

/**
 * Inference-mode batch norm (and ReLU when `relu`) with given statistics, on the
 * `onednn` backend. Differentiable (its gradient is written with tfjs ops), though the
 * kit only scores with it.
 */
export function batchNormInfer(
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
): tf.Tensor4D {
  return tf.engine().runKernel(
    BATCH_NORM_INFER,
    { x, mean, variance, gamma, beta } as unknown as tf.NamedTensorMap,
    { epsilon, relu } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor4D;
}

let gradientRegistered = false;

/**
 * Registers the gradient of the inference kernel (with respect to x, γ and β; the
 * statistics are constants), written with tfjs ops so that it runs anywhere.
 */
export function registerBatchNormInferGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_INFER,
    inputsToSave: ["x", "mean", "variance", "gamma", "beta"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, gamma] = saved;
      const y = saved[5];
      const a = attrs as unknown as BnAttrs;
      const d0 = dy as tf.Tensor;
      const d = a.relu ? tf.mul(d0, tf.step(y)) : d0;
      const inv = tf.rsqrt(tf.add(variance, a.epsilon));
      const xhat = tf.mul(tf.sub(x, mean), inv);
      return {
        x: () => tf.mul(d, tf.mul(gamma, inv)),
        mean: () => tf.zerosLike(mean),
        variance: () => tf.zerosLike(variance),
        gamma: () => tf.sum(tf.mul(d, xhat), [0, 1, 2]),
        beta: () => tf.sum(d, [0, 1, 2]),
      };
    },
  });
}
