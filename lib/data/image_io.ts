/**
 * Reading and writing image files with sharp: decode to float32 HWC in [-1, 1] at a
 * square size (bilinear for images, nearest for masks), read binary masks, encode PNG.
 * Uncompressed BMP (UCSD's ground-truth masks), which sharp does not read, is decoded
 * here ({@linkcode decodeBmp}).
 *
 * Channel policy: an image is greyscale (1 channel) or RGB (3 channels). An alpha
 * channel that is fully opaque is dropped; grey+alpha or RGBA with real transparency is
 * refused, as is any other channel count (CMYK...). Every error is a
 * {@linkcode DatasetError} whose message names the file.
 *
 * @example
 * ```ts
 * import { encodePng, readImage } from "./image_io.ts";
 * const png = await encodePng(new Float32Array(8 * 8).fill(0.5), 8, 8, 1);
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await Deno.writeFile(path, png);
 * const img = await readImage(path, { size: 4 });
 * console.log(img.channels, img.data.length); // 1 16
 * ```
 * @module
 */
import { DatasetError } from "./errors.ts";

/** The part of sharp's API the kit uses (typed here: see {@linkcode loadSharp}). */
interface SharpPipeline {
  metadata(): Promise<
    { width?: number; height?: number; channels?: number; hasAlpha?: boolean; format?: string }
  >;
  stats(): Promise<{ isOpaque: boolean }>;
  removeAlpha(): SharpPipeline;
  toColourspace(space: "b-w" | "srgb"): SharpPipeline;
  resize(
    width: number,
    height: number,
    options: { fit: "fill"; kernel: "linear" | "nearest" },
  ): SharpPipeline;
  raw(options: { depth: "uchar" }): SharpPipeline;
  png(): SharpPipeline;
  jpeg(options: { quality: number }): SharpPipeline;
  toBuffer(): Promise<Uint8Array>;
  toBuffer(options: { resolveWithObject: true }): Promise<{
    data: Uint8Array;
    info: { width: number; height: number; channels: number };
  }>;
}

type SharpFactory = (
  input: Uint8Array,
  options?: { raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 } },
) => SharpPipeline;

let sharpPromise: Promise<SharpFactory> | null = null;

/**
 * sharp (the `sharp` entry of deno.json's import map), loaded on first use. The import
 * is deferred so that modules which only may read images (the dataset dispatch, the
 * CLI) neither load the native addon nor pull sharp's Node typings (which redefine
 * `node:assert`) into every type check, and so that bundles without sharp still load.
 */
function loadSharp(): Promise<SharpFactory> {
  if (sharpPromise == null) {
    const specifier = "sharp";
    sharpPromise = import(specifier).then(
      (mod) => (mod.default ?? mod) as SharpFactory,
      (e) => {
        sharpPromise = null;
        throw new DatasetError(
          `cannot load sharp, the image decoder (npm:sharp in deno.json): ${(e as Error).message}`,
        );
      },
    );
  }
  return sharpPromise;
}

/** Options of {@linkcode readImage}. */
export interface ReadImageOptions {
  /** Output side in pixels: the image is resized to size x size (aspect not kept). */
  size: number;
  /** Required channel count (1 grey, 3 RGB). Default: whatever the file holds. */
  channels?: 1 | 3;
  /**
   * With `channels`, convert an image with the other count instead of refusing it: RGB to
   * grey by ITU-R 601 luma (L = 0.299 R + 0.587 G + 0.114 B, as Pillow's `convert("L")`),
   * grey to RGB by repeating the grey value. Default false (refused).
   */
  convert?: boolean;
}

/** A decoded image, HWC float32 in [-1, 1]. */
export interface DecodedImage {
  /** height·width·channels values in [-1, 1]. */
  data: Float32Array;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Output width (= size). */
  width: number;
  /** Output height (= size). */
  height: number;
  /** Width of the file before resizing. */
  sourceWidth: number;
  /** Height of the file before resizing. */
  sourceHeight: number;
  /** The file's channel count when it was converted to `channels` (see `convert`). */
  convertedFrom?: number;
}

