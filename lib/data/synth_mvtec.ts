/**
 * A synthetic stand-in written in the MVTec AD layout, so that the MVTec loader, the
 * training task and the notebooks can be exercised where MVTec AD itself cannot be
 * downloaded. It is NOT MVTec AD: no claim about MVTec AD can be made from results on
 * it, and the folder it writes says so in its README.txt.
 *
 * Categories (names start with `synth_` so they are never mistaken for MVTec's):
 * - `synth_weave`: a greyscale woven texture (threads over and under, random phase,
 *   pitch, slight rotation, per-thread shade and fibre noise): every image differs, all
 *   from one distribution.
 * - `synth_pill`: an RGB object, a pill with a groove on a dark background, with small
 *   variations of position, rotation, size and colour.
 *
 * Defect types (the test sub-folders): `scratch` (a thin, slightly curved line),
 * `stain` (an irregular coloured blob), `hole` (a dark ellipse). Masks are 0/255 PNGs
 * covering every pixel the defect changed. Everything comes from a seeded
 * {@linkcode Rng}, one stream per image: a seed always writes the same bytes.
 *
 * @example
 * ```ts
 * import { writeSynthMvtec } from "./synth_mvtec.ts";
 * const out = await Deno.makeTempDir();
 * const s = await writeSynthMvtec({ out, size: 32, nTrain: 4, nTestGood: 2, nTestDefect: 1 });
 * console.log(s.categories.map((c) => c.name)); // ["synth_weave", "synth_pill"]
 * ```
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import { DatasetError } from "./errors.ts";
import { encodePng } from "./image_io.ts";

/** The categories the generator knows. */
export const SYNTH_CATEGORIES = ["synth_weave", "synth_pill"] as const;
export type SynthCategory = typeof SYNTH_CATEGORIES[number];

/** The defect types, which are also the test sub-folder names. */
export const SYNTH_DEFECTS = ["scratch", "stain", "hole"] as const;
export type SynthDefect = typeof SYNTH_DEFECTS[number];

/** What a category is. */
export interface SynthCategoryInfo {
  kind: "texture" | "object";
  channels: 1 | 3;
  description: string;
}

/** Kind, channels and a description of each category. */
export const SYNTH_CATEGORY_INFO: Readonly<Record<SynthCategory, SynthCategoryInfo>> = Object
  .freeze({
    synth_weave: {
      kind: "texture",
      channels: 1,
      description: "woven texture (threads over/under, random phase, pitch, rotation)",
    },
    synth_pill: {
      kind: "object",
      channels: 3,
      description: "pill with a groove on a dark background (small pose/colour variation)",
    },
  });

/** First line of the README.txt the generator writes; marks a folder as its output. */
export const SYNTH_README_MARKER = "daad-kit synthetic MVTec-layout data set";

