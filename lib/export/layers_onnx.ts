/**
 * The kit's layers (`nn/layers.ts`) and DAAD's block memory (`memory/block_memory.ts`)
 * as ONNX nodes. The kit computes in NHWC; the exported graphs compute in NCHW, ONNX's
 * layout for Conv, so every weight is rearranged here once: a convolution's HWIO kernel
 * becomes OIHW, the 2x2 transposed convolution's [Cin, 2·2·Cout] matrix becomes
 * ConvTranspose's [Cin, Cout, 2, 2]. The block memory alone needs the kit's NHWC order
 * (a query is a block's values in h, w, c order, as the items were learned), so its
 * input is transposed to NHWC, divided, addressed and assembled exactly as
 * `divideBlocks`, `addressMemory` and `assembleBlocks` do, and transposed back.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BlockMemoryConfig } from "../memory/block_memory.ts";
import type { ParamStore } from "../nn/params.ts";
import { type OnnxGraph, OnnxGraphError } from "./onnx_graph.ts";

/** A weight read from a model's parameter store. */
interface Weight {
  values: Float32Array;
  shape: number[];
}

/** Reads weights by name from a {@linkcode ParamStore}, naming a missing one. */
export class WeightReader {
  constructor(readonly store: ParamStore) {}

  get(name: string): Weight {
    if (!this.store.has(name)) {
      throw new OnnxGraphError(`the model has no parameter '${name}' (the exporter expected it)`);
    }
    const v: tf.Variable = this.store.get(name);
    return { values: v.dataSync() as Float32Array, shape: [...v.shape] };
  }

  has(name: string): boolean {
    return this.store.has(name);
  }
}

/** HWIO [kh, kw, ci, co] to OIHW [co, ci, kh, kw]. */
function hwioToOihw(w: Weight): Weight {
  const [kh, kw, ci, co] = w.shape;
  const out = new Float32Array(w.values.length);
  for (let h = 0; h < kh; h++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          out[((o * ci + i) * kh + h) * kw + x] = w.values[((h * kw + x) * ci + i) * co + o];
        }
      }
    }
  }
  return { values: out, shape: [co, ci, kh, kw] };
}

/** How a convolution pads: "same" (stride 1, odd kernel), "valid", or pixels per side. */
export type Padding = "same" | "valid" | number;

/**
 * `Conv2d` (`<name>.w`, optional `<name>.b`): stride and padding as the kit's layer
 * was built with.
 */
export function conv(
  g: OnnxGraph,
  weights: WeightReader,
  x: string,
  name: string,
  options: { stride?: number; pad?: Padding } = {},
): string {
  const w = hwioToOihw(weights.get(`${name}.w`));
  const [, , k] = w.shape;
  const stride = options.stride ?? 1;
  const pad = options.pad ?? "same";
  let p: number;
  if (pad === "valid") p = 0;
  else if (pad === "same") {
    // tfjs's "same" at stride 1 pads (k - 1) / 2 on each side for an odd kernel.
    if (stride !== 1 || k % 2 !== 1) {
      throw new OnnxGraphError(`${name}: 'same' padding exported only for stride 1, odd kernels`);
    }
    p = (k - 1) / 2;
  } else p = pad;
  const inputs = [x, g.constant(`${name}.w`, w.values, w.shape)];
  if (weights.has(`${name}.b`)) {
    const b = weights.get(`${name}.b`);
    inputs.push(g.constant(`${name}.b`, b.values, b.shape));
  }
  return g.op("Conv", inputs, {
    kernel_shape: { ints: [k, k] },
    strides: { ints: [stride, stride] },
    pads: { ints: [p, p, p, p] },
  }, name);
}

/** `BatchNorm` in evaluation mode (running statistics), eps as the kit's layer (1e-5). */
export function batchNorm(
  g: OnnxGraph,
  weights: WeightReader,
  x: string,
  name: string,
  eps = 1e-5,
): string {
  const c = (k: string) => {
    const w = weights.get(`${name}.${k}`);
    return g.constant(`${name}.${k}`, w.values, w.shape);
  };
  return g.op(
    "BatchNormalization",
    [x, c("gamma"), c("beta"), c("running_mean"), c("running_var")],
    { epsilon: { f: eps } },
    name,
  );
}

/** `ConvBnRelu`: conv 3x3 "same" without bias, batch norm, ReLU. */
export function convBnRelu(g: OnnxGraph, weights: WeightReader, x: string, name: string): string {
  const y = batchNorm(g, weights, conv(g, weights, x, `${name}.conv`), `${name}.bn`);
  return g.op("Relu", [y], {}, `${name}.relu`);
}

