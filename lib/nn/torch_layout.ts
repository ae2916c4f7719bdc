/**
 * The kit's weights in PyTorch's names and layouts, so that a `state_dict` built from
 * them loads into the PyTorch modules a reader would write for the same network
 * (`tools/torch_twin.py` does): each variable's {@linkcode ParamKind}, recorded by the
 * layer that made it, says what it becomes.
 *
 * | kind                       | kit name, layout              | PyTorch name, layout            |
 * | -------------------------- | ----------------------------- | ------------------------------- |
 * | `conv2d.weight`            | `X.w` [kh, kw, Cin, Cout]     | `X.weight` [Cout, Cin, kh, kw]  |
 * | `conv2d.bias`              | `X.b` [Cout]                  | `X.bias`                        |
 * | `conv_transpose2x2.weight` | `X.w` [Cin, 2·2·Cout] (kh, kw, Cout) | `X.weight` [Cin, Cout, 2, 2] |
 * | `conv_transpose2x2.bias`   | `X.b` [Cout]                  | `X.bias`                        |
 * | `batch_norm.*`             | `X.gamma`, `X.beta`, `X.running_mean`, `X.running_var` | `X.weight`, `X.bias`, same |
 *
 * Variables of no kind (memory items [N, D], counters) keep their name and layout; a
 * memory item is a block flattened in (h, w, c) order, as `divideBlocks` cuts them.
 * Images go from NHWC to NCHW with {@linkcode nhwcToNchw}.
 *
 * @example
 * ```ts
 * import { toTorch } from "./torch_layout.ts";
 * const t = toTorch("enc1.1.conv.w", "conv2d.weight", {
 *   shape: [1, 1, 2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6),
 * });
 * console.log(t.name, t.tensor.shape, t.tensor.values); // enc1.1.conv.weight [3, 2, 1, 1] [1, 4, 2, 5, 3, 6]
 * ```
 * @module
 */
import type { ParamKind, ParamStore, TensorData } from "./params.ts";

/** Permutes a row-major tensor's axes: out axis i is input axis `perm[i]`. */
export function permute(t: TensorData, perm: readonly number[]): TensorData {
  const { shape, values } = t;
  if (perm.length !== shape.length || [...perm].sort().some((p, i) => p !== i)) {
    throw new RangeError(`[${perm}] is not a permutation of ${shape.length} axes`);
  }
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(values.length);
  const index = new Array(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let at = 0;
    for (let k = 0; k < index.length; k++) at += index[k] * strides[k];
    out[o] = values[at];
    for (let k = index.length - 1; k >= 0; k--) {
      if (++index[k] < outShape[k]) break;
      index[k] = 0;
    }
  }
  return { shape: outShape, values: out };
}

/** An image batch [B, H, W, C] as PyTorch's [B, C, H, W]. */
export function nhwcToNchw(t: TensorData): TensorData {
  return permute(t, [0, 3, 1, 2]);
}

/** An image batch [B, C, H, W] as the kit's [B, H, W, C]. */
export function nchwToNhwc(t: TensorData): TensorData {
  return permute(t, [0, 2, 3, 1]);
}

const SUFFIX: Record<ParamKind, string> = {
  "conv2d.weight": "weight",
  "conv2d.bias": "bias",
  "conv_transpose2x2.weight": "weight",
  "conv_transpose2x2.bias": "bias",
  "batch_norm.weight": "weight",
  "batch_norm.bias": "bias",
  "batch_norm.running_mean": "running_mean",
  "batch_norm.running_var": "running_var",
};

/** PyTorch's name of the kit's variable `name` of kind `kind` (null: unchanged). */
export function torchName(name: string, kind: ParamKind | null): string {
  if (kind == null) return name;
  const dot = name.lastIndexOf(".");
  return `${dot < 0 ? "" : name.slice(0, dot + 1)}${SUFFIX[kind]}`;
}

/** One variable in PyTorch's name and layout. */
export function toTorch(
  name: string,
  kind: ParamKind | null,
  t: TensorData,
): { name: string; tensor: TensorData } {
  let tensor = t;
  if (kind === "conv2d.weight") {
    tensor = permute(t, [3, 2, 0, 1]); // [kh, kw, Cin, Cout] -> [Cout, Cin, kh, kw]
  } else if (kind === "conv_transpose2x2.weight") {
    const [cin, rest] = t.shape;
    // [Cin, kh·kw·Cout] = [Cin, 2, 2, Cout] -> [Cin, Cout, 2, 2]
    tensor = permute({ shape: [cin, 2, 2, rest / 4], values: t.values }, [0, 3, 1, 2]);
  }
  return { name: torchName(name, kind), tensor };
}

/**
 * Every variable of `store` (trainable or not) in PyTorch's names and layouts, in the
 * store's order: a `state_dict` for the PyTorch modules of the same network.
 */
export function torchStateDict(
  store: ParamStore,
  snapshot: Map<string, TensorData> = store.snapshotSync(),
): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const [name, t] of snapshot) {
    const r = toTorch(name, store.kindOf(name), t);
    if (out.has(r.name)) throw new Error(`two variables become '${r.name}' in PyTorch's names`);
    out.set(r.name, r.tensor);
  }
  return out;
}
