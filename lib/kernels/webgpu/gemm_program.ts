/**
 * A tiled matrix product in WGSL, C[g] = A[g]·B[g], whose operands are read through
 * functions supplied by each kernel: the same shader skeleton computes a plain matmul, a
 * convolution as an implicit GEMM (A gathers the image patch of each output pixel on the
 * fly, nothing is materialised) and both convolution gradients.
 *
 * Each workgroup computes one `tm` x `tn` tile of C, staging `tm` x `tk` of A and
 * `tk` x `tn` of B in workgroup memory per step; each thread accumulates `rm` x `rn`
 * outputs. With `splits` > 1 the K range is cut into that many chunks computed by
 * separate workgroups (split-K, for products with a long K and a small C, such as the
 * weight gradient) and summed by {@linkcode SplitSumProgram}.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";

/** Tile shape of a {@linkcode GemmProgram}: the parameters autotune chooses between. */
export interface Tile {
  /** Rows of C per workgroup. */
  tm: number;
  /** Columns of C per workgroup. */
  tn: number;
  /** Depth of the K step staged in workgroup memory. */
  tk: number;
  /** Rows of C per thread (tm / rm threads down). */
  rm: number;
  /** Columns of C per thread (tn / rn threads across). */
  rn: number;
  /** K chunks computed by separate workgroups, then summed (1: none). */
  splits: number;
}

/** A short name for a tile, e.g. "t32x32x16r2x2s1" (the autotune cache stores it). */
export function tileName(t: Tile): string {
  return `t${t.tm}x${t.tn}x${t.tk}r${t.rm}x${t.rn}s${t.splits}`;
}

/**
 * Throws unless `t` describes a tile the shader can run: whole threads per tile, at most
 * 256 threads per workgroup (WebGPU's default limit) and at most 16 KiB of shared tiles.
 */
export function checkTile(t: Tile): void {
  const name = JSON.stringify(t);
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`tile ${name}: ${k} must be >= 1, got ${v}`);
  }
  if (t.tm % t.rm || t.tn % t.rn) {
    throw new Error(`tile ${name}: rm must divide tm and rn must divide tn`);
  }
  const threads = (t.tm / t.rm) * (t.tn / t.rn);
  if (threads > 256) throw new Error(`tile ${name}: ${threads} threads per workgroup > 256`);
  if ((t.tm * t.tk + t.tk * t.tn) * 4 > 16384) {
    throw new Error(`tile ${name}: shared tiles exceed 16 KiB`);
  }
}

/**
 * The tiles autotune tries for every kernel (with 1 and 4 K splits each). Small tiles
 * suit small or skinny products, large ones reuse each loaded value more.
 */
export const TILE_SHAPES: readonly Omit<Tile, "splits">[] = Object.freeze([
  { tm: 16, tn: 16, tk: 16, rm: 1, rn: 1 },
  { tm: 32, tn: 32, tk: 16, rm: 2, rn: 2 },
  { tm: 64, tn: 64, tk: 8, rm: 4, rn: 4 },
  { tm: 32, tn: 64, tk: 16, rm: 2, rn: 4 },
]);

/** Every tile candidate: {@linkcode TILE_SHAPES} with 1 and 4 K splits. */
export const TILE_CANDIDATES: readonly Tile[] = Object.freeze(
  [1, 4].flatMap((splits) => TILE_SHAPES.map((s) => ({ ...s, splits }))),
);

/**
 * A 128x128 tile, 8x8 outputs per thread: the register blocking fast fp32 GEMMs use on
 * large GPUs. Tried for the convolutions (most of a step's FLOPs) on hardware adapters
 * only: a software rasteriser takes about a minute to compile each of its shaders.
 */
export const LARGE_TILE_CANDIDATES: readonly Tile[] = Object.freeze(
  [1, 4].map((splits) => ({ tm: 128, tn: 128, tk: 8, rm: 8, rn: 8, splits })),
);

