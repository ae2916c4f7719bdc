import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../tests/assert.ts";
import { initBackend } from "./backend.ts";
import {
  guardWasmHeap,
  WASM_HEAP_LIMIT,
  WASM_HEAP_MARGIN,
  wasmHeapBytes,
  WasmHeapFullError,
} from "./_wasm_heap.ts";

Deno.test("guardWasmHeap() turns a heap grown near its cap into WasmHeapFullError", async () => {
  await initBackend("wasm", { quiet: true, threads: 1 });
  const heap = wasmHeapBytes()!;
  assert(heap > 0);
  // A tensor larger than the whole heap cannot fit in its free space: the heap must grow
  // by more than 64 MiB, past a cap set 32 MiB above the margin.
  const floats = Math.ceil((heap + 64 * 2 ** 20) / 4);
  guardWasmHeap(heap + WASM_HEAP_MARGIN + 32 * 2 ** 20);
  const before = tf.memory().numTensors;
  try {
    let error: unknown;
    try {
      tf.zeros([floats]).dispose();
    } catch (e) {
      error = e;
    }
    assert(error instanceof WasmHeapFullError, `expected WasmHeapFullError, got ${error}`);
    assert(/capped at .* GiB.*Lower --batch, --size or --width/.test(error.message), error.message);
    assertEquals(tf.memory().numTensors, before);
  } finally {
    guardWasmHeap(WASM_HEAP_LIMIT);
  }
  // Under the real cap the same allocation succeeds, and the values are intact.
  const t = tf.fill([floats], 2);
  const one = t.slice([5], [1]);
  assertEquals((await one.data())[0], 2);
  one.dispose();
  t.dispose();
});
