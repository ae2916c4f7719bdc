/**
 * Pictures of the block-size toy ({@linkcode runBlockToy}): the Figure-1 grid (one row
 * per block size: A, B, B rebuilt, its error, C, C rebuilt, its error), the learned
 * memory items, and the errors per block size as a plotly figure.
 *
 * @example
 * ```ts
 * import { runBlockToy, toyStripes } from "./block_toy.ts";
 * import { blockToyErrorFigure, blockToyGrid } from "./block_toy_viz.ts";
 * const images = toyStripes({ size: 16 });
 * const results = runBlockToy(images, [1, 4, 16], { steps: 10 });
 * const { rows, captions } = blockToyGrid(images, results);
 * console.log(rows.length, captions.length); // 3 7
 * console.log(blockToyErrorFigure(results).data.length); // 3
 * ```
 * @module
 */
import type { Figure } from "../viz/figures.ts";
import { PALETTE } from "../viz/figures.ts";
import { type GridRow, heatTile, imageTile } from "../viz/images.ts";
import type { BlockToyResult, ToyStripes } from "./block_toy.ts";

/** Options of {@linkcode blockToyGrid}. */
export interface BlockToyGridOptions {
  /** Squared error drawn at the top of the colour scale (shared by every map). Default 1. */
  mapMax?: number;
}

/** Column captions of {@linkcode blockToyGrid}. */
export const BLOCK_TOY_COLUMNS: readonly string[] = Object.freeze([
  "A (learned)",
  "B (normal)",
  "B rebuilt",
  "error B",
  "C (anomaly)",
  "C rebuilt",
  "error C",
]);

/**
 * Rows (one per block size, labelled `b=<side>`) and captions for `imageGridPng`: A, B,
 * B rebuilt, squared error of B, C, C rebuilt, squared error of C. Error maps share one
 * colour scale, 0 to `mapMax`.
 */
export function blockToyGrid(
  images: ToyStripes,
  results: readonly BlockToyResult[],
  options: BlockToyGridOptions = {},
): { rows: GridRow[]; captions: string[] } {
  if (results.length === 0) throw new RangeError("no block toy results to draw");
  const mapMax = options.mapMax ?? 1;
  if (!(mapMax > 0 && Number.isFinite(mapMax))) {
    throw new RangeError(`mapMax must be a positive number, got ${mapMax}`);
  }
  const s = images.size;
  const img = (d: Float32Array) => imageTile(d, s, s, 1);
  const heat = (d: Float32Array) => heatTile(d, s, s, { min: 0, max: mapMax });
  const rows = results.map((r) => {
    if (r.reconstruction.b.length !== s * s) {
      throw new RangeError(
        `result for b=${r.blockSize} holds ${r.reconstruction.b.length} pixels, not ${s}x${s}`,
      );
    }
    return {
      label: `b=${r.blockSize}`,
      tiles: [
        img(images.a),
        img(images.b),
        img(r.reconstruction.b),
        heat(r.errorMap.b),
        img(images.c),
        img(r.reconstruction.c),
        heat(r.errorMap.c),
      ],
    };
  });
  return { rows, captions: [...BLOCK_TOY_COLUMNS] };
}

/**
 * One grid row per result: its first `maxItems` memory items as b×b tiles, each scaled by
 * its own largest absolute value (so the pattern shows, not the item's norm).
 */
export function blockToyItemRows(
  results: readonly BlockToyResult[],
  maxItems = 16,
): GridRow[] {
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`maxItems must be a positive integer, got ${maxItems}`);
  }
  return results.map((r) => {
    const n = Math.min(maxItems, r.items);
    const tiles = Array.from({ length: n }, (_, k) => {
      const item = r.bank.subarray(k * r.dim, (k + 1) * r.dim);
      let peak = 0;
      for (const v of item) peak = Math.max(peak, Math.abs(v));
      const scaled = Float32Array.from(item, (v) => (peak > 0 ? v / peak : 0));
      return imageTile(scaled, r.blockSize, r.blockSize, 1);
    });
    return { label: `b=${r.blockSize}`, tiles };
  });
}

/** Errors below this are drawn at it in {@linkcode blockToyErrorFigure} (log axis). */
export const BLOCK_TOY_ERROR_FLOOR = 1e-4;

/**
 * Mean squared error of A, B and C against the block side (log axes): a plotly figure.
 * Errors below {@linkcode BLOCK_TOY_ERROR_FLOOR} (A memorised by whole-image blocks reaches 1e-14)
 * are drawn at the floor; the hover text gives the true value.
 */
export function blockToyErrorFigure(
  results: readonly BlockToyResult[],
  title = "Reconstruction error per block size",
): Figure {
  if (results.length === 0) throw new RangeError("no block toy results to plot");
  const x = results.map((r) => r.blockSize);
  const line = (name: string, y: number[], color: string, dash = "solid") => ({
    type: "scatter",
    mode: "lines+markers",
    name,
    x,
    y: y.map((v) => Math.max(v, BLOCK_TOY_ERROR_FLOOR)),
    text: y.map((v) => v.toPrecision(3)),
    line: { color, dash },
    marker: { color, size: 8 },
    hovertemplate: "b=%{x}: %{text}<extra>" + name + "</extra>",
  });
  return {
    data: [
      line("A (learned from)", results.map((r) => r.error.a), PALETTE[7], "dot"),
      line("B (normal)", results.map((r) => r.error.b), PALETTE[0]),
      line("C (anomaly)", results.map((r) => r.error.c), PALETTE[1]),
    ],
    layout: {
      title: { text: title },
      margin: { l: 60, r: 20, t: 50, b: 50 },
      legend: { orientation: "h", y: -0.25 },
      xaxis: {
        title: { text: "block side b (pixels)" },
        type: "log",
        tickvals: x,
        ticktext: x.map(String),
      },
      yaxis: {
        title: { text: "mean squared error" },
        type: "log",
        range: [Math.log10(BLOCK_TOY_ERROR_FLOOR), Math.log10(4)],
      },
    },
  };
}

/** One table row per block size: errors of A, B and C and the contrast C / B. */
export function blockToyTableRows(results: readonly BlockToyResult[]): Record<string, unknown>[] {
  return results.map((r) => ({
    "block b": `${r.blockSize}x${r.blockSize}`,
    "grid": `${r.rate}x${r.rate}`,
    "item dim": r.dim,
    "error A": r.error.a,
    "error B": r.error.b,
    "error C": r.error.c,
    "C / B": r.contrast,
  }));
}
