/**
 * `deno task gpu-bench`: its arguments, its table, and (where Deno sees a WebGPU
 * adapter, a software one suffices) a tiny end-to-end run with the kit's kernels forced.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { webgpuProbe } from "./webgpu_child.ts";
import { formatTable } from "../lib/cli/gpu_bench.ts";

Deno.test("gpu-bench rejects a kernel mode it does not know, naming it", async () => {
  const r = await runTask("gpu_bench", ["--tiny", "--modes", "tfjs,bogus"]);
  assertEquals(r.code, 2, r.err);
  assert(r.err.includes("'bogus'"), r.err);
});

Deno.test("formatTable() aligns the columns and marks missing figures", () => {
  const t = formatTable([
    {
      what: "kit, kernels=auto",
      kind: "train",
      batch: 8,
      images_per_s: 12.5,
      step_ms: 640,
      tflops: 3.3,
      peak_gpu_mib: 2048,
    },
    {
      what: "pytorch tf32",
      kind: "train",
      batch: 8,
      images_per_s: null,
      step_ms: null,
      tflops: null,
      peak_gpu_mib: null,
      note: "skipped: no torch",
    },
  ]).split("\n");
  assertEquals(t.length, 4);
  assertEquals(t[0].indexOf("img/s"), t[2].indexOf("12.5"));
  assert(t[3].includes("n/a") && t[3].endsWith("skipped: no torch"), t[3]);
});

const gpu = await webgpuProbe();

Deno.test({
  name: "gpu-bench --tiny runs end to end on a WebGPU adapter and prints the table last",
  ignore: !gpu.available,
  fn: async () => {
    const r = await runTask("gpu_bench", ["--tiny", "--modes", "kit", "--ref", "none"]);
    assertEquals(r.code, 0, r.err);
    const lines = r.out.trim().split("\n");
    const json = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    assertEquals(json[0].kind, "setup");
    const kit = json.filter((l) => l.kernels === "kit").map((l) => [l.kind, l.batch]);
    assertEquals(kit, [["train", 2], ["score", 2]]);
    assert(json.some((l) => l.kind === "reference" && l.status === "skipped"));
    assert(/^kit, kernels=kit +score/.test(lines.at(-1)!), lines.at(-1));
    assert(lines.some((l) => l.startsWith("what ")), r.out);
  },
});