/** One rendered image, HWC bytes, and where defects may be centred. */
export interface SynthImage {
  size: number;
  channels: 1 | 3;
  /** size·size·channels values, 0..255. */
  pixels: Uint8Array;
  /** size·size values: 1 where a defect may be centred (inside the object). */
  region: Uint8Array;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
const toByte = (v: number) => Math.round(clamp01(v) * 255);

function checkCategory(category: string): asserts category is SynthCategory {
  if (!(SYNTH_CATEGORIES as readonly string[]).includes(category)) {
    throw new DatasetError(
      `unknown synthetic category '${category}'; choose from ${SYNTH_CATEGORIES.join(", ")}`,
    );
  }
}

function checkSide(size: number): void {
  if (!Number.isInteger(size) || size < 16) {
    throw new DatasetError(`synthetic image size must be an integer >= 16, got ${size}`);
  }
}

/** The woven texture: two thread directions crossing over and under. */
function renderWeave(size: number, rng: Rng): SynthImage {
  const pitch = (size / 8) * rng.uniform(0.9, 1.1);
  const angle = rng.uniform(-4, 4) * (Math.PI / 180);
  const cos = Math.cos(angle), sin = Math.sin(angle);
  const phaseU = rng.uniform(0, pitch), phaseV = rng.uniform(0, pitch);
  const nThreads = Math.ceil((size * 1.5) / pitch) + 4;
  const shadeU = rng.uniformArray(nThreads, 0.85, 1.1);
  const shadeV = rng.uniformArray(nThreads, 0.85, 1.1);
  const fibreU = rng.uniformArray(nThreads, 0, 2 * Math.PI);
  const fibreV = rng.uniformArray(nThreads, 0, 2 * Math.PI);
  const level = rng.uniform(-0.03, 0.03);
  const pixels = new Uint8Array(size * size);
  const offset = Math.floor(nThreads / 2) - 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cx = x - size / 2, cy = y - size / 2;
      const u = (cx * cos + cy * sin) / pitch + phaseU / pitch;
      const v = (-cx * sin + cy * cos) / pitch + phaseV / pitch;
      const iu = Math.floor(u), iv = Math.floor(v);
      const fu = u - iu, fv = v - iv;
      // Thread cross-section: bright in the middle, dark in the 20% gap.
      const prof = (f: number) => (f < 0.1 || f > 0.9 ? 0 : Math.sin((Math.PI * (f - 0.1)) / 0.8));
      const aU = ((iu + iv) & 1) === 0; // the thread running along v is on top here
      const ku = ((iu + offset) % nThreads + nThreads) % nThreads;
      const kv = ((iv + offset) % nThreads + nThreads) % nThreads;
      const along = prof(fu) * shadeU[ku] * (0.9 + 0.1 * Math.sin(v * 6 * Math.PI + fibreU[ku]));
      const across = prof(fv) * shadeV[kv] * (0.9 + 0.1 * Math.sin(u * 6 * Math.PI + fibreV[kv]));
      // The top thread hides the one below, which shows (shadowed) in the top one's gaps.
      const value = aU ? Math.max(along, 0.6 * across) : Math.max(across, 0.6 * along);
      pixels[y * size + x] = toByte(0.18 + 0.55 * value + level + rng.normal(0, 0.015));
    }
  }
  const region = new Uint8Array(size * size);
  const m = Math.round(size * 0.15);
  for (let y = m; y < size - m; y++) for (let x = m; x < size - m; x++) region[y * size + x] = 1;
  return { size, channels: 1, pixels, region };
}

/** The pill: a shaded ellipse with a groove, on a dark background. */
function renderPill(size: number, rng: Rng): SynthImage {
  const cx = size / 2 + rng.normal(0, 0.02 * size), cy = size / 2 + rng.normal(0, 0.02 * size);
  const a = 0.33 * size * rng.uniform(0.97, 1.03), b = 0.19 * size * rng.uniform(0.97, 1.03);
  const theta = rng.normal(0, 6) * (Math.PI / 180);
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const tone = rng.uniform(0.95, 1.03);
  const colour = [0.92, 0.87, 0.78].map((c) => c * tone + rng.uniform(-0.02, 0.02));
  const bg = [0.12, 0.13, 0.16].map((c) => c + rng.uniform(-0.01, 0.01));
  const pixels = new Uint8Array(size * size * 3);
  const region = new Uint8Array(size * size);
  const groove = Math.max(0.6, size / 96);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const u = dx * cos + dy * sin, v = -dx * sin + dy * cos;
      const r = Math.sqrt((u / a) ** 2 + (v / b) ** 2);
      // Approximate distance to the rim in pixels, for an anti-aliased edge.
      const cover = clamp01(0.5 + (1 - r) * b);
      const dome = 0.72 + 0.28 * Math.sqrt(clamp01(1 - r * r));
      const grooveShade = 1 - 0.35 * clamp01(groove + 0.5 - Math.abs(u)) * (r < 0.92 ? 1 : 0);
      const vignette = 1 - 0.25 * (Math.hypot(x - size / 2, y - size / 2) / size);
      if (r < 0.75) region[y * size + x] = 1;
      const noise = rng.normal(0, 0.012);
      for (let k = 0; k < 3; k++) {
        const fg = colour[k] * dome * grooveShade;
        const back = bg[k] * vignette;
        pixels[(y * size + x) * 3 + k] = toByte(cover * fg + (1 - cover) * back + noise);
      }
    }
  }
  return { size, channels: 3, pixels, region };
}

