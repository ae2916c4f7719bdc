/**
 * The model registry: `--model` name to a trainable, scorable {@linkcode KitModel}.
 * @module
 */
import { daadConfigFor, daadPlusConfigFor, type RunConfig } from "../config.ts";
import { DaadPlusModel } from "./daad_plus/mod.ts";
import { ConfigError } from "../util/errors.ts";
import { DaadModel } from "./daad/mod.ts";
import type { KitModel } from "./kit_model.ts";
import { MnadModel } from "./mnad/mod.ts";
import { type MnadConfig, mnadConfigFromSamples } from "./mnad/config.ts";

export type { KitModel, ScoreOutput } from "./kit_model.ts";

/**
 * The MNAD configuration of a run whose samples have `channels` channels (a prediction
 * clip stacks its frames along channels). `nTrain` sets the cosine schedule (§4.1).
 */
export function mnadConfigFor(c: RunConfig, channels: number, nTrain = 0): MnadConfig {
  return mnadConfigFromSamples(c.task ?? "recon", channels, {
    // A run recorded before the variants existed was trained by the paper reading.
    variant: c.mnadVariant ?? "paper",
    size: c.size,
    width: c.width,
    items: c.memory,
    lr: c.lr,
    cosineSteps: nTrain > 0 ? c.epochs * Math.max(1, Math.floor(nTrain / c.batch)) : 0,
  });
}

/**
 * Builds the model a run configuration names, for samples with `channels` channels;
 * `nTrain` (training set size) is used by schedules that span the run.
 */
export function createModel(c: RunConfig, channels: number, nTrain = 0): KitModel {
  switch (c.model) {
    case "ae":
    case "ae-skip":
    case "memae":
    case "daad":
      return new DaadModel(daadConfigFor(c, channels), c.seed, { lr: c.lr });
    case "mnad":
      return new MnadModel(mnadConfigFor(c, channels, nTrain), c.seed);
    case "daad-plus":
      return new DaadPlusModel(daadPlusConfigFor(c, channels), c.seed, { lr: c.lr });
    default:
      throw new ConfigError(`--model ${c.model} is not available in this version of the kit`);
  }
}

/** The configuration of the network a run builds (saved in config.json). */
export function modelConfigFor(c: RunConfig, channels: number): Record<string, unknown> {
  switch (c.model) {
    case "ae":
    case "ae-skip":
    case "memae":
    case "daad":
      return { ...daadConfigFor(c, channels) };
    case "mnad":
      return { ...mnadConfigFor(c, channels) };
    case "daad-plus":
      return { ...daadPlusConfigFor(c, channels) };
    default:
      return {};
  }
}
