/**
 * The adapters from a run configuration ({@linkcode RunConfig}, the CLI's flags resolved)
 * to the typed options of the layers below: the network configuration of each model,
 * the model itself, and the train/test sets of the data a run names. Models and data
 * sets take only their own options; this module is the one place that reads a
 * `RunConfig` for them.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./config.ts";
 * import { createModel, loadRunData } from "./adapters.ts";
 * const config = resolveRunConfig({ data: "stripes", model: "daad", epochs: 1 });
 * const data = await loadRunData(config);
 * const model = createModel(config, data.train.channels, data.train.n);
 * console.log(data.protocol, model.params.numParams());
 * model.dispose();
 * ```
 * @module
 */
import { EQ1_MEMORY, KIT_MEMORY_DEFAULTS, type RunConfig } from "./config.ts";
import { subset } from "./data/image_set.ts";
import type { RunData } from "./data/run_data.ts";
import { oneClassMnist } from "./data/mnist.ts";
import { listMvtecCategories, loadMvtecCategory } from "./data/mvtec.ts";
import { oneClassCifar10 } from "./data/cifar10.ts";
import { stripesDataset } from "./data/stripes.ts";
import { loadVideoDataset } from "./data/video.ts";
import { ensureSynthVideo } from "./data/synth_video.ts";
import { listVisaObjects, loadVisaCategory } from "./data/visa.ts";
import { loadImageFolders } from "./data/folder.ts";
import {
  type DaadConfig,
  type DaadVariant,
  DEFAULT_COMMITMENT_WEIGHT,
} from "./models/daad/config.ts";
import { DaadModel } from "./models/daad/kit_model.ts";
import {
  type DaadPlusConfig,
  DEFAULT_DAAD_PLUS_CONFIG,
  TABLE5_ABLATIONS,
} from "./models/daad_plus/config.ts";
import { DaadPlusModel } from "./models/daad_plus/kit_model.ts";
import type { KitModel } from "./models/kit_model.ts";
import { type MnadConfig, mnadConfigFromSamples } from "./models/mnad/config.ts";
import { MnadModel } from "./models/mnad/kit_model.ts";
import { ConfigError } from "./util/errors.ts";

/** The network configuration of a DAAD-family run with `channels` input channels. */
export function daadConfigFor(c: RunConfig, channels: number): DaadConfig {
  const variant = c.model as DaadVariant;
  // MemAE* keeps MemAE's own addressing (τ = 1, random items) unless flags say otherwise.
  const base = c.eq1 || variant === "memae" ? EQ1_MEMORY : KIT_MEMORY_DEFAULTS;
  return {
    variant,
    size: c.size,
    channels,
    width: c.width,
    memory: c.memory,
    division: c.division,
    ...(c.scaleRates != null ? { scaleRates: c.scaleRates } : {}),
    addressing: variant === "memae" ? "memae" : "daad",
    // MemAE recommends λ in [1/N, 3/N]: 1/N keeps at least the largest weight (always >= 1/N).
    shrinkThreshold: c.shrink ?? 1 / c.memory,
    temperature: c.temperature ?? base.temperature,
    renormalize: c.renorm ?? base.renormalize,
    memoryInit: c.memInit ?? base.memoryInit,
    memoryUpdate: c.memUpdate ?? base.memoryUpdate,
    compactnessWeight: c.compactness ?? base.compactnessWeight,
    entropyWeight: variant === "memae" ? 0.0002 : 0,
    recLoss: c.recLoss,
    // Issue 27's options, recorded in config.json with their defaults.
    bottleneck: c.bottleneck ?? 16 * c.width,
    init: c.init ?? "he",
    similarity: c.addressing ?? "cosine",
    commitmentWeight: c.commitment ?? DEFAULT_COMMITMENT_WEIGHT,
  };
}

/** The DAAD+ configuration of a run: its generator, the discriminator, the Table 5 terms. */
export function daadPlusConfigFor(c: RunConfig, channels: number): DaadPlusConfig {
  return {
    ...DEFAULT_DAAD_PLUS_CONFIG,
    ...daadConfigFor({ ...c, model: c.generator ?? "daad" }, channels),
    discriminatorWidth: c.width,
    realLabel: c.realLabel ?? 1,
    ...TABLE5_ABLATIONS[c.table5 ?? "adv+ali+L+R"],
  };
}

/**
 * The MNAD configuration of a run whose samples have `channels` channels (a prediction
 * clip stacks its frames along channels). `nTrain` sets the cosine schedule (§4.1).
 */
