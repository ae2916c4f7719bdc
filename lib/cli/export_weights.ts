/**
 * `deno task export-weights --run DIR [--out FILE]`: writes a run's weights (its
 * checkpoint's model state) as one safetensors file in PyTorch's names and layouts
 * (`lib/nn/torch_layout.ts`), DIR/weights.safetensors by default. The file's metadata
 * holds the run's network configuration (`model_config`, JSON) and how the kit lays out
 * what PyTorch has no layer for (memory items: one block per row, flattened in (h, w, c)
 * order). In Python: `safetensors.torch.load_file(FILE)`, or any reader of the format.
 * @module
 */
import { KIT_VERSION, type LoadedRunRecord, loadRunModel } from "../run.ts";
import type { ParamStore } from "../nn/params.ts";
import { torchStateDict } from "../nn/torch_layout.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { encodeSafetensors } from "../util/safetensors.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, runCli, writeOutput } from "./_common.ts";
import { initBackend } from "../backend.ts";

const FLAGS: Record<string, FlagSpec> = {
  run: { type: "string", help: "Run folder written by deno task train." },
  out: { type: "string", help: "Output file (default DIR/weights.safetensors)." },
  backend: { ...BACKEND_FLAG, help: "tfjs backend that rebuilds the model (default cpu)." },
};

/** The metadata of a run's weights file: what a reader needs to rebuild the network. */
export function weightsMetadata(record: LoadedRunRecord): Record<string, string> {
  return {
    format: "pt",
    layout: "pytorch names and layouts: conv weight [Cout, Cin, kh, kw], conv-transpose " +
      "weight [Cin, Cout, kh, kw], batch norm weight/bias/running_mean/running_var; memory " +
      "items [N, D], one block per row flattened in (h, w, c) order",
    kit_version: KIT_VERSION,
    model: record.config.model,
    model_config: JSON.stringify(record.model_config),
    channels: String(record.channels),
  };
}

/** A model's state (every variable) as safetensors bytes in PyTorch's names and layouts. */
export function weightsFile(record: LoadedRunRecord, store: ParamStore): Uint8Array {
  return encodeSafetensors(torchStateDict(store), weightsMetadata(record));
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task export-weights --run DIR [--out FILE]", FLAGS));
    return 0;
  }
  const path = (flags.run as string | undefined) ?? positionals[0];
  if (path == null) {
    throw new ArgError("export-weights needs --run DIR (a run folder written by deno task train)");
  }
  if (positionals.length > (flags.run == null ? 1 : 0)) {
    throw new ArgError(`unexpected argument '${positionals.at(-1)}'`);
  }
  await initBackend((flags.backend as "auto") ?? "cpu", { quiet: true });
  const { record, model, epochs } = await loadRunModel(path);
  try {
    const out = (flags.out as string | undefined) ?? `${path}/weights.safetensors`;
    const bytes = weightsFile(record, model.params);
    await writeOutput("out", out, () => writeFileAtomic(out, bytes));
    console.log(
      `wrote ${out}: ${model.params.names().length} tensors, ${bytes.length} bytes ` +
        `(${record.config.model} after ${epochs} epochs)`,
    );
  } finally {
    model.dispose();
  }
  return 0;
}

if (import.meta.main) await runCli(main);