/** What the header of an image file says. */
export interface ImageInfo {
  width: number;
  height: number;
  /** Colour channels, alpha excluded (1 grey, 3 RGB, 4 CMYK...). */
  channels: number;
  hasAlpha: boolean;
  /** sharp's format name (png, jpeg, webp, tiff...). */
  format: string;
}

function checkSize(size: number, what: string): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new DatasetError(`${what} must be a positive integer, got ${size}`);
  }
}

/** The bytes of `path`, with clear errors for a missing or empty file. */
async function readBytes(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(`image file not found: ${path}`);
    if (e instanceof Deno.errors.IsADirectory) {
      throw new DatasetError(`expected an image file, found a folder: ${path}`);
    }
    throw new DatasetError(`cannot read image file ${path}: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw new DatasetError(`image file is empty (0 bytes): ${path}`);
  return bytes;
}

async function infoOf(bytes: Uint8Array, path: string): Promise<ImageInfo> {
  const sharp = await loadSharp();
  try {
    const m = await sharp(bytes).metadata();
    if (m.width == null || m.height == null || m.channels == null) {
      throw new Error("no width, height or channel count in the header");
    }
    const hasAlpha = m.hasAlpha === true;
    return {
      width: m.width,
      height: m.height,
      channels: m.channels - (hasAlpha ? 1 : 0),
      hasAlpha,
      format: String(m.format ?? "unknown"),
    };
  } catch (e) {
    throw new DatasetError(
      `cannot decode image ${path} (corrupt or unsupported format): ${(e as Error).message}`,
    );
  }
}

/**
 * Reads the header of an image file: size, colour channels, alpha.
 *
 * @example
 * ```ts
 * import { encodePng, imageInfo } from "./image_io.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await Deno.writeFile(path, await encodePng(new Uint8Array(6 * 4 * 3), 6, 4, 3));
 * console.log(await imageInfo(path)); // { width: 6, height: 4, channels: 3, hasAlpha: false, format: "png" }
 * ```
 */
export async function imageInfo(path: string): Promise<ImageInfo> {
  return await infoOf(await readBytes(path), path);
}

function channelName(c: number): string {
  return c === 1 ? "grey" : c === 3 ? "RGB" : c === 4 ? "CMYK or 4-channel" : `${c}-channel`;
}

/**
 * Decodes to 8-bit HWC at size x size with the given kernel, after the channel policy.
 * Returns the bytes, the colour channel count and the source size.
 */
async function decode(
  path: string,
  size: number,
  kernel: "linear" | "nearest",
  required?: number,
  convert = false,
): Promise<{ bytes: Uint8Array; channels: number; info: ImageInfo }> {
  const raw = await readBytes(path);
  const info = await infoOf(raw, path);
  const sharp = await loadSharp();
  const c = info.channels;
  if (c !== 1 && c !== 3) {
    throw new DatasetError(
      `${path} has ${c} colour channels (${
        channelName(c)
      }); the kit reads grey (1) or RGB (3) images`,
    );
  }
  try {
    if (info.hasAlpha) {
      const stats = await sharp(raw).stats();
      if (!stats.isOpaque) {
        throw new DatasetError(
          `${path} has a transparent alpha channel (${c === 1 ? "grey+alpha" : "RGBA"}, ` +
            `${c + 1} channels); the kit reads opaque grey (1) or RGB (3) images`,
        );
      }
    }
    if (required != null && c !== required && !convert) {
      throw new DatasetError(
        `${path} has ${c} channels (${channelName(c)}), expected ${required} (${
          channelName(required)
        })`,
      );
    }
    let pipe = sharp(raw);
    if (info.hasAlpha) pipe = pipe.removeAlpha();
    const out = await pipe
      .toColourspace(c === 1 ? "b-w" : "srgb")
      .resize(size, size, { fit: "fill", kernel })
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (out.info.channels !== c || out.info.width !== size || out.info.height !== size) {
      throw new Error(
        `decoder gave ${out.info.width}x${out.info.height}x${out.info.channels}, ` +
          `expected ${size}x${size}x${c}`,
      );
    }
    const bytes = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
    if (required != null && c !== required) {
      return { bytes: convertChannels(bytes, c, required), channels: required, info };
    }
    return { bytes, channels: c, info };
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(
      `cannot decode image ${path} (corrupt or unsupported format): ${(e as Error).message}`,
    );
  }
}

/**
 * Reads an image file, resizes it to size x size (bilinear; sharp's `linear` kernel,
 * which averages over the footprint when shrinking) and scales 0..255 to [-1, 1].
 *
 * @example
 * ```ts
 * import { encodePng, readImage } from "./image_io.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await Deno.writeFile(path, await encodePng(new Uint8Array(32 * 32 * 3).fill(255), 32, 32, 3));
 * const img = await readImage(path, { size: 16, channels: 3 });
 * console.log(img.width, img.channels, img.data[0]); // 16 3 1
 * ```
 */
export async function readImage(path: string, options: ReadImageOptions): Promise<DecodedImage> {
  const { size, channels } = options;
  checkSize(size, "image size");
  if (channels != null && channels !== 1 && channels !== 3) {
    throw new DatasetError(`channels must be 1 or 3, got ${channels} (reading ${path})`);
  }
  const { bytes, channels: c, info } = await decode(
    path,
    size,
    "linear",
    channels,
    options.convert === true,
  );
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 127.5 - 1;
  return {
    data,
    channels: c,
    width: size,
    height: size,
    sourceWidth: info.width,
    sourceHeight: info.height,
    ...(info.channels !== c ? { convertedFrom: info.channels } : {}),
  };
}

/**
 * 8-bit pixels converted between grey (1) and RGB (3): RGB to grey by ITU-R 601 luma
 * (0.299 R + 0.587 G + 0.114 B in 16-bit fixed point, rounded: the weights of Pillow's
 * `convert("L")`), grey to RGB by repeating the value.
 */
export function convertChannels(bytes: Uint8Array, from: number, to: number): Uint8Array {
  if (from === to) return bytes;
  const n = bytes.length / from;
  const out = new Uint8Array(n * to);
  if (from === 3 && to === 1) {
    for (let p = 0; p < n; p++) {
      const r = bytes[3 * p], g = bytes[3 * p + 1], b = bytes[3 * p + 2];
      out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
    }
  } else if (from === 1 && to === 3) {
    for (let p = 0; p < n; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = bytes[p];
  } else {
    throw new DatasetError(`cannot convert ${from}-channel pixels to ${to} channels`);
  }
  return out;
}

/** An image file at its own resolution as 8-bit RGB (grey repeated; opaque alpha dropped). */
export async function readImageRgb(
  path: string,
): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const info = await imageInfo(path);
  const { bytes, channels } = await decodeNative(path, info);
  return { rgb: convertChannels(bytes, channels, 3), width: info.width, height: info.height };
}

async function decodeNative(
  path: string,
  info: ImageInfo,
): Promise<{ bytes: Uint8Array; channels: number }> {
  if (info.channels !== 1 && info.channels !== 3) {
    throw new DatasetError(`${path} has ${info.channels} colour channels; the kit reads 1 or 3`);
  }
  const sharp = await loadSharp();
  let pipe = sharp(await readBytes(path));
  if (info.hasAlpha) pipe = pipe.removeAlpha();
  const out = await pipe.toColourspace(info.channels === 1 ? "b-w" : "srgb").raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return {
    bytes: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length),
    channels: out.info.channels,
  };
}

/**
 * Reads a ground-truth mask (grey or RGB; 0 = normal, 255 = anomalous), resizes it to
 * size x size with nearest-neighbour sampling and thresholds at 128 (any channel; VisA's
 * masks, which hold small region numbers, use `threshold: 1`). Returns size·size values
 * in {0, 1}.
 *
 * @example
 * ```ts
 * import { encodePng, readMask } from "./image_io.ts";
 * const m = new Uint8Array(4 * 4);
 * m[5] = 255;
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await Deno.writeFile(path, await encodePng(m, 4, 4, 1));
 * console.log((await readMask(path, 4))[5]); // 1
 * ```
 */
export async function readMask(
  path: string,
  size: number,
  options: { threshold?: number } = {},
): Promise<Float32Array> {
  checkSize(size, "mask size");
  const threshold = options.threshold ?? 128;
  const { bytes, channels } = await decode(path, size, "nearest");
  const out = new Float32Array(size * size);
  for (let p = 0; p < out.length; p++) {
    let v = 0;
    for (let k = 0; k < channels; k++) v = Math.max(v, bytes[p * channels + k]);
    out[p] = v >= threshold ? 1 : 0;
  }
  return out;
}

/**
 * {@linkcode readMask} for the mask of an image already read: refuses a mask whose size
 * differs from the image's source size, naming both files.
 */
export async function readMaskOf(
  maskPath: string,
  image: { path: string; sourceWidth: number; sourceHeight: number },
  size: number,
  options: { threshold?: number } = {},
): Promise<Float32Array> {
  const info = await imageInfo(maskPath);
  if (info.width !== image.sourceWidth || info.height !== image.sourceHeight) {
    throw new DatasetError(
      `mask ${maskPath} is ${info.width}x${info.height} but its image ${image.path} is ` +
        `${image.sourceWidth}x${image.sourceHeight}`,
    );
  }
  return await readMask(maskPath, size, options);
}

/**
 * Encodes HWC pixels as PNG. A Float32Array is read as [-1, 1] (clamped, rounded to
 * 0..255); a Uint8Array as 0..255. Channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
 * The bytes depend only on the pixels (no timestamps), so equal images give equal files.
 *
 * @example
 * ```ts
 * import { encodePng } from "./image_io.ts";
 * const png = await encodePng(new Float32Array(2 * 2 * 3), 2, 2, 3);
 * console.log(png[1], png[2], png[3]); // 80 78 71 ("PNG")
 * ```
 */
export async function encodePng(
  data: Float32Array | Uint8Array,
  width: number,
  height: number,
  channels: number,
): Promise<Uint8Array> {
  checkSize(width, "PNG width");
  checkSize(height, "PNG height");
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new DatasetError(`PNG channels must be 1..4, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new DatasetError(
      `encodePng: ${data.length} values for ${width}x${height}x${channels} (${
        width * height * channels
      } expected)`,
    );
  }
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) {
    bytes = data;
  } else {
    bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = Math.round((data[i] + 1) * 127.5);
      bytes[i] = Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, v));
    }
  }
  const sharp = await loadSharp();
  let pipe = sharp(bytes, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  if (channels <= 2) pipe = pipe.toColourspace("b-w");
  const png = await pipe.png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/**
 * Encodes grey or RGB HWC bytes (0..255) as JPEG (VisA and most photo folders hold JPEGs).
 *
 * @example
 * ```ts
 * import { encodeJpeg } from "./image_io.ts";
 * const jpg = await encodeJpeg(new Uint8Array(4 * 2 * 3).fill(200), 4, 2, 3);
 * console.log(jpg[0], jpg[1]); // 255 216 (the JPEG start-of-image marker)
 * ```
 */
export async function encodeJpeg(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  quality = 95,
): Promise<Uint8Array> {
  checkSize(width, "JPEG width");
  checkSize(height, "JPEG height");
  if (data.length !== width * height * channels) {
    throw new DatasetError(
      `encodeJpeg: ${data.length} values for ${width}x${height}x${channels} (${
        width * height * channels
      } expected)`,
    );
  }
  const sharp = await loadSharp();
  let pipe = sharp(data, { raw: { width, height, channels } });
  if (channels === 1) pipe = pipe.toColourspace("b-w");
  const jpg = await pipe.jpeg({ quality }).toBuffer();
  return new Uint8Array(jpg.buffer, jpg.byteOffset, jpg.length);
}

/**
 * Bilinear resize of one HWC float image (half-pixel centres, edges clamped; no
 * anti-aliasing when shrinking). For in-memory sets such as CIFAR-10's 32x32 records.
 *
 * @example
 * ```ts
 * import { resizeBilinear } from "./image_io.ts";
 * const out = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 1, 4, 4);
 * console.log(out.length, out[0], out[15]); // 16 0 3
 * ```
 */
export function resizeBilinear(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  if (src.length !== height * width * channels) {
    throw new DatasetError(
      `resizeBilinear: ${src.length} values for ${height}x${width}x${channels}`,
    );
  }
  checkSize(outHeight, "output height");
  checkSize(outWidth, "output width");
  const out = new Float32Array(outHeight * outWidth * channels);
  const sy = height / outHeight, sx = width / outWidth;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(height - 1, y0 + 1), wy = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(width - 1, x0 + 1), wx = fx - x0;
      for (let k = 0; k < channels; k++) {
        const a = src[(y0 * width + x0) * channels + k], b = src[(y0 * width + x1) * channels + k];
        const c = src[(y1 * width + x0) * channels + k], d = src[(y1 * width + x1) * channels + k];
        out[(y * outWidth + x) * channels + k] = (a * (1 - wx) + b * wx) * (1 - wy) +
          (c * (1 - wx) + d * wx) * wy;
      }
    }
  }
  return out;
}

