/**
 * The WebGPU test harness: bodies run in a child process whose output and failures reach
 * the parent test; the test task's preload refuses WebGPU in the test process; and a
 * child that uses WebGPU exits cleanly under glibc's malloc checks, run after run.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { probeWebGpu } from "../lib/backend.ts";
import { runWebGpuChild, webgpuProbe } from "./webgpu_child.ts";
import { WEBGPU_IN_TEST_PROCESS } from "./webgpu_guard.ts";

const FIXTURE = new URL("./_webgpu_child_fixture.ts", import.meta.url).href;

Deno.test("runWebGpuChild() runs a webgpuTest() body in another process, with its output", async () => {
  const r = await runWebGpuChild(FIXTURE, "passes");
  assertEquals([r.code, r.signal], [0, null], r.err);
  const pid = Number(r.out.match(/child pid (\d+)/)?.[1]);
  assert(pid > 0 && pid !== Deno.pid, r.out);
});

Deno.test("runWebGpuChild() reports a body that throws, with the child's error", async () => {
  const r = await runWebGpuChild(FIXTURE, "fails");
  assertEquals(r.code, 1);
  assert(r.err.includes("boom in the child"), r.err);
});

Deno.test("runWebGpuChild() names a test the module does not have", async () => {
  const r = await runWebGpuChild(FIXTURE, "missing");
  assert(r.code !== 0);
  assert(r.err.includes("has no webgpuTest() named 'missing'"), r.err);
});

Deno.test("the test task preloads the guard, which refuses WebGPU in the test process", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert(/--preload tests\/webgpu_guard\.ts\b/.test(config.tasks.test), config.tasks.test);
  await import("./webgpu_guard.ts"); // as the task's --preload does
  await assertRejects(() => probeWebGpu(), Error, WEBGPU_IN_TEST_PROCESS);
});

/** glibc's malloc checks: `MALLOC_CHECK_` needs the debug library preloaded (glibc 2.34+). */
function mallocCheckEnv(): Record<string, string> {
  const env: Record<string, string> = { MALLOC_CHECK_: "3", MALLOC_PERTURB_: "165" };
  const dirs = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"];
  for (const d of dirs) {
    try {
      Deno.statSync(`${d}/libc_malloc_debug.so.0`);
      return { ...env, LD_PRELOAD: `${d}/libc_malloc_debug.so.0` };
    } catch {
      // not in this folder
    }
  }
  return env;
}

const gpu = await webgpuProbe();

Deno.test({
  name: "a child that uses WebGPU exits cleanly under glibc's malloc checks, 8 times in a row",
  ignore: !gpu.available,
  fn: async () => {
    const env = mallocCheckEnv();
    for (let i = 0; i < 8; i++) {
      const r = await runWebGpuChild(FIXTURE, "uses a WebGPU device", env);
      assertEquals([r.code, r.signal], [0, null], `run ${i + 1}: ${r.err}`);
    }
  },
});
