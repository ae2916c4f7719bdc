/**
 * The settings every run has, whatever its model: the data set and its preset, the input
 * size, the training length, the seed, the run folder. A model's own settings (memory
 * size, division, DAAD+'s generator, MNAD's variant...) belong to its family
 * (`lib/families/`), which keeps them in {@linkcode RunConfig.settings}; the registry
 * (`lib/families/registry.ts`) resolves the flags of a run into a `RunConfig`.
 *
 * Also here, because every layer above shares them: {@linkcode FlagSpec}, how one flag
 * is typed, checked and explained, and {@linkcode checkFlagValue}, its check on a value
 * given in code rather than on the command line.
 *
 * @example
 * ```ts
 * import { PRESETS, RUN_FLAGS } from "./config.ts";
 * console.log(PRESETS.mvtec.size, PRESETS.mnist.batch); // 256 32
 * console.log(RUN_FLAGS.epochs.help); // Training epochs (paper: 1000 on MVTec AD).
 * ```
 * @module
 */
import { BACKEND_REQUESTS, type BackendRequest } from "./backend.ts";
import type { Augment } from "./data/image_set.ts";
import { ConfigError } from "./util/errors.ts";

/** How one flag is parsed, checked and explained (`deno task train --help`). */
export type FlagSpec =
  & (
    | { type: "int"; min?: number; help: string }
    | { type: "float"; min?: number; exclusiveMin?: boolean; help: string }
    | { type: "string"; help: string }
    | { type: "bool"; help: string }
    | { type: "enum"; choices: readonly string[]; help: string }
    | {
      type: "ints";
      count: number;
      /** The values' names in messages, e.g. `RH,RW,RC`. */
      names?: string;
      help: string;
    }
    | { type: "int-or-all"; min?: number; max?: number; help: string }
  )
  & {
    /**
     * What to say when a model whose family lacks the flag is given it:
     * `--<flag> <what>; --model <name> has <lacks>` (default: the family that has it,
     * and "none").
     */
    foreign?: { what: string; lacks?: string };
  };

/** `max-test` -> `maxTest`: the key of a flag in flags objects, `RunConfig` and config.json. */
export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A {@linkcode ConfigError} in flag words: `--<name> expects <want>, got <value>`. */
export function flagError(name: string, value: unknown, want: string): ConfigError {
  const shown = Array.isArray(value) ? JSON.stringify(value.join(",")) : JSON.stringify(value);
  return new ConfigError(`--${name} expects ${want}, got ${shown}`);
}

const COUNT_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight"];

/** What a value of `spec` must be, in words ("a positive integer", "mse|l2"). */
export function describeFlagValue(spec: FlagSpec): string {
  switch (spec.type) {
    case "int":
      return spec.min === 1
        ? "a positive integer"
        : spec.min != null
        ? `an integer >= ${spec.min}`
        : "an integer";
    case "float":
      return spec.min == null
        ? "a number"
        : spec.min === 0 && spec.exclusiveMin
        ? "a positive number"
        : `a number ${spec.exclusiveMin ? ">" : ">="} ${spec.min}`;
    case "string":
      return "a value";
    case "bool":
      return "true or false";
    case "enum":
      return spec.choices.join("|");
    case "ints":
      return `${COUNT_WORDS[spec.count] ?? spec.count} positive integers${
        spec.names ? ` ${spec.names}` : ""
      }`;
    case "int-or-all":
      return `${spec.min ?? ""}..${spec.max ?? ""} or 'all'`;
  }
}

/**
 * Checks a value given in code (not parsed from the command line) against its flag's
 * spec; null and undefined pass (they mean "the default"). Throws
 * {@linkcode ConfigError} naming the flag and the value.
 *
 * @example
 * ```ts
 * import { checkFlagValue } from "./config.ts";
 * checkFlagValue("memory", { type: "int", min: 1, help: "" }, 10); // fine
 * // checkFlagValue("memory", { type: "int", min: 1, help: "" }, 0) throws
 * // "--memory expects a positive integer, got 0"
 * ```
 */
export function checkFlagValue(name: string, spec: FlagSpec, value: unknown): void {
  if (value == null) return;
  const ok = (() => {
    switch (spec.type) {
      case "int":
        return Number.isInteger(value) && (spec.min == null || (value as number) >= spec.min);
      case "float": {
        if (typeof value !== "number" || !Number.isFinite(value)) return false;
        if (spec.min == null) return true;
        return spec.exclusiveMin ? value > spec.min : value >= spec.min;
      }
      case "string":
        return typeof value === "string" && value !== "";
      case "bool":
        return typeof value === "boolean";
      case "enum":
        return spec.choices.includes(value as string);
      case "ints":
        return Array.isArray(value) && value.length === spec.count &&
          value.every((v) => Number.isInteger(v) && v >= 1);
      case "int-or-all":
        return value === "all" ||
          (Number.isInteger(value) && (spec.min == null || (value as number) >= spec.min) &&
            (spec.max == null || (value as number) <= spec.max));
    }
  })();
  if (!ok) throw flagError(name, value, describeFlagValue(spec));
}

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

