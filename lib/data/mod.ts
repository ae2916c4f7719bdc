/**
 * Datasets of the kit and the dispatch from a run configuration to train/test sets.
 * @module
 */
import type { RunConfig } from "../config.ts";
import { ConfigError } from "../models/daad/config.ts";
import { type ImageSet, subset } from "./image_set.ts";
import { oneClassMnist } from "./mnist.ts";

export * from "./image_set.ts";
export { DatasetError } from "./errors.ts";
export { loadMnistDigits, oneClassMnist } from "./mnist.ts";
export type { OneClassMnistOptions, OneClassSplit } from "./mnist.ts";

/** Train and test sets of one run, and a sentence describing the protocol. */
export interface RunData {
  train: ImageSet;
  test: ImageSet;
  protocol: string;
}

/** Loads the data a run configuration names (capped by `maxTrain`). */
export async function loadRunData(c: RunConfig): Promise<RunData> {
  const data = await loadUncapped(c);
  if (c.maxTrain == null || c.maxTrain >= data.train.n) return data;
  return {
    ...data,
    train: subset(data.train, Array.from({ length: c.maxTrain }, (_, i) => i)),
    protocol: `${data.protocol}; training capped at ${c.maxTrain} images`,
  };
}

async function loadUncapped(c: RunConfig): Promise<RunData> {
  switch (c.data) {
    case "mnist": {
      if (c.normal === "all" || c.normal == null) {
        throw new ConfigError("loadRunData needs one normal digit; 'all' is expanded by the CLI");
      }
      return await oneClassMnist({
        normal: c.normal,
        size: c.size,
        seed: c.seed,
        maxTest: c.maxTest ?? undefined,
      });
    }
    default:
      throw new ConfigError(`--data ${c.data} is not available in this version of the kit`);
  }
}
