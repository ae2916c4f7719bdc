/**
 * BatchMatMul on oneDNN's matmul primitive: transposed operands are read in place
 * through strides (no copy), and a batch of one broadcasts, as tfjs's kernel does.
 * Other cases (non-float32, batches that broadcast dimension by dimension) run the
 * previous kernel.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DNNL, OneDnnError, OP_DESC_BYTES } from "./ffi.ts";
import { type OneDnnContext, Plan, Primitive } from "./primitive.ts";
import { cachedPlan, isWasmHeapBackend, runPlan } from "./runtime.ts";

/** One product C[b] = op(A[b])·op(B[b]) of `batch` matrices, M x K times K x N. */
export interface MatMulShape {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** The shape of tfjs's BatchMatMul on `a`, `b`, or null where oneDNN cannot broadcast it. */
export function matMulShape(
  a: readonly number[],
  b: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): { shape: MatMulShape; out: number[] } | null {
  const ra = a.length, rb = b.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a[ra - 1] : a[ra - 2];
  const k = transposeA ? a[ra - 2] : a[ra - 1];
  const kb = transposeB ? b[rb - 1] : b[rb - 2];
  const n = transposeB ? b[rb - 2] : b[rb - 1];
  if (k !== kb) {
    throw new RangeError(
      `BatchMatMul: inner dimensions ${k} and ${kb} differ (shapes [${a}] and [${b}], ` +
        `transposeA ${transposeA}, transposeB ${transposeB})`,
    );
  }
  const outerA = a.slice(0, -2), outerB = b.slice(0, -2);
  const prod = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
  const batchA = prod(outerA), batchB = prod(outerB);
  // One operand's batch broadcasts whole, or both batches are the same dimensions.
  let outer: readonly number[];
  if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (outerA.join() === outerB.join()) outer = outerA;
  else return null;
  return {
    shape: { batchA, batchB, m, k, n, transposeA, transposeB },
    out: [...outer, m, n],
  };
}

function key(s: MatMulShape): string {
  return `matmul ${s.batchA},${s.batchB},${s.m},${s.k},${s.n},${s.transposeA},${s.transposeB}`;
}

/** The plan of one BatchMatMul shape: A and B read through strides, C plain. */
export function matMulPlan(ctx: OneDnnContext, s: MatMulShape): Plan {
  const { m, k, n } = s;
  const a = ctx.md([s.batchA, m, k], s.transposeA ? [m * k, 1, m] : [m * k, k, 1]);
  const b = ctx.md([s.batchB, k, n], s.transposeB ? [k * n, 1, k] : [k * n, n, 1]);
  const c = ctx.plain([Math.max(s.batchA, s.batchB), m, n]);
  const op = new Uint8Array(OP_DESC_BYTES);
  const status = ctx.s.dnnl_matmul_desc_init(op, a, b, null, c);
  if (status !== DNNL.success) throw new OneDnnError("matmul_desc_init", status, key(s));
  const p = new Primitive(ctx, op, key(s));
  return new Plan(ctx, p, [
    { arg: DNNL.argSrc, user: a, dir: "in" },
    { arg: DNNL.argWeights, user: b, dir: "in" },
    { arg: DNNL.argDst, user: c, dir: "out" },
  ]);
}

/** The BatchMatMul kernel for `backendName`, falling back to `previous`. */
export function oneDnnMatMulKernel(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
      };
      const backend = args.backend;
      const fallback = () => previous(tf.BatchMatMul).kernelFunc(args);
      if (
        !isWasmHeapBackend(backend) || a.dtype !== "float32" || b.dtype !== "float32" ||
        [...a.shape, ...b.shape].some((d) => d === 0)
      ) {
        return fallback();
      }
      const shape = matMulShape(a.shape, b.shape, transposeA, transposeB);
      if (shape == null) return fallback();
      const plan = cachedPlan(key(shape.shape), (ctx) => matMulPlan(ctx, shape.shape));
      if (plan == null) return fallback();
      return runPlan(backend, plan, [[a, "BatchMatMul a"], [b, "BatchMatMul b"]], [
        [shape.out, "float32"],
      ])[0];
    },
  };
}
