/**
 * The division rates DAAD's block memory allows. DAAD uses the same division rates at
 * every memory scale (2x, 4x, 8x and 16x down-sampling), so a rate must divide the
 * smallest map, size/16: {@linkcode divisionRatesFor} lists the rates an input size
 * allows (256 px for rates up to 16, as in the paper, Table 4).
 *
 * @example
 * ```ts
 * import { blockSidesFor, divisionRatesFor } from "./division.ts";
 * console.log(divisionRatesFor(64));   // [1, 2, 4]
 * console.log(divisionRatesFor(256));  // [1, 2, 4, 8, 16]
 * console.log(blockSidesFor(256, 8));  // [16, 8, 4, 2]
 * ```
 * @module
 */
import { ConfigError } from "../../util/errors.ts";

/** Down-sampling factors of the scales that carry a memory in DAAD (enc1..enc4 pooled). */
export const MEMORY_SCALE_FACTORS: readonly number[] = Object.freeze([2, 4, 8, 16]);

/**
 * The division rates r (rh = rw = r, rc = 1) among `candidates` that divide every memory
 * scale's map of a `size`x`size` input, i.e. that divide size/16.
 *
 * @example
 * ```ts
 * import { divisionRatesFor } from "./division.ts";
 * console.log(divisionRatesFor(128)); // [1, 2, 4, 8]
 * ```
 */
export function divisionRatesFor(
  size: number,
  candidates: readonly number[] = [1, 2, 4, 8, 16, 32, 64],
): number[] {
  if (!Number.isInteger(size) || size < 16 || size % 16 !== 0) {
    throw new ConfigError(
      `input size must be a positive multiple of 16 (four 2x poolings), got ${size}`,
    );
  }
  for (const r of candidates) {
    if (!Number.isInteger(r) || r < 1) {
      throw new ConfigError(`division rate must be a positive integer, got ${r}`);
    }
  }
  return candidates.filter((r) => MEMORY_SCALE_FACTORS.every((f) => (size / f) % r === 0));
}

/**
 * Block side in pixels of the map at each memory scale (2x, 4x, 8x, 16x) for input
 * `size` and rate `rate`; throws {@linkcode ConfigError} when the rate does not divide
 * a map.
 *
 * @example
 * ```ts
 * import { blockSidesFor } from "./division.ts";
 * console.log(blockSidesFor(256, 8)); // [16, 8, 4, 2]
 * ```
 */
export function blockSidesFor(size: number, rate: number): number[] {
  if (!divisionRatesFor(size, [rate]).includes(rate)) {
    const maps = MEMORY_SCALE_FACTORS.map((f) => size / f).join(", ");
    throw new ConfigError(
      `division rate ${rate} does not divide the memory maps of a ${size}px input ` +
        `(sides ${maps}); allowed: ${divisionRatesFor(size).join(", ")}`,
    );
  }
  return MEMORY_SCALE_FACTORS.map((f) => size / f / rate);
}

/**
 * The rate whose blocks have the paper's default sides at every scale (division 8 at
 * 256 px: 16, 8, 4 and 2 feature pixels), i.e. size/32, for inputs of 32 px and more.
 *
 * @example
 * ```ts
 * import { paperBlockRate } from "./division.ts";
 * console.log(paperBlockRate(256), paperBlockRate(128), paperBlockRate(64)); // 8 4 2
 * ```
 */
export function paperBlockRate(size: number): number {
  divisionRatesFor(size, [1]);
  if (size % 32 !== 0) {
    throw new ConfigError(`paperBlockRate needs a multiple of 32 pixels, got ${size}`);
  }
  return size / 32;
}
