import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { BackendUnavailableError, initBackend, probeWebGpu } from "./backend.ts";
import { probeOneDnn } from "./kernels/onednn/mod.ts";
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
    // On a CPU: onednn where oneDNN 2.x loads, else wasm.
    const cpu = probeOneDnn().ok ? "onednn" : "wasm";
    if (!gpu.available || gpu.fallback) assertEquals(info.name, cpu);
    else assertEquals(info.name, "webgpu");
    assert(info.reason.startsWith("auto"));
  },
});

// In a child process too: `auto` asks WebGPU for an adapter first.
webgpuTest(import.meta, {
  name: "initBackend('auto') on a CPU names oneDNN and its version, or why it is not used",
  fn: async () => {
    const gpu = await probeWebGpu();
    if (gpu.available && !gpu.fallback) return; // a real GPU wins
    const lines: string[] = [];
    const info = await initBackend("auto", { log: (l) => lines.push(l) });
    const probe = probeOneDnn();
    if (probe.ok) {
      assertEquals(info.name, "onednn");
      assert(lines[0].includes(`oneDNN ${probe.lib.version}`), lines[0]);
    } else {
      assertEquals(info.name, "wasm");
      assert(lines[0].includes(probe.reason), lines[0]);
    }
  },
});

Deno.test("initBackend('onednn') without oneDNN answers in one line with the install command", async () => {
  // A library name that cannot load, in a process of its own (the probe is cached).
  const out = await stderrOf(
    `import { initBackend } from "./lib/backend.ts";
     try { await initBackend("onednn", { quiet: true }); } catch (e) { console.error(e.message); }`,
    { DAAD_ONEDNN_LIB: "libdnnl-not-here.so.2" },
  );
  assert(out.includes("backend 'onednn' needs oneDNN 2.x"), out);
  assert(out.includes("apt-get install libdnnl2") && out.includes("--backend wasm"), out);
});

async function stderrOf(code: string, env: Record<string, string> = {}): Promise<string> {
  const root = new URL("..", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${root}deno.json`, code],
    cwd: root,
    env,
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
