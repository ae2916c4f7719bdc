/**
 * Configuration of MNAD ("Learning Memory-guided Normality for Anomaly Detection",
 * Park, Noh and Ham, CVPR 2020): the network width, the memory and the weights of the
 * losses and of the abnormality score, with the paper's values per task (§4.1).
 *
 * @example
 * ```ts
 * import { mnadDefaults, validateMnadConfig } from "./config.ts";
 * const c = { ...mnadDefaults("recon"), size: 64, width: 8, channels: 1 };
 * validateMnadConfig(c);
 * console.log(c.lambdaCompact, c.gamma); // 0.01 0.015
 * ```
 * @module
 */

/** The proxy task: reconstruct frame t, or predict frame t+1 from frames t-3..t. */
export type MnadTask = "recon" | "pred";

/** Both tasks, for argument validation. */
export const MNAD_TASKS: readonly MnadTask[] = ["recon", "pred"];

/**
 * How the memory is updated while scoring (eq. 3 at test time, §3.1.2): `gated` only
 * with frames whose weighted regular score (eq. 6) is below γ, as the paper does;
 * `always` with every frame (Table 2's row without E_t); `off` keeps the trained items.
 */
export type MnadTestUpdate = "gated" | "always" | "off";

/** Every value {@linkcode MnadConfig.testUpdate} accepts. */
export const MNAD_TEST_UPDATES: readonly MnadTestUpdate[] = ["gated", "always", "off"];

/**
 * How eq. 6-7 measure the per-pixel error e_ij of the regular score, on [0, 1]
 * intensities: `norm` is ‖Î^ij − I^ij‖₂ over channels, as eq. 6 prints it; `squared` is
 * its square averaged over channels. γ (§4.1: 0.015 recon, 0.01 pred) is a threshold
 * on E_t, a weighted mean of e_ij, so it only gates anything on the scale of squared
 * errors: a frame predicted at 30 dB PSNR has a root-mean-square error of 0.03, above
 * both γ values, while its squared errors (mean 0.001) straddle them. The paper reading
 * is therefore `squared`; `norm` is there to reproduce the printed equation.
 * `channel-squared` is the official code's (`utils.py`, `point_score`): every
 * pixel-channel's squared error is its own e, weighted on its own. On grey frames it
 * equals `squared`.
 */
export type MnadRegularError = "norm" | "squared" | "channel-squared";

/** Every value {@linkcode MnadConfig.regularError} accepts. */
export const MNAD_REGULAR_ERRORS: readonly MnadRegularError[] = [
  "norm",
  "squared",
  "channel-squared",
];

/**
 * Which reading of MNAD: `paper` follows the equations as printed (with the kit's
 * squared regular error, see {@linkcode MnadRegularError}); `official` does what the
 * official PyTorch code (github.com/cvlab-yonsei/MNAD) does where it departs from them.
 * A variant sets the six fields of {@linkcode MnadReading}; `docs/mnad-variants.md`
 * lists every difference and what it changes.
 */
export type MnadVariant = "paper" | "official";

/** Both variants, for argument validation. */
export const MNAD_VARIANTS: readonly MnadVariant[] = ["paper", "official"];

/**
 * The kit's default reading: the official code's, the one that produced the paper's
 * numbers and for which §4.1's λ_c, λ_s, λ and γ were chosen (the paper reading's
 * compactness gradient is hundreds of times larger at C = 512). Measured on the
 * synthetic video it is ahead for prediction in every seed and level for reconstruction;
 * `docs/results.md` and `docs/mnad-variants.md` give the numbers.
 */
export const DEFAULT_MNAD_VARIANT: MnadVariant = "official";

/** The settings in which the two variants differ, each one point of `docs/mnad-variants.md`. */
export interface MnadReading {
  /**
   * Eq. 5's normaliser of the update weights v^{k,m}: the maximum over the queries
   * assigned to item m, U^m (`assigned`, as printed), or over all queries of the batch
   * or frame (`all`, the official `get_update_query`).
   */
  updateMax: "assigned" | "all";
  /**
   * The compactness loss (eq. 10) per query: ‖q − p_p‖₂ (`distance`, as printed) or
   * ‖q − p_p‖²₂ / C (`mse`, the official `torch.nn.MSELoss`); both averaged over queries.
   */
  compactness: "distance" | "mse";
  /** D of the abnormality score (eq. 14) per query: `distance` or `mse`, as above. */
  featureDistance: "distance" | "mse";
  /**
   * Whether the read (eq. 2) back-propagates into the queries through the matching
   * probabilities w (eq. 1): true as printed; false in the official code, which reads
   * with `softmax_score_memory.detach()`.
   */
  readGradient: boolean;
  /** The regular score's per-pixel error (eq. 6); see {@linkcode MnadRegularError}. */
  regularError: MnadRegularError;
  /**
   * Initial items before the L2 normalisation: N(0, 1) draws (`normal`, the kit; the
   * paper says nothing) or U[0, 1) draws, all in the positive orthant (`uniform`,
   * `Train.py`).
   */
  itemInit: "normal" | "uniform";
}

