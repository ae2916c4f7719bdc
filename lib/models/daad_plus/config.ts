/**
 * Configuration of DAAD+ (paper §3.1.3-§3.3): any generator of the DAAD family (AE,
 * AE+Skip, MemAE*, DAAD), the discriminator of supplement Table 3, the loss weights of
 * eq. 3, γ of eq. 7 and the ablation switches of Table 5.
 *
 * @example
 * ```ts
 * import { DEFAULT_DAAD_PLUS_CONFIG, TABLE5_ABLATIONS, validateDaadPlusConfig } from "./config.ts";
 * // Table 5, MemAE* generator, L_adv and L_ali in training, R(x) only in the score:
 * const c = { ...DEFAULT_DAAD_PLUS_CONFIG, variant: "memae" as const, division: null,
 *   addressing: "memae" as const, ...TABLE5_ABLATIONS["adv+ali+R"] };
 * validateDaadPlusConfig(c);
 * ```
 * @module
 */
import {
  ConfigError,
  type DaadConfig,
  DEFAULT_DAAD_CONFIG,
  validateDaadConfig,
} from "../daad/config.ts";
import type { AdamConfig } from "../../train/adam.ts";
import { validateDiscriminatorConfig } from "./discriminator.ts";
import { DEFAULT_FUSION_SCALE, type FusionScale } from "./score.ts";

/** Which terms train the model and which components make the score (Table 5's columns). */
export interface DaadPlusAblation {
  /** L_adv (eq. 5): train a discriminator against the generator. */
  adversarial: boolean;
  /** L_ali (eq. 6): align f_D(x̂) with f_D(x) in the generator's loss. */
  alignment: boolean;
  /** R(x) (§3.3) in the anomaly score. */
  reconstructionScore: boolean;
  /** L(x) (§3.3) in the anomaly score. */
  alignmentScore: boolean;
}

/** The generator's configuration plus the discriminator, loss weights and switches. */
export interface DaadPlusConfig extends DaadConfig, DaadPlusAblation {
  /** Channels of the discriminator's first convolution (64 in supplement Table 3). */
  discriminatorWidth: number;
  /** Channels of the f_D convolution (100 in supplement Table 3). */
  featureDim: number;
  /** λ_rec of eq. 3 (50, §4.1). Multiplies MemAE's entropy term too, keeping its ratio. */
  lambdaRec: number;
  /** λ_adv of eq. 3 (0.5, §4.1). */
  lambdaAdv: number;
  /** λ_ali of eq. 3 (0.5, §4.1). */
  lambdaAli: number;
  /** γ of eq. 7 (0.9, §4.1): the weight of R(x) when both components are scored. */
  gamma: number;
  /**
   * D's target for real images: 1 is eq. 5; a value in (0.5, 1) is one-sided label
   * smoothing, against a D that wins outright. Optional: absent = 1.
   */
  realLabel?: number;
  /**
   * What eq. 7 fuses: `distance` (the norms of eq. 4 and 6, §3.3's reading; the default)
   * or `square` (their squares). Optional: absent = `distance`.
   */
  fusionScale?: FusionScale;
  /**
   * How training passes batch real and reconstructed images through D's batch norm:
   * "separate" = one batch each (DCGAN practice, the default), "joint" = one batch
   * [x; x̂] sharing statistics (see model.ts for what each does to L(x)).
   */
  discriminatorBatch: DiscriminatorBatch;
}

/** See {@linkcode DaadPlusConfig.discriminatorBatch}. */
export type DiscriminatorBatch = "joint" | "separate";

/**
 * The rows of Table 5 for one generator, named by their ticks: R(x) only (the generator
 * alone), + L_adv, + L_ali, L(x) instead of R(x), and all four (the DAAD+ row).
 */
export const TABLE5_ROWS = ["R", "adv+R", "adv+ali+R", "adv+ali+L", "adv+ali+L+R"] as const;

/** A row of Table 5 (see {@linkcode TABLE5_ROWS}). */
export type Table5Row = typeof TABLE5_ROWS[number];

/** The switches of each row of Table 5. */
export const TABLE5_ABLATIONS: Readonly<Record<Table5Row, Readonly<DaadPlusAblation>>> = Object
  .freeze({
    "R": { adversarial: false, alignment: false, alignmentScore: false, reconstructionScore: true },
    "adv+R": {
      adversarial: true,
      alignment: false,
      alignmentScore: false,
      reconstructionScore: true,
    },
    "adv+ali+R": {
      adversarial: true,
      alignment: true,
      alignmentScore: false,
      reconstructionScore: true,
    },
    "adv+ali+L": {
      adversarial: true,
      alignment: true,
      alignmentScore: true,
      reconstructionScore: false,
    },
    "adv+ali+L+R": {
      adversarial: true,
      alignment: true,
      alignmentScore: true,
      reconstructionScore: true,
    },
  });

