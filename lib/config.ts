/**
 * The configuration of a run, as `deno task train` takes it: a preset per dataset,
 * overridden by any flag given (DESIGN's command-line contract).
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./config.ts";
 * const c = resolveRunConfig({ data: "mvtec", category: "bottle" });
 * console.log(c.size, c.width, c.memory, c.division); // 256 64 500 [8, 8, 1]
 * ```
 * @module
 */
import type { BackendRequest } from "./backend.ts";
import type { Augment } from "./data/image_set.ts";
import type { Division, MemoryInit, MemoryUpdate, Similarity } from "./memory/block_memory.ts";
import { SIMILARITIES } from "./memory/block_memory.ts";
import { INIT_SCHEMES, type InitScheme } from "./nn/layers.ts";
import { DAAD_VARIANTS, type DaadVariant } from "./models/daad/config.ts";
import { TABLE5_ROWS, type Table5Row } from "./models/daad_plus/config.ts";
import { DEFAULT_MNAD_VARIANT, MNAD_VARIANTS, type MnadVariant } from "./models/mnad/config.ts";
import { ConfigError } from "./util/errors.ts";

/** Every model `--model` accepts. */
export const MODEL_NAMES = ["ae", "ae-skip", "memae", "daad", "daad-plus", "mnad"] as const;
export type ModelName = typeof MODEL_NAMES[number];

/** Every dataset `--data` accepts. */
export const DATA_NAMES = [
  "mvtec",
  "mnist",
  "cifar10",
  "stripes",
  "video",
  "visa",
  "folder",
] as const;
export type DataName = typeof DATA_NAMES[number];

/** A fully resolved run configuration (what config.json records). */
export interface RunConfig {
  model: ModelName;
  data: DataName;
  /** Dataset root folder (MVTec AD, CIFAR-10 batches, video frames); null for bundled data. */
  root: string | null;
  /** MVTec AD category (or "all"). */
  category: string | null;
  /** Normal class for one-class MNIST / CIFAR-10 (or "all"). */
  normal: number | "all" | null;
  /** Input side in pixels (divisible by 16). */
  size: number;
  /** Base channel width (64 = supplement Table 2). */
  width: number;
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
  epochs: number;
  batch: number;
  lr: number;
  backend: BackendRequest;
  seed: number;
  /** Run folder; null = runs/<data>-<model>-<time>. */
  out: string | null;
  resume: boolean;
  /** Training augmentation: horizontal and vertical flips (paper §4.1) or none. */
  augment: Augment;
  /** Evaluate on at most this many test images (null = all); for quick checks. */
  maxTest: number | null;
  /** Train on at most this many images (null = all); for quick checks. */
  maxTrain: number | null;
  /** MNAD task on video: frame reconstruction or future-frame prediction (null = model default). */
  task: "recon" | "pred" | null;
  /** DAAD+'s generator (Table 5: ae, memae or daad); null = daad. */
  generator: DaadVariant | null;
  /** DAAD+'s loss and score terms as a row of Table 5; null = all on (adv+ali+L+R). */
  table5: Table5Row | null;
  /** DAAD+'s target for real images in D's loss (1 = eq. 5); null = 1. */
  realLabel: number | null;
  /** DAAD family's reconstruction loss: mean squared error or eq. 4's per-image L2 norm. */
  recLoss: "mse" | "l2";
  /** Addressing softmax temperature τ (1 = eq. 1 as printed); null = the model's default. */
  temperature: number | null;
  /** Renormalise the weights after the 1/N drop; null = the model's default. */
  renorm: boolean | null;
  /** How memory items start (random or from the first batch's queries); null = default. */
  memInit: MemoryInit | null;
  /** How memory items learn (gradient or running means of their queries); null = default. */
  memUpdate: MemoryUpdate | null;
  /** MemAE's shrink threshold λ; null = 1/N (MemAE recommends 1/N to 3/N). */
  shrink: number | null;
  /** Weight of the memory compactness loss; null = the model's default. */
  compactness: number | null;
  /** Eq. 1 as printed (τ = 1, random items, no renormalisation), whatever the defaults. */
  eq1: boolean;
  /** MNAD as the paper writes it or as the official code runs it; null for other models. */
  mnadVariant: MnadVariant | null;
  /** `--data folder`: the normal images (they train; a share tests without normalTestDir). */
  normalDir?: string | null;
  /** `--data folder`: anomalous test images (sub-folders name defect types). */
  abnormalDir?: string | null;
  /** `--data folder`: masks of the anomalous images, paired by file name. */
  maskDir?: string | null;
  /** `--data folder`: normal test images; then every image of normalDir trains. */
  normalTestDir?: string | null;
  /** `--data folder`: share of normalDir held out for testing (null = 0.2). */
  testSplit?: number | null;
  // --- Budget and capacity options (issue 27). Optional and absent by default, so that
  // runs recorded before them resume with the same identity.
  /** Score the test set every this many epochs during training (metrics.json `curve`). */
  evalEvery?: number | null;
  /** DAAD family: channels of the 16x stage and bottleneck; absent = 16 x width. */
  bottleneck?: number | null;
  /** DAAD family: starting weights, the kit's He-normal or PyTorch's defaults; absent = he. */
  init?: InitScheme | null;
  /** Block memory: cosine (eq. 1), dot (MemAE's code) or vq (nearest item); absent = cosine. */
  addressing?: Similarity | null;
  /** β of the commitment loss of `--addressing vq`; absent = 0.25 (VQ-VAE). */
  commitment?: number | null;
}

