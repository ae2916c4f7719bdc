// A pthread worker for tfjs-backend-wasm's threaded-SIMD build (4.22.0) that runs as a
// node:worker_threads worker under Deno. Deno has no classic workers (no importScripts),
// so instead of loading the main script from the Blob the main thread sends, this ES
// module imports the emscripten glue itself and then follows the glue's pthread
// protocol: "load" instantiates the shared module, "run" starts a thread's entry point.
import { parentPort } from "node:worker_threads";
import factory from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";

let Module = {};
let ready = false; // set once the glue has instantiated the shared module
const early = []; // messages that arrive before that ("load" and "run" may come back to back)
let initializedJS = false;
let pendingQueues = [];
const post = (msg) => parentPort.postMessage(msg);
globalThis.postMessage = post; // the glue's pthread side posts through the global
globalThis.startWorker = (instance) => {
  Module = instance;
  ready = true;
  post({ cmd: "loaded" });
  for (const d of early.splice(0)) handle(d);
};

function load(d) {
  Module.wasmModule = d.wasmModule;
  for (const h of d.handlers) {
    Module[h] = (...args) => post({ cmd: "callHandler", handler: h, args });
  }
  Module.wasmMemory = d.wasmMemory;
  Module.buffer = d.wasmMemory.buffer;
  Module.ENVIRONMENT_IS_PTHREAD = true;
  Module.instantiateWasm = (info, receive) => {
    const inst = new WebAssembly.Instance(Module.wasmModule, info);
    receive(inst);
    Module.wasmModule = null;
    return inst.exports;
  };
  factory(Module); // calls startWorker() when instantiated
}

function runThread(d) {
  Module.__emscripten_thread_init(d.pthread_ptr, 0, 0, 1);
  Module.establishStackSpace();
  Module.PThread.receiveObjectTransfer(d);
  Module.PThread.threadInitTLS();
  if (!initializedJS) {
    pendingQueues.forEach((q) => Module.executeNotifiedProxyingQueue(q));
    pendingQueues = [];
    initializedJS = true;
  }
  try {
    Module.invokeEntryPoint(d.start_routine, d.arg);
  } catch (ex) {
    if (ex === "unwind") return;
    if (!(ex instanceof Module.ExitStatus)) throw ex;
    if (!Module.keepRuntimeAlive()) Module.__emscripten_thread_exit(ex.status);
  }
}

function handle(d) {
  try {
    if (d.cmd === "load") return load(d);
    if (!ready) return void early.push(d);
    if (d.cmd === "run") runThread(d);
    else if (d.cmd === "cancel") {
      if (Module._pthread_self()) Module.__emscripten_thread_exit(-1);
    } else if (d.cmd === "processProxyingQueue") {
      if (initializedJS) Module.executeNotifiedProxyingQueue(d.queue);
      else pendingQueues.push(d.queue);
    } else if (d.cmd) {
      console.error(`tfjs pthread worker: unknown command ${d.cmd}`);
    }
  } catch (ex) {
    if (Module.__emscripten_thread_crashed) Module.__emscripten_thread_crashed();
    throw ex;
  }
}
parentPort.on("message", handle);
