/**
 * Images for reports and notebooks: the kit's [-1, 1] images as 8-bit RGB, anomaly maps
 * as colour heat-maps (jet, viridis, inferno), overlays, and grids of tiles (one row per
 * test image: input | reconstruction | error map) encoded as PNG with sharp. Row labels
 * and column captions are drawn as SVG text composited by sharp (librsvg + fontconfig).
 *
 * Every RGB buffer here is 8-bit, row-major, 3 bytes per pixel (`height·width·3`).
 *
 * @example
 * ```ts
 * import { heatTile, imageGridPng, imageTile } from "./images.ts";
 * const img = new Float32Array(8 * 8).fill(0.5); // one grey 8x8 image in [-1, 1]
 * const err = new Float32Array(8 * 8).map((_, i) => i / 63);
 * const png = await imageGridPng([
 *   { label: "test #1", tiles: [imageTile(img, 8, 8, 1), heatTile(err, 8, 8)] },
 * ], { tileSize: 64, captions: ["input", "error"] });
 * console.log(png.length > 0);
 * ```
 * @module
 */
import type { Sharp } from "./_sharp.d.ts";

type SharpFn = typeof import("./_sharp.ts").default;
let sharpLoading: Promise<SharpFn> | null = null;

/** sharp, imported on first use (its native library loads only when images are encoded). */
function loadSharp(): Promise<SharpFn> {
  sharpLoading ??= import("./_sharp.ts").then((m) => m.default).catch((e) => {
    sharpLoading = null;
    throw new Error(
      `cannot load sharp (the native image library behind PNG encoding): ${(e as Error).message}`,
    );
  });
  return sharpLoading;
}

/** Colour maps for heat-maps. */
export type Colormap = "jet" | "viridis" | "inferno";

/** The colour maps {@linkcode heatmapRgb} knows. */
export const COLORMAPS: readonly Colormap[] = ["jet", "viridis", "inferno"];

// matplotlib's viridis and inferno sampled at t = 0, 0.1, ..., 1 (colormap data, CC0);
// values between stops are interpolated linearly, which stays within one 8-bit step or so
// of the full 256-entry tables.
const STOPS: Record<"viridis" | "inferno", string[]> = {
  viridis: [
    "440154",
    "482475",
    "414487",
    "355f8d",
    "2a788e",
    "21918c",
    "22a884",
    "44bf70",
    "7ad151",
    "bddf26",
    "fde725",
  ],
  inferno: [
    "000004",
    "160b39",
    "420a68",
    "6a176e",
    "932667",
    "bc3754",
    "dd513a",
    "f37819",
    "fca50a",
    "f6d746",
    "fcffa4",
  ],
};

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * The colour of `t` in [0, 1] (clamped) under `colormap`, as 8-bit RGB. `jet` is the
 * classic piecewise-linear map (dark blue, blue, cyan, yellow, red, dark red).
 */
export function colormapRgb(t: number, colormap: Colormap): [number, number, number] {
  const x = clamp01(Number.isNaN(t) ? 0 : t);
  if (colormap === "jet") {
    const ch = (c: number) => Math.round(255 * clamp01(1.5 - Math.abs(4 * x - c)));
    return [ch(3), ch(2), ch(1)];
  }
  const stops = STOPS[colormap];
  if (stops == null) {
    throw new RangeError(`unknown colormap '${colormap}': expected ${COLORMAPS.join(", ")}`);
  }
  const pos = x * (stops.length - 1);
  const i = Math.min(Math.floor(pos), stops.length - 2);
  const f = pos - i;
  const a = hexRgb(stops[i]), b = hexRgb(stops[i + 1]);
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

const LUTS = new Map<Colormap, Uint8Array>();

function lut(colormap: Colormap): Uint8Array {
  let table = LUTS.get(colormap);
  if (table == null) {
    if (!COLORMAPS.includes(colormap)) {
      throw new RangeError(`unknown colormap '${colormap}': expected ${COLORMAPS.join(", ")}`);
    }
    table = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) table.set(colormapRgb(i / 255, colormap), i * 3);
    LUTS.set(colormap, table);
  }
  return table;
}

function checkSize(length: number, expected: number, what: string): void {
  if (length !== expected) {
    throw new RangeError(`${what}: got ${length} values, expected ${expected}`);
  }
}