/** A model family's settings (its flags' values, by camelCase key). */
export type FamilySettings = Record<string, unknown>;

/** The settings every run has, whatever its model (config.json's `config`, less the family's). */
export interface RunSettings {
  /** The model (`--model`), one of the registry's names. */
  model: string;
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
  /**
   * Video samples: single frames to reconstruct, or clips whose last frame is predicted
   * (only models whose family predicts take `pred`); null = reconstruction.
   */
  task: "recon" | "pred" | null;
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
  /**
   * Score the test set every this many epochs during training (metrics.json `curve`);
   * absent or null = only at the end. Not part of a run's identity: a run may resume with
   * another value.
   */
  evalEvery?: number | null;
}

/**
 * A fully resolved run configuration: the settings every run has, and the settings of
 * the model's family in one typed field. config.json records it flat, as the flags it
 * came from (see `runConfigFlags` in `lib/families/resolve.ts`).
 */
export interface RunConfig<S extends FamilySettings = FamilySettings> extends RunSettings {
  /** The model family's settings, typed by the family (e.g. `DaadSettings`). */
  settings: S;
}

/**
 * The flags of a run as given in code or on the command line (camelCase keys): any of
 * the settings every run has, and any family's settings by their flag's key.
 */
export type RunFlags = Partial<RunSettings> & Record<string, unknown>;

/** The values used when neither a preset nor a flag sets them. */
export const DEFAULT_RUN_SETTINGS: Readonly<RunSettings> = Object.freeze({
  model: "daad",
  data: "mnist",
  root: null,
  category: null,
  normal: null,
  size: 256,
  width: 64,
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
} as RunSettings);

/** The paper's setting for MVTec AD (§4.1, supplement Table 2). */
const MVTEC_PRESET: Readonly<Partial<RunSettings>> = Object.freeze({
  size: 256,
  width: 64,
  batch: 8,
  epochs: 1000,
  lr: 1e-4,
  augment: "flip" as Augment,
});

/**
 * Presets per dataset, for the settings every run has; a family adds its own per
 * dataset (the DAAD family's memory size and division, `lib/families/daad.ts`). `mvtec`
 * is the paper's setting (§4.1, supplement Table 2); `video` the supplement's video
 * setting; the others are small presets that train in minutes on a CPU (their settings
 * are the kit's, not the paper's).
 */
export const PRESETS: Readonly<Record<DataName, Partial<RunSettings>>> = Object.freeze({
  mvtec: MVTEC_PRESET,
  // One-class MNIST on protocol 2 (about 6,000 training digits): digits padded to 32x32;
  // flips would turn some digits into others. 8 epochs are about 47,000 training images:
  // about 17 minutes with the test set at the 47.5 img/s the quick default measured on
  // one wasm thread (extrapolated, not timed).
  mnist: { normal: 0, size: 32, width: 16, batch: 32, epochs: 8, lr: 1e-3, augment: "none" },
  cifar10: { normal: 0, size: 32, width: 16, batch: 32, epochs: 30, lr: 1e-3, augment: "flip" },
  stripes: { size: 64, width: 8, batch: 16, epochs: 20, lr: 1e-3, augment: "none" },
  // VisA and your own image folders: MVTec AD's settings (the paper's).
  visa: MVTEC_PRESET,
  folder: MVTEC_PRESET,
  // Supplement, "Experiments on Video Datasets": lr 2e-4, batch 4, 60 epochs.
  video: { size: 256, width: 64, batch: 4, epochs: 60, lr: 2e-4, augment: "none" },
});

/**
 * `deno task train` with no arguments: the `mnist` preset (DAAD, digit 0, protocol 2)
 * with fewer epochs, so that a first run ends in a few minutes on a laptop's CPU.
 */
export const QUICK_DEFAULT_FLAGS: Readonly<Partial<RunSettings>> = Object.freeze({ epochs: 2 });

/**
 * `--data video` without `--root` trains on the kit's synthetic moving-shapes video
 * (data/video, written on first use): a small preset that runs on a CPU.
 */
export const SYNTHETIC_VIDEO_PRESET: Readonly<Partial<RunSettings>> = Object.freeze({
  size: 64,
  width: 8,
  batch: 4,
  epochs: 8,
  lr: 1e-3,
});

