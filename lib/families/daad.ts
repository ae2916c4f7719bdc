/**
 * The DAAD family: the vanilla AE, AE+Skip, MemAE* and DAAD (`--model ae|ae-skip|memae|daad`),
 * one encoder/decoder of supplement Table 2 that differ in skips and memory
 * (`lib/models/daad/`). This module owns their flags, their defaults per data set, the
 * checks of their settings and the mapping to {@linkcode DaadConfig}.
 *
 * Adding a flag to the family is three edits here: an entry in {@linkcode DAAD_FLAGS}
 * (its type, range and help), a key with its default in {@linkcode DaadSettings} and
 * {@linkcode DEFAULT_DAAD_SETTINGS}, and the line of {@linkcode daadConfigFor} that
 * passes it to the model (plus a rule in {@linkcode checkDaadSettings} when it depends
 * on another setting). DAAD+ takes the family's flags for its generator, so it gets the
 * flag too.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./resolve.ts";
 * import { daadConfigFor, type DaadSettings } from "./daad.ts";
 * import type { RunConfig } from "../config.ts";
 * const run = resolveRunConfig({ model: "memae", data: "mnist" }) as RunConfig<DaadSettings>;
 * console.log(run.settings.memory, daadConfigFor(run, 1).shrinkThreshold); // 100 0.01
 * ```
 * @module
 */
import { type DataName, flagError, type FlagSpec, type RunConfig } from "../config.ts";
import {
  type Division,
  type MemoryInit,
  type MemoryUpdate,
  SIMILARITIES,
  type Similarity,
} from "../memory/block_memory.ts";
import { INIT_SCHEMES, type InitScheme } from "../nn/layers.ts";
import {
  DAAD_VARIANTS,
  type DaadConfig,
  type DaadVariant,
  DEFAULT_COMMITMENT_WEIGHT,
  validateDaadConfig,
} from "../models/daad/config.ts";
import { DaadModel } from "../models/daad/kit_model.ts";
import { ConfigError } from "../util/errors.ts";
import { defineFamily, type ModelFamily } from "./family.ts";

/** The DAAD family's settings (its flags' values; null = the model's default). */
export type DaadSettings = {
  /** Memory items N per bank. */
  memory: number;
  /** Division rates (rh, rw, rc); null = the model's default (pixel-wise for memae). */
  division: Division | null;
  /**
   * Spatial division rates per memory scale (2x, 4x, 8x, 16x), replacing the division's
   * rh and rw there (DAAD and DAAD+ only; the paper uses one set at every scale).
   * Absent or null = the division everywhere.
   */
  scaleRates?: number[] | null;
  /** Reconstruction loss: mean squared error or eq. 4's per-image L2 norm. */
  recLoss: "mse" | "l2";
  /** Addressing softmax temperature τ (1 = eq. 1 as printed); null = the kit's default. */
  temperature: number | null;
  /** Renormalise the weights after the 1/N drop; null = the kit's default. */
  renorm: boolean | null;
  /** How memory items start (random or from the first batch's queries); null = default. */
  memInit: MemoryInit | null;
  /** How memory items learn (gradient or running means of their queries); null = default. */
  memUpdate: MemoryUpdate | null;
  /** MemAE's shrink threshold λ; null = 1/N (MemAE recommends 1/N to 3/N). */
  shrink: number | null;
  /** Weight of the memory compactness loss; null = the kit's default. */
  compactness: number | null;
  /** Eq. 1 as printed (τ = 1, random items, no renormalisation), whatever the defaults. */
  eq1: boolean;
  /** Channels of the 16x stage and the bottleneck; absent or null = 16 x width. */
  bottleneck?: number | null;
  /** Starting weights: the kit's He-normal or PyTorch's defaults; absent or null = he. */
  init?: InitScheme | null;
  /** Memory addressing: cosine (eq. 1), dot (MemAE's code) or vq; absent or null = cosine. */
  addressing?: Similarity | null;
  /** β of `--addressing vq`'s commitment loss; absent or null = 0.25 (VQ-VAE). */
  commitment?: number | null;
};