/** The {@linkcode MnadReading} of each variant. */
export const MNAD_VARIANT_READINGS: Readonly<Record<MnadVariant, Readonly<MnadReading>>> = Object
  .freeze({
    paper: Object.freeze({
      updateMax: "assigned",
      compactness: "distance",
      featureDistance: "distance",
      readGradient: true,
      regularError: "squared",
      itemInit: "normal",
    }),
    official: Object.freeze({
      updateMax: "all",
      compactness: "mse",
      featureDistance: "mse",
      readGradient: false,
      regularError: "channel-squared",
      itemInit: "uniform",
    }),
  });

/** Configuration of one MNAD model. */
export interface MnadConfig extends MnadReading {
  /** The variant whose {@linkcode MnadReading} the fields below started from (recorded). */
  variant: MnadVariant;
  /** `recon` (no skips, input = target) or `pred` (skips, `inputFrames` frames in). */
  task: MnadTask;
  /** Frame height = width in pixels; divisible by 8 (three 2x poolings). */
  size: number;
  /** Channels of one frame: 1 (grey) or 3 (colour). */
  channels: number;
  /** Frames given to the `pred` task (§3: four, predicting the fifth). Ignored by `recon`. */
  inputFrames: number;
  /**
   * Base width: channels of the first stage; the stages have w, 2w, 4w, 8w channels and
   * the query and memory items have C = 8w. 64 gives the paper's C = 512 (§4.1).
   */
  width: number;
  /** Memory items M (§4.1: 10). */
  items: number;
  /** λ_c, weight of the feature compactness loss (eq. 8, 10). */
  lambdaCompact: number;
  /** λ_s, weight of the feature separateness loss (eq. 8, 12). */
  lambdaSeparate: number;
  /** α, the margin of the separateness loss (eq. 12; §4.1: 1). */
  margin: number;
  /** λ of the abnormality score (eq. 16): weight of the PSNR term. */
  lambdaScore: number;
  /** γ, the regular-score threshold above which a test frame does not update the memory. */
  gamma: number;
  /** Test-time memory update; see {@linkcode MnadTestUpdate}. */
  testUpdate: MnadTestUpdate;
  /** Initial learning rate (§4.1: 2e-5 for recon, 2e-4 for pred). */
  lr: number;
  /**
   * Cosine annealing (§4.1, SGDR without restarts) of the learning rate from `lr` to 0
   * over this many optimisation steps; 0 keeps `lr` constant.
   */
  cosineSteps: number;
}

/** Paper §4.1: the values that differ between the two tasks (grid-searched on Ped1). */
export const MNAD_TASK_DEFAULTS: Readonly<
  Record<
    MnadTask,
    Readonly<Pick<MnadConfig, "lambdaCompact" | "lambdaSeparate" | "lambdaScore" | "gamma" | "lr">>
  >
> = Object.freeze({
  recon: Object.freeze({
    lambdaCompact: 0.01,
    lambdaSeparate: 0.01,
    lambdaScore: 0.7,
    gamma: 0.015,
    lr: 2e-5,
  }),
  pred: Object.freeze({
    lambdaCompact: 0.1,
    lambdaSeparate: 0.1,
    lambdaScore: 0.6,
    gamma: 0.01,
    lr: 2e-4,
  }),
});

/**
 * The paper's configuration for `task` at 256x256 (§4.1), for grey frames, read as
 * `variant` says (default {@linkcode DEFAULT_MNAD_VARIANT}). The official code's README runs both tasks with §4.1's values (its
 * `Evaluate.py` defaults, α = 0.6 and γ = 0.01, are the prediction task's; the README
 * passes `--alpha 0.7 --th 0.015` for reconstruction), so the variants share them.
 */
export function mnadDefaults(
  task: MnadTask,
  variant: MnadVariant = DEFAULT_MNAD_VARIANT,
): MnadConfig {
  const t = MNAD_TASK_DEFAULTS[task];
  if (t == null) {
    throw new MnadConfigError(`unknown MNAD task '${task}' (${MNAD_TASKS.join(" or ")})`);
  }
  const reading = MNAD_VARIANT_READINGS[variant];
  if (reading == null) {
    throw new MnadConfigError(
      `unknown MNAD variant '${variant}' (${MNAD_VARIANTS.join(" or ")})`,
    );
  }
  return {
    variant,
    ...reading,
    task,
    size: 256,
    channels: 1,
    inputFrames: 4,
    width: 64,
    items: 10,
    lambdaCompact: t.lambdaCompact,
    lambdaSeparate: t.lambdaSeparate,
    margin: 1,
    lambdaScore: t.lambdaScore,
    gamma: t.gamma,
    testUpdate: "gated",
    lr: t.lr,
    cosineSteps: 0,
  };
}

/** The paper's best model (Ours-P w/ Mem., Table 1): the prediction task, §4.1 values. */
export const DEFAULT_MNAD_CONFIG: Readonly<MnadConfig> = Object.freeze(mnadDefaults("pred"));

/** Raised for an MNAD configuration that cannot be built; the message names the field. */
export class MnadConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MnadConfigError";
  }
}

