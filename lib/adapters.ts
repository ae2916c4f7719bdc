/**
 * The adapter from a run configuration ({@linkcode RunConfig}, the CLI's flags resolved)
 * to the data layer: the train/test sets of the data a run names, each loader called
 * with its own typed options. (A run's model is built by its family, `lib/families/`.)
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./families/resolve.ts";
 * import { loadRunData } from "./adapters.ts";
 * const config = resolveRunConfig({ data: "stripes", model: "daad", epochs: 1 });
 * const data = await loadRunData(config);
 * console.log(data.protocol, data.train.n, data.test.n);
 * ```
 * @module
 */
import type { RunSettings } from "./config.ts";
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
import { ConfigError } from "./util/errors.ts";

/** Where `--data video` without `--root` writes and reads the synthetic video. */
export const SYNTH_VIDEO_ROOT: string = new URL("../data/video", import.meta.url).pathname;

/** Loads the data a run configuration names (capped by `maxTrain`). */
export async function loadRunData(c: RunSettings): Promise<RunData> {
  const data = await loadUncapped(c);
  if (c.maxTrain == null || c.maxTrain >= data.train.n) return data;
  return {
    ...data,
    train: subset(data.train, Array.from({ length: c.maxTrain }, (_, i) => i)),
    protocol: `${data.protocol}; training capped at ${c.maxTrain} images`,
  };
}

async function loadUncapped(c: RunSettings): Promise<RunData> {
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