/** The values used when neither a preset nor a flag sets them. */
export const DEFAULT_RUN_CONFIG: Readonly<RunConfig> = Object.freeze({
  model: "daad",
  data: "mnist",
  root: null,
  category: null,
  normal: null,
  size: 256,
  width: 64,
  memory: 500,
  division: [8, 8, 1] as Division,
  epochs: 1000,
  batch: 8,
  lr: 1e-4,
  backend: "auto",
  seed: 0,
  out: null,
  resume: false,
  augment: "flip",
  maxTest: null,
  maxTrain: null,
  task: null,
  generator: null,
  table5: null,
  realLabel: null,
  recLoss: "mse",
  temperature: null,
  renorm: null,
  memInit: null,
  memUpdate: null,
  shrink: null,
  compactness: null,
  eq1: false,
  mnadVariant: null,
} as RunConfig);

/** The paper's setting for MVTec AD (§4.1, supplement Table 2). */
const MVTEC_PRESET: Readonly<Partial<RunConfig>> = Object.freeze({
  size: 256,
  width: 64,
  memory: 500,
  division: [8, 8, 1] as Division,
  batch: 8,
  epochs: 1000,
  lr: 1e-4,
  augment: "flip" as Augment,
  recLoss: "l2" as const,
});

/**
 * Presets per dataset. `mvtec` is the paper's setting (§4.1, supplement Table 2);
 * `video` the supplement's video setting; the others are small presets that train in
 * minutes on a CPU (their settings are the kit's, not the paper's).
 */
export const PRESETS: Readonly<Record<DataName, Partial<RunConfig>>> = Object.freeze({
  // Eq. 4 as printed, ‖x − x̂‖₂ per image (measured better than the mean square on the
  // synthetic MVTec-layout set: DAAD's mean image AUROC 0.887 against 0.829).
  mvtec: MVTEC_PRESET,
  // One-class MNIST on protocol 2 (about 6,000 training digits): digits padded to 32x32;
  // flips would turn some digits into others. 8 epochs are about 47,000 training images:
  // about 17 minutes with the test set at the 47.5 img/s the quick default measured on
  // one wasm thread (extrapolated, not timed).
  mnist: {
    normal: 0,
    size: 32,
    width: 16,
    memory: 100,
    division: [2, 2, 1],
    batch: 32,
    epochs: 8,
    lr: 1e-3,
    augment: "none",
  },
  cifar10: {
    normal: 0,
    size: 32,
    width: 16,
    memory: 100,
    division: [2, 2, 1],
    batch: 32,
    epochs: 30,
    lr: 1e-3,
    augment: "flip",
  },
  stripes: {
    size: 64,
    width: 8,
    memory: 50,
    division: [4, 4, 1],
    batch: 16,
    epochs: 20,
    lr: 1e-3,
    augment: "none",
  },
  // VisA and your own image folders: MVTec AD's settings (the paper's).
  visa: MVTEC_PRESET,
  folder: MVTEC_PRESET,
  // Supplement, "Experiments on Video Datasets": r = 16, N = 2000, lr 2e-4, batch 4, 60 epochs.
  video: {
    size: 256,
    width: 64,
    memory: 2000,
    division: [16, 16, 1],
    batch: 4,
    epochs: 60,
    lr: 2e-4,
    augment: "none",
  },
});