/** `ConvTranspose2x2` (stride 2): its [Cin, 4·Cout] matrix as ConvTranspose [Cin, Cout, 2, 2]. */
export function convTranspose2x2(
  g: OnnxGraph,
  weights: WeightReader,
  x: string,
  name: string,
): string {
  const w = weights.get(`${name}.w`), b = weights.get(`${name}.b`);
  const [ci, four] = w.shape;
  const co = four / 4;
  // The kit's column index is (kh·2 + kw)·Cout + co.
  const out = new Float32Array(w.values.length);
  for (let i = 0; i < ci; i++) {
    for (let k = 0; k < 4; k++) {
      for (let o = 0; o < co; o++) out[(i * co + o) * 4 + k] = w.values[i * four + k * co + o];
    }
  }
  return g.op(
    "ConvTranspose",
    [
      x,
      g.constant(`${name}.w`, out, [ci, co, 2, 2]),
      g.constant(`${name}.b`, b.values, b.shape),
    ],
    { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
    name,
  );
}

/** `maxPool2x2`. */
export function maxPool2x2(g: OnnxGraph, x: string, name: string): string {
  return g.op("MaxPool", [x], {
    kernel_shape: { ints: [2, 2] },
    strides: { ints: [2, 2] },
  }, name);
}

/** Rows of a [Q, D] value scaled to unit L2 norm, as `l2NormalizeRows` (floor ε² = 1e-24). */
function l2NormalizeRows(g: OnnxGraph, x: string, name: string): string {
  const sq = g.op("ReduceSum", [g.op("Mul", [x, x]), g.ints([1])], { keepdims: { i: 1 } });
  const norm = g.op("Sqrt", [g.op("Max", [sq, g.scalar(1e-24)])]);
  return g.op("Div", [x, norm], {}, name);
}

/**
 * `BlockMemory.apply` in evaluation mode on an NCHW map `f` of `map`'s size: divide into
 * rh·rw·rc blocks, address the bank (eq. 1 with τ, then the 1/N drop or MemAE's
 * shrinkage), read (eq. 2) and assemble. The items are the bank `<name>.items`.
 */
export function blockMemory(
  g: OnnxGraph,
  weights: WeightReader,
  f: string,
  name: string,
  map: { height: number; width: number; channels: number },
  config: BlockMemoryConfig,
): string {
  const { height: h, width: w, channels: c } = map;
  const [rh, rw, rc] = config.division;
  const bh = h / rh, bw = w / rw, bc = c / rc, d = bh * bw * bc;
  const items = weights.get(`${name}.items`);
  const n = items.shape[0];
  if (items.shape[1] !== d) {
    throw new OnnxGraphError(`${name}: items of ${items.shape[1]} values for blocks of ${d}`);
  }
  // divideBlocks: [B, H, W, C] -> [B·rh, bh, rw, bw·C] -> [B·rh, rw, bh, bw·C] (-> channel
  // groups split out when rc > 1) -> [B·rh·rw·rc, D]. -1 stands for the batch's share.
  const reshape = (x: string, shape: number[]) => g.op("Reshape", [x, g.ints(shape)]);
  const transpose = (x: string, perm: number[]) => g.op("Transpose", [x], { perm: { ints: perm } });
  const nhwc = transpose(f, [0, 2, 3, 1]);
  let t = transpose(reshape(nhwc, [-1, bh, rw, bw * c]), [0, 2, 1, 3]);
  if (rc > 1) t = transpose(reshape(t, [-1, bh * bw, rc, bc]), [0, 2, 1, 3]);
  const q = g.op("Reshape", [t, g.ints([-1, d])], {}, `${name}.queries`);
  // Eq. 1: softmax over the items of the cosine similarities divided by τ.
  const bank = g.constant(`${name}.items`, items.values, items.shape);
  const itemsT = transpose(l2NormalizeRows(g, bank, `${name}.items_unit`), [1, 0]);
  let sim = g.op("MatMul", [l2NormalizeRows(g, q, `${name}.queries_unit`), itemsT]);
  if (config.temperature !== 1) sim = g.op("Div", [sim, g.scalar(config.temperature)]);
  const soft = g.op("Softmax", [sim], { axis: { i: 1 } }, `${name}.softmax`);
  let weightsOut: string;
  if (config.addressing === "daad") {
    // Weights below 1/N are dropped (set to zero), as `addressMemory` masks them.
    const keep = g.op("GreaterOrEqual", [soft, g.scalar(1 / n)]);
    weightsOut = g.op("Where", [keep, soft, g.scalar(0)]);
    if (config.renormalize) {
      const sum = g.op("ReduceSum", [weightsOut, g.ints([1])], { keepdims: { i: 1 } });
      weightsOut = g.op("Div", [weightsOut, sum]);
    }
  } else {
    // MemAE's hard shrinkage relu(w − λ)·w / (|w − λ| + ε), renormalised to sum to one.
    const shifted = g.op("Sub", [soft, g.scalar(config.shrinkThreshold)]);
    const shrunk = g.op("Div", [
      g.op("Mul", [g.op("Relu", [shifted]), soft]),
      g.op("Add", [g.op("Abs", [shifted]), g.scalar(1e-12)]),
    ]);
    const sum = g.op("ReduceSum", [shrunk, g.ints([1])], { keepdims: { i: 1 } });
    weightsOut = g.op("Div", [shrunk, g.op("Max", [sum, g.scalar(1e-12)])]);
  }
  // Eq. 2: the read is the weighted sum of the raw items, then assembleBlocks.
  let r = g.op("MatMul", [weightsOut, bank], {}, `${name}.read`);
  if (rc > 1) r = transpose(reshape(r, [-1, rc, bh * bw, bc]), [0, 2, 1, 3]);
  r = transpose(reshape(r, [-1, rw, bh, bw * c]), [0, 2, 1, 3]);
  return transpose(reshape(r, [-1, h, w, c]), [0, 3, 1, 2]);
}
