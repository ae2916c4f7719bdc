/**
 * Multi-threaded XNNPACK for `@tensorflow/tfjs-backend-wasm` 4.22.0 under Deno.
 *
 * tfjs loads only the single-thread build under Deno, for three reasons, each undone
 * here for the duration of the backend's initialisation:
 * 1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag is false whenever it believes it runs in
 *    Node (Deno counts): the flag is forced;
 * 2. emscripten starts pthread workers from a `blob:` URL of a classic script, which
 *    Deno's `node:worker_threads` refuses: `globalThis.Worker`, which the glue reads in
 *    Node mode, is pinned to a class that runs `_wasm_pthread_worker.mjs` instead;
 * 3. the C++ side caps the thread pool at half of `os.cpus()` (1 on a 2-core machine):
 *    `os.cpus()` reports enough entries while the module starts.
 *
 * The worker class starts a real worker only when a pthread runs (emscripten asks for 8
 * up front) and never keeps the process alive (XNNPACK's pool threads run forever).
 * Results are bit-identical to the single-thread build (checked in the backend tests).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { Worker as NodeWorker } from "node:worker_threads";

const WORKER_URL = new URL("./_wasm_pthread_worker.mjs", import.meta.url);

// deno-lint-ignore no-explicit-any
type Message = any;

/** The part of a Node Worker that emscripten's PThread code uses; starts the real one lazily. */
class LazyPThreadWorker extends EventEmitter {
  #real: NodeWorker | null = null;
  #load: Message = null;

  constructor(_blobUrl: string) {
    super();
  }

  postMessage(msg: Message, transfer?: Message): void {
    if (msg?.cmd === "load") {
      // Kept for when a thread really starts; the worker imports the glue itself.
      this.#load = { ...msg, urlOrBlob: undefined };
      setTimeout(() => this.emit("message", { cmd: "loaded" }), 0);
      return;
    }
    if (this.#real == null) {
      const w = new NodeWorker(WORKER_URL);
      w.unref();
      w.on("message", (d: Message) => {
        if (d?.cmd !== "loaded") this.emit("message", d); // the glue already got "loaded"
      });
      w.on("error", (e: unknown) => this.emit("error", e));
      w.postMessage(this.#load);
      this.#real = w;
    }
    this.#real.postMessage(msg, transfer);
  }

  ref(): void {} // never keep the process alive: the pool threads never end
  unref(): void {}
  terminate(): Promise<number> {
    return this.#real?.terminate() ?? Promise.resolve(0);
  }
}

/**
 * Prepares the next initialisation of the `wasm` backend to use `threads` threads and
 * returns a function that undoes the global patches (call it once the backend is ready).
 */
export function prepareWasmThreads(threads: number): () => void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be >= 1, got ${threads}`);
  }
  if (threads === 1) return () => {};
  const savedWorker = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  const os = createRequire(import.meta.url)("os");
  const savedCpus = os.cpus;
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  tfwasm.setThreadsCount(threads);
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => LazyPThreadWorker,
    set: () => {}, // the glue assigns node's Worker in Node mode: keep ours
  });
  os.cpus = () => {
    const cpus = savedCpus.call(os);
    while (cpus.length < 2 * threads) cpus.push(cpus[0]);
    return cpus;
  };
  return () => {
    os.cpus = savedCpus;
    if (savedWorker) Object.defineProperty(globalThis, "Worker", savedWorker);
  };
}

/** XNNPACK threads of the initialised `wasm` backend. */
export function wasmThreadCount(): number {
  return tfwasm.getThreadsCount();
}
