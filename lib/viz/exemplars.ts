/**
 * Grids of memory-item exemplars: for each item, the input crops whose blocks weigh most
 * on it ({@linkcode itemExemplars}), one row per item, for {@linkcode imageGridPng}.
 *
 * @example
 * ```ts ignore
 * const rows = exemplarRows(images, exemplars, items, [2, 2, 1]);
 * await show(image(await imageGridPng(rows)));
 * ```
 * @module
 */
import type { Division } from "../memory/block_memory.ts";
import type { Exemplar } from "../memory/exemplars.ts";
import { type GridRow, type ImageTile, imageTile } from "./images.ts";

/** Images the exemplars index into: n NHWC images of one size, values in [-1, 1]. */
export interface ExemplarImages {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * The input region of one block: image `e.image`, block (`e.blockRow`, `e.blockColumn`)
 * of a `division` grid, i.e. (height/rh) x (width/rw) pixels, all channels.
 */
export function blockCrop(images: ExemplarImages, e: Exemplar, division: Division): ImageTile {
  const { height, width, channels } = images;
  const ch = Math.floor(height / division[0]), cw = Math.floor(width / division[1]);
  const out = new Float32Array(ch * cw * channels);
  const base = e.image * height * width * channels;
  for (let y = 0; y < ch; y++) {
    const row = base + ((e.blockRow * ch + y) * width + e.blockColumn * cw) * channels;
    out.set(images.data.subarray(row, row + cw * channels), y * cw * channels);
  }
  return imageTile(out, ch, cw, channels);
}

/** One grid row per item: its exemplars' crops, labelled with the item number. */
export function exemplarRows(
  images: ExemplarImages,
  exemplars: Exemplar[][],
  items: number[],
  division: Division,
): GridRow[] {
  return exemplars.map((list, i) => ({
    label: `item ${items[i]}`,
    tiles: list.map((e) => blockCrop(images, e, division)),
  }));
}
