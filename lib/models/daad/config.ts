/**
 * Configuration of the DAAD network family: vanilla AE, AE+Skip, MemAE* and DAAD share
 * one encoder/decoder (supplement Table 2) and differ in skips and memory.
 * @module
 */
import {
  type Addressing,
  BlockGeometryError,
  type BlockMemoryConfig,
  type Division,
  type MemoryInit,
  type MemoryUpdate,
  SIMILARITIES,
  type Similarity,
  validateBlockMemoryConfig,
} from "../../memory/block_memory.ts";
import { INIT_SCHEMES, type InitScheme } from "../../nn/layers.ts";
import { ConfigError } from "../../util/errors.ts";

/** The variants of `--model` built from this network. */
export type DaadVariant = "ae" | "ae-skip" | "memae" | "daad";

/** All variants, for argument validation. */
export const DAAD_VARIANTS: readonly DaadVariant[] = ["ae", "ae-skip", "memae", "daad"];

/** Configuration of one network of the family. */
export interface DaadConfig {
  /** Which variant: decides skips and which scales carry memory. */
  variant: DaadVariant;
  /** Input height = width in pixels; divisible by 16 (four 2x poolings). */
  size: number;
  /** Input channels: 1 (grey) or 3 (colour). */
  channels: number;
  /** Base width: channels of the first stage; 64 in supplement Table 2. */
  width: number;
  /**
   * Channels of the 16x stage: the two bottleneck convolutions and the decoder's first
   * up-sampling input. Null or absent = 16 x width, supplement Table 2.
   */
  bottleneck?: number | null;
  /**
   * How the layers draw their starting weights: `he` (the kit's He-normal, no conv bias
   * before batch norm) or `torch` (PyTorch's defaults, biases included). Absent = `he`.
   */
  init?: InitScheme;
  /** Memory items N per bank (paper default 500). */
  memory: number;
  /**
   * Division rates (rh, rw, rc), the same at every memory scale (paper §3.1.2). For
   * `memae`, null means pixel-wise at the 16x scale (rh = rw = size / 16).
   */
  division: Division | null;
  /**
   * Spatial division rates per memory scale (2x, 4x, 8x, 16x), rh = rw = r, replacing
   * `division`'s rh and rw at that scale (its rc stays). A departure from the paper, which
   * uses one set of rates at every scale (§3.1.2); null or absent = `division` everywhere.
   */
  scaleRates?: readonly number[] | null;
  /** `daad` drops weights < 1/N; `memae` uses hard shrinkage + entropy loss. */
  addressing: Addressing;
  /**
   * How queries are matched with the items: `cosine` (eq. 1), `dot` (raw inner products,
   * MemAE's code) or `vq` (nearest item, straight-through). Absent = `cosine`.
   */
  similarity?: Similarity;
  /** β of the commitment loss β·mean((q − sg(m))²) (`vq` only; VQ-VAE: 0.25). */
  commitmentWeight?: number;
  /** MemAE shrinkage threshold λ; MemAE recommends 1/N to 3/N. */
  shrinkThreshold: number;
  /** Softmax temperature τ of the addressing; 1 = eq. 1 as printed. */
  temperature: number;
  /** Renormalise the addressing weights after the 1/N drop (`daad` addressing). */
  renormalize: boolean;
  /** How memory items start: random, or copied from the first batch's queries. */
  memoryInit: MemoryInit;
  /** How memory items learn: by gradient (the paper) or as running means (`ema`). */
  memoryUpdate?: MemoryUpdate;
  /** Weight of the banks' compactness loss (0 = the paper's loss, reconstruction only). */
  compactnessWeight: number;
  /** Weight of MemAE's entropy loss (official default 0.0002); 0 disables it. */
  entropyWeight: number;
  /**
   * Reconstruction loss: `mse`, the mean squared pixel error, or `l2`, eq. 4 as printed:
   * ‖x − x̂‖₂ per image, averaged over the batch (its gradient keeps its size as the
   * error shrinks, and every image counts alike).
   */
  recLoss: "mse" | "l2";
}

/** Supplement Table 2 at 256x256 with the paper's memory settings (§4.1). */
export const DEFAULT_DAAD_CONFIG: Readonly<DaadConfig> = Object.freeze({
  variant: "daad" as DaadVariant,
  size: 256,
  channels: 3,
  width: 64,
  memory: 500,
  division: [8, 8, 1] as Division,
  addressing: "daad" as Addressing,
  shrinkThreshold: 1 / 500,
  temperature: 1,
  renormalize: false,
  memoryInit: "random" as MemoryInit,
  compactnessWeight: 0,
  entropyWeight: 0.0002,
  recLoss: "mse" as "mse" | "l2",
});

/** The kit's configuration error, kept importable from here for older code. */
export { ConfigError };

/** Whether the variant concatenates encoder features into the decoder. */
export function hasSkips(variant: DaadVariant): boolean {
  return variant === "ae-skip" || variant === "daad";
}

