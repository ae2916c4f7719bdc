/**
 * Video anomaly-detection datasets (UCSD Ped2, CUHK Avenue, ShanghaiTech, the kit's
 * synthetic moving shapes) as frame or clip sets for MNAD's two tasks.
 *
 * Layout (the one MNAD's code reads), under `<root>/<dataset>/`:
 * ```
 * training/frames/<video>/<frame>.{jpg,jpeg,png,tif,tiff,bmp}
 * testing/frames/<video>/<frame>.{...}
 * labels.json | labels.txt                 frame labels of the test videos (see below)
 * ```
 * UCSD's original layout `Train/<video>/`, `Test/<video>/` (with `Test/<video>_gt/`) is
 * read too when `training/frames` is absent. Videos are the sub-folders, frames the
 * image files in them, both sorted by name (digit runs compared as numbers, so `9.png`
 * comes before `10.png`; zero-padded names sort the same either way). Hidden files
 * and other files are ignored.
 *
 * Frame labels (1 = anomalous) of the test videos, the first source found wins:
 * 1. `labels.json`: either an object `{"<video>": [0, 1, ...], ...}` with one value per
 *    frame of every test video (a string `"0011..."` also works), or an array of the
 *    values of all test frames, videos in order (MNAD's `frame_labels_<dataset>.npy`
 *    saved as JSON);
 * 2. `labels.txt`: plain text, `#` starts a comment. Lines `<video>: 0 0 1 1 ...` give
 *    one video each; without any `<video>:` line the whole file is the values of all
 *    test frames, videos in order (e.g. `np.savetxt` of the .npy). Values are separated
 *    by spaces, commas or nothing (`0011`); any number equal to 0 or 1 counts
 *    (`1.000000e+00` too);
 * 3. one file per video, `testing/labels/<video>.txt` or `.json`, same value syntax;
 * 4. per-frame masks, one image per frame sorted like the frames, in
 *    `testing/gt/<video>/` or `<frames folder>/<video>_gt/` (UCSD's `TestNNN_gt`): a frame
 *    is anomalous when its mask has any foreground pixel (> 0; > 127 for JPEG masks,
 *    whose compression noise is not foreground). When every test video has masks they
 *    are also returned, resized, as the set's pixel masks.
 *
 * Samples: `recon` = single frames; `pred` = clips of `inputFrames + 1` (5) consecutive
 * frames of one video stacked along channels, inputs first, labelled by the last (the
 * frame to predict). The first `inputFrames` frames of a test video have no prediction
 * and are not samples (MNAD's protocol). Frames are resized to `size`x`size` (aspect
 * ratio not kept, as MNAD does) and scaled to [-1, 1]. `groups` = video names (scores
 * are normalised per video), `names` = frame paths (the target frame's for clips).
 *
 * @example
 * ```ts
 * import { loadVideoDataset } from "./video.ts";
 * const data = await loadVideoDataset({ root: "data/video", dataset: "ped2", size: 256, task: "pred" });
 * console.log(data.test.channels); // 5 (five grey frames)
 * ```
 * @module
 */
import { isDir, isFile, join } from "./_files.ts";
import { DatasetError } from "./errors.ts";
import { imageInfo, readBmp, readImage, resizeBilinear } from "./image_io.ts";
import { evenlySpaced, type ImageSet } from "./image_set.ts";
import type { RunData } from "./run_data.ts";

export { DatasetError } from "./errors.ts";

/** The two sample layouts. */
export type VideoTask = "recon" | "pred";

/** Frame file extensions read (lower case). */
export const VIDEO_FRAME_EXTENSIONS: readonly string[] = [
  ".jpg",
  ".jpeg",
  ".png",
  ".tif",
  ".tiff",
  ".bmp",
];

/** Options of {@linkcode loadVideoDataset}. */
export interface VideoDatasetOptions {
  /** Folder holding the datasets. */
  root: string;
  /** Dataset folder name under `root` (`ped2`, `avenue`, `shanghai`, `synth`...). */
  dataset: string;
  /** Frames are resized to size x size. */
  size: number;
  /** `recon` (frames) or `pred` (clips). */
  task: VideoTask;
  /** Keep at most this many test samples, evenly spaced, in order (quick checks). */
  maxTest?: number;
  /** Keep at most this many training samples, evenly spaced. */
  maxTrain?: number;
  /** 1 (grey) or 3 (colour); default: 1 when the first training frame is grey, else 3. */
  channels?: 1 | 3;
  /** Input frames of a `pred` clip (MNAD: 4, the fifth is predicted). */
  inputFrames?: number;
}

