/**
 * Runs training steps of a small DAAD network on the onednn backend in a process of its
 * own and prints, as one JSON line, what the memory test compares: tfjs tensors, cached
 * oneDNN plans, the wasm heap, glibc's malloc'd bytes and RSS, before and after. (Test
 * files share one process under `deno test --parallel`, so process-wide figures need a
 * process of their own.) Set DAAD_PROBE_BACKEND=wasm for the same on wasm. Usage: `deno run -A --v8-flags=--expose-gc tests/onednn_leak_probe.ts [steps]`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { wasmHeapBytes } from "../lib/_wasm_heap.ts";
import { DEFAULT_DAAD_CONFIG } from "../lib/models/daad/config.ts";
import { DaadModel } from "../lib/models/daad/mod.ts";
import { Rng } from "../lib/util/rng.ts";
import { cachedPlanCount, oneDnnRunCount } from "../lib/kernels/onednn/runtime.ts";

/** Bytes glibc's malloc has handed out (all arenas, mmapped chunks included), or null. */
function mallocInUse(): number | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const libc = Deno.dlopen(
      "libc.so.6",
      {
        mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
      } as const,
    );
    const info = new BigUint64Array(libc.symbols.mallinfo2().buffer);
    libc.close();
    const bytes = Number(info[7] + info[4]); // uordblks + hblkhd
    // glibc's debugging malloc (libc_malloc_debug, as CI preloads it) answers zeros.
    return bytes > 0 ? bytes : null;
  } catch {
    return null; // not glibc
  }
}

const steps = Number(Deno.args[0] ?? 200);
await initBackend((Deno.env.get("DAAD_PROBE_BACKEND") ?? "onednn") as "onednn", {
  quiet: true,
  threads: 1,
});
const model = new DaadModel({
  ...DEFAULT_DAAD_CONFIG,
  size: 32,
  width: 4,
  memory: 10,
  division: [2, 2, 1],
  channels: 1,
}, 3);
const x = tf.tensor4d(new Rng(5).uniformArray(8 * 32 * 32, -1, 1), [8, 32, 32, 1]);
const obj = model.objectives[0];
function step(): void {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => obj.loss(x).total, obj.optimizer.variables);
    obj.optimizer.apply(grads);
    return value;
  });
  loss.dataSync();
  loss.dispose();
}
/** The smallest of `n` samples of each figure, one per step: transient garbage aside. */
function sample(n: number) {
  let rss = Infinity, malloc = Infinity;
  for (let i = 0; i < n; i++) {
    step();
    // With --v8-flags=--expose-gc, collect JavaScript garbage first: RSS then shows
    // native memory rather than V8's heap, which grows until its next collection.
    (globalThis as { gc?: () => void }).gc?.();
    rss = Math.min(rss, Deno.memoryUsage().rss);
    malloc = Math.min(malloc, mallocInUse() ?? Infinity);
  }
  return {
    tensors: tf.memory().numTensors,
    plans: cachedPlanCount(),
    wasmHeap: wasmHeapBytes(),
    rss,
    malloc: Number.isFinite(malloc) ? malloc : null,
    runs: oneDnnRunCount(),
  };
}
for (let i = 0; i < 20; i++) step();
const before = sample(10);
for (let i = 0; i < steps; i++) step();
const after = sample(10);
// A second run of as many steps: V8 keeps the pages its heap grew into, so RSS rises over
// the first run on every backend; a leak would keep it rising over the second.
for (let i = 0; i < steps; i++) step();
const again = sample(10);
console.log(JSON.stringify({ steps, before, after, again }));
x.dispose();
model.dispose();