/**
 * Renders one defect-free image of a category.
 *
 * @example
 * ```ts
 * import { renderSynthGood } from "./synth_mvtec.ts";
 * import { Rng } from "../util/rng.ts";
 * const img = renderSynthGood("synth_pill", 32, new Rng(1));
 * console.log(img.channels, img.pixels.length); // 3 3072
 * ```
 */
export function renderSynthGood(category: string, size: number, rng: Rng): SynthImage {
  checkCategory(category);
  checkSide(size);
  return category === "synth_weave" ? renderWeave(size, rng) : renderPill(size, rng);
}

/** Distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segmentDistance(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : clamp01(((px - ax) * dx + (py - ay) * dy) / len2);
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** A random defect centre inside the image's region. */
function pickCentre(img: SynthImage, rng: Rng): [number, number] {
  const cells: number[] = [];
  for (let i = 0; i < img.region.length; i++) if (img.region[i]) cells.push(i);
  const i = cells.length > 0 ? cells[rng.int(cells.length)] : rng.int(img.size * img.size);
  return [(i % img.size) + rng.uniform(0, 1), Math.floor(i / img.size) + rng.uniform(0, 1)];
}

/** Mean brightness (0..1) inside the region, to pick a contrasting scratch colour. */
function meanLevel(img: SynthImage): number {
  let s = 0, n = 0;
  for (let p = 0; p < img.region.length; p++) {
    if (!img.region[p]) continue;
    for (let k = 0; k < img.channels; k++) s += img.pixels[p * img.channels + k];
    n += img.channels;
  }
  return n === 0 ? 0.5 : s / n / 255;
}

/**
 * Draws one defect into `img.pixels` (in place) and returns its mask: size·size bytes,
 * 255 on every pixel the defect changed, 0 elsewhere.
 *
 * @example
 * ```ts
 * import { drawSynthDefect, renderSynthGood } from "./synth_mvtec.ts";
 * import { Rng } from "../util/rng.ts";
 * const rng = new Rng(3);
 * const img = renderSynthGood("synth_weave", 32, rng);
 * const mask = drawSynthDefect(img, "hole", rng);
 * console.log(mask.some((v) => v === 255)); // true
 * ```
 */