/**
 * `deno task train` with no arguments: the `mnist` preset (DAAD, digit 0, protocol 2)
 * with fewer epochs, so that a first run ends in a few minutes on a laptop's CPU.
 */
export const QUICK_DEFAULT_FLAGS: Readonly<Partial<RunConfig>> = Object.freeze({ epochs: 2 });

/**
 * `--data video` without `--root` trains on the kit's synthetic moving-shapes video
 * (data/video, written on first use): a small preset that runs on a CPU. The division
 * 4,4,1 at 64x64 keeps the supplement's block size (16,16,1 at 256x256).
 */
export const SYNTHETIC_VIDEO_PRESET: Readonly<Partial<RunConfig>> = Object.freeze({
  size: 64,
  width: 8,
  memory: 50,
  division: [4, 4, 1] as Division,
  batch: 4,
  epochs: 8,
  lr: 1e-3,
});

/** Settings a model changes relative to the dataset preset (before explicit flags). */
export const MODEL_OVERRIDES: Readonly<Record<ModelName, Partial<RunConfig>>> = Object.freeze({
  ae: {},
  "ae-skip": {},
  // MemAE*: pixel-wise memory at the 16x scale (paper §4.3).
  memae: { division: null },
  daad: {},
  "daad-plus": {},
  // MNAD §4.1: M = 10 items; the learning rate depends on the task (see resolveRunConfig).
  mnad: { memory: 10, augment: "none" },
});

/** MNAD §4.1 learning rates, used on real video unless --lr is given. */
export const MNAD_LR = Object.freeze({ recon: 2e-5, pred: 2e-4 });

