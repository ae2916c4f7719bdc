/**
 * VisA (Zou et al., ECCV 2022) in its official layout, with the one-class split file
 * the dataset ships:
 *
 * ```
 * <root>/split_csv/1cls.csv            object,split,label,image,mask
 * <root>/<object>/Data/Images/Normal/*.JPG
 * <root>/<object>/Data/Images/Anomaly/*.JPG
 * <root>/<object>/Data/Masks/Anomaly/*.png
 * ```
 *
 * Each CSV line names an image (and, for anomalies, its mask) relative to the root:
 * `split` is `train` or `test`, `label` is `normal` or `anomaly`. Training takes the
 * object's normal train images; testing its test images (normal: label 0, group "good";
 * anomaly: label 1, group "anomaly", with its mask). VisA's masks hold region numbers
 * (any non-zero pixel is anomalous). Images are resized to size x size (bilinear, masks
 * nearest) and scaled to [-1, 1]. Every file is checked before decoding: a missing image
 * or mask is named with its CSV line.
 *
 * @example
 * ```ts ignore
 * import { listVisaObjects, loadVisaCategory } from "./visa.ts";
 * console.log(await listVisaObjects("data/visa")); // ["candle", "capsules", ...]
 * const { train, test } = await loadVisaCategory({ root: "data/visa", category: "candle", size: 256 });
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";
import { join, mapLimit, statOrNull } from "./_files.ts";
import { imageInfo, readImage, readMaskOf } from "./image_io.ts";
import type { ImageSet } from "./image_set.ts";
import type { RunData } from "./run_data.ts";

/** The split file of VisA's one-class protocol, relative to the root. */
export const VISA_SPLIT_CSV = "split_csv/1cls.csv";

/** The header of {@linkcode VISA_SPLIT_CSV}. */
export const VISA_CSV_HEADER: readonly string[] = Object.freeze([
  "object",
  "split",
  "label",
  "image",
  "mask",
]);

/** One line of the split file. */
export interface VisaEntry {
  object: string;
  split: "train" | "test";
  label: "normal" | "anomaly";
  /** Image path relative to the root. */
  image: string;
  /** Mask path relative to the root; null for normal images. */
  mask: string | null;
  /** Line number in the CSV (1 = header). */
  line: number;
}

/** Options of {@linkcode loadVisaCategory}. */
export interface VisaCategoryOptions {
  root: string;
  /** The object (e.g. "candle"). */
  category: string;
  /** Output side in pixels. */
  size: number;
  /** Keep at most this many test images, evenly spaced over the CSV's order. */
  maxTest?: number;
  /** Images decoded at the same time. Default 4. */
  concurrency?: number;
}

/**
 * Reads and checks `<root>/split_csv/1cls.csv`: the header, five fields a line, the
 * split and label values, and a mask for every anomaly. Throws
 * {@linkcode DatasetError} naming the file and line.
 */