function checkDims(h: number, w: number): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`image size ${h}x${w} must be positive integers`);
  }
}

/**
 * 8-bit RGB of one image in [-1, 1] (`h·w·c` values, HWC, c = 1 grey or 3 RGB):
 * -1 is 0, 1 is 255; values outside are clipped and NaN is black.
 */
export function toRgbBytes(data: ArrayLike<number>, h: number, w: number, c: number): Uint8Array {
  checkDims(h, w);
  if (c !== 1 && c !== 3) throw new RangeError(`channels must be 1 or 3, got ${c}`);
  checkSize(data.length, h * w * c, `image of ${h}x${w}x${c}`);
  const out = new Uint8Array(h * w * 3);
  const byte = (v: number) => {
    if (!(v > -1)) return 0; // NaN too
    return v >= 1 ? 255 : Math.round((v + 1) * 127.5);
  };
  for (let p = 0; p < h * w; p++) {
    if (c === 1) {
      const g = byte(data[p]);
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = g;
    } else {
      out[3 * p] = byte(data[3 * p]);
      out[3 * p + 1] = byte(data[3 * p + 1]);
      out[3 * p + 2] = byte(data[3 * p + 2]);
    }
  }
  return out;
}

/** Options of {@linkcode heatmapRgb}. */
export interface HeatmapOptions {
  /** Value shown as the colormap's start. Default: the map's minimum. */
  min?: number;
  /** Value shown as the colormap's end. Default: the map's maximum. */
  max?: number;
  /** Default "jet". */
  colormap?: Colormap;
}

/** The finite minimum and maximum of `values` ([0, 0] when none is finite). */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * 8-bit RGB of an `h·w` map (anomaly or error map) under a colormap: `min` maps to the
 * colormap's start, `max` to its end, values outside are clipped. A constant map (or
 * `min == max`) is drawn in the start colour.
 */
export function heatmapRgb(
  map: ArrayLike<number>,
  h: number,
  w: number,
  options: HeatmapOptions = {},
): Uint8Array {
  checkDims(h, w);
  checkSize(map.length, h * w, `heat map of ${h}x${w}`);
  const table = lut(options.colormap ?? "jet");
  let [lo, hi] = finiteRange(map);
  if (options.min != null) lo = options.min;
  if (options.max != null) hi = options.max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
    throw new RangeError(`heat map range [${lo}, ${hi}] must be finite with min <= max`);
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    const v = map[p];
    let idx = Number.isNaN(v) ? 0 : Math.round((v - lo) * scale);
    idx = idx < 0 ? 0 : idx > 255 ? 255 : idx;
    out[3 * p] = table[3 * idx];
    out[3 * p + 1] = table[3 * idx + 1];
    out[3 * p + 2] = table[3 * idx + 2];
  }
  return out;
}