/** The flags of the DAAD family (DAAD+ takes them for its generator). */
export const DAAD_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze(
  {
    memory: { type: "int", min: 1, help: "Memory items N per bank (paper: 500)." },
    division: {
      type: "ints",
      count: 3,
      names: "RH,RW,RC",
      help: "Division rates RH,RW,RC (paper: 8,8,1).",
    },
    "scale-rates": {
      type: "ints",
      count: 4,
      names: "R2x,R4x,R8x,R16x",
      help: "Spatial division rate per memory scale R2x,R4x,R8x,R16x (rh = rw; RC from " +
        "--division); DAAD only, the paper uses one rate everywhere (docs/memory.md).",
      foreign: {
        what: "sets the block memories at the four scales of DAAD (and DAAD+ with its daad " +
          "generator)",
        lacks: "no such memories",
      },
    },
    "rec-loss": {
      type: "enum",
      choices: ["mse", "l2"],
      help: "Reconstruction loss: mse or l2 (eq. 4's per-image norm).",
    },
    temperature: {
      type: "float",
      min: 0,
      exclusiveMin: true,
      help: "Memory addressing softmax temperature τ (1 = eq. 1 as printed; see docs/memory.md).",
    },
    renorm: { type: "bool", help: "Renormalise the memory weights after the 1/N drop." },
    "mem-init": {
      type: "enum",
      choices: ["random", "queries"],
      help: "Memory items start random or copied from the first batch's queries.",
    },
    "mem-update": {
      type: "enum",
      choices: ["gradient", "ema"],
      help:
        "Memory items learn by gradient (default) or as running means of the queries that read them.",
    },
    shrink: {
      type: "float",
      min: 0,
      help: "MemAE's shrink threshold λ (default 1/N; MemAE recommends 1/N to 3/N).",
    },
    compactness: {
      type: "float",
      min: 0,
      help: "Weight of the memory compactness loss mean((q − nearest item)²) (paper: none).",
    },
    eq1: { type: "bool", help: "Memory addressing as eq. 1 is printed (τ 1, random items)." },
    bottleneck: {
      type: "int",
      min: 1,
      help: "Channels of the 16x stage and the bottleneck (default 16 x --width; docs/budget.md).",
    },
    init: {
      type: "enum",
      choices: INIT_SCHEMES,
      help: "Starting weights: he (He-normal, the default) or torch (PyTorch's defaults: " +
        "uniform ±1/sqrt(fan_in), conv biases included).",
    },
    addressing: {
      type: "enum",
      choices: SIMILARITIES,
      help: "Block memory addressing: cosine (eq. 1, default), dot (softmax of raw inner " +
        "products, MemAE's code) or vq (nearest item, straight-through, commitment loss; items " +
        "by codebook loss, or by EMA with --mem-update ema).",
    },
    commitment: {
      type: "float",
      min: 0,
      help: "--addressing vq: weight β of the commitment loss (default 0.25, VQ-VAE).",
    },
  } satisfies Record<string, FlagSpec>,
);

/** The family's settings when neither a preset nor a flag sets them (the paper's §4.1). */
export const DEFAULT_DAAD_SETTINGS: Readonly<DaadSettings> = Object.freeze({
  memory: 500,
  division: [8, 8, 1] as Division,
  recLoss: "mse" as const,
  temperature: null,
  renorm: null,
  memInit: null,
  memUpdate: null,
  shrink: null,
  compactness: null,
  eq1: false,
});

/** The paper's memory (§4.1) and eq. 4 as printed, for MVTec AD and data like it. */
const PAPER_SETTINGS: Readonly<Partial<DaadSettings>> = Object.freeze({
  memory: 500,
  division: [8, 8, 1] as Division,
  // Eq. 4 as printed, ‖x − x̂‖₂ per image (measured better than the mean square on the
  // synthetic MVTec-layout set: DAAD's mean image AUROC 0.887 against 0.829).
  recLoss: "l2" as const,
});

/**
 * The family's presets per data set (the data set's own preset, `PRESETS` in
 * `config.ts`, sets size, width, batch, epochs, lr). `synthetic-video` is `--data video`
 * without `--root`: its division 4,4,1 at 64x64 keeps the supplement's block size
 * (16,16,1 at 256x256). A data set not listed takes {@linkcode DEFAULT_DAAD_SETTINGS}.
 */