/**
 * DAAD+ as in the paper: the DAAD generator (supplement Table 2, §4.1 memory settings),
 * the Table 3 discriminator, λ_rec = 50, λ_adv = 0.5, λ_ali = 0.5 and γ = 0.9 (§4.1),
 * every term of Table 5 on.
 */
export const DEFAULT_DAAD_PLUS_CONFIG: Readonly<DaadPlusConfig> = Object.freeze({
  ...DEFAULT_DAAD_CONFIG,
  discriminatorWidth: 64,
  featureDim: 100,
  lambdaRec: 50,
  lambdaAdv: 0.5,
  lambdaAli: 0.5,
  gamma: 0.9,
  fusionScale: DEFAULT_FUSION_SCALE,
  discriminatorBatch: "separate" as DiscriminatorBatch,
  ...TABLE5_ABLATIONS["adv+ali+L+R"],
});

/** Adam for both networks (§4.1): lr 2e-4 once L_adv and L_ali are on; betas 0.9, 0.999. */
export const DEFAULT_DAAD_PLUS_ADAM: Readonly<Partial<AdamConfig>> = Object.freeze({ lr: 2e-4 });

/** The generator's part of a configuration (what `DaadNetwork` takes). */
export function generatorConfig(c: DaadPlusConfig): DaadConfig {
  return {
    variant: c.variant,
    size: c.size,
    channels: c.channels,
    width: c.width,
    bottleneck: c.bottleneck,
    init: c.init,
    memory: c.memory,
    division: c.division,
    scaleRates: c.scaleRates,
    addressing: c.addressing,
    similarity: c.similarity,
    commitmentWeight: c.commitmentWeight,
    shrinkThreshold: c.shrinkThreshold,
    temperature: c.temperature,
    renormalize: c.renormalize,
    memoryInit: c.memoryInit,
    memoryUpdate: c.memoryUpdate,
    compactnessWeight: c.compactnessWeight,
    entropyWeight: c.entropyWeight,
    recLoss: c.recLoss,
  };
}

/** Whether the configuration needs a discriminator at all (training or scoring). */
export function needsDiscriminator(c: DaadPlusAblation): boolean {
  return c.adversarial || c.alignment || c.alignmentScore;
}

/**
 * Checks a configuration; throws {@linkcode ConfigError} naming the bad field and value
 * (generator fields are checked by `validateDaadConfig`).
 */
export function validateDaadPlusConfig(config: DaadPlusConfig): void {
  validateDaadConfig(config);
  for (const k of ["adversarial", "alignment", "reconstructionScore", "alignmentScore"] as const) {
    if (typeof config[k] !== "boolean") {
      throw new ConfigError(`${k} must be true or false, got ${JSON.stringify(config[k])}`);
    }
  }
  for (const k of ["lambdaRec", "lambdaAdv", "lambdaAli"] as const) {
    const v = config[k];
    if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`${k} must be >= 0, got ${v}`);
  }
  if (!(config.gamma >= 0 && config.gamma <= 1)) {
    throw new ConfigError(`gamma must be in [0, 1], got ${config.gamma}`);
  }
  const realLabel = config.realLabel ?? 1;
  if (!(realLabel > 0.5 && realLabel <= 1)) {
    throw new ConfigError(`realLabel must be in (0.5, 1], got ${realLabel}`);
  }
  const scale = config.fusionScale ?? DEFAULT_FUSION_SCALE;
  if (scale !== "distance" && scale !== "square") {
    throw new ConfigError(
      `fusionScale must be 'distance' or 'square', got ${JSON.stringify(scale)}`,
    );
  }
  if (config.discriminatorBatch !== "joint" && config.discriminatorBatch !== "separate") {
    throw new ConfigError(
      `discriminatorBatch must be 'joint' or 'separate', got ${
        JSON.stringify(config.discriminatorBatch)
      }`,
    );
  }
  if (!config.reconstructionScore && !config.alignmentScore) {
    throw new ConfigError(
      "the score needs R(x), L(x) or both: reconstructionScore and alignmentScore are both false",
    );
  }
  if (needsDiscriminator(config)) {
    validateDiscriminatorConfig({
      size: config.size,
      channels: config.channels,
      width: config.discriminatorWidth,
      featureDim: config.featureDim,
    });
  }
}
