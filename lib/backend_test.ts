import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { BackendUnavailableError, initBackend, probeWebGpu } from "./backend.ts";
import { kitKernelNames } from "./kernels/mod.ts";
import { webgpuTest } from "../tests/webgpu_child.ts";

Deno.test("initBackend() activates the requested CPU backends and says which runs", async () => {
  const lines: string[] = [];
  const cpu = await initBackend("cpu", { log: (l) => lines.push(l) });
  assertEquals([cpu.name, tf.getBackend()], ["cpu", "cpu"]);
  const wasm = await initBackend("wasm", { log: (l) => lines.push(l) });
  assertEquals([wasm.name, tf.getBackend()], ["wasm", "wasm"]);
  assert(
    lines[0].startsWith("backend: cpu") && lines[1].startsWith("backend: wasm"),
    lines.join("\n"),
  );
  for (const name of kitKernelNames("wasm")) assert(tf.getKernel(name, "wasm") != null, name);
});

Deno.test("initBackend('tensorflow') without tfjs-node fails naming the alternatives", async () => {
  const e = await assertRejects(
    () => initBackend("tensorflow", { quiet: true }),
    BackendUnavailableError,
  );
  for (const alt of ["--backend wasm", "--backend webgpu", "--backend cpu"]) {
    assert(e.message.includes(alt), e.message);
  }
});

Deno.test("initBackend() refuses an unknown backend name", async () => {
  await assertRejects(
    () => initBackend("cuda" as "cpu", { quiet: true }),
    BackendUnavailableError,
    "unknown backend 'cuda'",
  );
});

// In a child process: WebGPU on deno test's threads can crash the test process at exit.
webgpuTest(import.meta, {
  name: "initBackend('auto') never picks a software WebGPU adapter",
  fn: async () => {
    const gpu = await probeWebGpu();
    const info = await initBackend("auto", { quiet: true });
    if (!gpu.available || gpu.fallback) assertEquals(info.name, "wasm");
    else assertEquals(info.name, "webgpu");
    assert(info.reason.startsWith("auto"));
  },
});

async function stderrOf(code: string): Promise<string> {
  const root = new URL("..", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${root}deno.json`, code],
    cwd: root,
    stderr: "piped",
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(r.stderr) + new TextDecoder().decode(r.stdout);
}

Deno.test("tfjs's 'install tfjs-node' banner is silenced (and would show without the kit)", async () => {
  const op = `tf.tensor([1, 2, 3]).square().dataSync();`;
  const plain = await stderrOf(
    `import * as tf from "@tensorflow/tfjs"; await tf.setBackend("cpu"); ${op}`,
  );
  assert(plain.includes("tfjs-node"), `control: tfjs prints its banner under Deno: ${plain}`);
  const kit = await stderrOf(
    `import * as tf from "@tensorflow/tfjs"; import { initBackend } from "./lib/backend.ts";
     await initBackend("cpu", { quiet: true }); ${op}`,
  );
  assert(!kit.includes("tfjs-node"), kit);
});
