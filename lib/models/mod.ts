/**
 * The model registry: `--model` name to a trainable, scorable {@linkcode KitModel}.
 * @module
 */
import { daadConfigFor, type RunConfig } from "../config.ts";
import { ConfigError } from "./daad/config.ts";
import { DaadModel } from "./daad/mod.ts";
import type { KitModel } from "./kit_model.ts";

export type { KitModel, ScoreOutput } from "./kit_model.ts";

/** Builds the model a run configuration names, for images with `channels` channels. */
export function createModel(c: RunConfig, channels: number): KitModel {
  switch (c.model) {
    case "ae":
    case "ae-skip":
    case "memae":
    case "daad":
      return new DaadModel(daadConfigFor(c, channels), c.seed, { lr: c.lr });
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
    default:
      return {};
  }
}