/**
 * Decodes an uncompressed Windows BMP (1, 4, 8, 24 or 32 bits per pixel), which sharp
 * does not read and UCSD's ground-truth masks use. Returns grey values 0..255 (the
 * maximum over the colour channels, so any coloured foreground counts).
 */
export function decodeBmp(
  bytes: Uint8Array,
  source = "BMP",
): { width: number; height: number; grey: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 54 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) {
    throw new DatasetError(`${source} is not a BMP file`);
  }
  const offset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  // 0 = BI_RGB; 3 = BI_BITFIELDS, read here only for the usual 32-bit BGRA masks.
  if (!(compression === 0 || (compression === 3 && bpp === 32))) {
    throw new DatasetError(
      `${source}: compressed BMP (compression ${compression}) is not supported`,
    );
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) {
    throw new DatasetError(`${source}: ${bpp} bits per pixel is not supported`);
  }
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1) throw new DatasetError(`${source}: bad size ${width}x${rawHeight}`);
  const paletteStart = 14 + headerSize;
  let colours = bpp <= 8 ? dv.getUint32(46, true) : 0;
  if (bpp <= 8 && colours === 0) colours = 1 << bpp;
  const palette = new Uint8Array(colours);
  for (let i = 0; i < colours; i++) {
    const p = paletteStart + 4 * i;
    palette[i] = Math.max(bytes[p], bytes[p + 1], bytes[p + 2]);
  }
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (offset + rowBytes * height > bytes.length) {
    throw new DatasetError(`${source}: truncated BMP (${bytes.length} bytes)`);
  }
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    // Positive heights store rows bottom-up.
    const row = offset + rowBytes * (rawHeight > 0 ? height - 1 - y : y);
    for (let x = 0; x < width; x++) {
      let v: number;
      if (bpp === 24 || bpp === 32) {
        const p = row + x * (bpp / 8);
        v = Math.max(bytes[p], bytes[p + 1], bytes[p + 2]);
      } else {
        const bit = x * bpp;
        const byte = bytes[row + (bit >> 3)];
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        v = palette[index] ?? 0;
      }
      grey[y * width + x] = v;
    }
  }
  return { width, height, grey };
}

/** A BMP decoded to grey values in [-1, 1] at its own size. */
export async function readBmp(
  path: string,
): Promise<{ width: number; height: number; data: Float32Array }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new DatasetError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const { width, height, grey } = decodeBmp(bytes, path);
  return { width, height, data: Float32Array.from(grey, (v) => v / 127.5 - 1) };
}
