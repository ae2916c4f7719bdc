/**
 * MVTec AD in its official layout (paper §4.1):
 *
 * ```
 * <root>/<category>/train/good/*.png                      normal training images
 * <root>/<category>/test/good/*.png                       normal test images
 * <root>/<category>/test/<defect_type>/*.png              anomalous test images
 * <root>/<category>/ground_truth/<defect_type>/<name>_mask.png   their masks (0 / 255)
 * ```
 *
 * Images are resized to size x size (bilinear; masks nearest) and scaled to [-1, 1]
 * (paper §4.1). The channel count of a category is that of its first training image
 * (grid, screw and zipper are greyscale in MVTec AD); every image must agree. Files are
 * sorted, so a load is deterministic. `ground_truth/good`, if present, is ignored.
 *
 * @example
 * ```ts ignore
 * import { listMvtecCategories, loadMvtecCategory } from "./mvtec.ts";
 * console.log(await listMvtecCategories("data/mvtec_ad")); // ["bottle", "cable", ...]
 * const { train, test, protocol } = await loadMvtecCategory({
 *   root: "data/mvtec_ad",
 *   category: "bottle",
 *   size: 256,
 * });
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";
import { isDir, join, listDir, mapLimit, statOrNull, stem } from "./_files.ts";
export { IMAGE_EXTENSIONS } from "./_files.ts";
import { imageInfo, readImage, readMaskOf } from "./image_io.ts";
import type { ImageSet } from "./image_set.ts";
import type { RunData } from "./run_data.ts";
import { readSynthMvtecReadme } from "./synth_mvtec.ts";

/** The 15 categories of MVTec AD (5 textures, then 10 objects). */
export const MVTEC_CATEGORIES: readonly string[] = Object.freeze([
  "carpet",
  "grid",
  "leather",
  "tile",
  "wood",
  "bottle",
  "cable",
  "capsule",
  "hazelnut",
  "metal_nut",
  "pill",
  "screw",
  "toothbrush",
  "transistor",
  "zipper",
]);

/** Options of {@linkcode loadMvtecCategory}. */
export interface MvtecCategoryOptions {
  /** The dataset root, holding one folder per category. */
  root: string;
  /** Category folder name (e.g. "bottle"). */
  category: string;
  /** Output side in pixels. */
  size: number;
  /**
   * Keep at most this many test images, evenly spaced over the sorted list (so every
   * defect type keeps its share). Default: all.
   */
  maxTest?: number;
  /** Images decoded at the same time. Default 4. */
  concurrency?: number;
}

async function checkRoot(root: string): Promise<void> {
  const st = await statOrNull(root);
  if (st == null) {
    throw new DatasetError(
      `MVTec AD root folder not found: ${root} (expected <root>/<category>/train/good/*.png)`,
    );
  }
  if (!st.isDirectory) throw new DatasetError(`MVTec AD root is not a folder: ${root}`);
}

/**
 * The categories under an MVTec AD root: its sub-folders holding a `train` or `test`
 * folder. The 15 MVTec AD categories come first, in the order of the paper's tables
 * ({@linkcode MVTEC_CATEGORIES}: textures, then objects); any others follow, sorted.
 *
 * @example
 * ```ts ignore
 * import { listMvtecCategories } from "./mvtec.ts";
 * console.log(await listMvtecCategories("data/mvtec_ad")); // ["bottle", "cable", ...]
 * ```
 */
