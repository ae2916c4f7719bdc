/**
 * `BatchMatMul` on {@linkcode GemmProgram}: C[b] = op(A[b])·op(B[b]) with either
 * operand transposed in the reader (no copy) and a batch of 1 broadcast against the
 * other's. The memory module's two products are of this kind: the cosine similarity
 * Q[Q, D]·Mᵀ (transposeB) and the read W[Q, N]·M[N, D], with their gradients.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type GemmSpec, type GpuBackend, runGemm, type Tile } from "./gemm_program.ts";

/** The shape of a batched product, or null when the kit's kernel does not cover it. */
export interface MatMulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** Elements between consecutive batch entries of A and B (0: broadcast). */
  aStride: number;
  bStride: number;
  outShape: number[];
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * The product's dimensions for tfjs's `BatchMatMul` inputs, or null when their batch
 * dimensions are neither equal nor one of them 1 (tfjs's kernel handles those).
 */
export function matMulShape(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulShape | null {
  const ra = aShape.length, rb = bShape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (k !== kb) {
    throw new Error(`BatchMatMul: inner dimensions differ, [${aShape}] and [${bShape}]`);
  }
  const outerA = aShape.slice(0, -2), outerB = bShape.slice(0, -2);
  const batchA = prod(outerA), batchB = prod(outerB);
  let outer: number[];
  if (batchA === batchB && outerA.join() === outerB.join()) outer = outerA;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else return null;
  return {
    batch: Math.max(batchA, batchB),
    m,
    n,
    k,
    aStride: batchA === 1 ? 0 : m * k,
    bStride: batchB === 1 ? 0 : k * n,
    outShape: [...outer, m, n],
  };
}

/** The GEMM of a batched product of shape `s`. */
export function matMulSpec(
  s: MatMulShape,
  transposeA: boolean,
  transposeB: boolean,
  tile: Tile,
): GemmSpec {
  return {
    key: `matmul${transposeA ? "T" : "N"}${transposeB ? "T" : "N"}`,
    variableNames: ["a", "b"],
    uniforms: "aStride : i32, bStride : i32, ",
    readA: transposeA
      ? "return a[batch * uniforms.aStride + col * uniforms.dimM + row];"
      : "return a[batch * uniforms.aStride + row * uniforms.dimK + col];",
    readB: transposeB
      ? "return b[batch * uniforms.bStride + col * uniforms.dimK + row];"
      : "return b[batch * uniforms.bStride + row * uniforms.dimN + col];",
    batch: s.batch,
    m: s.m,
    n: s.n,
    k: s.k,
    tile,
  };
}

/**
 * op(a)·op(b) on the kit's GEMM, or null when the batch shapes are not covered.
 *
 * @example
 * ```ts ignore
 * const c = matMulGemm(backend, q, mem, false, true, TILE_CANDIDATES[0]); // q·memᵀ
 * ```
 */
export function matMulGemm(
  backend: GpuBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  tile: Tile,
): tf.TensorInfo | null {
  const s = matMulShape(a.shape, b.shape, transposeA, transposeB);
  if (s == null) return null;
  return runGemm(
    backend,
    matMulSpec(s, transposeA, transposeB, tile),
    [a, b],
    [s.aStride, s.bStride],
    s.outShape,
  );
}