/** Encoder scales (1 = 2x, 2 = 4x, 3 = 8x, 4 = 16x down-sampling) that carry a memory. */
export function memoryScales(variant: DaadVariant): number[] {
  switch (variant) {
    case "daad":
      return [1, 2, 3, 4];
    case "memae":
      return [4];
    default:
      return [];
  }
}

/**
 * Channels of stage `i` (0..4) for base width `width`: w, 2w, 4w, 8w and the 16x
 * stage's `bottleneck` (default 16w, supplement Table 2).
 */
export function stageChannels(width: number, bottleneck?: number | null): number[] {
  return [width, 2 * width, 4 * width, 8 * width, bottleneck ?? 16 * width];
}

/** The default β of the commitment loss (VQ-VAE, van den Oord et al. 2017, §3.2). */
export const DEFAULT_COMMITMENT_WEIGHT = 0.25;

/**
 * The division used at memory scale `scale` (1..4): `scaleRates[scale - 1]` for rh and rw
 * where the configuration sets per-scale rates, else `division`; `memae` with null
 * division is pixel-wise at 16x.
 */
export function effectiveDivision(config: DaadConfig, scale: number): Division {
  const base: Division = config.division ?? [config.size / 16, config.size / 16, 1];
  const r = config.scaleRates?.[scale - 1];
  return r == null ? base : [r, r, base[2]];
}

/** The block-memory options of the bank at memory scale `scale` (1..4). */
export function memoryConfigOf(config: DaadConfig, scale: number): BlockMemoryConfig {
  return {
    division: effectiveDivision(config, scale),
    items: config.memory,
    addressing: config.addressing,
    shrinkThreshold: config.shrinkThreshold,
    temperature: config.temperature,
    renormalize: config.renormalize,
    init: config.memoryInit,
    update: config.memoryUpdate ?? "gradient",
    similarity: config.similarity ?? "cosine",
  };
}

/** Feature map of encoder scale `scale` (1..4) after pooling. */
export function scaleMap(
  config: DaadConfig,
  scale: number,
): { height: number; width: number; channels: number } {
  const side = config.size / 2 ** scale;
  return {
    height: side,
    width: side,
    channels: stageChannels(config.width, config.bottleneck)[scale - 1],
  };
}

/**
 * Checks a configuration; throws {@linkcode ConfigError} or
 * {@linkcode BlockGeometryError} naming the bad field, value and scale.
 */
export function validateDaadConfig(config: DaadConfig): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new ConfigError(`${name} must be an integer >= ${min}, got ${v}`);
    }
  };
  if (!(DAAD_VARIANTS as readonly string[]).includes(config.variant)) {
    throw new ConfigError(`unknown variant '${config.variant}' (${DAAD_VARIANTS.join(", ")})`);
  }
  int("size", config.size, 16);
  if (config.size % 16 !== 0) {
    throw new ConfigError(`size must be divisible by 16 (four 2x poolings), got ${config.size}`);
  }
  int("channels", config.channels, 1);
  int("width", config.width, 1);
  if (config.bottleneck != null) int("bottleneck", config.bottleneck, 1);
  if (config.init != null && !(INIT_SCHEMES as readonly string[]).includes(config.init)) {
    throw new ConfigError(`init must be ${INIT_SCHEMES.join(" or ")}, got '${config.init}'`);
  }
  int("memory", config.memory, 1);
  const similarity = config.similarity ?? "cosine";
  if (!(SIMILARITIES as readonly string[]).includes(similarity)) {
    throw new ConfigError(`similarity must be ${SIMILARITIES.join(", ")}, got '${similarity}'`);
  }
  const beta = config.commitmentWeight;
  if (beta != null && !(beta >= 0 && Number.isFinite(beta))) {
    throw new ConfigError(`commitment weight must be >= 0, got ${beta}`);
  }
  if (config.recLoss !== "mse" && config.recLoss !== "l2") {
    throw new ConfigError(`reconstruction loss must be mse or l2, got '${config.recLoss}'`);
  }
  if (!(config.compactnessWeight >= 0 && Number.isFinite(config.compactnessWeight))) {
    throw new ConfigError(`compactness weight must be >= 0, got ${config.compactnessWeight}`);
  }
  if (!(config.entropyWeight >= 0)) {
    throw new ConfigError(`entropy weight must be >= 0, got ${config.entropyWeight}`);
  }
  if (config.scaleRates != null) {
    const rates = config.scaleRates;
    if (rates.length !== 4 || rates.some((r) => !Number.isInteger(r) || r < 1)) {
      throw new ConfigError(
        `scale rates must be four positive integers (2x, 4x, 8x, 16x), got ${rates.join(",")}`,
      );
    }
  }
  for (const scale of memoryScales(config.variant)) {
    try {
      validateBlockMemoryConfig(
        memoryConfigOf(config, scale),
        scaleMap(config, scale),
        `memory at scale ${scale} (${2 ** scale}x)`,
      );
    } catch (e) {
      if (e instanceof BlockGeometryError) {
        throw new BlockGeometryError(`${e.message}; input size ${config.size}`);
      }
      throw e;
    }
  }
}