export function drawSynthDefect(img: SynthImage, defect: string, rng: Rng): Uint8Array {
  if (!(SYNTH_DEFECTS as readonly string[]).includes(defect)) {
    throw new DatasetError(
      `unknown synthetic defect '${defect}'; choose from ${SYNTH_DEFECTS.join(", ")}`,
    );
  }
  const { size, channels } = img;
  const alpha = new Float32Array(size * size);
  // The defect's colour per channel, as a function of the clean pixel value (0..1).
  let paint: (clean: number, k: number, x: number, y: number) => number;
  const [cx, cy] = pickCentre(img, rng);
  if (defect === "scratch") {
    const len = size * rng.uniform(0.15, 0.3);
    const ang = rng.uniform(0, Math.PI);
    const bend = rng.uniform(-0.15, 0.15) * len;
    const width = Math.max(1, (size / 64) * rng.uniform(0.9, 1.4));
    const ex = Math.cos(ang) * len / 2, ey = Math.sin(ang) * len / 2;
    // A quadratic Bezier through the centre, bent sideways, as a 12-segment polyline.
    const pts: [number, number][] = [];
    for (let s = 0; s <= 12; s++) {
      const t = s / 12, w = 4 * t * (1 - t);
      pts.push([
        cx - ex + 2 * ex * t - Math.sin(ang) * bend * w,
        cy - ey + 2 * ey * t + Math.cos(ang) * bend * w,
      ]);
    }
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let d = Infinity;
        for (let s = 0; s < 12; s++) {
          const [ax, ay] = pts[s], [bx, by] = pts[s + 1];
          d = Math.min(d, segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by));
        }
        alpha[y * size + x] = clamp01(width / 2 + 0.5 - d);
      }
    }
    const ink = meanLevel(img) > 0.45 ? rng.uniform(0.05, 0.2) : rng.uniform(0.85, 1);
    paint = () => ink;
  } else if (defect === "stain") {
    const r0 = Math.max(1.5, size * rng.uniform(0.06, 0.11));
    const p1 = rng.uniform(0, 2 * Math.PI), p2 = rng.uniform(0, 2 * Math.PI);
    const opacity = rng.uniform(0.75, 0.9);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        const th = Math.atan2(dy, dx);
        const r = r0 * (1 + 0.2 * Math.sin(3 * th + p1) + 0.1 * Math.sin(5 * th + p2));
        alpha[y * size + x] = opacity * clamp01(0.5 + (r - Math.hypot(dx, dy)) / 1.5);
      }
    }
    const palette = [[0.55, 0.27, 0.08], [0.62, 0.1, 0.14], [0.2, 0.45, 0.15], [0.15, 0.2, 0.55]];
    const tint = palette[rng.int(palette.length)];
    // Grey images get a dark stain; colour images a tinted one. Texture shows through.
    paint = channels === 1
      ? (clean) => 0.05 + 0.25 * clean
      : (clean, k) => tint[k] * (0.6 + 0.4 * clean);
  } else {
    const ra = Math.max(1.2, size * rng.uniform(0.04, 0.07));
    const rb = ra * rng.uniform(0.6, 1);
    const ang = rng.uniform(0, Math.PI);
    const cos = Math.cos(ang), sin = Math.sin(ang);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        const u = dx * cos + dy * sin, v = -dx * sin + dy * cos;
        const r = Math.sqrt((u / ra) ** 2 + (v / rb) ** 2);
        alpha[y * size + x] = clamp01(0.5 + (1 - r) * rb);
      }
    }
    const depth = rng.uniform(0.02, 0.06);
    paint = (_clean, _k, x, y) => depth + 0.05 * clamp01(Math.hypot(x - cx, y - cy) / ra);
  }
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      const a = alpha[p];
      if (a < 0.02) continue;
      let changed = false;
      for (let k = 0; k < channels; k++) {
        const i = p * channels + k;
        const clean = img.pixels[i] / 255;
        const v = toByte((1 - a) * clean + a * paint(clean, k, x + 0.5, y + 0.5));
        if (v !== img.pixels[i]) changed = true;
        img.pixels[i] = v;
      }
      if (changed) mask[p] = 255;
    }
  }
  return mask;
}

/** Options of {@linkcode writeSynthMvtec}. */
export interface WriteSynthMvtecOptions {
  /** Output folder: new, empty, or a previous output of this generator (replaced). */
  out: string;
  /** Categories to write. Default: all of {@linkcode SYNTH_CATEGORIES}. */
  categories?: string[];
  /** Training images per category. Default 60. */
  nTrain?: number;
  /** Defect-free test images per category. Default 20. */
  nTestGood?: number;
  /** Test images per defect type and category. Default 10. */
  nTestDefect?: number;
  /** Image side in pixels (>= 16). Default 64. */
  size?: number;
  /** Seed. Default 0. */
  seed?: number;
}

/** What {@linkcode writeSynthMvtec} wrote. */
export interface SynthMvtecSummary {
  out: string;
  /** True when a previous output of the generator was replaced. */
  replaced: boolean;
  categories: {
    name: SynthCategory;
    kind: "texture" | "object";
    channels: 1 | 3;
    nTrain: number;
    nTestGood: number;
    /** Test images per defect type. */
    nTestDefect: number;
  }[];
  /** Number of files written (images, masks, README.txt). */
  files: number;
}