/** What a kernel supplies to {@linkcode GemmProgram}. */
export interface GemmSpec {
  /** Identifies the WGSL variant (operand readers and flags), for tfjs's pipeline cache. */
  key: string;
  /** Names of the input buffers, in the order the inputs are passed. */
  variableNames: string[];
  /** Kernel-specific uniforms, each `name : i32, ` (values passed in the same order). */
  uniforms: string;
  /**
   * WGSL body of `fn readA(batch : i32, row : i32, col : i32) -> f32`: A[batch][row][col]
   * (only called with row < M and col < K).
   */
  readA: string;
  /** WGSL body of `fn readB(batch : i32, row : i32, col : i32) -> f32`, row < K, col < N. */
  readB: string;
  /**
   * WGSL body of `fn writeC(g : i32, row : i32, col : i32, value : f32)`, where C[g][row][col]
   * goes (a fused epilogue: a layout change, a bias). Default: row-major [g, M, N]. Only
   * with 1 split (the split sum assumes the default layout).
   */
  write?: string;
  /** Row tiles per dispatch column (default {@linkcode MAX_ROW_TILES}; tests lower it). */
  maxRowTiles?: number;
  /** Products in the batch (1 for a convolution). */
  batch: number;
  m: number;
  n: number;
  k: number;
  tile: Tile;
}

/**
 * Row tiles per dispatch column: WebGPU allows 65535 workgroups per dimension, and a
 * 256² batch of 32 has 131072 row tiles of 16; the rest go to further z groups.
 */
export const MAX_ROW_TILES = 32768;

/**
 * The GEMM shader: output [batch · splits, M, N] (the caller sums the splits).
 * Uniforms dimM, dimN, dimK, splits, kChunk and rowGroups come first, then the spec's.
 */
export class GemmProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  /** The values of dimM, dimN, dimK, splits, kChunk, rowGroups: pass them first. */
  readonly gemmUniforms: number[];

  constructor(readonly spec: GemmSpec) {
    const maxRowTiles = spec.maxRowTiles ?? MAX_ROW_TILES;
    const t = spec.tile;
    checkTile(t);
    if (spec.write != null && t.splits !== 1) {
      throw new Error(`GemmProgram ${spec.key}: a custom write needs 1 split, got ${t.splits}`);
    }
    const kChunk = Math.ceil(spec.k / t.splits / t.tk) * t.tk;
    this.outputShape = [spec.batch * t.splits, spec.m, spec.n];
    this.variableNames = spec.variableNames;
    this.uniforms =
      `dimM : i32, dimN : i32, dimK : i32, splits : i32, kChunk : i32, rowGroups : i32, ` +
      `rowTilesY : i32, ${spec.uniforms}`;
    this.workgroupSize = [t.tn / t.rn, t.tm / t.rm, 1];
    const rowTiles = Math.ceil(spec.m / t.tm);
    const rowGroups = Math.ceil(rowTiles / maxRowTiles);
    const rowTilesY = Math.min(rowTiles, maxRowTiles);
    this.dispatch = [Math.ceil(spec.n / t.tn), rowTilesY, spec.batch * t.splits * rowGroups];
    // splits is a uniform: one shader serves every split count.
    this.shaderKey = `kitGemm_${spec.key}_${t.tm}x${t.tn}x${t.tk}r${t.rm}x${t.rn}` +
      (spec.write != null ? "_w" : "");
    this.gemmUniforms = [spec.m, spec.n, spec.k, t.splits, kChunk, rowGroups, rowTilesY];
  }

  getUserCode(): string {
    const { tm, tn, tk, rm, rn } = this.spec.tile;
    const wx = tn / rn, wy = tm / rm, threads = wx * wy;
    return `
var<workgroup> kitTileA : array<f32, ${tm * tk}>;
var<workgroup> kitTileB : array<f32, ${tk * tn}>;

fn readA(batch : i32, row : i32, col : i32) -> f32 {
  ${this.spec.readA}
}

fn readB(batch : i32, row : i32, col : i32) -> f32 {
  ${this.spec.readB}
}

fn writeC(g : i32, row : i32, col : i32, value : f32) {
  ${this.spec.write ?? "result[(g * uniforms.dimM + row) * uniforms.dimN + col] = value;"}
}

fn main() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let tid = ty * ${wx} + tx;
  let zg = i32(workgroupId.z);
  let g = zg / uniforms.rowGroups;
  let rowTile = (zg - g * uniforms.rowGroups) * uniforms.rowTilesY + i32(workgroupId.y);
  let batch = g / uniforms.splits;
  let split = g - batch * uniforms.splits;
  let row0 = rowTile * ${tm};
  let col0 = i32(workgroupId.x) * ${tn};
  let kBegin = split * uniforms.kChunk;
  let kEnd = min(kBegin + uniforms.kChunk, uniforms.dimK);
  var acc : array<f32, ${rm * rn}>;
  // The trip count depends on uniforms only, so every barrier is in uniform control flow.
  let steps = uniforms.kChunk / ${tk};
  for (var step = 0; step < steps; step = step + 1) {
    let k0 = kBegin + step * ${tk};
    for (var i = tid; i < ${tm * tk}; i = i + ${threads}) {
      let r = row0 + i / ${tk};
      let c = k0 + i % ${tk};
      var v = 0.0;
      if (r < uniforms.dimM && c < kEnd) {
        v = readA(batch, r, c);
      }
      kitTileA[i] = v;
    }
    for (var i = tid; i < ${tk * tn}; i = i + ${threads}) {
      let r = k0 + i / ${tn};
      let c = col0 + i % ${tn};
      var v = 0.0;
      if (r < kEnd && c < uniforms.dimN) {
        v = readB(batch, r, c);
      }
      kitTileB[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${tk}; kk = kk + 1) {
      var bv : array<f32, ${rn}>;
      for (var j = 0; j < ${rn}; j = j + 1) {
        bv[j] = kitTileB[kk * ${tn} + tx + j * ${wx}];
      }
      for (var i = 0; i < ${rm}; i = i + 1) {
        let a = kitTileA[(ty + i * ${wy}) * ${tk} + kk];
        for (var j = 0; j < ${rn}; j = j + 1) {
          acc[i * ${rn} + j] = fma(a, bv[j], acc[i * ${rn} + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < ${rm}; i = i + 1) {
    let r = row0 + ty + i * ${wy};
    for (var j = 0; j < ${rn}; j = j + 1) {
      let c = col0 + tx + j * ${wx};
      if (r < uniforms.dimM && c < uniforms.dimN) {
        writeC(g, r, c, acc[i * ${rn} + j]);
      }
    }
  }
}
`;
  }
}