/** `(1 - alpha)·image + alpha·heat`, per byte, for two RGB buffers of one size. */
export function overlay(image: Uint8Array, heat: Uint8Array, alpha = 0.5): Uint8Array {
  if (image.length !== heat.length) {
    throw new RangeError(`overlay: image has ${image.length} bytes but heat ${heat.length}`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha ${alpha} must be in [0, 1]`);
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++) {
    out[i] = Math.round((1 - alpha) * image[i] + alpha * heat[i]);
  }
  return out;
}

/** A plain Uint8Array view of sharp's Buffer (same bytes, no copy). */
function plain(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Pixels decoded from an encoded image. */
export interface RawPixels {
  width: number;
  height: number;
  channels: number;
  /** `height·width·channels` bytes, row-major. */
  data: Uint8Array;
}

/** Decodes a PNG (or any format sharp reads) to raw 8-bit pixels. */
export async function decodeRawPixels(bytes: Uint8Array): Promise<RawPixels> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: plain(data) };
}

/** sharp's PNG options for small lossless files (zlib 9, adaptive row filters). */
const COMPACT_PNG = { compressionLevel: 9, adaptiveFiltering: true } as const;

/**
 * The same image as `png`, re-encoded losslessly with adaptive row filters, or null when
 * that is not smaller or would change a pixel (checked by decoding both).
 */
export async function recompressPng(png: Uint8Array): Promise<Uint8Array | null> {
  const sharp = await loadSharp();
  const smaller = plain(await sharp(png).png(COMPACT_PNG).toBuffer());
  if (smaller.length >= png.length) return null;
  const [a, b] = await Promise.all([decodeRawPixels(png), decodeRawPixels(smaller)]);
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) return null;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return null;
  return smaller;
}

/** Encodes an RGB buffer as PNG. */
export async function rgbToPng(rgb: Uint8Array, h: number, w: number): Promise<Uint8Array> {
  checkDims(h, w);
  checkSize(rgb.length, h * w * 3, `RGB image of ${h}x${w}`);
  const sharp = await loadSharp();
  return plain(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
}

// ---------------------------------------------------------------------------------------
// Grids

/** An image in [-1, 1] (`h·w·c` values, HWC, c = 1 or 3). */
export interface ImageTile {
  kind: "image";
  data: ArrayLike<number>;
  height: number;
  width: number;
  channels: number;
}

/** A map drawn with a colormap. */
export interface HeatTile extends HeatmapOptions {
  kind: "heat";
  map: ArrayLike<number>;
  height: number;
  width: number;
}

/** Ready 8-bit RGB (e.g. an {@linkcode overlay}). */
export interface RgbTile {
  kind: "rgb";
  rgb: Uint8Array;
  height: number;
  width: number;
}

/** One cell of a grid (a row may hold null for an empty cell). */
export type Tile = ImageTile | HeatTile | RgbTile;

/** An image tile (values in [-1, 1]). */
export function imageTile(
  data: ArrayLike<number>,
  height: number,
  width: number,
  channels = 1,
): ImageTile {
  return { kind: "image", data, height, width, channels };
}

/** A heat-map tile. */
export function heatTile(
  map: ArrayLike<number>,
  height: number,
  width: number,
  options: HeatmapOptions = {},
): HeatTile {
  return { kind: "heat", map, height, width, ...options };
}

/** A tile of ready RGB bytes. */
export function rgbTile(rgb: Uint8Array, height: number, width: number): RgbTile {
  return { kind: "rgb", rgb, height, width };
}

/** The RGB bytes of a tile at its own size. */
export function tileRgb(tile: Tile): Uint8Array {
  switch (tile.kind) {
    case "image":
      return toRgbBytes(tile.data, tile.height, tile.width, tile.channels);
    case "heat":
      return heatmapRgb(tile.map, tile.height, tile.width, tile);
    case "rgb":
      checkDims(tile.height, tile.width);
      checkSize(
        tile.rgb.length,
        tile.height * tile.width * 3,
        `RGB tile ${tile.height}x${tile.width}`,
      );
      return tile.rgb;
    default:
      throw new TypeError(`unknown tile kind '${(tile as { kind: unknown }).kind}'`);
  }
}

/** One row of a grid. */
export interface GridRow {
  /** Drawn left of the row. */
  label?: string;
  tiles: (Tile | null)[];
}

/** Options of {@linkcode imageGridPng}. */
export interface GridOptions {
  /** Side of each (square) cell in pixels; tiles are scaled (nearest neighbour) to fit it,
   * keeping their aspect ratio, centred. Default: the largest tile side. */
  tileSize?: number;
  /** Pixels between cells and around the grid. Default 4. */
  gap?: number;
  /** One caption per column, drawn above it. */
  captions?: string[];
  /** Background colour. Default white. */
  background?: [number, number, number];
  /** Text size in pixels. Default from the tile size (8 to 16) and the longest caption. */
  fontSize?: number;
}

/** Where everything of a grid goes (pixels). */
export interface GridGeometry {
  width: number;
  height: number;
  tileSize: number;
  gap: number;
  fontSize: number;
  /** Width of the label column (0 without labels). */
  labelWidth: number;
  /** Height of the caption band (0 without captions). */
  captionHeight: number;
  /** Top-left corner of cell (row, col). */
  cell(row: number, col: number): { x: number; y: number };
}

/** Computes the layout of a grid (exported for tests and callers placing marks). */
export function gridGeometry(rows: readonly GridRow[], options: GridOptions = {}): GridGeometry {
  if (rows.length === 0) throw new RangeError("a grid needs at least one row");
  const cols = Math.max(...rows.map((r) => r.tiles.length));
  if (cols === 0) throw new RangeError("a grid needs at least one tile");
  const gap = options.gap ?? 4;
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`gap ${gap} must be >= 0`);
  let tileSize = options.tileSize;
  if (tileSize == null) {
    tileSize = 1;
    for (const r of rows) {
      for (const t of r.tiles) if (t != null) tileSize = Math.max(tileSize, t.height, t.width);
    }
  }
  if (!Number.isInteger(tileSize) || tileSize < 1 || tileSize > 4096) {
    throw new RangeError(`tileSize ${tileSize} must be an integer in [1, 4096]`);
  }
  if (options.captions != null && options.captions.length > cols) {
    throw new RangeError(`${options.captions.length} captions for ${cols} columns`);
  }
  // Text size from the tile size, shrunk (down to 8 px) so that captions fit their column.
  const longestCaption = Math.max(0, ...(options.captions ?? []).map((c) => c.length));
  const fontSize = options.fontSize ??
    Math.max(
      8,
      Math.min(
        16,
        Math.round(tileSize / 6),
        Math.floor((tileSize + gap) / (0.62 * longestCaption)),
      ),
    );
  const labels = rows.map((r) => r.label ?? "");
  const longest = Math.max(...labels.map((l) => l.length));
  const labelWidth = longest > 0 ? Math.ceil(longest * fontSize * 0.62) + 8 : 0;
  const captionHeight = options.captions?.some((c) => c) ? Math.ceil(fontSize * 1.6) : 0;
  const x0 = labelWidth + gap, y0 = captionHeight + gap;
  return {
    width: x0 + cols * (tileSize + gap),
    height: y0 + rows.length * (tileSize + gap),
    tileSize,
    gap,
    fontSize,
    labelWidth,
    captionHeight,
    cell: (row, col) => ({ x: x0 + col * (tileSize + gap), y: y0 + row * (tileSize + gap) }),
  };
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/** Copies `rgb` (h x w) scaled into the square cell at (x, y) of `canvas`. */
function blit(
  canvas: Uint8Array,
  canvasWidth: number,
  rgb: Uint8Array,
  h: number,
  w: number,
  x: number,
  y: number,
  size: number,
): void {
  const scale = size / Math.max(h, w);
  const dh = Math.max(1, Math.round(h * scale)), dw = Math.max(1, Math.round(w * scale));
  const oy = y + ((size - dh) >> 1), ox = x + ((size - dw) >> 1);
  for (let r = 0; r < dh; r++) {
    const sr = Math.min(h - 1, Math.floor((r * h) / dh));
    for (let c = 0; c < dw; c++) {
      const sc = Math.min(w - 1, Math.floor((c * w) / dw));
      const s = 3 * (sr * w + sc), d = 3 * ((oy + r) * canvasWidth + ox + c);
      canvas[d] = rgb[s];
      canvas[d + 1] = rgb[s + 1];
      canvas[d + 2] = rgb[s + 2];
    }
  }
}

/**
 * A grid of tiles as PNG bytes: one row per entry of `rows` (its label at the left),
 * one column per tile (captions above). Rows may be shorter than others or hold null
 * (empty cells).
 */
export async function imageGridPng(
  rows: readonly GridRow[],
  options: GridOptions = {},
): Promise<Uint8Array> {
  const g = gridGeometry(rows, options);
  const [br, bg, bb] = options.background ?? [255, 255, 255];
  const canvas = new Uint8Array(g.width * g.height * 3);
  for (let i = 0; i < canvas.length; i += 3) {
    canvas[i] = br;
    canvas[i + 1] = bg;
    canvas[i + 2] = bb;
  }
  rows.forEach((row, i) =>
    row.tiles.forEach((tile, j) => {
      if (tile == null) return;
      const { x, y } = g.cell(i, j);
      blit(canvas, g.width, tileRgb(tile), tile.height, tile.width, x, y, g.tileSize);
    })
  );
  const texts: string[] = [];
  const fill = (br + bg + bb) / 3 > 128 ? "#000000" : "#ffffff";
  const font = `font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" ` +
    `font-size="${g.fontSize}" fill="${fill}"`;
  rows.forEach((row, i) => {
    if (!row.label) return;
    const { y } = g.cell(i, 0);
    texts.push(
      `<text x="${g.labelWidth}" y="${y + g.tileSize / 2}" text-anchor="end" ` +
        `dominant-baseline="middle" ${font}>${escapeXml(row.label)}</text>`,
    );
  });
  (options.captions ?? []).forEach((caption, j) => {
    if (!caption) return;
    const { x } = g.cell(0, j);
    texts.push(
      `<text x="${x + g.tileSize / 2}" y="${g.gap + g.captionHeight / 2}" ` +
        `text-anchor="middle" dominant-baseline="middle" ${font}>${escapeXml(caption)}</text>`,
    );
  });
  const sharp = await loadSharp();
  let img: Sharp = sharp(canvas, { raw: { width: g.width, height: g.height, channels: 3 } });
  if (texts.length > 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" ` +
      `height="${g.height}">${texts.join("")}</svg>`;
    img = sharp(await img.png().toBuffer()).composite([
      { input: new TextEncoder().encode(svg), top: 0, left: 0 },
    ]);
  }
  return plain(await img.removeAlpha().png().toBuffer());
}

// ---------------------------------------------------------------------------------------
// Side by side

/** Options of {@linkcode sideBySidePng}. */
export interface SideBySideOptions {
  /** One caption per panel, drawn above it. */
  captions?: string[];
  /** A line above everything (e.g. the score and the verdict). */
  title?: string;
  /**
   * Panels smaller than this many pixels (their longer side) are enlarged by a whole
   * factor, nearest neighbour, so the text fits. Default 192.
   */
  minSide?: number;
  /** Pixels between panels and around them. Default 8. */
  gap?: number;
}

/**
 * Panels of one size (RGB tiles, e.g. input | heat-map | overlay) side by side at their
 * own resolution, with captions and a title, as PNG bytes.
 */
export async function sideBySidePng(
  panels: readonly RgbTile[],
  options: SideBySideOptions = {},
): Promise<Uint8Array> {
  if (panels.length === 0) throw new RangeError("sideBySidePng needs at least one panel");
  const { height: h, width: w } = panels[0];
  for (const p of panels) {
    if (p.height !== h || p.width !== w) {
      throw new RangeError(`panels of ${p.height}x${p.width} and ${h}x${w}: one size expected`);
    }
    tileRgb(p);
  }
  const minSide = options.minSide ?? 192;
  const k = Math.max(1, Math.ceil(minSide / Math.max(h, w)));
  const ph = h * k, pw = w * k, gap = options.gap ?? 8;
  const fontSize = Math.max(10, Math.min(28, Math.round(pw / 16)));
  const line = Math.ceil(fontSize * 1.6);
  const titleH = options.title ? line : 0, captionH = options.captions?.some((c) => c) ? line : 0;
  const width = gap + panels.length * (pw + gap), height = gap + titleH + captionH + ph + gap;
  const canvas = new Uint8Array(width * height * 3).fill(255);
  const top = gap + titleH + captionH;
  panels.forEach((p, j) => {
    const x0 = gap + j * (pw + gap);
    for (let r = 0; r < ph; r++) {
      const sr = Math.floor(r / k);
      for (let c = 0; c < pw; c++) {
        const s = 3 * (sr * w + Math.floor(c / k)), d = 3 * ((top + r) * width + x0 + c);
        canvas[d] = p.rgb[s];
        canvas[d + 1] = p.rgb[s + 1];
        canvas[d + 2] = p.rgb[s + 2];
      }
    }
  });
  const font = `font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" ` +
    `font-size="${fontSize}" fill="#000000"`;
  const texts: string[] = [];
  if (options.title) {
    texts.push(
      `<text x="${gap}" y="${gap + titleH / 2}" dominant-baseline="middle" ${font}>` +
        `${escapeXml(options.title)}</text>`,
    );
  }
  (options.captions ?? []).forEach((caption, j) => {
    if (!caption) return;
    texts.push(
      `<text x="${gap + j * (pw + gap) + pw / 2}" y="${gap + titleH + captionH / 2}" ` +
        `text-anchor="middle" dominant-baseline="middle" ${font}>${escapeXml(caption)}</text>`,
    );
  });
  const sharp = await loadSharp();
  let img: Sharp = sharp(canvas, { raw: { width, height, channels: 3 } });
  if (texts.length > 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `${texts.join("")}</svg>`;
    img = sharp(await img.png().toBuffer()).composite([
      { input: new TextEncoder().encode(svg), top: 0, left: 0 },
    ]);
  }
  return plain(await img.removeAlpha().png().toBuffer());
}
