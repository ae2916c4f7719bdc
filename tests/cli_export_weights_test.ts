/**
 * `deno task export-weights`: a run's checkpoint as safetensors in PyTorch's names and
 * layouts, with the network configuration in the metadata.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { initBackend } from "../lib/backend.ts";
import { resolveRunConfig } from "../lib/families/resolve.ts";
import { trainRun } from "../lib/run.ts";
import { readCheckpoint } from "../lib/train/checkpoint.ts";
import { decodeSafetensors } from "../lib/util/safetensors.ts";

Deno.test("export-weights writes the run's weights in PyTorch's names and layouts", async () => {
  const backend = await initBackend("cpu", { quiet: true });
  const tmp = await Deno.makeTempDir({ prefix: "daad-export-" });
  const run = `${tmp}/run`;
  await trainRun(
    resolveRunConfig({
      data: "stripes",
      model: "memae",
      size: 32,
      width: 2,
      memory: 5,
      batch: 8,
      epochs: 1,
      maxTrain: 16,
      maxTest: 4,
      init: "torch",
      out: run,
    }),
    { backend },
  );
  const r = await runTask("export_weights", ["--run", run]);
  assertEquals(r.code, 0, r.err);
  assert(r.out.includes(`wrote ${run}/weights.safetensors`), r.out);
  const file = decodeSafetensors(await Deno.readFile(`${run}/weights.safetensors`));
  const config = JSON.parse(file.metadata.model_config);
  assertEquals([config.variant, config.init, config.bottleneck], ["memae", "torch", 32]);
  assertEquals(file.metadata.format, "pt");
  // Conv [kh, kw, Cin, Cout] -> [Cout, Cin, kh, kw]; transposed conv -> [Cin, Cout, 2, 2].
  const ckpt = await readCheckpoint(`${run}/checkpoint.ckpt`);
  const kit = ckpt.tensors.get("params/enc1.2.conv.w")!; // [3, 3, 2, 2]
  const torch = file.tensors.get("enc1.2.conv.weight")!;
  assertEquals(torch.shape, [2, 2, 3, 3]);
  // torch[co, ci, kh, kw] = kit[kh, kw, ci, co]: co 1, ci 0, kh 2, kw 1.
  assertEquals(
    torch.values[((1 * 2 + 0) * 3 + 2) * 3 + 1],
    kit.values[((2 * 3 + 1) * 2 + 0) * 2 + 1],
  );
  assertEquals(file.tensors.get("up4.weight")!.shape, [32, 16, 2, 2]);
  assertEquals(file.tensors.get("enc1.1.bn.running_var")!.shape, [2]);
  assertEquals(file.tensors.get("mem4.items")!.shape, [5, 16]); // pixel-wise at 16x: D = 16
  assert(file.tensors.has("enc1.1.conv.bias") && !file.tensors.has("enc1.1.conv.b"));
  const folder = await runTask("export_weights", ["--run", run, "--out", run]);
  assertEquals(folder.code, 2, folder.out);
  assertEquals(folder.err.trim(), `error: --out ${run}: cannot write it (it is a folder)`);
  const missing = await runTask("export_weights", ["--run", `${tmp}/nothing`]);
  assertEquals(missing.code, 1, missing.out);
  assert(missing.err.startsWith("error: ") && missing.err.includes(`${tmp}/nothing`), missing.err);
  await Deno.remove(tmp, { recursive: true });
});