/** One video: its name and its frame paths, in order. */
export interface VideoFolder {
  name: string;
  dir: string;
  frames: string[];
}

/** Natural name order: digit runs compare as numbers. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

function extension(name: string): string {
  const i = name.lastIndexOf(".");
  return i < 0 ? "" : name.slice(i).toLowerCase();
}

/** The image files of `dir`, sorted by name. */
export async function listFrames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (
        e.isFile && !e.name.startsWith(".") && VIDEO_FRAME_EXTENSIONS.includes(extension(e.name))
      ) {
        names.push(e.name);
      }
    }
  } catch (e) {
    throw new DatasetError(`cannot list frames in ${dir}: ${(e as Error).message}`);
  }
  return names.sort(compareNames).map((n) => join(dir, n));
}

/**
 * The videos (sub-folders, except UCSD's `<video>_gt` mask folders) of a frames folder,
 * sorted by name. Throws {@linkcode DatasetError} when the folder is missing or empty.
 */
export async function listVideos(dir: string): Promise<VideoFolder[]> {
  if (!(await isDir(dir))) throw new DatasetError(`video frames folder ${dir} does not exist`);
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !e.name.startsWith(".") && !e.name.endsWith("_gt")) names.push(e.name);
  }
  if (names.length === 0) {
    throw new DatasetError(`${dir} has no video folders (expected ${dir}/<video>/<frame>.jpg)`);
  }
  const videos: VideoFolder[] = [];
  for (const name of names.sort(compareNames)) {
    const vdir = join(dir, name);
    const frames = await listFrames(vdir);
    if (frames.length === 0) {
      throw new DatasetError(
        `video ${vdir} has no frames (${VIDEO_FRAME_EXTENSIONS.join(", ")})`,
      );
    }
    videos.push({ name, dir: vdir, frames });
  }
  return videos;
}

/** Converts HWC pixels between grey and RGB (Rec. 601 luma; grey is replicated). */
function toChannels(data: Float32Array, from: number, to: 1 | 3): Float32Array {
  if (from === to) return data;
  const n = data.length / from;
  const out = new Float32Array(n * to);
  for (let p = 0; p < n; p++) {
    if (to === 3) {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[p];
    } else {
      out[p] = 0.299 * data[3 * p] + 0.587 * data[3 * p + 1] + 0.114 * data[3 * p + 2];
    }
  }
  return out;
}

/**
 * A frame decoded, resized to size x size and converted to `channels`: HWC values in
 * [-1, 1]. Grey frames stored as RGB (and the reverse) are converted, not refused:
 * video datasets mix both.
 */
export async function readFrame(
  path: string,
  size: number,
  channels: 1 | 3,
): Promise<Float32Array> {
  if (extension(path) === ".bmp") {
    const b = await readBmp(path);
    return toChannels(resizeBilinear(b.data, b.height, b.width, 1, size, size), 1, channels);
  }
  const img = await readImage(path, { size });
  return toChannels(img.data, img.channels, channels);
}

/**
 * Whether a frame file holds grey content: one stored channel, or colour channels that
 * agree within JPEG noise (grey video saved as RGB JPEG, as UCSD Ped2 often is).
 */