/**
 * Whether `dir` holds a previous output of {@linkcode writeSynthMvtec} (its README.txt
 * starts with {@linkcode SYNTH_README_MARKER}); returns the categories it lists, or null.
 */
export async function readSynthMvtecReadme(dir: string): Promise<string[] | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/README.txt`);
  } catch {
    return null;
  }
  if (!text.startsWith(SYNTH_README_MARKER)) return null;
  const line = text.split("\n").find((l) => l.startsWith("categories:"));
  return line == null
    ? []
    : line.slice("categories:".length).split(",").map((s) => s.trim()).filter((s) => s !== "");
}

async function prepareOut(out: string, categories: string[]): Promise<boolean> {
  let entries: string[];
  try {
    const st = await Deno.stat(out);
    if (!st.isDirectory) throw new DatasetError(`--out ${out} exists and is not a folder`);
    entries = [];
    for await (const e of Deno.readDir(out)) entries.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      await Deno.mkdir(out, { recursive: true });
      return false;
    }
    throw e;
  }
  if (entries.length === 0) return false;
  const previous = await readSynthMvtecReadme(out);
  if (previous == null) {
    throw new DatasetError(
      `${out} is not empty and is not a synthetic set written by this kit (no README.txt ` +
        `starting with '${SYNTH_README_MARKER}'); choose a new or empty folder`,
    );
  }
  for (const name of previous) {
    if ((SYNTH_CATEGORIES as readonly string[]).includes(name)) {
      await Deno.remove(`${out}/${name}`, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  }
  await Deno.remove(`${out}/README.txt`);
  for (const name of categories) {
    try {
      await Deno.stat(`${out}/${name}`);
      throw new DatasetError(
        `${out}/${name} exists but is not listed in the previous README.txt; remove it first`,
      );
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return true;
}

function fileName(i: number, n: number): string {
  return String(i).padStart(Math.max(3, String(n - 1).length), "0");
}

function readme(o: Required<Omit<WriteSynthMvtecOptions, "out">>): string {
  return `${SYNTH_README_MARKER}
${"=".repeat(SYNTH_README_MARKER.length)}

SYNTHETIC DATA. Written by daad-kit (lib/data/synth_mvtec.ts, writeSynthMvtec) in the folder
layout of MVTec AD so that the MVTec loader and the training task can run where MVTec AD
itself is not available. This is NOT MVTec AD: no result obtained on these images says
anything about MVTec AD or about the papers' MVTec AD numbers.

categories: ${o.categories.join(", ")}
size: ${o.size}
seed: ${o.seed}
train images per category: ${o.nTrain}
good test images per category: ${o.nTestGood}
test images per defect type: ${o.nTestDefect}
defect types: ${SYNTH_DEFECTS.join(", ")}

${
    o.categories.map((c) =>
      `${c}: ${SYNTH_CATEGORY_INFO[c as SynthCategory].kind}, ${
        SYNTH_CATEGORY_INFO[c as SynthCategory].channels === 1 ? "grey" : "RGB"
      }, ${SYNTH_CATEGORY_INFO[c as SynthCategory].description}`
    ).join("\n")
  }