export function mnadConfigFor(c: RunConfig, channels: number, nTrain = 0): MnadConfig {
  return mnadConfigFromSamples(c.task ?? "recon", channels, {
    // A run recorded before the variants existed was trained by the paper reading.
    variant: c.mnadVariant ?? "paper",
    size: c.size,
    width: c.width,
    items: c.memory,
    lr: c.lr,
    cosineSteps: nTrain > 0 ? c.epochs * Math.max(1, Math.floor(nTrain / c.batch)) : 0,
  });
}

/**
 * Builds the model a run configuration names, for samples with `channels` channels;
 * `nTrain` (training set size) is used by schedules that span the run.
 */
export function createModel(c: RunConfig, channels: number, nTrain = 0): KitModel {
  switch (c.model) {
    case "ae":
    case "ae-skip":
    case "memae":
    case "daad":
      return new DaadModel(daadConfigFor(c, channels), c.seed, { lr: c.lr });
    case "mnad":
      return new MnadModel(mnadConfigFor(c, channels, nTrain), c.seed);
    case "daad-plus":
      return new DaadPlusModel(daadPlusConfigFor(c, channels), c.seed, { lr: c.lr });
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
    case "mnad":
      return { ...mnadConfigFor(c, channels) };
    case "daad-plus":
      return { ...daadPlusConfigFor(c, channels) };
    default:
      return {};
  }
}

/** Where `--data video` without `--root` writes and reads the synthetic video. */
export const SYNTH_VIDEO_ROOT: string = new URL("../data/video", import.meta.url).pathname;

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
        root: c.root ?? undefined,
        maxTest: c.maxTest ?? undefined,
      });
    }
    case "mvtec": {
      if (c.root == null) {
        throw new ConfigError(
          "--data mvtec needs --root DIR (the MVTec AD folder; `deno task data synth --out DIR` writes a synthetic stand-in)",
        );
      }
      if (c.category == null || c.category === "all") {
        const found = await listMvtecCategories(c.root);
        throw new ConfigError(
          `--data mvtec needs --category NAME or 'all'; found in ${c.root}: ${found.join(", ")}`,
        );
      }
      return await loadMvtecCategory({
        root: c.root,
        category: c.category,
        size: c.size,
        maxTest: c.maxTest ?? undefined,
      });
    }
    case "cifar10": {
      if (c.root == null) {
        throw new ConfigError(
          "--data cifar10 needs --root DIR, the cifar-10-batches-bin folder (binary version)",
        );
      }
      if (c.normal === "all" || c.normal == null) {
        throw new ConfigError("loadRunData needs one normal class; 'all' is expanded by the CLI");
      }
      return await oneClassCifar10({
        root: c.root,
        normal: c.normal,
        size: c.size,
        maxTest: c.maxTest ?? undefined,
      });
    }
    case "video": {
      const task = c.task ?? "recon";
      let root = c.root, dataset = c.category;
      if (root == null) {
        await ensureSynthVideo({ root: SYNTH_VIDEO_ROOT });
        root = SYNTH_VIDEO_ROOT;
        dataset = "synth";
      } else if (dataset == null) {
        throw new ConfigError(
          "--data video with --root needs --category <dataset folder> (e.g. ped2, avenue)",
        );
      }
      const data = await loadVideoDataset({
        root,
        dataset,
        size: c.size,
        task,
        maxTest: c.maxTest ?? undefined,
      });
      return { ...data, scoreNormalization: "per-group-minmax" };
    }
    case "visa": {
      if (c.root == null) {
        throw new ConfigError(
          "--data visa needs --root DIR, the VisA folder holding split_csv/1cls.csv",
        );
      }
      if (c.category == null || c.category === "all") {
        const found = await listVisaObjects(c.root);
        throw new ConfigError(
          `--data visa needs --category OBJECT or 'all'; found in ${c.root}: ${found.join(", ")}`,
        );
      }
      return await loadVisaCategory({
        root: c.root,
        category: c.category,
        size: c.size,
        maxTest: c.maxTest ?? undefined,
      });
    }
    case "folder": {
      if (c.normalDir == null) {
        throw new ConfigError("--data folder needs --normal-dir DIR, the folder of normal images");
      }
      return await loadImageFolders({
        normalDir: c.normalDir,
        abnormalDir: c.abnormalDir,
        maskDir: c.maskDir,
        normalTestDir: c.normalTestDir,
        testSplit: c.testSplit,
        size: c.size,
        seed: c.seed,
      });
    }
    case "stripes":
      return stripesDataset({
        size: c.size,
        seed: c.seed,
        nTest: c.maxTest != null ? Math.max(2, c.maxTest) : 100,
      });
    default:
      throw new ConfigError(`--data ${c.data} is not available in this version of the kit`);
  }
}