export async function readVisaSplit(root: string): Promise<VisaEntry[]> {
  const st = await statOrNull(root);
  if (st == null) {
    throw new DatasetError(
      `VisA root folder not found: ${root} (expected ${join(root, VISA_SPLIT_CSV)})`,
    );
  }
  if (!st.isDirectory) throw new DatasetError(`VisA root is not a folder: ${root}`);
  const csv = join(root, VISA_SPLIT_CSV);
  let text: string;
  try {
    text = await Deno.readTextFile(csv);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DatasetError(
        `VisA split file not found: ${csv} (the official layout has split_csv/1cls.csv with ` +
          `${VISA_CSV_HEADER.join(",")})`,
      );
    }
    throw new DatasetError(`cannot read ${csv}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(",").map((s) => s.trim());
  if (header.join(",") !== VISA_CSV_HEADER.join(",")) {
    throw new DatasetError(
      `${csv} line 1: expected the header ${VISA_CSV_HEADER.join(",")}, found ${lines[0]}`,
    );
  }
  const out: VisaEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const at = `${csv} line ${i + 1}`;
    const f = lines[i].split(",").map((s) => s.trim());
    if (f.length !== 5) {
      throw new DatasetError(
        `${at}: expected 5 fields (${VISA_CSV_HEADER.join(",")}), found ${f.length}`,
      );
    }
    const [object, split, label, image, mask] = f;
    if (split !== "train" && split !== "test") {
      throw new DatasetError(`${at}: split must be train or test, found '${split}'`);
    }
    if (label !== "normal" && label !== "anomaly") {
      throw new DatasetError(`${at}: label must be normal or anomaly, found '${label}'`);
    }
    if (object === "" || image === "") throw new DatasetError(`${at}: empty object or image field`);
    if (label === "anomaly" && mask === "") {
      throw new DatasetError(`${at}: anomalous image ${image} has no mask`);
    }
    if (label === "anomaly" && split === "train") {
      throw new DatasetError(
        `${at}: anomalous image ${image} in the train split (the one-class split trains on normal images only)`,
      );
    }
    out.push({ object, split, label, image, mask: mask === "" ? null : mask, line: i + 1 });
  }
  return out;
}

/** The objects (categories) listed in a VisA root's split file, sorted. */
export async function listVisaObjects(root: string): Promise<string[]> {
  return [...new Set((await readVisaSplit(root)).map((e) => e.object))].sort();
}

async function checkFile(root: string, rel: string, what: string, line: number): Promise<string> {
  const path = join(root, rel);
  const st = await statOrNull(path);
  if (st == null || !st.isFile) {
    throw new DatasetError(
      `${what} not found: ${path} (listed on line ${line} of ${join(root, VISA_SPLIT_CSV)})`,
    );
  }
  return path;
}

/**
 * Loads one VisA object: train = its normal train images, test = its test images with
 * labels, masks, names (paths relative to the root) and groups ("good", "anomaly").
 */
export async function loadVisaCategory(options: VisaCategoryOptions): Promise<RunData> {
  const { root, category, size, maxTest, concurrency = 4 } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`image size must be a positive integer, got ${size}`);
  }
  const entries = await readVisaSplit(root);
  const mine = entries.filter((e) => e.object === category);
  if (mine.length === 0) {
    const found = [...new Set(entries.map((e) => e.object))].sort();
    throw new DatasetError(
      `unknown VisA object '${category}': not in ${join(root, VISA_SPLIT_CSV)}; objects found: ${
        found.join(", ") || "none"
      }`,
    );
  }
  const trainEntries = mine.filter((e) => e.split === "train");
  const allTest = mine.filter((e) => e.split === "test");
  if (trainEntries.length === 0) {
    throw new DatasetError(`no train images of '${category}' in ${join(root, VISA_SPLIT_CSV)}`);
  }
  if (allTest.length === 0) {
    throw new DatasetError(`no test images of '${category}' in ${join(root, VISA_SPLIT_CSV)}`);
  }
  let testEntries = allTest;
  if (maxTest != null && maxTest < allTest.length) {
    const step = allTest.length / maxTest;
    testEntries = Array.from({ length: maxTest }, (_, k) => allTest[Math.floor(k * step)]);
  }
  // Every file must be there before anything is decoded.
  for (const e of [...trainEntries, ...testEntries]) {
    await checkFile(root, e.image, "image file", e.line);
    if (e.mask != null) await checkFile(root, e.mask, "mask file", e.line);
  }
  const firstPath = join(root, trainEntries[0].image);
  const channels = (await imageInfo(firstPath)).channels;
  const px = size * size, perImage = px * channels;
  const read = async (e: VisaEntry, into: Float32Array, i: number) => {
    const path = join(root, e.image);
    const img = await readImage(path, { size });
    if (img.channels !== channels) {
      throw new DatasetError(
        `${path} has ${img.channels} channels, but the images of '${category}' have ${channels} ` +
          `(decided by its first training image ${firstPath})`,
      );
    }
    into.set(img.data, i * perImage);
    return img;
  };
  const trainData = new Float32Array(trainEntries.length * perImage);
  await mapLimit(trainEntries, concurrency, (e, i) => read(e, trainData, i));
  const testData = new Float32Array(testEntries.length * perImage);
  const masks = new Float32Array(testEntries.length * px);
  await mapLimit(testEntries, concurrency, async (e, i) => {
    const img = await read(e, testData, i);
    if (e.mask == null) return;
    const image = { ...img, path: join(root, e.image) };
    masks.set(await readMaskOf(join(root, e.mask), image, size, { threshold: 1 }), i * px);
  });
  const train: ImageSet = {
    n: trainEntries.length,
    height: size,
    width: size,
    channels,
    data: trainData,
    names: trainEntries.map((e) => e.image),
    groups: trainEntries.map(() => "good"),
  };
  const test: ImageSet = {
    n: testEntries.length,
    height: size,
    width: size,
    channels,
    data: testData,
    labels: Uint8Array.from(testEntries, (e) => (e.label === "anomaly" ? 1 : 0)),
    masks,
    names: testEntries.map((e) => e.image),
    groups: testEntries.map((e) => (e.label === "anomaly" ? "anomaly" : "good")),
  };
  const nAnomaly = testEntries.filter((e) => e.label === "anomaly").length;
  return {
    train,
    test,
    protocol: `VisA layout (${VISA_SPLIT_CSV}), object ${category} (${root}): ` +
      `train = ${train.n} normal images; test = ${
        test.n - nAnomaly
      } normal + ${nAnomaly} anomalous` +
      (testEntries.length < allTest.length
        ? `, ${testEntries.length} of ${allTest.length} kept (maxTest)`
        : "") +
      `; resized to ${size}x${size} (bilinear, masks nearest), ${channels} channel(s), [-1, 1]`,
  };
}
