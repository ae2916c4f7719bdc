/**
 * MNAD (`--model mnad`, Park, Noh and Ham, CVPR 2020): memory-guided normality for video
 * anomaly detection, reconstructing frames or predicting the next one
 * (`lib/models/mnad/`). Its flags: the memory size M and which reading of MNAD to run
 * (the paper's equations or the official code's).
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./resolve.ts";
 * import { mnadConfigFor, type MnadSettings } from "./mnad.ts";
 * import type { RunConfig } from "../config.ts";
 * const run = resolveRunConfig({ model: "mnad", data: "video", root: "data/ped", epochs: 2 });
 * const c = mnadConfigFor(run as RunConfig<MnadSettings>, 5, 100);
 * console.log(run.task, run.lr, c.items, c.cosineSteps); // pred 0.0002 10 50
 * ```
 * @module
 */
import type { FlagSpec, RunConfig } from "../config.ts";
import {
  DEFAULT_MNAD_VARIANT,
  MNAD_VARIANTS,
  type MnadConfig,
  mnadConfigFromSamples,
  type MnadVariant,
  validateMnadConfig,
} from "../models/mnad/config.ts";
import { MnadModel } from "../models/mnad/kit_model.ts";
import { defineFamily, type ModelFamily } from "./family.ts";

/** MNAD's settings. */
export type MnadSettings = {
  /** Memory items M (§4.1: 10). */
  memory: number;
  /** MNAD as the paper writes it or as the official code runs it. */
  mnadVariant: MnadVariant;
};

/** MNAD's flags. */
export const MNAD_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze(
  {
    memory: { type: "int", min: 1, help: "Memory items M (paper §4.1: 10; at least 2)." },
    "mnad-variant": {
      type: "enum",
      choices: MNAD_VARIANTS,
      help: "MNAD as the paper writes it or as the official code runs it (default official; " +
        "docs/mnad-variants.md).",
      foreign: { what: "selects MNAD's reading" },
    },
  } satisfies Record<string, FlagSpec>,
);

/** MNAD §4.1 learning rates, used on real video unless --lr is given. */
export const MNAD_LR = Object.freeze({ recon: 2e-5, pred: 2e-4 });

/** Optimisation steps of a run: the length of the cosine schedule (§4.1). */
function cosineSteps(run: RunConfig, nTrain: number): number {
  return nTrain > 0 ? run.epochs * Math.max(1, Math.floor(nTrain / run.batch)) : 0;
}

/**
 * The MNAD configuration of a run whose samples have `channels` channels (a prediction
 * clip stacks its frames along channels). `nTrain` sets the cosine schedule (§4.1): the
 * learning rate anneals to 0 over the run's steps.
 */
export function mnadConfigFor(
  run: RunConfig<MnadSettings>,
  channels: number,
  nTrain = 0,
): MnadConfig {
  return mnadConfigFromSamples(run.task ?? "recon", channels, {
    variant: run.settings.mnadVariant,
    size: run.size,
    width: run.width,
    items: run.settings.memory,
    lr: run.lr,
    cosineSteps: cosineSteps(run, nTrain),
  });
}

/** MNAD: frame reconstruction or prediction with a memory of M prototypes. */
export const mnadFamily: ModelFamily<MnadSettings, MnadConfig> = defineFamily({
  name: "mnad",
  title: "MNAD",
  models: ["mnad"],
  flags: MNAD_FLAGS,
  predicts: true,
  notes: "MNAD (§4.1): memory 10, no augmentation, --task pred on --data video; on real " +
    `video lr ${MNAD_LR.recon} (recon) or ${MNAD_LR.pred} (pred), annealed to 0 by a cosine.`,
  defaults: (_model, { data, synthetic, given }) => {
    const task = (given.task as "recon" | "pred" | undefined) ??
      (data === "video" ? "pred" : null);
    return {
      settings: { memory: 10, mnadVariant: DEFAULT_MNAD_VARIANT },
      run: {
        augment: "none",
        task,
        ...(synthetic ? {} : { lr: MNAD_LR[task ?? "recon"] }),
      },
    };
  },
  modelConfig: (run, sample) => mnadConfigFor(run, sample.channels, sample.nTrain),
  validateModelConfig: validateMnadConfig,
  build: (config, run) => new MnadModel(config, run.seed),
  // Runs recorded before --mnad-variant existed were trained by the paper reading.
  migrate: (saved) => ({ ...saved, mnadVariant: saved.mnadVariant ?? "paper" }),
  // The cosine schedule spans the run: a run resumed for more (or fewer) epochs anneals
  // to 0 at its new end (the steps already taken keep the rate they had).
  resume: (saved, run, sample) => ({ ...saved, cosineSteps: cosineSteps(run, sample.nTrain) }),
});
