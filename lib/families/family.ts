/**
 * What a model family is: everything the run, the CLI and the sweeps need to know about
 * a group of models that share settings, in one module per family (`daad.ts`,
 * `daad_plus.ts`, `mnad.ts`). A family owns, for its models:
 *
 * - its flags and their help (`flags`; the settings' keys are the flags' camelCase);
 * - its defaults, per data set where they differ, and the run settings it changes
 *   (a learning rate, an augmentation) relative to the data set's preset (`defaults`);
 * - the checks of its settings, in flag words (`check`; the flags' types and ranges are
 *   checked from their specs before it);
 * - the mapping from a run to the model's own configuration (`modelConfig`), and
 *   building the model from that configuration (`build`): `create()` does both and
 *   returns the model with the configuration it was built with, which config.json keeps
 *   and from which eval, predict, resume and notebooks rebuild it.
 *
 * A family is written as a {@linkcode FamilySpec} and turned into a
 * {@linkcode ModelFamily} by {@linkcode defineFamily}; one line in `registry.ts` makes
 * its models available to `--model`.
 *
 * @example
 * ```ts ignore
 * import { defineFamily } from "./family.ts";
 * export const wideAeFamily = defineFamily({
 *   name: "ae-wide",
 *   title: "Wide AE",
 *   models: ["ae-wide"],
 *   flags: { bottleneck: { type: "int", min: 1, help: "Bottleneck channels (default 64)." } },
 *   defaults: () => ({ settings: { bottleneck: 64 } }),
 *   modelConfig: (run, sample) => ({ size: run.size, channels: sample.channels,
 *     width: run.width, bottleneck: run.settings.bottleneck }),
 *   build: (config, run) => new AeWideModel(config, run.seed, { lr: run.lr }),
 * });
 * ```
 * @module
 */
import type { DataName, FamilySettings, FlagSpec, RunConfig, RunFlags } from "../config.ts";
import type { KitModel } from "../models/kit_model.ts";

/** What a model needs to know of the data it trains on. */
export interface SampleInfo {
  /** Channels of one sample (a prediction clip stacks its frames along channels). */
  channels: number;
  /** Training samples (schedules that span the run count steps from it); 0 = unknown. */
  nTrain: number;
}

/** Where a family's defaults are asked for. */
export interface DefaultsContext {
  data: DataName;
  /** `--data video` without `--root`: the kit's small synthetic video. */
  synthetic: boolean;
  /** The flags given (camelCase), before any default: a default may depend on one. */
  given: Readonly<RunFlags>;
}

/** A family's defaults for one model on one data set. */
export interface FamilyDefaults<S extends FamilySettings> {
  /** Every setting of the family. */
  settings: S;
  /** Run settings this model changes relative to the data set's preset (before flags). */
  run?: Partial<RunConfig>;
}

/** A model and the configuration it was built with (what config.json records). */
export interface BuiltModel<M = unknown> {
  model: KitModel;
  modelConfig: M;
}

/** What a family module writes; {@linkcode defineFamily} adds `create`. */
export interface FamilySpec<S extends FamilySettings, M> {
  /** Short name (`daad`); recorded in config.json as `family`. */
  name: string;
  /** Heading of its group in `train --help` (`DAAD family`). */
  title: string;
  /** The `--model` names it builds. */
  models: readonly string[];
  /**
   * Its flags by name (kebab-case). A flag the same as another family's (`--memory`)
   * must have the same type; its help here is this family's.
   */
  flags: Readonly<Record<string, FlagSpec>>;
  /** Extra lines for `train --help` (presets, learning rates). */
  notes?: string;
  /** Whether it predicts future frames (`--task pred`); default false. */
  predicts?: boolean;
  /** The defaults of `model` on a data set, and the run settings it changes. */
  defaults(model: string, context: DefaultsContext): FamilyDefaults<S>;
  /** Checks that depend on several settings, in flag words; throws ConfigError. */
  check?(run: RunConfig<S>): void;
  /** The model's configuration for a run on data of `sample`'s shape. */
  modelConfig(run: RunConfig<S>, sample: SampleInfo): M;
  /** Checks a model configuration without building the model (geometry, ranges). */
  validateModelConfig?(config: M): void;
  /** Builds the model from its configuration; `run` gives the seed and learning rate. */
  build(config: M, run: RunConfig<S>): KitModel;
  /**
   * Settings as recorded by an older version of the kit (config.json's flat `config`),
   * filled in as that version ran them, before they are resolved again. Default: as is.
   */
  migrate?(saved: Record<string, unknown>): Record<string, unknown>;
  /**
   * The saved model configuration of a run resumed with `run` (whose number of epochs
   * may differ from the saved run's): a configuration that follows the run's length
   * (MNAD's cosine schedule) follows it. Default: the saved one.
   */
  resume?(saved: M, run: RunConfig<S>, sample: SampleInfo): M;
}

/** A registered family: its spec, `configure()` and `create()`. */
export interface ModelFamily<S extends FamilySettings = FamilySettings, M = unknown>
  extends FamilySpec<S, M> {
  /** The model configuration of a run, checked, without building the model. */
  configure(run: RunConfig<S>, sample: SampleInfo): M;
  /** Builds the model of a run and returns it with the configuration it was built with. */
  create(run: RunConfig<S>, sample: SampleInfo): BuiltModel<M>;
}

/**
 * A family from its spec: adds `configure()`, the mapping and its check, and `create()`,
 * the configuration then the build, so that the model and the configuration config.json
 * records are one and the same.
 */
export function defineFamily<S extends FamilySettings, M>(
  spec: FamilySpec<S, M>,
): ModelFamily<S, M> {
  const configure = (run: RunConfig<S>, sample: SampleInfo): M => {
    const modelConfig = spec.modelConfig(run, sample);
    spec.validateModelConfig?.(modelConfig);
    return modelConfig;
  };
  return {
    ...spec,
    configure,
    create(run: RunConfig<S>, sample: SampleInfo): BuiltModel<M> {
      const modelConfig = configure(run, sample);
      return { model: spec.build(modelConfig, run), modelConfig };
    },
  };
}