/**
 * The flags of the settings every run has (all but `--model`, whose choices the
 * registry knows), by flag name; `RunSettings`' keys are their camelCase.
 */
export const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze(
  {
    data: { type: "enum", choices: DATA_NAMES, help: "Dataset; sets the preset (default mnist)." },
    root: {
      type: "string",
      help:
        "Dataset root folder (MVTec AD, VisA, CIFAR-10 batches, video frames, MNIST-style IDX files).",
    },
    category: { type: "string", help: "MVTec AD category or VisA object, or 'all'." },
    normal: {
      type: "int-or-all",
      min: 0,
      max: 9,
      help: "Normal class for one-class MNIST/CIFAR-10, or 'all'.",
    },
    size: { type: "int", min: 16, help: "Input side in pixels, divisible by 16." },
    width: { type: "int", min: 1, help: "Base channel width (64 = supplement Table 2)." },
    epochs: { type: "int", min: 1, help: "Training epochs (paper: 1000 on MVTec AD)." },
    batch: { type: "int", min: 1, help: "Batch size (paper: 8)." },
    lr: {
      type: "float",
      min: 0,
      exclusiveMin: true,
      help: "Adam learning rate (paper: 1e-4; DAAD+ 2e-4).",
    },
    backend: {
      type: "enum",
      choices: BACKEND_REQUESTS,
      help: "tfjs backend (default auto).",
    },
    seed: { type: "int", min: 0, help: "Seed of weights, split, shuffling and flips (default 0)." },
    out: { type: "string", help: "Run folder (default runs/<data>-<model>-<time>)." },
    resume: { type: "bool", help: "Continue the run in --out from its checkpoint." },
    augment: {
      type: "enum",
      choices: ["flip", "none"],
      help: "Training augmentation (mvtec: flip).",
    },
    "max-test": { type: "int", min: 1, help: "Evaluate on at most N test images (quick checks)." },
    "max-train": { type: "int", min: 1, help: "Train on at most N images (quick checks)." },
    task: {
      type: "enum",
      choices: ["recon", "pred"],
      help: "Video: frame reconstruction or future-frame prediction (MNAD; default pred there).",
    },
    "normal-dir": { type: "string", help: "--data folder: normal images (they train)." },
    "abnormal-dir": {
      type: "string",
      help: "--data folder: anomalous test images (sub-folders name defect types).",
    },
    "mask-dir": { type: "string", help: "--data folder: masks of the anomalous images, by name." },
    "normal-test-dir": {
      type: "string",
      help: "--data folder: normal test images (default: hold out --test-split of --normal-dir).",
    },
    "test-split": {
      type: "float",
      min: 0,
      exclusiveMin: true,
      help: "--data folder: share of normal images held out for testing (default 0.2, seeded).",
    },
    "eval-every": {
      type: "int",
      min: 1,
      help: "Score the test set every K epochs while training (AUROC and memory report into " +
        "log.jsonl and metrics.json's curve; batch norm in inference mode, training unchanged).",
    },
  } satisfies Record<string, FlagSpec>,
);

/** The keys of {@linkcode RunSettings} (`model` and every run flag's camelCase). */
export const RUN_SETTING_KEYS: readonly string[] = Object.freeze([
  "model",
  ...Object.keys(RUN_FLAGS).map(camel),
]);

/** The flags of `--data folder` (`RunSettings` field, flag). */
export const FOLDER_FLAGS = [
  ["normalDir", "normal-dir"],
  ["abnormalDir", "abnormal-dir"],
  ["maskDir", "mask-dir"],
  ["normalTestDir", "normal-test-dir"],
  ["testSplit", "test-split"],
] as const;

/**
 * Checks the settings every run has; throws {@linkcode ConfigError} naming the flag and
 * value. (The registry's `validateRunConfig` adds the model and its family's settings.)
 */
export function validateRunSettings(c: RunSettings): void {
  for (const [flag, spec] of Object.entries(RUN_FLAGS)) {
    const value = (c as unknown as Record<string, unknown>)[camel(flag)];
    if (flag === "normal" && value != null && value !== "all") {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 9) {
        throw flagError("normal", value, "a class 0..9 or 'all'");
      }
      continue;
    }
    checkFlagValue(flag, spec, value);
  }
  if (c.size % 16 !== 0) {
    throw flagError("size", c.size, "a multiple of 16 (the encoder pools four times)");
  }
  if (c.task === "pred" && c.data !== "video") {
    throw new ConfigError(
      `--task pred predicts video frames; it needs --data video, not --data ${c.data}`,
    );
  }
  validateFolderFlags(c);
}

function validateFolderFlags(c: RunSettings): void {
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
