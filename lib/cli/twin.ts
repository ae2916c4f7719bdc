/**
 * `deno task twin --run DIR [RUN...]`: checks that the kit computes what an independent
 * PyTorch implementation of the same network computes (`tools/torch_twin.py`).
 *
 * For each run folder (AE, AE+Skip, MemAE* or DAAD, any of their options), it loads the
 * checkpoint, takes the first `--batch` training images, and writes a fixture folder
 * (DIR/twin by default): `weights.safetensors`, the state before the step in PyTorch's
 * names and layouts with the network configuration in its metadata, and
 * `step.safetensors`, one training step as the kit computes it: the input and the
 * reconstruction ([B, C, H, W]), the loss and its parts, the gradient of every trainable
 * tensor and batch norm's running statistics after the step (the optimiser is not
 * applied). Then the twin rebuilds the network in PyTorch from the configuration, runs
 * the same step in float64 and compares every tensor (relative tolerance 1e-4). Needs
 * PyTorch for Python 3 (Debian: `apt-get install -y python3-torch`).
 *
 * The kit's step runs on the `cpu` backend by default, the reference the other backends'
 * kernels are tested against; `--backend` checks another. A ReLU input, a max-pooling
 * choice or a memory weight within float32 rounding of its threshold can be decided the
 * other way by a backend's rounding, and then gradients below it differ legitimately:
 * the twin counts such choices and says so.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { loadRunData } from "../adapters.ts";
import { subset } from "../data/image_set.ts";
import { DaadModel } from "../models/daad/kit_model.ts";
import { recordTrainingStep } from "../models/daad/step_record.ts";
import type { TensorData } from "../nn/params.ts";
import { nhwcToNchw, toTorch } from "../nn/torch_layout.ts";
import { loadRunModel } from "../run.ts";
import { encodeSafetensors } from "../util/safetensors.ts";
import { weightsFile } from "./export_weights.ts";
import { DEFAULT_PYTHONS, findTorchPython } from "./_torch_reference.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, runCli, THREADS_FLAG, writeOutput } from "./_common.ts";

/** The twin script, beside the kit. */
export const TWIN_SCRIPT: string = new URL("../../tools/torch_twin.py", import.meta.url).pathname;

const FLAGS: Record<string, FlagSpec> = {
  run: { type: "string", help: "Run folder (more may follow as arguments)." },
  batch: { type: "int", min: 1, help: "Training images in the step (default 4)." },
  out: {
    type: "string",
    help: "Fixture folder (default DIR/twin); with several runs, one sub-folder per run.",
  },
  tolerance: {
    type: "float",
    min: 0,
    exclusiveMin: true,
    help: "Relative tolerance per tensor: max|kit - torch| / max|torch| (default 1e-4).",
  },
  python: { type: "string", help: "Python with PyTorch (default: the first that imports it)." },
  verbose: { type: "bool", help: "Print every tensor's relative error." },
  backend: { ...BACKEND_FLAG, help: "tfjs backend of the kit's step (default cpu)." },
  threads: THREADS_FLAG,
};

/** Writes the fixture of one run into `dir`; returns what it holds. */
export async function writeTwinFixture(
  run: string,
  dir: string,
  batchSize: number,
): Promise<{ model: string; tensors: number }> {
  const { record, model } = await loadRunModel(run);
  try {
    if (!(model instanceof DaadModel)) {
      throw new ArgError(
        `${run}: the twin rebuilds the DAAD family (ae, ae-skip, memae, daad); ` +
          `this run trained --model ${record.config.model}`,
      );
    }
    const data = await loadRunData(record.config);
    const n = Math.min(batchSize, data.train.n);
    const images = subset(data.train, Array.from({ length: n }, (_, i) => i));
    const x = tf.tensor4d(images.data, [n, images.height, images.width, images.channels]);
    try {
      // Banks started from queries are started before the state is written, as in training.
      model.beforeStep(x);
      await writeOutput("out", dir, () => Deno.mkdir(dir, { recursive: true }));
      await Deno.writeFile(`${dir}/weights.safetensors`, weightsFile(record, model.params));
      const step = recordTrainingStep(model, x);
      const params = model.params;
      const tensors = new Map<string, TensorData>();
      tensors.set("input", nhwcToNchw({ shape: [...x.shape], values: images.data }));
      tensors.set("reconstruction", nhwcToNchw(step.reconstruction));
      tensors.set("loss", { shape: [], values: Float32Array.of(step.loss) });
      for (const [k, v] of Object.entries(step.parts)) {
        tensors.set(`loss.${k}`, { shape: [], values: Float32Array.of(v) });
      }
      for (const [name, g] of step.grads) {
        const t = toTorch(name, params.kindOf(name), g);
        tensors.set(`grad.${t.name}`, t.tensor);
      }
      // Batch norm's running statistics after the step's training-mode forward pass.
      for (const name of params.names()) {
        const kind = params.kindOf(name);
        if (kind !== "batch_norm.running_mean" && kind !== "batch_norm.running_var") continue;
        const v = params.get(name);
        const t = toTorch(name, kind, {
          shape: [...v.shape],
          values: v.dataSync() as Float32Array,
        });
        tensors.set(`after.${t.name}`, t.tensor);
      }
      await Deno.writeFile(
        `${dir}/step.safetensors`,
        encodeSafetensors(tensors, { run, backend: tf.getBackend() }),
      );
      return { model: record.config.model, tensors: tensors.size };
    } finally {
      x.dispose();
    }
  } finally {
    model.dispose();
  }
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task twin --run DIR [RUN...] [flags]", FLAGS));
    return 0;
  }
  const runs = [...(flags.run != null ? [flags.run as string] : []), ...positionals];
  if (runs.length === 0) {
    throw new ArgError("twin needs --run DIR (a run folder of ae, ae-skip, memae or daad)");
  }
  const pythons = flags.python != null ? [flags.python as string] : DEFAULT_PYTHONS;
  const found = await findTorchPython(pythons);
  if (found == null) {
    throw new ArgError(
      `the PyTorch twin needs a Python with torch (tried ${pythons.join(", ")}); on Debian: ` +
        "apt-get install -y python3-torch",
    );
  }
  const backend = await initBackend((flags.backend as "auto") ?? "cpu", {
    threads: flags.threads as number | undefined,
  });
  const out = flags.out as string | undefined;
  const fixtures: string[] = [];
  for (const [i, run] of runs.entries()) {
    const dir = out == null ? `${run}/twin` : runs.length === 1 ? out : `${out}/${i}`;
    const f = await writeTwinFixture(run, dir, (flags.batch as number | undefined) ?? 4);
    console.log(`${run}: ${f.model}, one training step on ${backend.name} -> ${dir}`);
    fixtures.push(dir);
  }
  const args = [TWIN_SCRIPT, ...fixtures];
  if (flags.tolerance != null) args.push("--tolerance", String(flags.tolerance));
  if (flags.verbose) args.push("--verbose");
  const r = await new Deno.Command(found.python, { args, stdout: "inherit", stderr: "inherit" })
    .output();
  return r.code;
}

if (import.meta.main) await runCli(main);
