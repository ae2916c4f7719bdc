/**
 * Concat and SplitV along the last axis (the channels of NHWC tensors: the decoder's
 * skip connections and their gradient) as oneDNN reorders between a plain tensor and a
 * strided window of the wide one: one vectorised copy per piece, where the wasm kernels
 * copy row by row in JavaScript (12 ms of a `mnist` DAAD step). Other axes, dtypes and
 * empty pieces run the previous kernel.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { check, DNNL, MEMORY_DESC_BYTES, OneDnnError } from "./ffi.ts";
import { type OneDnnContext, Plan, Primitive } from "./primitive.ts";
import { bufferOf, cachedPlan, isWasmHeapBackend } from "./runtime.ts";

/**
 * The copy of an [rows, c] block between a plain tensor and columns [offset, offset + c)
 * of a [rows, wide] one (a sub-memory of the wide tensor: its buffer is the whole tensor).
 */
function copyPlan(
  ctx: OneDnnContext,
  rows: number,
  c: number,
  wide: number,
  offset: number,
  into: boolean,
): Plan {
  const what = `concat piece [${rows}, ${c}] at ${offset} of ${wide}`;
  const plain = ctx.plain([rows, c]);
  const window = new Uint8Array(MEMORY_DESC_BYTES);
  check(
    ctx.s.dnnl_memory_desc_init_submemory(
      window,
      ctx.plain([rows, wide]),
      ctx.dims([rows, c]),
      ctx.dims([0, offset]),
    ),
    "dnnl_memory_desc_init_submemory",
    what,
  );
  const [from, to] = into ? [plain, window] : [window, plain];
  const cell = new BigUint64Array(1);
  check(
    ctx.s.dnnl_reorder_primitive_desc_create(
      cell,
      Deno.UnsafePointer.of(from),
      ctx.engine,
      Deno.UnsafePointer.of(to),
      ctx.engine,
      null,
    ),
    "dnnl_reorder_primitive_desc_create",
    what,
  );
  const pd = Deno.UnsafePointer.create(cell[0]);
  if (pd == null) throw new OneDnnError("dnnl_reorder_primitive_desc_create", 5, what);
  const p = new Primitive(ctx, null, what, null, undefined, pd);
  const wholeBytes = rows * wide * 4;
  return new Plan(ctx, p, [
    { arg: DNNL.argSrc, user: from, dir: "in", bytes: into ? undefined : wholeBytes },
    { arg: DNNL.argDst, user: to, dir: "out", bytes: into ? wholeBytes : undefined },
  ]);
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Concat and SplitV for `backendName`, each falling back to `previous`. */
export function oneDnnConcatKernels(
  backendName: string,
  previous: (name: string) => tf.KernelConfig,
): tf.KernelConfig[] {
  const concat: tf.KernelConfig = {
    kernelName: tf.Concat,
    backendName,
    kernelFunc: (args) => {
      const inputs = Object.values(args.inputs as unknown as Record<string, tf.TensorInfo>);
      const { axis } = args.attrs as unknown as { axis: number | number[] };
      const backend = args.backend;
      const first = inputs[0];
      const rank = first?.shape.length ?? 0;
      const ax = Array.isArray(axis) ? axis[0] : axis;
      const last = ax === -1 || ax === rank - 1;
      const outer = first?.shape.slice(0, -1).join();
      if (
        !isWasmHeapBackend(backend) || inputs.length < 2 || rank < 1 || !last ||
        inputs.some((t) =>
          t.dtype !== "float32" || t.shape.length !== rank ||
          t.shape.slice(0, -1).join() !== outer || size(t.shape) === 0
        )
      ) {
        return previous(tf.Concat).kernelFunc(args);
      }
      const rows = size(first.shape.slice(0, -1));
      const wide = inputs.reduce((a, t) => a + t.shape[rank - 1], 0);
      const out = backend.makeOutput([...first.shape.slice(0, -1), wide], "float32");
      try {
        let offset = 0;
        for (const [i, t] of inputs.entries()) {
          const c = t.shape[rank - 1];
          const plan = cachedPlan(
            `concat ${rows},${c},${wide},${offset}`,
            (ctx) => copyPlan(ctx, rows, c, wide, offset, true),
          );
          if (plan == null) throw new OneDnnError("reorder", 3, "concat");
          plan.run([
            bufferOf(backend, t, `Concat input ${i}`),
            bufferOf(backend, out, "Concat output"),
          ]);
          offset += c;
        }
      } catch (e) {
        backend.disposeData(out.dataId, true);
        throw e;
      }
      return out;
    },
  };
  const split: tf.KernelConfig = {
    kernelName: tf.SplitV,
    backendName,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { numOrSizeSplits, axis } = args.attrs as unknown as {
        numOrSizeSplits: number | number[];
        axis: number;
      };
      const backend = args.backend;
      const rank = x.shape.length;
      const ax = axis < 0 ? axis + rank : axis;
      if (
        !isWasmHeapBackend(backend) || x.dtype !== "float32" || rank < 1 || ax !== rank - 1 ||
        size(x.shape) === 0
      ) {
        return previous(tf.SplitV).kernelFunc(args);
      }
      const sizes = tf.backend_util.prepareSplitSize(
        x as unknown as tf.Tensor,
        numOrSizeSplits,
        ax,
      );
      if (sizes.some((c) => c <= 0)) return previous(tf.SplitV).kernelFunc(args);
      const rows = size(x.shape.slice(0, -1)), wide = x.shape[rank - 1];
      const outs = sizes.map((c) => backend.makeOutput([...x.shape.slice(0, -1), c], "float32"));
      try {
        let offset = 0;
        for (const [i, c] of sizes.entries()) {
          const plan = cachedPlan(
            `split ${rows},${c},${wide},${offset}`,
            (ctx) => copyPlan(ctx, rows, c, wide, offset, false),
          );
          if (plan == null) throw new OneDnnError("reorder", 3, "split");
          plan.run([
            bufferOf(backend, x, "SplitV input"),
            bufferOf(backend, outs[i], `SplitV output ${i}`),
          ]);
          offset += c;
        }
      } catch (e) {
        for (const o of outs) backend.disposeData(o.dataId, true);
        throw e;
      }
      return outs;
    },
  };
  return [concat, split];
}
