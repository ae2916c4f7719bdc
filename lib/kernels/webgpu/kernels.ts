/**
 * The kit's WGSL kernels as tfjs kernel configs for the `webgpu` backend: Conv2D, its
 * two gradients and BatchMatMul, each choosing per shape between tfjs's kernel and the
 * kit's GEMM tiles (see {@linkcode chooseKernel}). Cases the kit's kernels do not cover
 * (NCHW, other dtypes, unbroadcastable batches) always run the previous kernel.
 *
 * @example
 * ```ts ignore
 * for (const k of webgpuKitKernels("webgpu", (name) => tf.getKernel(name, "webgpu")!)) {
 *   tf.registerKernel(k);
 * }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilterKernel } from "../conv2d_backprop_filter.ts";
import { BASELINE, chooseKernel, type TunableOp } from "./autotune.ts";
import { conv2dBackpropFilterGemm, conv2dBackpropInputGemm, conv2dGemm } from "./conv2d_gemm.ts";
import {
  type GpuBackend,
  LARGE_TILE_CANDIDATES,
  type Tile,
  TILE_CANDIDATES,
} from "./gemm_program.ts";
import { matMulGemm, matMulShape } from "./matmul_gemm.ts";

/** The kernels the kit registers on `webgpu`. */
export const WEBGPU_KIT_KERNEL_NAMES: readonly string[] = Object.freeze([
  tf.Conv2D,
  tf.Conv2DBackpropInput,
  tf.Conv2DBackpropFilter,
  tf.BatchMatMul,
]);

type Attrs = Record<string, unknown>;
type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
type Rounding = "floor" | "round" | "ceil" | undefined;

function convInfo(
  xShape: number[],
  filterShape: number[],
  a: Attrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides as number | [number, number],
    (a.dilations as number | [number, number] | undefined) ?? 1,
    a.pad as Pad,
    a.dimRoundingMode as Rounding,
    false,
    "channelsLast",
  );
}

const gpu = (b: tf.KernelBackend) => b as unknown as GpuBackend;

interface KitOpSpec extends Omit<TunableOp, "baseline"> {
  /** Whether the kit's kernel covers these inputs. */
  covers(inputs: Record<string, tf.TensorInfo>, attrs: Attrs): boolean;
}

const allFloat = (inputs: Record<string, tf.TensorInfo>) =>
  Object.values(inputs).every((t) => t.dtype === "float32");

const nhwc = (a: Attrs) => a.dataFormat == null || a.dataFormat === "NHWC";

// The convolutions carry most of a step's FLOPs: they also try the large tiles.
const CONV_TILES = [...TILE_CANDIDATES, ...LARGE_TILE_CANDIDATES];

const OPS: KitOpSpec[] = [
  {
    kernelName: tf.Conv2D,
    tiles: CONV_TILES,
    covers: (i, a) => allFloat(i) && nhwc(a),
    runKit: (b, i, a, tile: Tile) =>
      conv2dGemm(gpu(b), i.x, i.filter, convInfo(i.x.shape, i.filter.shape, a), tile),
  },
  {
    kernelName: tf.Conv2DBackpropInput,
    tiles: CONV_TILES,
    covers: (i, a) => allFloat(i) && nhwc(a),
    runKit: (b, i, a, tile) =>
      conv2dBackpropInputGemm(
        gpu(b),
        i.dy,
        i.filter,
        convInfo(a.inputShape as number[], i.filter.shape, a),
        tile,
      ),
  },
  {
    kernelName: tf.Conv2DBackpropFilter,
    tiles: CONV_TILES,
    covers: (i, a) => allFloat(i) && nhwc(a),
    runKit: (b, i, a, tile) =>
      conv2dBackpropFilterGemm(
        gpu(b),
        i.x,
        i.dy,
        convInfo(i.x.shape, a.filterShape as number[], a),
        tile,
      ),
  },
  {
    kernelName: tf.BatchMatMul,
    covers: (i, a) =>
      allFloat(i) &&
      matMulShape(i.a.shape, i.b.shape, !!a.transposeA, !!a.transposeB) != null,
    runKit: (b, i, a, tile) => matMulGemm(gpu(b), i.a, i.b, !!a.transposeA, !!a.transposeB, tile)!,
  },
];

/**
 * Kernel configs for `backendName` (tfjs-webgpu). `previous(name)` gives the kernel each
 * replaces: tfjs's, except the weight gradient, whose previous route is the kit's
 * forward-conv form (tfjs's own ran 30x slower than that on an H100).
 */
export function webgpuKitKernels(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig[] {
  return OPS.map((spec) => {
    const baseline = spec.kernelName === tf.Conv2DBackpropFilter
      ? conv2dBackpropFilterKernel(backendName).kernelFunc
      : previous(spec.kernelName).kernelFunc;
    const op: TunableOp = { ...spec, baseline };
    return {
      kernelName: spec.kernelName,
      backendName,
      kernelFunc: (args) => {
        const inputs = args.inputs as Record<string, tf.TensorInfo>;
        const attrs = args.attrs ?? {};
        if (!spec.covers(inputs, attrs)) return baseline(args);
        const backend = args.backend as tf.KernelBackend;
        const choice = chooseKernel(op, backend, inputs, attrs);
        if (choice === BASELINE) return baseline(args);
        return spec.runKit(backend, inputs, attrs, choice);
      },
    };
  });
}