export const DAAD_DATA_PRESETS: Readonly<
  Partial<Record<DataName | "synthetic-video", Partial<DaadSettings>>>
> = Object.freeze({
  mvtec: PAPER_SETTINGS,
  visa: PAPER_SETTINGS,
  folder: PAPER_SETTINGS,
  mnist: { memory: 100, division: [2, 2, 1] },
  cifar10: { memory: 100, division: [2, 2, 1] },
  stripes: { memory: 50, division: [4, 4, 1] },
  // Supplement, "Experiments on Video Datasets": r = 16, N = 2000.
  video: { memory: 2000, division: [16, 16, 1] },
  "synthetic-video": { memory: 50, division: [4, 4, 1] },
});

/** The family's settings for `model` on a data set: defaults, then the data set's preset. */
export function daadDefaults(
  model: string,
  data: DataName,
  synthetic: boolean,
): DaadSettings {
  return {
    ...DEFAULT_DAAD_SETTINGS,
    ...DAAD_DATA_PRESETS[synthetic ? "synthetic-video" : data],
    // MemAE*: pixel-wise memory at the 16x scale (paper §4.3).
    ...(model === "memae" ? { division: null } : {}),
  };
}

/** The memory options a run chooses for the DAAD family. */
export interface MemoryOptions {
  temperature: number;
  renormalize: boolean;
  memoryInit: MemoryInit;
  memoryUpdate: MemoryUpdate;
  compactnessWeight: number;
}

/**
 * Eq. 1 as printed: cosine softmax without temperature, random items, no
 * renormalisation, and the paper's loss (no compactness term).
 */
export const EQ1_MEMORY: Readonly<MemoryOptions> = Object.freeze({
  temperature: 1,
  renormalize: false,
  memoryInit: "random" as MemoryInit,
  memoryUpdate: "gradient" as MemoryUpdate,
  compactnessWeight: 0,
});

/**
 * The kit's memory defaults for DAAD's block memory, chosen from the ablation in
 * docs/memory.md: eq. 1 as printed, since no sparser variant (temperature, items from
 * queries, renormalisation, compactness) measured a higher image AUROC there. Change one
 * value with `--temperature`, `--renorm`, `--mem-init` or `--compactness`.
 */
export const KIT_MEMORY_DEFAULTS: Readonly<MemoryOptions> = EQ1_MEMORY;

/**
 * The network configuration of a DAAD-family run with `channels` input channels (`run.model`
 * is the variant: DAAD+ passes its generator).
 */
export function daadConfigFor(run: RunConfig<DaadSettings>, channels: number): DaadConfig {
  const variant = run.model as DaadVariant;
  const s = run.settings;
  // MemAE* keeps MemAE's own addressing (τ = 1, random items) unless flags say otherwise.
  const base = s.eq1 || variant === "memae" ? EQ1_MEMORY : KIT_MEMORY_DEFAULTS;
  return {
    variant,
    size: run.size,
    channels,
    width: run.width,
    memory: s.memory,
    division: s.division,
    ...(s.scaleRates != null ? { scaleRates: s.scaleRates } : {}),
    addressing: variant === "memae" ? "memae" : "daad",
    // MemAE recommends λ in [1/N, 3/N]: 1/N keeps at least the largest weight (always >= 1/N).
    shrinkThreshold: s.shrink ?? 1 / s.memory,
    temperature: s.temperature ?? base.temperature,
    renormalize: s.renorm ?? base.renormalize,
    memoryInit: s.memInit ?? base.memoryInit,
    memoryUpdate: s.memUpdate ?? base.memoryUpdate,
    compactnessWeight: s.compactness ?? base.compactnessWeight,
    entropyWeight: variant === "memae" ? 0.0002 : 0,
    recLoss: s.recLoss,
    bottleneck: s.bottleneck ?? 16 * run.width,
    init: s.init ?? "he",
    similarity: s.addressing ?? "cosine",
    commitmentWeight: s.commitment ?? DEFAULT_COMMITMENT_WEIGHT,
  };
}

