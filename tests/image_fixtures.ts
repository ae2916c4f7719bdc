/**
 * Image files written by hand for the data tests: formats the kit decodes itself.
 * @module
 */

/**
 * An 8-bit palettised BMP (palette 0 = black, 1 = white), rows stored bottom-up, as the
 * ground-truth masks of UCSD Ped2 are stored.
 *
 * @example
 * ```ts
 * import { bmp8 } from "./image_fixtures.ts";
 * const file = bmp8(2, 1, [0, 1]);
 * console.log(file[0], file[1], file.length); // 66 77 1082
 * ```
 */
export function bmp8(width: number, height: number, pixels: number[]): Uint8Array {
  const rowBytes = Math.ceil(width / 4) * 4;
  const offset = 14 + 40 + 256 * 4;
  const out = new Uint8Array(offset + rowBytes * height);
  const dv = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  dv.setUint32(2, out.length, true);
  dv.setUint32(10, offset, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 8, true);
  for (let i = 1; i < 256; i++) out.fill(255, 54 + 4 * i, 54 + 4 * i + 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out[offset + (height - 1 - y) * rowBytes + x] = pixels[y * width + x];
    }
  }
  return out;
}
