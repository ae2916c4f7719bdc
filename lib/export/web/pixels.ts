/**
 * The exported page's image reading, without the DOM: the browser decodes a file to RGBA
 * bytes, and these functions apply the kit's channel policy and preprocessing to them
 * as `readImage` does with sharp: refuse real transparency, resize at the file's own
 * channels as sharp's `linear` kernel does ({@linkcode resampleLinear}), convert to the
 * model's channels (ITU-R 601 luma in 16-bit fixed point, or grey repeated) and scale
 * 0..255 to [-1, 1].
 *
 * An image already at the model's size is not resampled, so the page then reads exactly
 * the bytes `predict` reads. Another size is resampled as libvips does it: measured equal
 * to sharp's pixels when enlarging and within 2 grey levels when shrinking
 * (pixels_test.ts), which moves a score a little (docs/export.md).
 *
 * @example
 * ```ts
 * import { rgbaToInput } from "./pixels.ts";
 * const white = new Uint8Array(2 * 2 * 4).fill(255); // a 2x2 opaque white image
 * console.log(Array.from(rgbaToInput(white, 2, 2, { size: 2, channels: 1 }).data)); // [1, 1, 1, 1]
 * ```
 * @module
 */
import { convertChannels } from "../../data/image_io.ts";

/** An image the kit will not read (the message says why). */
export class PixelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PixelError";
  }
}

/** One output pixel's input taps and weights along an axis. */
interface Taps {
  idx: number[];
  w: number[];
}

/**
 * Shrinking taps along an axis of n pixels by the factor s (> 1) to `out` pixels: a
 * triangle of half-width s centred at (i + 0.5)·s − 0.5, edge pixels repeated past the
 * border.
 */
function shrinkTaps(n: number, out: number, s = n / out): Taps[] {
  return Array.from({ length: out }, (_, i) => {
    const centre = (i + 0.5) * s - 0.5;
    const idx: number[] = [], w: number[] = [];
    for (let j = Math.ceil(centre - s); j <= Math.floor(centre + s); j++) {
      const v = 1 - Math.abs(j - centre) / s;
      if (v <= 0) continue;
      idx.push(Math.min(n - 1, Math.max(0, j)));
      w.push(v);
    }
    const sum = w.reduce((a, b) => a + b, 0);
    return { idx, w: w.map((v) => v / sum) };
  });
}

/** Box taps: the mean of each run of k pixels (a last, short run repeats the edge pixel). */
function boxTaps(n: number, k: number): Taps[] {
  return Array.from({ length: Math.ceil(n / k) }, (_, i) => {
    const idx = Array.from({ length: k }, (_, j) => Math.min(n - 1, i * k + j));
    return { idx, w: idx.map(() => 1 / k) };
  });
}

/**
 * Enlarging (or, beside an enlarged axis, keeping) taps: bilinear at i·(n / out) − 0.5,
 * clamped to the image, as libvips' affine resize places its samples.
 */
function affineTaps(n: number, out: number): Taps[] {
  const s = n / out;
  return Array.from({ length: out }, (_, i) => {
    const x = Math.min(n - 1, Math.max(0, i * s - 0.5));
    const x0 = Math.floor(x), x1 = Math.min(n - 1, x0 + 1), f = x - x0;
    return { idx: [x0, x1], w: [1 - f, f] };
  });
}