export async function isGreyFrame(path: string): Promise<boolean> {
  if (extension(path) === ".bmp") return true;
  if ((await imageInfo(path)).channels === 1) return true;
  const { data, channels } = await readImage(path, { size: 32 });
  if (channels === 1) return true;
  const tolerance = 3 / 127.5;
  for (let i = 0; i < data.length; i += 3) {
    if (
      Math.abs(data[i] - data[i + 1]) > tolerance || Math.abs(data[i + 1] - data[i + 2]) > tolerance
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Parses 0/1 values written as numbers separated by spaces, commas or newlines, or run
 * together (`0011`). `source` names the file in errors.
 */
export function parseLabelValues(text: string, source: string): number[] {
  const out: number[] = [];
  for (const token of text.split(/[\s,;[\]]+/).filter((t) => t.length > 0)) {
    if (/^[01]+$/.test(token) && token.length > 1) {
      for (const ch of token) out.push(ch === "1" ? 1 : 0);
      continue;
    }
    const v = Number(token);
    if (v !== 0 && v !== 1) {
      throw new DatasetError(`${source}: '${token}' is not a frame label (0 or 1)`);
    }
    out.push(v);
  }
  return out;
}

/** Labels of a whole dataset: per video, or flat over all test frames in video order. */
export type ParsedLabels = { perVideo: Map<string, number[]> } | { flat: number[] };

function fromJsonValue(v: unknown, source: string): number[] {
  if (typeof v === "string") return parseLabelValues(v, source);
  if (Array.isArray(v)) {
    return v.flat(2).map((x, i) => {
      const n = Number(x);
      if (n !== 0 && n !== 1) {
        throw new DatasetError(`${source}: value ${i} is ${JSON.stringify(x)}, not 0 or 1`);
      }
      return n;
    });
  }
  throw new DatasetError(`${source}: expected an array of 0/1 or a "0011" string`);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DatasetError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Parses a `labels.json` text (see the module documentation). */
export function parseLabelsJson(text: string, source: string): ParsedLabels {
  const value = parseJson(text, source);
  if (Array.isArray(value)) return { flat: fromJsonValue(value, source) };
  if (value != null && typeof value === "object") {
    const perVideo = new Map<string, number[]>();
    for (const [k, v] of Object.entries(value)) {
      perVideo.set(k, fromJsonValue(v, `${source} '${k}'`));
    }
    return { perVideo };
  }
  throw new DatasetError(`${source}: expected {"<video>": [0, 1, ...]} or a flat [0, 1, ...]`);
}

/** Parses a `labels.txt` text (see the module documentation). */
export function parseLabelsText(text: string, source: string): ParsedLabels {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*$/, "").trim()).filter((l) =>
    l.length > 0
  );
  const perVideo = new Map<string, number[]>();
  const rest: string[] = [];
  for (const line of lines) {
    const m = /^([^:\s]+)\s*:(.*)$/.exec(line);
    if (m) {
      perVideo.set(m[1], parseLabelValues(m[2], `${source} video '${m[1]}'`));
    } else {
      rest.push(line);
    }
  }
  if (perVideo.size > 0) {
    if (rest.length > 0) {
      throw new DatasetError(
        `${source} mixes '<video>: ...' lines with bare values ('${rest[0].slice(0, 30)}')`,
      );
    }
    return { perVideo };
  }
  return { flat: parseLabelValues(rest.join(" "), source) };
}

/** Splits parsed labels over the test videos, checking every count. */
function perVideoLabels(parsed: ParsedLabels, videos: VideoFolder[], source: string): number[][] {
  if ("flat" in parsed) {
    const total = videos.reduce((a, v) => a + v.frames.length, 0);
    if (parsed.flat.length !== total) {
      throw new DatasetError(
        `${source} has ${parsed.flat.length} frame labels but the ${videos.length} test videos ` +
          `have ${total} frames`,
      );
    }
    let at = 0;
    return videos.map((v) => parsed.flat.slice(at, at += v.frames.length));
  }
  return videos.map((v) => {
    const labels = parsed.perVideo.get(v.name);
    if (labels == null) {
      throw new DatasetError(
        `${source} has no labels for test video '${v.name}' (it has: ${
          [...parsed.perVideo.keys()].slice(0, 8).join(", ")
        })`,
      );
    }
    if (labels.length !== v.frames.length) {
      throw new DatasetError(
        `${source} gives ${labels.length} labels for test video '${v.name}', which has ` +
          `${v.frames.length} frames (${v.dir})`,
      );
    }
    return labels;
  });
}

/** Where a test video's mask folder is, if any. */
async function maskFolder(
  datasetDir: string,
  framesDir: string,
  video: VideoFolder,
): Promise<string | null> {
  for (
    const dir of [join(datasetDir, "testing/gt", video.name), join(framesDir, `${video.name}_gt`)]
  ) {
    if (await isDir(dir)) return dir;
  }
  return null;
}

/**
 * Reads a mask at its own resolution (grey, [-1, 1]) and resamples it to size x size
 * (nearest neighbour, so it stays binary): 1 where foreground, else 0; `any` tells
 * whether the full-resolution mask has any foreground pixel.
 */
async function readMaskFile(
  path: string,
  size: number,
): Promise<{ mask: Uint8Array; any: boolean }> {
  // Foreground: any value above 0 (0..255 scale); above 127 for JPEG, whose
  // compression noise around a black mask is not foreground.
  const isJpeg = [".jpg", ".jpeg"].includes(extension(path));
  const threshold = (isJpeg ? 127.5 : 0.5) / 127.5 - 1;
  let full: Float32Array, width: number, height: number;
  if (extension(path) === ".bmp") {
    ({ width, height, data: full } = await readBmp(path));
  } else {
    const info = await imageInfo(path);
    // Read square at the larger side: no foreground pixel is lost to down-sampling.
    width = height = Math.max(info.width, info.height);
    const img = await readImage(path, { size: width });
    full = img.channels === 3 ? maxOverChannels(img.data) : img.data;
  }
  let any = false;
  for (const v of full) if (v > threshold) any = true;
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / size));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / size));
      mask[y * size + x] = full[sy * width + sx] > threshold ? 1 : 0;
    }
  }
  return { mask, any };
}

