/**
 * Preloaded by `deno task test` into every test module: WebGPU used on `deno test`'s own
 * threads throws, naming the fix. Such use can corrupt the heap when the test process
 * exits (see `webgpu_child.ts`); a WebGPU test goes through `webgpuTest()` and
 * `webgpuProbe()` instead, which run it in a child process.
 * @module
 */

/** The message of the error `navigator.gpu` throws in the test process. */
export const WEBGPU_IN_TEST_PROCESS =
  "WebGPU in the deno test process: a test module's thread that used it can corrupt the " +
  "heap when the process exits (libEGL frees that thread's state twice). Use webgpuTest() " +
  "and webgpuProbe() from tests/webgpu_child.ts, which run WebGPU in a child process";

Object.defineProperty(Navigator.prototype, "gpu", {
  configurable: true,
  enumerable: true,
  get(): never {
    throw new Error(WEBGPU_IN_TEST_PROCESS);
  },
});
