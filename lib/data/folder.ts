/**
 * Your own images, as plain folders (`--data folder`):
 *
 * ```
 * <normal-dir>/**\/*.png|jpg|...        normal images: they train
 * <normal-test-dir>/**\/*               normal test images (optional)
 * <abnormal-dir>/[<defect>/]*           anomalous test images (optional); a sub-folder
 *                                       names the defect type
 * <mask-dir>/[<defect>/]<name>[_mask].* their masks (optional), paired by file name
 * ```
 *
 * Without a normal test folder, a seeded share (`testSplit`, default 0.2) of the normal
 * images is held out for testing. Without abnormal images the test set holds normal
 * images only: training works, and the run's threshold is a quantile of the held-out
 * normal scores. Images of any size are resized to size x size (bilinear; masks
 * nearest) and scaled to [-1, 1]; the first training image decides the channel count.
 * Folders are read recursively and sorted, so a load is deterministic.
 *
 * @example
 * ```ts ignore
 * import { loadImageFolders } from "./folder.ts";
 * const { train, test, protocol } = await loadImageFolders({
 *   normalDir: "photos/ok",
 *   abnormalDir: "photos/defects",
 *   size: 128,
 * });
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";
import { IMAGE_EXTENSIONS, join, listImagesDeep, mapLimit, statOrNull, stem } from "./_files.ts";
import { imageInfo, readImage, readMaskOf } from "./image_io.ts";
import type { ImageSet } from "./image_set.ts";
import type { RunData } from "./run_data.ts";
import { deriveSeed, Rng } from "../util/rng.ts";

/** Share of the normal images held out for testing when no normal test folder is given. */
export const DEFAULT_TEST_SPLIT = 0.2;

/** Options of {@linkcode loadImageFolders}. */
export interface ImageFoldersOptions {
  /** Normal images (training, and the held-out test share). */
  normalDir: string;
  /** Anomalous test images; sub-folders name defect types. */
  abnormalDir?: string | null;
  /** Masks of the anomalous images, paired by relative path and file name. */
  maskDir?: string | null;
  /** Normal test images; when given, every image of `normalDir` trains. */
  normalTestDir?: string | null;
  /** Share of normal images held out when there is no `normalTestDir`. Default 0.2. */
  testSplit?: number | null;
  /** Output side in pixels. */
  size: number;
  /** Seed of the held-out share. Default 0. */
  seed?: number;
  /** Images decoded at the same time. Default 4. */
  concurrency?: number;
}

/** One image to read: path, name for reports, label, group, mask path. */
interface Item {
  path: string;
  name: string;
  label: 0 | 1;
  group: string;
  mask: string | null;
}

async function imagesIn(dir: string, flag: string): Promise<string[]> {
  const st = await statOrNull(dir);
  if (st == null) throw new DatasetError(`${flag} folder not found: ${dir}`);
  if (!st.isDirectory) throw new DatasetError(`${flag} is not a folder: ${dir}`);
  const files = await listImagesDeep(dir);
  if (files.length === 0) {
    throw new DatasetError(
      `no images in ${flag} folder ${dir} (looked for ${IMAGE_EXTENSIONS.join(" ")})`,
    );
  }
  return files;
}

/** Pairs abnormal images with masks by relative path and stem (`x.png` ↔ `x.png`, `x_mask.png`). */
async function pairMasks(
  abnormalDir: string,
  abnormal: string[],
  maskDir: string,
): Promise<Map<string, string>> {
  const masks = await imagesIn(maskDir, "--mask-dir");
  const byKey = new Map<string, string>();
  for (const m of masks) {
    const s = stem(m);
    const key = s.endsWith("_mask") ? s.slice(0, -"_mask".length) : s;
    if (byKey.has(key)) {
      throw new DatasetError(
        `two masks for image ${key} in ${maskDir}: ${byKey.get(key)} and ${m}`,
      );
    }
    byKey.set(key, m);
  }
  const imageKeys = new Set<string>();
  const out = new Map<string, string>();
  for (const a of abnormal) {
    const key = stem(a);
    if (imageKeys.has(key)) {
      throw new DatasetError(
        `two abnormal images named ${key} in ${abnormalDir}: masks are paired by file name`,
      );
    }
    imageKeys.add(key);
    const m = byKey.get(key);
    if (m == null) {
      throw new DatasetError(
        `abnormal image without its mask: ${join(abnormalDir, a)} (expected ${
          join(maskDir, `${key}.png`)
        } or ${key}_mask.png; leave out --mask-dir to evaluate without masks)`,
      );
    }
    out.set(a, join(maskDir, m));
  }
  for (const [key, m] of byKey) {
    if (!imageKeys.has(key)) {
      throw new DatasetError(
        `mask without its image: ${join(maskDir, m)} (no ${key}.* in ${abnormalDir})`,
      );
    }
  }
  return out;
}

/**
 * Loads normal (and optionally abnormal) images from folders into a train and a test
 * set. Test groups: "good" for normal images, the first sub-folder of `abnormalDir` (or
 * "abnormal") for anomalies, so per-defect results follow the folders.
 */