/** Checks a resolved configuration; throws {@linkcode ConfigError} naming the flag and value. */
export function validateRunConfig(c: RunConfig): void {
  const flag = (name: string, value: unknown, want: string) =>
    new ConfigError(`--${name} expects ${want}, got ${JSON.stringify(value)}`);
  if (!(MODEL_NAMES as readonly string[]).includes(c.model)) {
    throw flag("model", c.model, MODEL_NAMES.join("|"));
  }
  if (!(DATA_NAMES as readonly string[]).includes(c.data)) {
    throw flag("data", c.data, DATA_NAMES.join("|"));
  }
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw flag(name, v, "a positive integer");
  };
  posInt("size", c.size);
  if (c.size % 16 !== 0) {
    throw flag("size", c.size, "a multiple of 16 (the encoder pools four times)");
  }
  posInt("width", c.width);
  posInt("memory", c.memory);
  posInt("epochs", c.epochs);
  posInt("batch", c.batch);
  if (!Number.isInteger(c.seed) || c.seed < 0) throw flag("seed", c.seed, "an integer >= 0");
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw flag("lr", c.lr, "a positive number");
  if (c.division != null) {
    if (c.division.length !== 3 || c.division.some((r) => !Number.isInteger(r) || r < 1)) {
      throw flag("division", c.division.join(","), "three positive integers RH,RW,RC");
    }
  }
  if (c.scaleRates != null) {
    if (c.scaleRates.length !== 4 || c.scaleRates.some((r) => !Number.isInteger(r) || r < 1)) {
      throw flag("scale-rates", c.scaleRates.join(","), "four positive integers R2x,R4x,R8x,R16x");
    }
    const generator = c.model === "daad-plus" ? c.generator ?? "daad" : c.model;
    if (generator !== "daad") {
      throw new ConfigError(
        `--scale-rates sets the block memories at the four scales of DAAD (and DAAD+ with its ` +
          `daad generator); --model ${c.model}${
            c.model === "daad-plus" ? ` --generator ${generator}` : ""
          } has no such memories`,
      );
    }
  }
  if (c.maxTest != null) posInt("max-test", c.maxTest);
  if (c.maxTrain != null) posInt("max-train", c.maxTrain);
  if (c.augment !== "flip" && c.augment !== "none") throw flag("augment", c.augment, "flip|none");
  if (c.task != null && c.task !== "recon" && c.task !== "pred") {
    throw flag("task", c.task, "recon|pred");
  }
  if (c.task === "pred" && c.model !== "mnad") {
    throw new ConfigError(
      `--task pred is MNAD's future-frame prediction; --model ${c.model} reconstructs (--task recon)`,
    );
  }
  if (c.task === "pred" && c.data !== "video") {
    throw new ConfigError(
      `--task pred predicts video frames; it needs --data video, not --data ${c.data}`,
    );
  }
  if (c.generator != null) {
    if (c.model !== "daad-plus") {
      throw new ConfigError(`--generator is DAAD+'s; --model ${c.model} has none`);
    }
    if (!(DAAD_VARIANTS as readonly string[]).includes(c.generator)) {
      throw flag("generator", c.generator, DAAD_VARIANTS.join("|"));
    }
  }
  if (c.table5 != null) {
    if (c.model !== "daad-plus") {
      throw new ConfigError(`--table5 selects DAAD+'s terms; --model ${c.model} has none`);
    }
    if (!(TABLE5_ROWS as readonly string[]).includes(c.table5)) {
      throw flag("table5", c.table5, TABLE5_ROWS.join("|"));
    }
  }
  if (c.realLabel != null) {
    if (c.model !== "daad-plus") {
      throw new ConfigError(`--real-label is DAAD+'s; --model ${c.model} has no discriminator`);
    }
    if (!(c.realLabel > 0.5 && c.realLabel <= 1)) {
      throw flag("real-label", c.realLabel, "a target in (0.5, 1]");
    }
  }
  if (c.temperature != null && !(c.temperature > 0 && Number.isFinite(c.temperature))) {
    throw flag("temperature", c.temperature, "a positive number");
  }
  if (c.compactness != null && !(c.compactness >= 0 && Number.isFinite(c.compactness))) {
    throw flag("compactness", c.compactness, "a weight >= 0");
  }
  if (c.shrink != null && !(c.shrink >= 0 && c.shrink < 1)) {
    throw flag("shrink", c.shrink, "a threshold in [0, 1)");
  }
  if (c.memInit != null && c.memInit !== "random" && c.memInit !== "queries") {
    throw flag("mem-init", c.memInit, "random|queries");
  }
  if (c.memUpdate != null && c.memUpdate !== "gradient" && c.memUpdate !== "ema") {
    throw flag("mem-update", c.memUpdate, "gradient|ema");
  }
  if (
    c.eq1 && (c.temperature != null || c.renorm != null || c.memInit != null ||
      c.compactness != null || c.memUpdate != null)
  ) {
    throw new ConfigError(
      "--eq1 fixes τ = 1, random items learnt by gradient, no renormalisation and no " +
        "compactness loss; drop --temperature, --renorm, --mem-init, --mem-update and --compactness",
    );
  }
  if (c.mnadVariant != null) {
    if (c.model !== "mnad") {
      throw new ConfigError(`--mnad-variant selects MNAD's reading; --model ${c.model} has none`);
    }
    if (!(MNAD_VARIANTS as readonly string[]).includes(c.mnadVariant)) {
      throw flag("mnad-variant", c.mnadVariant, MNAD_VARIANTS.join("|"));
    }
  }
  validateFolderFlags(c);
  validateBudgetFlags(c);
  if (c.normal != null && c.normal !== "all") {
    if (!Number.isInteger(c.normal) || c.normal < 0 || c.normal > 9) {
      throw flag("normal", c.normal, "a class 0..9 or 'all'");
    }
  }
}

/** Checks --eval-every, --bottleneck, --init, --addressing and --commitment (issue 27). */
function validateBudgetFlags(c: RunConfig): void {
  const flag = (name: string, value: unknown, want: string) =>
    new ConfigError(`--${name} expects ${want}, got ${JSON.stringify(value)}`);
  if (c.evalEvery != null && !(Number.isInteger(c.evalEvery) && c.evalEvery >= 1)) {
    throw flag("eval-every", c.evalEvery, "a positive integer (epochs between evaluations)");
  }
  const generator = c.model === "daad-plus" ? c.generator ?? "daad" : c.model;
  const family = (DAAD_VARIANTS as readonly string[]).includes(generator);
  if (c.bottleneck != null) {
    if (!Number.isInteger(c.bottleneck) || c.bottleneck < 1) {
      throw flag("bottleneck", c.bottleneck, "a positive integer (channels)");
    }
    if (!family) throw new ConfigError(`--bottleneck is for the DAAD family; --model ${c.model}`);
  }
  if (c.init != null) {
    if (!(INIT_SCHEMES as readonly string[]).includes(c.init)) {
      throw flag("init", c.init, INIT_SCHEMES.join("|"));
    }
    if (!family) throw new ConfigError(`--init is for the DAAD family; --model ${c.model}`);
  }
  if (c.addressing != null) {
    if (!(SIMILARITIES as readonly string[]).includes(c.addressing)) {
      throw flag("addressing", c.addressing, SIMILARITIES.join("|"));
    }
    if (generator !== "daad" && generator !== "memae") {
      throw new ConfigError(
        `--addressing ${c.addressing} sets the block memory's addressing; --model ${c.model}` +
          `${c.model === "daad-plus" ? ` --generator ${generator}` : ""} has no block memory`,
      );
    }
    if (c.eq1 && c.addressing !== "cosine") {
      throw new ConfigError(
        `--eq1 addresses by cosine similarity; drop --addressing ${c.addressing}`,
      );
    }
  }
  if (c.addressing === "vq") {
    const softmax = ([["temperature", c.temperature], ["renorm", c.renorm], [
      "shrink",
      c.shrink,
    ]] as const).find(([, v]) => v != null);
    if (softmax != null) {
      throw new ConfigError(
        `--${softmax[0]} shapes the softmax of the addressing; --addressing vq picks the ` +
          `nearest item and has none`,
      );
    }
  }
  if (c.commitment != null) {
    if (!(c.commitment >= 0 && Number.isFinite(c.commitment))) {
      throw flag("commitment", c.commitment, "a weight >= 0");
    }
    if (c.addressing !== "vq") {
      throw new ConfigError(
        `--commitment weighs the commitment loss of --addressing vq; add --addressing vq`,
      );
    }
  }
}