/** Sums the `splits` partial products of a split-K GEMM: [splits · batch, M, N] → [batch, M, N]. */
export class SplitSumProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = "kitSplitSum";
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ["partial"];
  uniforms = "splits : i32, ";
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(batch: number, m: number, n: number) {
    this.outputShape = [batch * m * n];
    this.dispatch = [Math.ceil((batch * m * n) / 64), 1, 1];
  }

  getUserCode(): string {
    // Partial products of one batch entry are adjacent: index g = batch · splits + split.
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    let entries = uniforms.partialShape.x / uniforms.splits;
    let per = uniforms.size / entries;
    let b = index / per;
    let rest = index - b * per;
    var s = 0.0;
    for (var k = 0; k < uniforms.splits; k = k + 1) {
      s = s + partial[(b * uniforms.splits + k) * per + rest];
    }
    setOutputAtIndex(index, s);
  }
}
`;
  }
}

/** The part of tfjs-webgpu's backend the kit's kernels use. */
export interface GpuBackend {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/**
 * Runs the GEMM `spec` on `inputs` and returns C as a tensor of `outShape` (whose size
 * must be batch · M · N); `extra` are the values of the spec's own uniforms.
 *
 * @example
 * ```ts ignore
 * const c = runGemm(backend, spec, [a, b], [], [spec.m, spec.n]);
 * ```
 */
export function runGemm(
  backend: GpuBackend,
  spec: GemmSpec,
  inputs: tf.TensorInfo[],
  extra: number[],
  outShape: number[],
): tf.TensorInfo {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (size !== spec.batch * spec.m * spec.n) {
    throw new Error(
      `runGemm: output shape [${outShape}] does not hold ${spec.batch}x${spec.m}x${spec.n}`,
    );
  }
  const program = new GemmProgram(spec);
  const uniforms = [...program.gemmUniforms, ...extra].map((v) => ({
    type: "int32",
    data: [v],
  }));
  const c = backend.runWebGPUProgram(program, inputs, "float32", uniforms);
  if (spec.tile.splits === 1) return { dataId: c.dataId, shape: outShape, dtype: "float32" };
  const sum = backend.runWebGPUProgram(
    new SplitSumProgram(spec.batch, spec.m, spec.n),
    [c],
    "float32",
    [{ type: "int32", data: [spec.tile.splits] }],
  );
  backend.disposeData(c.dataId);
  return { dataId: sum.dataId, shape: outShape, dtype: "float32" };
}
