/**
 * The PyTorch twin (`deno task twin`, `tools/torch_twin.py`) on tiny runs of AE,
 * AE+Skip, MemAE* and DAAD, and of the options it must also agree on (dot and vq
 * addressing, EMA items, PyTorch's init with a narrow bottleneck): one training step's
 * reconstruction, loss, gradients and batch-norm statistics equal the kit's within 1e-4
 * relative. Needs PyTorch for /usr/bin/python3 (Debian's python3-torch); skipped with a
 * notice elsewhere, and required in CI.
 */
import { assert, assertEquals } from "./assert.ts";
import { PYTHON_TORCH, testWith } from "./optional.ts";
import { runTask } from "./cli_helpers.ts";
import { initBackend } from "../lib/backend.ts";
import type { RunFlags } from "../lib/config.ts";
import { resolveRunConfig } from "../lib/families/resolve.ts";
import { trainRun } from "../lib/run.ts";
import { decodeSafetensors, encodeSafetensors } from "../lib/util/safetensors.ts";

const RUNS: [string, RunFlags][] = [
  ["ae", { model: "ae" }],
  ["ae-skip", { model: "ae-skip" }],
  ["memae", { model: "memae" }],
  ["daad", { model: "daad" }],
  ["daad-dot", { model: "daad", addressing: "dot" }],
  ["memae-vq-ema", { model: "memae", addressing: "vq", memUpdate: "ema" }],
  ["daad-vq", { model: "daad", addressing: "vq", commitment: 0.5 }],
  ["ae-torch-narrow", { model: "ae", init: "torch", bottleneck: 4 }],
];

await testWith([PYTHON_TORCH], {
  name: "deno task twin: PyTorch computes the kit's step for AE, AE+Skip, MemAE*, DAAD and options",
  async fn() {
    const backend = await initBackend("cpu", { quiet: true });
    const tmp = await Deno.makeTempDir({ prefix: "daad-twin-" });
    for (const [name, flags] of RUNS) {
      const config = resolveRunConfig({
        data: "stripes",
        size: 32,
        width: 2,
        memory: 5,
        division: [2, 2, 1],
        batch: 8,
        epochs: 1,
        maxTrain: 16,
        maxTest: 4,
        out: `${tmp}/${name}`,
        ...flags,
      });
      await trainRun(config, { backend });
    }
    const r = await runTask("twin", ["--backend", "cpu", ...RUNS.map(([n]) => `${tmp}/${n}`)]);
    assertEquals(r.code, 0, r.out + r.err);
    const lines = r.out.split("\n").filter((l) => l.startsWith("twin "));
    assertEquals(lines.length, RUNS.length, r.out);
    for (const [i, [name, flags]] of RUNS.entries()) {
      assert(lines[i].startsWith(`twin ok: ${flags.model} (`), `${name}: ${lines[i]}`);
    }
    assert(lines[4].includes("similarity dot") && lines[6].includes("similarity vq"), r.out);
    assert(lines[7].includes("init torch, bottleneck 4"), r.out);

    // The check can fail: one gradient off by 1% in the kit's record is caught.
    const fixture = `${tmp}/daad/twin`;
    const step = decodeSafetensors(await Deno.readFile(`${fixture}/step.safetensors`));
    const g = step.tensors.get("grad.enc2.1.conv.weight")!;
    g.values[0] += 0.01 * Math.max(...g.values.map(Math.abs));
    await Deno.writeFile(`${fixture}/step.safetensors`, encodeSafetensors(step.tensors));
    const bad = await new Deno.Command("/usr/bin/python3", {
      args: ["tools/torch_twin.py", fixture],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(bad.stdout);
    assertEquals(bad.code, 1, out);
    assert(out.includes("twin FAILED: daad") && out.includes("grad.enc2.1.conv.weight"), out);
    await Deno.remove(tmp, { recursive: true });
  },
});

Deno.test("deno task twin names a folder that is not a run, in one line", async () => {
  const r = await runTask("twin", ["--backend", "cpu", "/nonexistent/run"]);
  assert(r.code !== 0);
  assert(r.err.includes("/nonexistent/run"), r.err);
});