/** The largest channel of each RGB pixel: any coloured foreground counts. */
function maxOverChannels(rgb: Float32Array): Float32Array {
  const out = new Float32Array(rgb.length / 3);
  for (let p = 0; p < out.length; p++) {
    out[p] = Math.max(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
  }
  return out;
}

/** Frame labels of the test videos and, when every video has mask images, the masks. */
export interface TestLabels {
  labels: number[][];
  /** Per video, size·size bytes per frame (1 = anomalous pixel); null without masks. */
  masks: Uint8Array[][] | null;
  /** Where the labels came from. */
  source: string;
}

/**
 * Finds and reads the frame labels of `videos` (see the module documentation for the
 * sources and their order). Masks are resized to `size`.
 */
export async function readTestLabels(
  datasetDir: string,
  framesDir: string,
  videos: VideoFolder[],
  size: number,
): Promise<TestLabels> {
  const maskDirs = await Promise.all(videos.map((v) => maskFolder(datasetDir, framesDir, v)));
  let masks: Uint8Array[][] | null = null;
  let maskLabels: number[][] | null = null;
  if (maskDirs.every((d) => d != null)) {
    masks = [];
    maskLabels = [];
    for (const [i, v] of videos.entries()) {
      const files = await listFrames(maskDirs[i]!);
      if (files.length !== v.frames.length) {
        throw new DatasetError(
          `mask folder ${maskDirs[i]} has ${files.length} masks but video ${v.dir} has ` +
            `${v.frames.length} frames`,
        );
      }
      const read = [];
      for (const f of files) read.push(await readMaskFile(f, size));
      masks.push(read.map((r) => r.mask));
      maskLabels.push(read.map((r) => (r.any ? 1 : 0)));
    }
  }

  const json = join(datasetDir, "labels.json"), txt = join(datasetDir, "labels.txt");
  let labels: number[][] | null = null, source = "";
  if (await isFile(json)) {
    labels = perVideoLabels(parseLabelsJson(await Deno.readTextFile(json), json), videos, json);
    source = json;
  } else if (await isFile(txt)) {
    labels = perVideoLabels(parseLabelsText(await Deno.readTextFile(txt), txt), videos, txt);
    source = txt;
  } else {
    const dir = join(datasetDir, "testing/labels");
    if (await isDir(dir)) {
      labels = [];
      for (const v of videos) {
        const [vt, vj] = [join(dir, `${v.name}.txt`), join(dir, `${v.name}.json`)];
        let values: number[];
        if (await isFile(vt)) values = parseLabelValues(await Deno.readTextFile(vt), vt);
        else if (await isFile(vj)) {
          values = fromJsonValue(parseJson(await Deno.readTextFile(vj), vj), vj);
        } else throw new DatasetError(`no label file ${vt} (or .json) for test video '${v.name}'`);
        if (values.length !== v.frames.length) {
          throw new DatasetError(
            `${(await isFile(vt)) ? vt : vj} gives ${values.length} labels for test video ` +
              `'${v.name}', which has ${v.frames.length} frames (${v.dir})`,
          );
        }
        labels.push(values);
      }
      source = `${dir}/<video>.txt`;
    } else if (maskLabels != null) {
      labels = maskLabels;
      source = `per-frame masks (${maskDirs[0]}, ...)`;
    }
  }
  if (labels == null) {
    throw new DatasetError(
      `no frame labels for the test videos of ${datasetDir}: looked for ${json}, ${txt}, ` +
        `${join(datasetDir, "testing/labels")}/<video>.txt and mask folders ` +
        `${join(datasetDir, "testing/gt")}/<video>/ or ${framesDir}/<video>_gt/`,
    );
  }
  return { labels, masks, source };
}

/** One sample: which video, which frames (in channel order), its label. */
interface SampleRef {
  video: number;
  frames: number[];
}

/** The samples of a list of videos for a task. */
function samplesOf(videos: VideoFolder[], task: VideoTask, inputFrames: number, split: string) {
  const need = task === "pred" ? inputFrames + 1 : 1;
  const out: SampleRef[] = [];
  for (const [vi, v] of videos.entries()) {
    if (v.frames.length < need) {
      throw new DatasetError(
        `${split} video ${v.dir} has ${v.frames.length} frame(s); the ${task} task needs at ` +
          `least ${need} (${inputFrames} inputs + the frame to predict)`,
      );
    }
    for (let t = need - 1; t < v.frames.length; t++) {
      out.push({ video: vi, frames: Array.from({ length: need }, (_, j) => t - need + 1 + j) });
    }
  }
  return out;
}

function allocate(n: number, what: string): Float32Array {
  try {
    return new Float32Array(n);
  } catch (e) {
    throw new DatasetError(
      `${what} needs ${(n * 4 / 2 ** 30).toFixed(1)} GiB, more than can be allocated ` +
        `(${(e as Error).message}); use a smaller --size or --max-test`,
    );
  }
}

/** Builds one split's ImageSet, decoding each frame once per video. */
async function buildSet(
  videos: VideoFolder[],
  samples: SampleRef[],
  size: number,
  channels: 1 | 3,
  split: string,
  labels?: number[][],
  masks?: Uint8Array[][] | null,
): Promise<ImageSet> {
  const perFrame = size * size * channels;
  const perSample = perFrame * samples[0].frames.length;
  const px = size * size;
  const data = allocate(samples.length * perSample, `the ${split} set`);
  const out: ImageSet = {
    n: samples.length,
    height: size,
    width: size,
    channels: channels * samples[0].frames.length,
    data,
    names: [],
    groups: [],
  };
  if (labels) out.labels = new Uint8Array(samples.length);
  if (masks) out.masks = new Float32Array(samples.length * px);
  let i = 0;
  for (const [vi, v] of videos.entries()) {
    const mine = [] as { s: SampleRef; at: number }[];
    for (; i < samples.length && samples[i].video === vi; i++) mine.push({ s: samples[i], at: i });
    if (mine.length === 0) continue;
    const needed = [...new Set(mine.flatMap((m) => m.s.frames))].sort((a, b) => a - b);
    const decoded = new Map<number, Float32Array>();
    for (const f of needed) decoded.set(f, await readFrame(v.frames[f], size, channels));
    for (const { s, at } of mine) {
      const base = at * perSample;
      // Clip layout: pixel-major, frames then channels within each pixel (NHWC with the
      // frames stacked along C): channel k·C + c of pixel p is frame k's channel c.
      for (const [k, f] of s.frames.entries()) {
        const frame = decoded.get(f)!;
        for (let p = 0; p < px; p++) {
          for (let c = 0; c < channels; c++) {
            data[base + p * channels * s.frames.length + k * channels + c] =
              frame[p * channels + c];
          }
        }
      }
      const target = s.frames[s.frames.length - 1];
      out.names!.push(v.frames[target]);
      out.groups!.push(v.name);
      if (labels) out.labels![at] = labels[vi][target];
      if (masks) {
        const m = masks[vi][target];
        for (let p = 0; p < px; p++) out.masks![at * px + p] = m[p];
      }
    }
  }
  return out;
}

/** Finds `training/frames` (or UCSD's `Train`) and `testing/frames` (or `Test`). */
async function frameFolders(datasetDir: string): Promise<{ train: string; test: string }> {
  if (!(await isDir(datasetDir))) {
    throw new DatasetError(`video dataset folder ${datasetDir} does not exist`);
  }
  const mnadTrain = join(datasetDir, "training/frames"),
    mnadTest = join(datasetDir, "testing/frames");
  if (await isDir(mnadTrain)) return { train: mnadTrain, test: mnadTest };
  const ucsdTrain = join(datasetDir, "Train"), ucsdTest = join(datasetDir, "Test");
  if (await isDir(ucsdTrain)) return { train: ucsdTrain, test: ucsdTest };
  throw new DatasetError(
    `${datasetDir} has no ${mnadTrain} folder (nor UCSD's ${ucsdTrain}); expected ` +
      `${mnadTrain}/<video>/<frame>.jpg`,
  );
}

/**
 * Loads a video dataset as MNAD's training and test sets (see the module
 * documentation for the layout, label files and sample layout).
 */
export async function loadVideoDataset(options: VideoDatasetOptions): Promise<RunData> {
  const { root, dataset, size, task, maxTest, maxTrain } = options;
  const inputFrames = options.inputFrames ?? 4;
  if (task !== "recon" && task !== "pred") {
    throw new DatasetError(`video task must be recon or pred, got '${task}'`);
  }
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`video frame size must be a positive integer, got ${size}`);
  }
  if (!Number.isInteger(inputFrames) || inputFrames < 1) {
    throw new DatasetError(`pred input frames must be a positive integer, got ${inputFrames}`);
  }
  for (const [k, v] of [["maxTest", maxTest], ["maxTrain", maxTrain]] as const) {
    if (v != null && (!Number.isInteger(v) || v < 1)) {
      throw new DatasetError(`${k} must be a positive integer, got ${v}`);
    }
  }
  const datasetDir = join(root, dataset);
  const dirs = await frameFolders(datasetDir);
  const trainVideos = await listVideos(dirs.train);
  const testVideos = await listVideos(dirs.test);
  const channels = options.channels ?? ((await isGreyFrame(trainVideos[0].frames[0])) ? 1 : 3);
  if (channels !== 1 && channels !== 3) {
    throw new DatasetError(`video channels must be 1 or 3, got ${channels}`);
  }
  const truth = await readTestLabels(datasetDir, dirs.test, testVideos, size);

  const allTrain = samplesOf(trainVideos, task, inputFrames, "training");
  const allTest = samplesOf(testVideos, task, inputFrames, "test");
  const trainSamples = evenlySpaced(allTrain.length, maxTrain ?? allTrain.length).map((i) =>
    allTrain[i]
  );
  const testSamples = evenlySpaced(allTest.length, maxTest ?? allTest.length).map((i) =>
    allTest[i]
  );
  const train = await buildSet(trainVideos, trainSamples, size, channels, "training");
  const test = await buildSet(
    testVideos,
    testSamples,
    size,
    channels,
    "test",
    truth.labels,
    truth.masks,
  );

  const nFrames = (vs: VideoFolder[]) => vs.reduce((a, v) => a + v.frames.length, 0);
  const anomalous = test.labels!.reduce((a, b) => a + b, 0);
  const sampleText = task === "pred"
    ? `clips of ${inputFrames + 1} consecutive frames (${inputFrames} inputs + the frame to ` +
      `predict) stacked as ${inputFrames + 1}x${channels} channels, labelled by the predicted ` +
      `frame; the first ${inputFrames} frames of each test video have no prediction and are ` +
      `excluded (MNAD protocol)`
    : "single frames";
  const protocol = `video dataset '${dataset}' (${datasetDir}), task ${task}: ` +
    `${trainVideos.length} training videos (${nFrames(trainVideos)} frames), ` +
    `${testVideos.length} test videos (${nFrames(testVideos)} frames); frames resized to ` +
    `${size}x${size}, ${channels === 1 ? "grey" : "colour"}, [-1, 1]; samples: ${sampleText}; ` +
    `${train.n} training / ${test.n} test samples (${anomalous} anomalous)` +
    (maxTest != null && testSamples.length < allTest.length
      ? `, test subsampled evenly from ${allTest.length}`
      : "") +
    (maxTrain != null && trainSamples.length < allTrain.length
      ? `, training subsampled evenly from ${allTrain.length}`
      : "") +
    `; labels from ${truth.source}; groups = video names (per-video score normalisation)`;
  return { train, test, protocol };
}
