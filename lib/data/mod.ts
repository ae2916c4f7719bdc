/**
 * Datasets of the kit and the dispatch from a run configuration to train/test sets.
 * @module
 */
import type { RunConfig } from "../config.ts";
import { ConfigError } from "../util/errors.ts";
import { type ImageSet, subset } from "./image_set.ts";
import { oneClassMnist } from "./mnist.ts";
import { listMvtecCategories, loadMvtecCategory } from "./mvtec.ts";
import { oneClassCifar10 } from "./cifar10.ts";
import { stripesDataset } from "./stripes.ts";
import { loadVideoDataset } from "./video.ts";
import { ensureSynthVideo } from "./synth_video.ts";
import { listVisaObjects, loadVisaCategory } from "./visa.ts";
import { loadImageFolders } from "./folder.ts";

export * from "./image_set.ts";
export { DatasetError } from "./errors.ts";
export * from "./mnist.ts";
export * from "./idx.ts";
export * from "./image_io.ts";
export * from "./mvtec.ts";
export * from "./synth_mvtec.ts";
export * from "./cifar10.ts";
export * from "./stripes.ts";
export * from "./video.ts";
export * from "./synth_video.ts";
export * from "./visa.ts";
export * from "./synth_visa.ts";
export * from "./folder.ts";

/** Where `--data video` without `--root` writes and reads the synthetic video. */
export const SYNTH_VIDEO_ROOT: string = new URL("../../data/video", import.meta.url).pathname;

/** Train and test sets of one run, and a sentence describing the protocol. */
export interface RunData {
  train: ImageSet;
  test: ImageSet;
  protocol: string;
  /**
   * How final scores are normalised before the AUROC: video protocols (MemAE, MNAD)
   * min-max normalise each video's scores (test `groups` = video).
   */
  scoreNormalization?: "per-group-minmax";
}

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