/**
 * The checks of the family's settings that involve more than one flag; `generator` is the
 * network variant the settings build (the model, or DAAD+'s generator), `named` how the
 * run names it (`--model daad-plus --generator memae`).
 */
export function checkDaadSettings(
  s: DaadSettings,
  generator: string,
  named: string,
): void {
  if (s.scaleRates != null && generator !== "daad") {
    throw new ConfigError(
      `--scale-rates sets the block memories at the four scales of DAAD (and DAAD+ with its ` +
        `daad generator); ${named} has no such memories`,
    );
  }
  if (s.shrink != null && !(s.shrink >= 0 && s.shrink < 1)) {
    throw flagError("shrink", s.shrink, "a threshold in [0, 1)");
  }
  if (s.addressing != null) {
    if (generator !== "daad" && generator !== "memae") {
      throw new ConfigError(
        `--addressing ${s.addressing} sets the block memory's addressing; ${named} has no ` +
          `block memory`,
      );
    }
    if (s.eq1 && s.addressing !== "cosine") {
      throw new ConfigError(
        `--eq1 addresses by cosine similarity; drop --addressing ${s.addressing}`,
      );
    }
  }
  if (s.addressing === "vq") {
    const softmax =
      ([["temperature", s.temperature], ["renorm", s.renorm], ["shrink", s.shrink]] as const)
        .find(([, v]) => v != null);
    if (softmax != null) {
      throw new ConfigError(
        `--${softmax[0]} shapes the softmax of the addressing; --addressing vq picks the ` +
          `nearest item and has none`,
      );
    }
  }
  if (s.commitment != null && s.addressing !== "vq") {
    throw new ConfigError(
      "--commitment weighs the commitment loss of --addressing vq; add --addressing vq",
    );
  }
  if (
    s.eq1 && (s.temperature != null || s.renorm != null || s.memInit != null ||
      s.compactness != null || s.memUpdate != null)
  ) {
    throw new ConfigError(
      "--eq1 fixes τ = 1, random items learnt by gradient, no renormalisation and no " +
        "compactness loss; drop --temperature, --renorm, --mem-init, --mem-update and --compactness",
    );
  }
}

/**
 * Settings recorded by earlier versions, as those versions ran them: before the memory
 * options existed the memory used eq. 1 as printed and MemAE*'s threshold was 0.0025;
 * before `--rec-loss` every run trained on the mean squared error.
 */
export function migrateDaadSettings(saved: Record<string, unknown>): Record<string, unknown> {
  let out = { ...saved };
  if (saved.temperature === undefined) {
    out = {
      ...out,
      temperature: null,
      renorm: null,
      memInit: null,
      memUpdate: null,
      compactness: null,
      eq1: true,
      shrink: saved.shrink ?? 0.0025,
    };
  }
  if (saved.recLoss === undefined) out.recLoss = "mse";
  return out;
}

const DAAD_NOTES = `Presets of memory N and division per data set (any flag overrides them):
${
  Object.entries(DAAD_DATA_PRESETS).map(([data, p]) =>
    `  ${data.padEnd(16)} memory ${p?.memory}, division ${p?.division}` +
    (p?.recLoss != null ? `, rec-loss ${p.recLoss}` : "")
  ).join("\n")
}
(synthetic-video: --data video without --root.) memae: pixel-wise memory at 16x (its
division follows --size) unless --division is given.`;

/** The DAAD family: `ae`, `ae-skip`, `memae`, `daad` (paper §3, supplement Table 2). */
export const daadFamily: ModelFamily<DaadSettings, DaadConfig> = defineFamily({
  name: "daad",
  title: "DAAD family",
  models: DAAD_VARIANTS,
  flags: DAAD_FLAGS,
  notes: DAAD_NOTES,
  defaults: (model, { data, synthetic }) => ({ settings: daadDefaults(model, data, synthetic) }),
  check: (run) => checkDaadSettings(run.settings, run.model, `--model ${run.model}`),
  modelConfig: (run, sample) => daadConfigFor(run, sample.channels),
  validateModelConfig: validateDaadConfig,
  build: (config, run) => new DaadModel(config, run.seed, { lr: run.lr }),
  migrate: migrateDaadSettings,
});
