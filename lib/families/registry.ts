/**
 * The registry of model families: `--model` name -> family. The CLI (its flags and
 * `--help`), `run.ts` (building and rebuilding a run's model) and the sweeps read it; a
 * new family is one line in {@linkcode BUILT_IN_FAMILIES}, or one
 * {@linkcode registerFamily} call for a family defined outside the kit (a test, a
 * notebook, a plug-in).
 *
 * @example
 * ```ts
 * import { familyOf, listTrainFlags, modelNames } from "./registry.ts";
 * console.log(modelNames()); // ["ae", "ae-skip", "memae", "daad", "daad-plus", "mnad"]
 * console.log(familyOf("memae").title); // DAAD family
 * console.log(listTrainFlags().find((f) => f.flag === "scale-rates")?.families); // ["daad", "daad-plus"]
 * ```
 * @module
 */
import { camel, type FlagSpec, RUN_FLAGS, type RunConfig } from "../config.ts";
import type { KitModel } from "../models/kit_model.ts";
import { ConfigError } from "../util/errors.ts";
import { daadFamily } from "./daad.ts";
import { daadPlusFamily } from "./daad_plus.ts";
import type { BuiltModel, ModelFamily, SampleInfo } from "./family.ts";
import { mnadFamily } from "./mnad.ts";

/** The families the kit ships, in the order `train --help` lists them. */
export const BUILT_IN_FAMILIES: readonly ModelFamily[] = Object.freeze([
  daadFamily,
  daadPlusFamily,
  mnadFamily,
] as ModelFamily[]);

const REGISTERED: ModelFamily[] = [];

/** Names no family flag may take: the run's own flags and the CLI's. */
const RESERVED_FLAGS = new Set(["model", "threads", "help", ...Object.keys(RUN_FLAGS)]);

/** Every registered family, the kit's first. */
export function families(): readonly ModelFamily[] {
  return REGISTERED;
}

function sameType(a: FlagSpec, b: FlagSpec): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "enum" && b.type === "enum") return a.choices.join() === b.choices.join();
  if (a.type === "ints" && b.type === "ints") return a.count === b.count;
  return true;
}

/**
 * Adds a family to the registry: its models become `--model` choices and its flags
 * train flags. Throws when a model name is taken, a flag clashes with a run flag, or a
 * flag another family has (`--memory`) is typed differently.
 */
export function registerFamily(family: ModelFamily): void {
  const taken = new Set(REGISTERED.flatMap((f) => f.models));
  if (REGISTERED.some((f) => f.name === family.name)) {
    throw new Error(`a model family named '${family.name}' is already registered`);
  }
  if (family.models.length === 0) throw new Error(`family '${family.name}' has no models`);
  for (const model of family.models) {
    if (taken.has(model)) throw new Error(`--model ${model} is already registered`);
  }
  for (const [flag, spec] of Object.entries(family.flags)) {
    if (RESERVED_FLAGS.has(flag)) {
      throw new Error(`family '${family.name}': --${flag} is a run flag, not a family's`);
    }
    for (const other of REGISTERED) {
      const theirs = other.flags[flag];
      if (theirs != null && !sameType(theirs, spec)) {
        throw new Error(
          `family '${family.name}': --${flag} is typed ${spec.type} here but ${theirs.type} ` +
            `in family '${other.name}'`,
        );
      }
    }
  }
  REGISTERED.push(family);
}

for (const family of BUILT_IN_FAMILIES) registerFamily(family);

/** Every `--model` name, family by family. */
export function modelNames(): string[] {
  return REGISTERED.flatMap((f) => f.models);
}

/** The family of a model; throws {@linkcode ConfigError} naming the choices. */
export function familyOf(model: string): ModelFamily {
  const family = REGISTERED.find((f) => f.models.includes(model));
  if (family == null) {
    throw new ConfigError(
      `--model expects ${modelNames().join("|")}, got ${JSON.stringify(model)}`,
    );
  }
  return family;
}

/** The families that have a setting of key `key` (a flag's camelCase). */
export function familiesWithSetting(key: string): ModelFamily[] {
  return REGISTERED.filter((f) => Object.keys(f.flags).some((flag) => camel(flag) === key));
}

/** `--model`, with the registered names as its choices. */
export function modelFlag(): FlagSpec {
  return { type: "enum", choices: modelNames(), help: "Model to train (default daad)." };
}

/** One flag of `deno task train`, as {@linkcode listTrainFlags} describes it. */
export interface TrainFlag {
  /** The flag without its dashes: `scale-rates`. */
  flag: string;
  /** Its key in flags objects, `RunFlags` and config.json's `config`: `scaleRates`. */
  key: string;
  /** Its type, range and help (the first family's help for a flag several families take). */
  spec: FlagSpec;
  /** Null for a setting every run has; else the families that take it. */
  families: string[] | null;
}

/**
 * Every flag `deno task train` takes for a run: `--model`, the settings every run has,
 * then each family's (a flag several families take once). The CLI parses and lists
 * them from here; sweeps read their axes from here.
 */
export function listTrainFlags(): TrainFlag[] {
  const out: TrainFlag[] = [
    { flag: "model", key: "model", spec: modelFlag(), families: null },
    ...Object.entries(RUN_FLAGS).map(([flag, spec]) => ({
      flag,
      key: camel(flag),
      spec,
      families: null,
    })),
  ];
  for (const family of REGISTERED) {
    for (const [flag, spec] of Object.entries(family.flags)) {
      const seen = out.find((f) => f.flag === flag);
      if (seen == null) out.push({ flag, key: camel(flag), spec, families: [family.name] });
      else seen.families!.push(family.name);
    }
  }
  return out;
}

/** The train flags as a parser table (flag name -> spec). */
export function trainFlagSpecs(): Record<string, FlagSpec> {
  return Object.fromEntries(listTrainFlags().map((f) => [f.flag, f.spec]));
}

/**
 * Builds the model a run configuration names for samples of `sample`'s shape and returns
 * it with the configuration it was built with (what config.json records).
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./resolve.ts";
 * import { buildRunModel } from "./registry.ts";
 * const run = resolveRunConfig({ data: "stripes", model: "ae", size: 32, width: 4 });
 * const { model, modelConfig } = buildRunModel(run, { channels: 1, nTrain: 100 });
 * console.log((modelConfig as { variant: string }).variant, model.params.numParams() > 0); // ae true
 * model.dispose();
 * ```
 */
export function buildRunModel(config: RunConfig, sample: SampleInfo): BuiltModel {
  return familyOf(config.model).create(config, sample);
}

/**
 * The model of a run configuration, for samples with `channels` channels (`nTrain`, the
 * training set's size, sets schedules that span the run).
 */
export function createModel(config: RunConfig, channels: number, nTrain = 0): KitModel {
  return buildRunModel(config, { channels, nTrain }).model;
}

/**
 * The model configuration a run would build, checked (division against the feature maps,
 * ranges) without building the model: sweeps check every setting before the first trains.
 */
export function configureModel(config: RunConfig, sample: SampleInfo): unknown {
  return familyOf(config.model).configure(config, sample);
}

/** Builds a model again from the configuration a run recorded (config.json's `model_config`). */
export function rebuildModel(config: RunConfig, modelConfig: unknown): KitModel {
  return familyOf(config.model).build(modelConfig, config);
}