/** Applies `taps` along one axis (rows when `vertical`), rounding to 8 bits. */
function pass(
  src: Uint8Array,
  height: number,
  width: number,
  channels: number,
  taps: Taps[],
  vertical: boolean,
): Uint8Array {
  const oh = vertical ? taps.length : height, ow = vertical ? width : taps.length;
  const out = new Uint8Array(oh * ow * channels);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const { idx, w } = taps[vertical ? y : x];
      for (let k = 0; k < channels; k++) {
        let v = 0;
        for (let t = 0; t < idx.length; t++) {
          const at = vertical ? idx[t] * width + x : y * width + idx[t];
          v += w[t] * src[at * channels + k];
        }
        out[(y * ow + x) * channels + k] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return out;
}

/**
 * Resamples 8-bit HWC pixels to outHeight×outWidth the way sharp's `linear` resize
 * does (libvips): each shrinking axis by a triangle filter whose support widens with
 * the shrink factor, after a box average over whole factors of 4 and more (vertical
 * pass, then horizontal, each rounded to 8 bits); then, if an axis enlarges, bilinear
 * sampling at i·(in / out) − 0.5 along both axes in one pass. The same size is returned
 * unchanged. Measured against sharp: enlarging gives the same bytes, shrinking differs by
 * at most 2 grey levels (pixels_test.ts).
 */
export function resampleLinear(
  src: Uint8Array,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Uint8Array {
  if (height === outHeight && width === outWidth) return src.slice();
  let img = src, h = height, w = width;
  // Shrinking: whole factors of 4 and more go by a box first (libvips' gap of 2), the
  // rest by the triangle, as libvips' reduce does; vertical before horizontal.
  const plan = (n: number, out: number) => {
    const f = n / out, k = f > 1 ? Math.max(1, Math.floor(f / 2)) : 1;
    return { k, residual: f / k };
  };
  const v = plan(h, outHeight), hz = plan(w, outWidth);
  if (v.k > 1) {
    img = pass(img, h, w, channels, boxTaps(h, v.k), true);
    h = Math.ceil(h / v.k);
  }
  if (hz.k > 1) {
    img = pass(img, h, w, channels, boxTaps(w, hz.k), false);
    w = Math.ceil(w / hz.k);
  }
  if (outHeight < height) {
    img = pass(img, h, w, channels, shrinkTaps(h, outHeight, v.residual), true);
    h = outHeight;
  }
  if (outWidth < width) {
    img = pass(img, h, w, channels, shrinkTaps(w, outWidth, hz.residual), false);
    w = outWidth;
  }
  if (outHeight > h || outWidth > w) {
    // One 2-D bilinear pass, as libvips' affine samples (no rounding between the axes).
    const rows = affineTaps(h, outHeight), cols = affineTaps(w, outWidth);
    const out = new Uint8Array(outHeight * outWidth * channels);
    for (let y = 0; y < outHeight; y++) {
      const r = rows[y];
      for (let x = 0; x < outWidth; x++) {
        const c = cols[x];
        for (let k = 0; k < channels; k++) {
          let v = 0;
          for (let i = 0; i < 2; i++) {
            for (let j = 0; j < 2; j++) {
              v += r.w[i] * c.w[j] * img[(r.idx[i] * w + c.idx[j]) * channels + k];
            }
          }
          out[(y * outWidth + x) * channels + k] = Math.min(255, Math.max(0, Math.round(v)));
        }
      }
    }
    img = out;
  }
  return img;
}

/** Whether every pixel of an RGBA image has R = G = B (a grey image as a browser decodes it). */
export function isGrey(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let p = 0; p < rgba.length; p += 4) {
    if (rgba[p] !== rgba[p + 1] || rgba[p] !== rgba[p + 2]) return false;
  }
  return true;
}

/** What {@linkcode rgbaToInput} returns. */
export interface ModelInput {
  /** size·size·channels values in [-1, 1], HWC. */
  data: Float32Array;
  /** The file's pixels as 8-bit RGB at its own size (for the overlay). */
  rgb: Uint8Array;
}

/**
 * An RGBA image (as `getImageData` gives it) as the model's input. Throws
 * {@linkcode PixelError} for an image with transparent pixels, as the kit refuses them.
 */
export function rgbaToInput(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  model: { size: number; channels: number },
): ModelInput {
  if (rgba.length !== width * height * 4) {
    throw new PixelError(`${rgba.length} bytes for a ${width}x${height} RGBA image`);
  }
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    if (rgba[4 * p + 3] !== 255) {
      throw new PixelError(
        "the image has transparent pixels; the kit reads opaque grey or RGB images",
      );
    }
    rgb[3 * p] = rgba[4 * p];
    rgb[3 * p + 1] = rgba[4 * p + 1];
    rgb[3 * p + 2] = rgba[4 * p + 2];
  }
  // A grey file is resized as one channel, an RGB file as three (as sharp reads them).
  const grey = isGrey(rgba);
  const own = grey ? convertChannels(rgb, 3, 1) : rgb;
  const fileChannels = grey ? 1 : 3;
  const resized = resampleLinear(own, height, width, fileChannels, model.size, model.size);
  const bytes = convertChannels(resized, fileChannels, model.channels);
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 127.5 - 1;
  return { data, rgb };
}