export async function loadImageFolders(options: ImageFoldersOptions): Promise<RunData> {
  const { normalDir, size, seed = 0, concurrency = 4 } = options;
  const abnormalDir = options.abnormalDir ?? null;
  const maskDir = options.maskDir ?? null;
  const normalTestDir = options.normalTestDir ?? null;
  const split = options.testSplit ?? DEFAULT_TEST_SPLIT;
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`image size must be a positive integer, got ${size}`);
  }
  if (!(split > 0 && split < 1)) {
    throw new DatasetError(`test split must be a share between 0 and 1, got ${split}`);
  }
  if (maskDir != null && abnormalDir == null) {
    throw new DatasetError(`--mask-dir ${maskDir} needs --abnormal-dir (masks mark anomalies)`);
  }
  const normal = await imagesIn(normalDir, "--normal-dir");
  let trainFiles = normal;
  let testNormal: Item[];
  let held = "";
  if (normalTestDir != null) {
    testNormal = (await imagesIn(normalTestDir, "--normal-test-dir")).map((f) => ({
      path: join(normalTestDir, f),
      name: `normal_test/${f}`,
      label: 0,
      group: "good",
      mask: null,
    }));
    held = `${testNormal.length} normal images from ${normalTestDir}`;
  } else {
    if (normal.length < 2) {
      throw new DatasetError(
        `${normalDir} holds ${normal.length} image; holding out a test share needs at least 2 ` +
          `(or give --normal-test-dir)`,
      );
    }
    const nHeld = Math.min(normal.length - 1, Math.max(1, Math.round(normal.length * split)));
    const order = new Rng(deriveSeed(seed, "folder-test-split")).permutation(normal.length);
    const heldOut = new Set(order.slice(0, nHeld));
    trainFiles = normal.filter((_, i) => !heldOut.has(i));
    testNormal = normal.filter((_, i) => heldOut.has(i)).map((f) => ({
      path: join(normalDir, f),
      name: `normal/${f}`,
      label: 0,
      group: "good",
      mask: null,
    }));
    held = `${nHeld} normal images held out of ${normalDir} (share ${split}, seed ${seed})`;
  }
  let testAbnormal: Item[] = [];
  if (abnormalDir != null) {
    const abnormal = await imagesIn(abnormalDir, "--abnormal-dir");
    const masks = maskDir != null ? await pairMasks(abnormalDir, abnormal, maskDir) : null;
    testAbnormal = abnormal.map((f) => ({
      path: join(abnormalDir, f),
      name: `abnormal/${f}`,
      label: 1,
      group: f.includes("/") ? f.slice(0, f.indexOf("/")) : "abnormal",
      mask: masks?.get(f) ?? null,
    }));
  }
  const test = [...testNormal, ...testAbnormal];

  const firstPath = join(normalDir, trainFiles[0]);
  const channels = (await imageInfo(firstPath)).channels;
  const px = size * size, perImage = px * channels;
  const read = async (path: string, into: Float32Array, i: number) => {
    const img = await readImage(path, { size });
    if (img.channels !== channels) {
      throw new DatasetError(
        `${path} has ${img.channels} channels, but the normal images have ${channels} ` +
          `(decided by the first training image ${firstPath}); convert it to match`,
      );
    }
    into.set(img.data, i * perImage);
    return img;
  };
  const trainData = new Float32Array(trainFiles.length * perImage);
  await mapLimit(trainFiles, concurrency, (f, i) => read(join(normalDir, f), trainData, i));
  const testData = new Float32Array(test.length * perImage);
  const masks = maskDir != null ? new Float32Array(test.length * px) : undefined;
  await mapLimit(test, concurrency, async (item, i) => {
    const img = await read(item.path, testData, i);
    if (item.mask == null || masks == null) return;
    masks.set(await readMaskOf(item.mask, { ...img, path: item.path }, size), i * px);
  });
  const trainSet: ImageSet = {
    n: trainFiles.length,
    height: size,
    width: size,
    channels,
    data: trainData,
    names: trainFiles.map((f) => `normal/${f}`),
    groups: trainFiles.map(() => "good"),
  };
  const testSet: ImageSet = {
    n: test.length,
    height: size,
    width: size,
    channels,
    data: testData,
    labels: Uint8Array.from(test, (t) => t.label),
    ...(masks != null ? { masks } : {}),
    names: test.map((t) => t.name),
    groups: test.map((t) => t.group),
  };
  return {
    train: trainSet,
    test: testSet,
    protocol: `image folders: train = ${trainSet.n} normal images of ${normalDir}; ` +
      `test = ${held}` +
      (abnormalDir != null
        ? ` + ${testAbnormal.length} abnormal images of ${abnormalDir}` +
          (maskDir != null ? ` (masks from ${maskDir})` : " (no masks)")
        : " (no abnormal images: the threshold is a quantile of the normal scores)") +
      `; resized to ${size}x${size} (bilinear${
        maskDir != null ? ", masks nearest" : ""
      }), ${channels} channel(s), [-1, 1]`,
  };
}