/** Channels of the query map and of each memory item: C = 8·width (512 at width 64). */
export function queryChannels(config: Pick<MnadConfig, "width">): number {
  return 8 * config.width;
}

/** Frames stacked along channels in one sample: inputs + target for `pred`, 1 for `recon`. */
export function framesPerSample(config: Pick<MnadConfig, "task" | "inputFrames">): number {
  return config.task === "pred" ? config.inputFrames + 1 : 1;
}

/** Channels of one sample as the data layer stores it (clips along channels for `pred`). */
export function sampleChannels(
  config: Pick<MnadConfig, "task" | "inputFrames" | "channels">,
): number {
  return framesPerSample(config) * config.channels;
}

/**
 * Checks a configuration; throws {@linkcode MnadConfigError} naming the bad field and
 * its value.
 */
export function validateMnadConfig(config: MnadConfig): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new MnadConfigError(`MNAD ${name} must be an integer >= ${min}, got ${v}`);
    }
  };
  const nonNegative = (name: string, v: number) => {
    if (!(v >= 0 && Number.isFinite(v))) {
      throw new MnadConfigError(`MNAD ${name} must be a finite number >= 0, got ${v}`);
    }
  };
  if (!(MNAD_TASKS as readonly string[]).includes(config.task)) {
    throw new MnadConfigError(`unknown MNAD task '${config.task}' (${MNAD_TASKS.join(" or ")})`);
  }
  int("size", config.size, 8);
  if (config.size % 8 !== 0) {
    throw new MnadConfigError(
      `MNAD size must be divisible by 8 (three 2x poolings), got ${config.size}`,
    );
  }
  int("channels", config.channels, 1);
  int("inputFrames", config.inputFrames, 1);
  int("width", config.width, 1);
  // The separateness loss needs a second-nearest item (eq. 13).
  int("items", config.items, 2);
  nonNegative("lambdaCompact", config.lambdaCompact);
  nonNegative("lambdaSeparate", config.lambdaSeparate);
  nonNegative("margin", config.margin);
  nonNegative("gamma", config.gamma);
  if (!(config.lambdaScore >= 0 && config.lambdaScore <= 1)) {
    throw new MnadConfigError(`MNAD lambdaScore must be in [0, 1], got ${config.lambdaScore}`);
  }
  if (!(MNAD_TEST_UPDATES as readonly string[]).includes(config.testUpdate)) {
    throw new MnadConfigError(
      `unknown MNAD testUpdate '${config.testUpdate}' (${MNAD_TEST_UPDATES.join(", ")})`,
    );
  }
  const oneOf = (name: string, v: unknown, allowed: readonly unknown[]) => {
    if (!allowed.includes(v)) {
      throw new MnadConfigError(`unknown MNAD ${name} '${v}' (${allowed.join(", ")})`);
    }
  };
  oneOf("variant", config.variant, MNAD_VARIANTS);
  oneOf("regularError", config.regularError, MNAD_REGULAR_ERRORS);
  oneOf("updateMax", config.updateMax, ["assigned", "all"]);
  oneOf("compactness", config.compactness, ["distance", "mse"]);
  oneOf("featureDistance", config.featureDistance, ["distance", "mse"]);
  oneOf("readGradient", config.readGradient, [true, false]);
  oneOf("itemInit", config.itemInit, ["normal", "uniform"]);
  if (!(config.lr > 0 && Number.isFinite(config.lr))) {
    throw new MnadConfigError(`MNAD lr must be > 0, got ${config.lr}`);
  }
  int("cosineSteps", config.cosineSteps, 0);
}

/**
 * The paper's configuration for `task` fitted to a data set whose samples have
 * `sampleChannels` channels (a frame's channels, times `inputFrames + 1` for `pred`),
 * read as `overrides.variant` says (default {@linkcode DEFAULT_MNAD_VARIANT}), with
 * `overrides` (size, width, items, lr... from a run's flags) applied last.
 * Throws {@linkcode MnadConfigError} when the channels do not split into clips.
 *
 * @example
 * ```ts
 * import { mnadConfigFromSamples } from "./config.ts";
 * const c = mnadConfigFromSamples("pred", 5, { size: 64, width: 8 });
 * console.log(c.channels, c.lr); // 1 0.0002
 * ```
 */
export function mnadConfigFromSamples(
  task: MnadTask,
  sampleChannels: number,
  overrides: Partial<Omit<MnadConfig, "task" | "channels">> = {},
): MnadConfig {
  const base = { ...mnadDefaults(task, overrides.variant), ...overrides, task };
  const frames = framesPerSample(base);
  if (!Number.isInteger(sampleChannels) || sampleChannels < 1 || sampleChannels % frames !== 0) {
    throw new MnadConfigError(
      `MNAD ${task} takes samples of ${frames} frame(s) stacked along channels, but the data ` +
        `has ${sampleChannels} channels (load video with task '${task}')`,
    );
  }
  const config = { ...base, channels: sampleChannels / frames };
  validateMnadConfig(config);
  return config;
}
