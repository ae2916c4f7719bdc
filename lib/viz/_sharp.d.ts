/**
 * The part of sharp's API the kit uses, typed without Node's types. sharp's own
 * declarations reference `@types/node`, which would replace Deno's built-in Node types
 * in every program that imports this module (and break `node:assert` call sites in
 * the tests); imports of "sharp" in lib/viz use these instead via `@ts-types`.
 * @module
 */

/** Raw pixel input or output layout. */
export interface RawInfo {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** One image composited over another. */
export interface OverlayOptions {
  /** Encoded image (PNG, SVG...). */
  input: Uint8Array;
  top?: number;
  left?: number;
}

/** A sharp pipeline. */
export interface Sharp {
  png(options?: {
    compressionLevel?: number;
    adaptiveFiltering?: boolean;
    /** Quantise to a palette of at most `colours` (lossy, much smaller for plots). */
    palette?: boolean;
    colours?: number;
    dither?: number;
    effort?: number;
  }): Sharp;
  raw(): Sharp;
  removeAlpha(): Sharp;
  composite(images: OverlayOptions[]): Sharp;
  toBuffer(): Promise<Uint8Array>;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Uint8Array; info: RawInfo }>;
}

/** Starts a pipeline from encoded bytes, or from raw pixels with `raw`. */
declare function sharp(input: Uint8Array, options?: { raw?: RawInfo }): Sharp;
export default sharp;
