/**
 * The threaded wasm backend: two XNNPACK threads really run, give bit-identical results
 * to one thread (so seeded runs and resumes stay exact), and the process still exits.
 */
import { assert, assertEquals } from "./assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const SCRIPT = `
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./lib/backend.ts";
import { wasmThreadCount } from "./lib/_wasm_threads.ts";
import { Rng } from "./lib/util/rng.ts";
const info = await initBackend("wasm", { quiet: true });
const rng = new Rng(11);
const x = tf.tensor4d(rng.normalArray(8 * 32 * 32 * 16), [8, 32, 32, 16]);
const w = tf.tensor4d(rng.normalArray(3 * 3 * 16 * 32), [3, 3, 16, 32]);
const [gx, gw] = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, "same"))))([x, w]);
const m = tf.matMul(tf.tensor2d(rng.normalArray(64 * 512), [64, 512]), tf.tensor2d(rng.normalArray(512 * 300), [512, 300]));
const bytes = new Uint8Array([gx, gw, m].flatMap((t) => [...new Uint8Array(t.dataSync().buffer)]));
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
console.log(JSON.stringify({ threads: wasmThreadCount(), device: info.device, sha: [...digest].join(".") }));
`;

async function run(threads: number) {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${ROOT}deno.json`, SCRIPT],
    cwd: ROOT,
    env: { DAAD_WASM_THREADS: String(threads) },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return {
    ...JSON.parse(text.trim().split("\n").at(-1)!),
    seconds: (performance.now() - t0) / 1000,
  };
}

Deno.test("wasm with 2 threads runs 2 XNNPACK threads, matches 1 thread bit for bit and exits", async () => {
  const one = await run(1), two = await run(2);
  assertEquals(one.threads, 1);
  assertEquals(two.threads, 2);
  assert(two.device.includes("2 threads"), two.device);
  assertEquals(two.sha, one.sha);
  assert(two.seconds < 60, "the process exits on its own");
});