/** The flags of `--data folder` (`RunConfig` field, flag). */
export const FOLDER_FLAGS = [
  ["normalDir", "normal-dir"],
  ["abnormalDir", "abnormal-dir"],
  ["maskDir", "mask-dir"],
  ["normalTestDir", "normal-test-dir"],
  ["testSplit", "test-split"],
] as const;

function validateFolderFlags(c: RunConfig): void {
  if (c.data !== "folder") {
    for (const [key, flag] of FOLDER_FLAGS) {
      if (c[key] != null) {
        throw new ConfigError(`--${flag} is for --data folder, not --data ${c.data}`);
      }
    }
    return;
  }
  if (c.normalDir == null) {
    throw new ConfigError("--data folder needs --normal-dir DIR, the folder of normal images");
  }
  if (c.testSplit != null) {
    if (!(c.testSplit > 0 && c.testSplit < 1)) {
      throw new ConfigError(
        `--test-split expects a share between 0 and 1 (exclusive), got ${c.testSplit}`,
      );
    }
    if (c.normalTestDir != null) {
      throw new ConfigError(
        "--test-split holds out normal images only without --normal-test-dir; give one of them",
      );
    }
  }
  if (c.maskDir != null && c.abnormalDir == null) {
    throw new ConfigError("--mask-dir needs --abnormal-dir (masks mark the abnormal images)");
  }
}

/**
 * Resolves a run configuration: defaults, then the dataset preset, then the model's
 * overrides, then the flags given.
 */
export function resolveRunConfig(flags: Partial<RunConfig>): RunConfig {
  const data = flags.data ?? DEFAULT_RUN_CONFIG.data;
  const model = flags.model ?? DEFAULT_RUN_CONFIG.model;
  const synthetic = data === "video" && flags.root == null;
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const task = flags.task ?? (model === "mnad" && data === "video" ? "pred" : null);
  const mnadLr = model === "mnad" && !synthetic ? { lr: MNAD_LR[task ?? "recon"] } : {};
  // DAAD+ (§4.1): lr 2e-4 with the adversarial losses, on every data set; eq. 4 and 6 as
  // per-image norms (docs/daad-plus.md: the reading measured); a MemAE* generator is
  // pixel-wise.
  const plus = model === "daad-plus"
    ? {
      lr: 2e-4,
      recLoss: "l2" as const,
      ...(flags.generator === "memae" ? { division: null } : {}),
    }
    : {};
  const config: RunConfig = {
    ...DEFAULT_RUN_CONFIG,
    ...(PRESETS[data as DataName] ?? {}),
    ...(synthetic ? SYNTHETIC_VIDEO_PRESET : {}),
    ...(MODEL_OVERRIDES[model as ModelName] ?? {}),
    ...mnadLr,
    ...plus,
    task,
    mnadVariant: model === "mnad" ? DEFAULT_MNAD_VARIANT : null,
    ...given,
  } as RunConfig;
  validateRunConfig(config);
  return config;
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

/** The memory options a run chooses for the DAAD family. */
export interface MemoryOptions {
  temperature: number;
  renormalize: boolean;
  memoryInit: MemoryInit;
  memoryUpdate: MemoryUpdate;
  compactnessWeight: number;
}