export async function listMvtecCategories(root: string): Promise<string[]> {
  await checkRoot(root);
  const out: string[] = [];
  for (const name of await listDir(root, "dirs")) {
    if (await isDir(join(root, name, "train")) || await isDir(join(root, name, "test"))) {
      out.push(name);
    }
  }
  const rank = (name: string) => {
    const i = MVTEC_CATEGORIES.indexOf(name);
    return i < 0 ? MVTEC_CATEGORIES.length : i;
  };
  return out.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** One test image and, for defects, its mask. */
interface TestItem {
  path: string;
  rel: string;
  group: string;
  mask: string | null;
}

/** Lists and pairs the test images and masks of a category; throws on any mismatch. */
async function listTest(root: string, category: string): Promise<TestItem[]> {
  const catDir = join(root, category);
  const testDir = join(catDir, "test");
  if (!(await isDir(testDir))) {
    throw new DatasetError(
      `missing test folder: ${testDir} (expected test/good and test/<defect_type> folders)`,
    );
  }
  const gtDir = join(catDir, "ground_truth");
  const items: TestItem[] = [];
  const types = await listDir(testDir, "dirs");
  for (const type of types) {
    const files = await listDir(join(testDir, type), "images");
    if (type === "good") {
      for (const f of files) {
        items.push({
          path: join(testDir, type, f),
          rel: `${category}/test/${type}/${f}`,
          group: type,
          mask: null,
        });
      }
      continue;
    }
    const maskDir = join(gtDir, type);
    const masks = (await isDir(maskDir)) ? await listDir(maskDir, "images") : [];
    const maskByStem = new Map<string, string>();
    for (const m of masks) {
      const s = stem(m);
      if (!s.endsWith("_mask")) {
        throw new DatasetError(
          `unexpected file in ${maskDir}: ${m} (masks are named <image name>_mask.png)`,
        );
      }
      const key = s.slice(0, -"_mask".length);
      if (maskByStem.has(key)) {
        throw new DatasetError(
          `two masks for image ${key} in ${maskDir}: ${maskByStem.get(key)} and ${m}`,
        );
      }
      maskByStem.set(key, m);
    }
    const imageStems = new Set<string>();
    for (const f of files) {
      const key = stem(f);
      imageStems.add(key);
      const m = maskByStem.get(key);
      if (m == null) {
        throw new DatasetError(
          `defect image without its mask: ${join(testDir, type, f)} (expected ${
            join(maskDir, `${key}_mask.png`)
          })`,
        );
      }
      items.push({
        path: join(testDir, type, f),
        rel: `${category}/test/${type}/${f}`,
        group: type,
        mask: join(maskDir, m),
      });
    }
    for (const [key, m] of maskByStem) {
      if (!imageStems.has(key)) {
        throw new DatasetError(
          `mask without its image: ${join(maskDir, m)} (no ${key}.* in ${join(testDir, type)})`,
        );
      }
    }
  }
  // Masks of defect types that have no test folder at all.
  if (await isDir(gtDir)) {
    for (const type of await listDir(gtDir, "dirs")) {
      if (type === "good" || types.includes(type)) continue;
      const masks = await listDir(join(gtDir, type), "images");
      if (masks.length > 0) {
        throw new DatasetError(
          `mask without its image: ${join(gtDir, type, masks[0])} (no folder ${
            join(testDir, type)
          })`,
        );
      }
    }
  }
  if (items.length === 0) {
    throw new DatasetError(`no test images in ${testDir} (expected test/good/*.png and defects)`);
  }
  return items;
}

/**
 * Loads one category: train = the good training images; test = good (label 0, zero
 * mask) and defective images (label 1, their resized binary mask). Names are paths
 * relative to the root; groups are the defect types ("good" for normal images).
 *
 * @example
 * ```ts ignore
 * import { loadMvtecCategory } from "./mvtec.ts";
 * const d = await loadMvtecCategory({ root: "data/mvtec_ad", category: "screw", size: 256 });
 * console.log(d.train.channels, d.test.groups?.[0]); // 1 "good"
 * ```
 */
export async function loadMvtecCategory(options: MvtecCategoryOptions): Promise<RunData> {
  const { root, category, size, maxTest, concurrency = 4 } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`image size must be a positive integer, got ${size}`);
  }
  if (maxTest != null && (!Number.isInteger(maxTest) || maxTest < 1)) {
    throw new DatasetError(`maxTest must be a positive integer, got ${maxTest}`);
  }
  await checkRoot(root);
  const catDir = join(root, category);
  if (category === "" || category.includes("/") || !(await isDir(catDir))) {
    const found = await listMvtecCategories(root);
    throw new DatasetError(
      `unknown MVTec AD category '${category}': no folder ${catDir}; ` +
        (found.length > 0
          ? `categories found in ${root}: ${found.join(", ")}`
          : `no category folders (<category>/train/good) found in ${root}`),
    );
  }
  const trainDir = join(catDir, "train", "good");
  if (!(await isDir(trainDir))) {
    throw new DatasetError(`missing training folder: ${trainDir} (normal images go there)`);
  }
  const trainFiles = await listDir(trainDir, "images");
  if (trainFiles.length === 0) {
    throw new DatasetError(`no training images in ${trainDir} (the folder is empty)`);
  }
  const allTest = await listTest(root, category);
  let test = allTest;
  if (maxTest != null && maxTest < allTest.length) {
    const step = allTest.length / maxTest;
    test = Array.from({ length: maxTest }, (_, k) => allTest[Math.floor(k * step)]);
  }

  const firstPath = join(trainDir, trainFiles[0]);
  const channels = (await imageInfo(firstPath)).channels;
  const px = size * size;
  const perImage = px * channels;
  const read = async (path: string, into: Float32Array, offset: number) => {
    const img = await readImage(path, { size });
    if (img.channels !== channels) {
      throw new DatasetError(
        `${path} has ${img.channels} channels, but the images of category '${category}' have ` +
          `${channels} (decided by its first training image ${firstPath})`,
      );
    }
    into.set(img.data, offset);
    return img;
  };

  const trainData = new Float32Array(trainFiles.length * perImage);
  await mapLimit(
    trainFiles,
    concurrency,
    (f, i) => read(join(trainDir, f), trainData, i * perImage),
  );

  const testData = new Float32Array(test.length * perImage);
  const masks = new Float32Array(test.length * px);
  await mapLimit(test, concurrency, async (item, i) => {
    const img = await read(item.path, testData, i * perImage);
    if (item.mask != null) {
      masks.set(await readMaskOf(item.mask, { ...img, path: item.path }, size), i * px);
    }
  });

  const train: ImageSet = {
    n: trainFiles.length,
    height: size,
    width: size,
    channels,
    data: trainData,
    names: trainFiles.map((f) => `${category}/train/good/${f}`),
    groups: trainFiles.map(() => "good"),
  };
  const testSet: ImageSet = {
    n: test.length,
    height: size,
    width: size,
    channels,
    data: testData,
    labels: Uint8Array.from(test, (t) => (t.group === "good" ? 0 : 1)),
    masks,
    names: test.map((t) => t.rel),
    groups: test.map((t) => t.group),
  };
  const nGood = test.filter((t) => t.group === "good").length;
  const types = [...new Set(allTest.map((t) => t.group).filter((g) => g !== "good"))];
  const synthetic = (await readSynthMvtecReadme(root)) != null;
  return {
    train,
    test: testSet,
    protocol:
      (synthetic
        ? `SYNTHETIC data in the MVTec AD layout (written by daad-kit's synth generator; ` +
          `not MVTec AD), category ${category} (${root}): `
        : `MVTec AD layout, category ${category} (${root}): `) +
      `train = ${train.n} good images; ` +
      `test = ${nGood} good + ${test.length - nGood} defective (${types.join(", ") || "none"})` +
      (test.length < allTest.length ? `, ${test.length} of ${allTest.length} kept (maxTest)` : "") +
      `; resized to ${size}x${size} (bilinear, masks nearest), ${channels} channel(s), [-1, 1]`,
  };
}
