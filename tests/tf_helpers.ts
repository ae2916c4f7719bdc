/**
 * Helpers for tests that run tfjs: backend set-up and leak checks.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import { assert } from "./assert.ts";

/**
 * Initialises `name` quietly with one wasm thread: test files run in parallel processes
 * that would otherwise compete for the same cores.
 */
export async function useBackend(name: BackendName = "cpu"): Promise<void> {
  await initBackend(name, { quiet: true, threads: 1 });
}

/** Runs `fn` and asserts it leaves the tensor count unchanged. */
export async function assertNoLeak(
  label: string,
  fn: () => unknown | Promise<unknown>,
): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  const after = tf.memory().numTensors;
  assert(after === before, `${label}: ${after - before} tensors leaked (${before} -> ${after})`);
}

/** Values of a tensor as a plain array. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