Defects: scratch = thin curved line, stain = irregular coloured (grey: dark) blob,
hole = dark ellipse. Masks (ground_truth/<type>/<name>_mask.png) are 0/255 and cover
every pixel the defect changed. The same options write the same bytes.
`;
}

/**
 * Writes the synthetic set in the MVTec AD layout under `out` (see the module doc).
 * Refuses a non-empty folder unless it is a previous output of this generator, whose
 * category folders and README.txt it then replaces.
 *
 * @example
 * ```ts
 * import { writeSynthMvtec } from "./synth_mvtec.ts";
 * const out = await Deno.makeTempDir();
 * await writeSynthMvtec({ out, categories: ["synth_pill"], size: 32, nTrain: 3 });
 * console.log(Deno.statSync(`${out}/synth_pill/ground_truth/hole/000_mask.png`).isFile); // true
 * ```
 */
export async function writeSynthMvtec(options: WriteSynthMvtecOptions): Promise<SynthMvtecSummary> {
  const {
    out,
    categories = [...SYNTH_CATEGORIES],
    nTrain = 60,
    nTestGood = 20,
    nTestDefect = 10,
    size = 64,
    seed = 0,
  } = options;
  if (categories.length === 0) throw new DatasetError("no synthetic categories to write");
  for (const c of categories) checkCategory(c);
  if (new Set(categories).size !== categories.length) {
    throw new DatasetError(`a category is listed twice: ${categories.join(",")}`);
  }
  checkSide(size);
  const counts: [string, number, number][] = [
    ["nTrain", nTrain, 1],
    ["nTestGood", nTestGood, 0],
    ["nTestDefect", nTestDefect, 0],
  ];
  for (const [name, v, min] of counts) {
    if (!Number.isInteger(v) || v < min) {
      throw new DatasetError(`${name} must be an integer >= ${min}, got ${v}`);
    }
  }
  if (nTestGood + nTestDefect < 1) {
    throw new DatasetError("nTestGood and nTestDefect are both 0: the test set would be empty");
  }
  if (!Number.isInteger(seed) || seed < 0) {
    throw new DatasetError(`seed must be an integer >= 0, got ${seed}`);
  }
  const replaced = await prepareOut(out, categories);
  let files = 0;
  const write = async (path: string, png: Uint8Array) => {
    await Deno.writeFile(path, png);
    files++;
  };
  const summary: SynthMvtecSummary["categories"] = [];
  for (const category of categories as SynthCategory[]) {
    const { channels, kind } = SYNTH_CATEGORY_INFO[category];
    const dir = `${out}/${category}`;
    const render = (split: string, i: number) =>
      renderSynthGood(category, size, new Rng(deriveSeed(seed, category, split, i)));
    await Deno.mkdir(`${dir}/train/good`, { recursive: true });
    for (let i = 0; i < nTrain; i++) {
      const img = render("train", i);
      await write(
        `${dir}/train/good/${fileName(i, nTrain)}.png`,
        await encodePng(img.pixels, size, size, channels),
      );
    }
    if (nTestGood > 0) await Deno.mkdir(`${dir}/test/good`, { recursive: true });
    for (let i = 0; i < nTestGood; i++) {
      const img = render("test/good", i);
      await write(
        `${dir}/test/good/${fileName(i, nTestGood)}.png`,
        await encodePng(img.pixels, size, size, channels),
      );
    }
    for (const defect of nTestDefect > 0 ? SYNTH_DEFECTS : []) {
      await Deno.mkdir(`${dir}/test/${defect}`, { recursive: true });
      await Deno.mkdir(`${dir}/ground_truth/${defect}`, { recursive: true });
      for (let i = 0; i < nTestDefect; i++) {
        const rng = new Rng(deriveSeed(seed, category, `test/${defect}`, i));
        const img = renderSynthGood(category, size, rng);
        const mask = drawSynthDefect(img, defect, rng);
        const name = fileName(i, nTestDefect);
        await write(
          `${dir}/test/${defect}/${name}.png`,
          await encodePng(img.pixels, size, size, channels),
        );
        await write(
          `${dir}/ground_truth/${defect}/${name}_mask.png`,
          await encodePng(mask, size, size, 1),
        );
      }
    }
    summary.push({ name: category, kind, channels, nTrain, nTestGood, nTestDefect });
  }
  await Deno.writeTextFile(
    `${out}/README.txt`,
    readme({ categories, nTrain, nTestGood, nTestDefect, size, seed }),
  );
  files++;
  return { out, replaced, categories: summary, files };
}
