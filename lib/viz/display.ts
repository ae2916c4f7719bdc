/**
 * Rich output for Jupyter (Deno kernel). Every function returns a display object: an
 * object whose `[Symbol.for("Jupyter.display")]()` gives a MIME bundle, which the kernel
 * shows when the object ends a cell. Building a bundle never needs `Deno.jupyter` (which
 * throws outside the kernel), so display objects work, and are tested, anywhere.
 *
 * ## How plots reach the page
 *
 * A {@linkcode plot} bundle holds the figure three ways:
 * - `application/vnd.plotly.v1+json`: the figure itself, drawn natively by front-ends
 *   with a plotly renderer (VS Code, JupyterLab with the plotly extension, nteract);
 * - `text/html`: a `<div>` and a small script calling `window.Plotly.newPlot`, for every
 *   front-end that runs output scripts (classic Notebook, JupyterLab, VS Code);
 * - `text/plain`: a short summary (traces, points), for consoles and nbconvert logs.
 *
 * plotly.js itself (the `plotly.js-dist` npm bundle, 10 MB; no CDN is reachable here) is
 * shipped to the page once per kernel session: the first plot displayed in the kernel
 * first sends it as a few extra outputs (gzip + base64, ~2.6 MB in ~400 kB parts, sent a
 * little apart), then its own small bundle. Later plots carry only their figure (a few
 * kB) and reuse `window.Plotly`, which these front-ends keep for the whole page (all
 * outputs share one window / webview). A plot's script waits for `window.Plotly`, so
 * the order in which a front-end attaches outputs does not matter, and a notebook saved
 * with its outputs holds one copy of plotly.js that redraws every plot when reopened
 * (trusted).
 *
 * Why not one `<script>` with all of plotly.js in the first plot: the Deno kernel (2.9.6,
 * measured with nbconvert) silently drops iopub messages of more than about 2 MB, and
 * messages sent faster than the front-end reads them; a 10 MB output never arrives and
 * takes the next outputs of the cell with it.
 *
 * If the outputs that carried plotly.js are cleared, plots of a reloaded page say
 * "plotly.js is not loaded" until `loadPlotly()` is run (it ships plotly.js again and
 * waiting plots then draw). Outside the kernel nothing is shipped: a bundle is just the
 * figure (HTML pages with plotly.js are written by `writeReport`).
 *
 * @example
 * ```ts
 * import { lossCurveFigure } from "./figures.ts";
 * import { JUPYTER_DISPLAY, plot, table } from "./display.ts";
 * const fig = plot(lossCurveFigure([{ epoch: 1, losses: { total: 0.5 } }]), { height: 300 });
 * const rows = table([{ model: "daad", auroc: 0.91 }]);
 * // In a notebook cell, end with `fig` or `rows` to show it.
 * const bundle = await rows[JUPYTER_DISPLAY]();
 * console.log(bundle["text/plain"]);
 * ```
 * @module
 */
import type { Figure, LossCurveOptions, LossEpoch } from "./figures.ts";
import { lossCurveFigure } from "./figures.ts";
import {
  escapeHtml,
  figureDivHtml,
  loadPlotlySource,
  newFigureId,
  plotlyLoaderParts,
  toBase64,
} from "./plotly_html.ts";

/** The symbol the Deno kernel looks for on a cell's result. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** A MIME bundle: MIME type to data (strings, or JSON objects for `+json` types). */
export type MimeBundle = Record<string, string | Record<string, unknown>>;

/** Something the Deno kernel can show. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle | Promise<MimeBundle>;
}

/** True when `value` has a `[Symbol.for("Jupyter.display")]` method. */
export function isDisplayable(value: unknown): value is Displayable {
  return value != null && typeof value === "object" &&
    typeof (value as Record<symbol, unknown>)[JUPYTER_DISPLAY] === "function";
}

/** The MIME bundle of a display object. */
export async function bundleOf(value: Displayable): Promise<MimeBundle> {
  return await value[JUPYTER_DISPLAY]();
}

/** The MIME type Plotly's renderers read. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

// ---------------------------------------------------------------------------------------
// The Deno kernel

/** Options of `Deno.jupyter.display` (as in Deno 2.9's `cli/js/40_jupyter.js`). */
export interface JupyterDisplayOptions {
  /** `obj` is a MIME bundle to send as is. */
  raw?: boolean;
  /** Send `update_display_data` (replace the output with this `display_id`). */
  update?: boolean;
  display_id?: string;
}

/** `Deno.jupyter.display`'s signature. */
export type JupyterDisplayFn = (obj: unknown, options?: JupyterDisplayOptions) => Promise<void>;

/**
 * `Deno.jupyter.display` when running in the Deno Jupyter kernel, else null (outside the
 * kernel, reading `Deno.jupyter` throws; that is caught here).
 */
export function jupyterDisplayFn(): JupyterDisplayFn | null {
  try {
    const j = (Deno as unknown as { jupyter?: { display?: JupyterDisplayFn } }).jupyter;
    return typeof j?.display === "function" ? j.display.bind(j) : null;
  } catch {
    return null;
  }
}

/** Options of {@linkcode show}. */
export interface ShowOptions {
  /** Where the bundle goes. Default: `Deno.jupyter.display` in the kernel, else nowhere. */
  display?: JupyterDisplayFn | null;
}

/**
 * Displays `item` now: in the kernel through `Deno.jupyter.display` (awaited), outside
 * it nowhere (scripts and tests run the same code). It returns nothing, so that a cell
 * ending in `await show(x)` has no second output (the kernel would print a returned
 * bundle). In notebooks prefer `await show(x)` to ending a cell with `x`: the Deno kernel
 * (2.9.6) sometimes sends a cell's result after the cell's "idle" status, and clients
 * that stop listening at "idle" (nbconvert, the kit's `nb` task) then lose that output;
 * an awaited display always arrives before "idle".
 *
 * @example
 * ```ts
 * import { show, table } from "./display.ts";
 * await show(table([{ model: "daad", auroc: 0.91 }]));
 * ```
 */
export async function show(item: Displayable, options: ShowOptions = {}): Promise<void> {
  const display = options.display === undefined ? jupyterDisplayFn() : options.display;
  if (display == null) return;
  await display(await bundleOf(item), { raw: true });
}

// ---------------------------------------------------------------------------------------
// plotly.js once per session

let plotlyShipped = false;
let plotlyParts: Promise<string[]> | null = null;

/** Whether this process (kernel session) has already sent plotly.js to the front-end. */
export function plotlyShippedThisSession(): boolean {
  return plotlyShipped;
}

/** Forgets that plotly.js was sent: the next plot in the kernel sends it again. */
export function resetPlotlySession(): void {
  plotlyShipped = false;
}

/** Milliseconds to wait after sending `chars` characters (the kernel drops bursts). */
export function paceMs(chars: number): number {
  return Math.max(20, Math.round(chars / 2000));
}

/**
 * Sends plotly.js to the front-end through `display` as several outputs (see the module
 * documentation), waiting a little after each; returns how many outputs were sent.
 */
export async function shipPlotly(display: JupyterDisplayFn): Promise<number> {
  plotlyParts ??= loadPlotlySource().then((src) => plotlyLoaderParts(src));
  let parts: string[];
  try {
    parts = await plotlyParts;
  } catch (e) {
    plotlyParts = null;
    throw e;
  }
  for (let i = 0; i < parts.length; i++) {
    await display({
      "text/html": parts[i],
      "text/plain": `(plotly.js for the plots of this notebook, part ${i + 1} of ${parts.length})`,
    }, { raw: true });
    await new Promise((r) => setTimeout(r, paceMs(parts[i].length)));
  }
  plotlyShipped = true;
  return parts.length;
}

/** When a plot sends plotly.js to the front-end first. */
export type PlotlyShipping = "once" | "always" | "never";

async function ensurePlotly(
  display: JupyterDisplayFn | null,
  shipping: PlotlyShipping,
): Promise<void> {
  if (display == null || shipping === "never") return;
  if (shipping === "always" || !plotlyShipped) await shipPlotly(display);
}

/**
 * A display object that (in the kernel) sends plotly.js to the page again, even if this
 * session already did: after clearing outputs, or as a notebook's first cell.
 */
export function loadPlotly(options: { display?: JupyterDisplayFn | null } = {}): Displayable {
  return {
    async [JUPYTER_DISPLAY]() {
      const display = options.display === undefined ? jupyterDisplayFn() : options.display;
      if (display == null) {
        return { "text/plain": "plotly.js is sent to the page only in the Jupyter kernel" };
      }
      const n = await shipPlotly(display);
      return { "text/plain": `plotly.js loaded (${n} parts)` };
    },
  };
}

// ---------------------------------------------------------------------------------------
// plot

/** Options of {@linkcode plot}. */
export interface PlotOptions {
  /** Replaces the figure's title. */
  title?: string;
  /** Height in pixels. Default: the figure's, else 420. */
  height?: number;
  /** When to send plotly.js to the page first (kernel only). Default "once" per session. */
  plotly?: PlotlyShipping;
  /** Where plotly.js goes. Default: `Deno.jupyter.display` in the kernel, else nowhere. */
  display?: JupyterDisplayFn | null;
}

function countPoints(trace: Record<string, unknown>): number {
  for (const key of ["y", "x", "values", "z"]) {
    const v = trace[key];
    if (Array.isArray(v)) return v.length;
  }
  return 0;
}

function titleOf(fig: Figure): string | null {
  const t = fig.layout.title;
  if (typeof t === "string") return t;
  if (t != null && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") {
    return (t as { text: string }).text;
  }
  return null;
}

function fmtNumber(v: unknown): string {
  if (typeof v !== "number") return v == null ? "-" : String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** A few lines describing a figure in text: its title and one line per trace. */
export function summarizeFigure(fig: Figure): string {
  const title = titleOf(fig);
  const lines = [
    `Plotly figure${title != null ? ` "${title}"` : ""}: ${fig.data.length} trace${
      fig.data.length === 1 ? "" : "s"
    }`,
  ];
  for (const t of fig.data) {
    const n = countPoints(t);
    let detail = `${n} ${t.type === "histogram" ? "values" : "points"}`;
    if (t.type === "bar" && Array.isArray(t.x) && Array.isArray(t.y) && n <= 12) {
      detail = (t.x as unknown[]).map((x, i) => `${x}=${fmtNumber((t.y as unknown[])[i])}`)
        .join(", ");
    } else if (t.type === "scatter" && Array.isArray(t.y) && n > 0 && t.mode !== "markers") {
      detail += `, last y=${fmtNumber((t.y as unknown[]).at(-1))}`;
    }
    lines.push(`  ${t.type}${t.name != null ? ` "${t.name}"` : ""}: ${detail}`);
  }
  return lines.join("\n");
}

/** A figure with a new title and/or height. */
function adjust(fig: Figure, options: PlotOptions): Figure {
  const layout = { ...fig.layout };
  if (options.title != null) layout.title = { text: options.title };
  if (options.height != null) layout.height = options.height;
  return { ...fig, layout };
}

/** The MIME bundle of a figure (plotly JSON, HTML drawing it, text summary). */
export function figureBundle(fig: Figure, height = 420): MimeBundle {
  return {
    [PLOTLY_MIME]: JSON.parse(JSON.stringify(fig)),
    "text/html": figureDivHtml(fig, { id: newFigureId(), height }),
    "text/plain": summarizeFigure(fig),
  };
}

/** A display object showing a plotly figure (see the module doc for how it renders). */
export function plot(figure: Figure, options: PlotOptions = {}): Displayable & { figure: Figure } {
  const fig = adjust(figure, options);
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 420;
  return {
    figure: fig,
    async [JUPYTER_DISPLAY]() {
      const display = options.display === undefined ? jupyterDisplayFn() : options.display;
      await ensurePlotly(display, options.plotly ?? "once");
      return figureBundle(fig, height);
    },
  };
}

// ---------------------------------------------------------------------------------------
// image, html

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Width and height of a PNG from its header; throws when `png` is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  if (png.length < 24 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) {
    const head = Array.from(png.subarray(0, 8), (b) => b.toString(16).padStart(2, "0"));
    throw new TypeError(
      `expected PNG bytes (89 50 4e 47 ...), got ${png.length} bytes starting ${head.join(" ")}`,
    );
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Options of {@linkcode image}. */
export interface ImageOptions {
  caption?: string;
}

/**
 * A display object showing PNG bytes (e.g. from `imageGridPng`). With a caption the
 * bundle also has `text/html` (the image and its caption).
 */
export function image(png: Uint8Array, options: ImageOptions = {}): Displayable {
  const { width, height } = pngSize(png);
  return {
    [JUPYTER_DISPLAY]() {
      const b64 = toBase64(png);
      const bundle: MimeBundle = {
        "image/png": b64,
        "text/plain": `PNG image ${width}x${height}${
          options.caption ? `: ${options.caption}` : ""
        }`,
      };
      if (options.caption != null) {
        bundle["text/html"] = `<figure style="margin:0"><img src="data:image/png;base64,${b64}" ` +
          `width="${width}" height="${height}" alt="${escapeHtml(options.caption)}">` +
          `<figcaption>${escapeHtml(options.caption)}</figcaption></figure>`;
      }
      return bundle;
    },
  };
}

/** The text of some HTML: tags dropped, common entities decoded, blank runs squeezed. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&nbsp;/g, " ").replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ").replace(/\n\s*\n+/g, "\n").trim();
}

/** A display object showing trusted HTML as is (and its text as `text/plain`). */
export function html(source: string): Displayable {
  return {
    [JUPYTER_DISPLAY]() {
      return { "text/html": source, "text/plain": htmlToText(source) };
    },
  };
}

// ---------------------------------------------------------------------------------------
// table

/** Options of {@linkcode table}. */
export interface TableOptions {
  caption?: string;
  /** Columns, in order. Default: every key, in first-seen order. */
  columns?: string[];
  /** Significant digits of non-integer numbers. Default 4. */
  digits?: number;
}

/** How a cell value is written in a table. */
export function formatCell(value: unknown, digits = 4): string {
  if (value == null) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    return String(Number(value.toPrecision(digits)));
  }
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
}

function isNumeric(v: unknown): boolean {
  return typeof v === "number" || typeof v === "bigint";
}

/**
 * A display object showing rows as a table: `text/html` (with the caption), `text/markdown`
 * and `text/plain` (aligned columns, numbers right-aligned).
 */
export function table(
  rows: readonly Record<string, unknown>[],
  options: TableOptions = {},
): Displayable & { text: string; markdown: string; html: string } {
  const digits = options.digits ?? 4;
  let columns = options.columns;
  if (columns == null) {
    const seen = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
    columns = [...seen];
  }
  const cols = columns;
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c], digits)));
  const numericCol = cols.map((c) =>
    rows.some((r) => r[c] != null) && rows.every((r) => r[c] == null || isNumeric(r[c]))
  );
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const pad = (s: string, j: number) => numericCol[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]);
  const textLines = [
    cols.map((c, j) => pad(c, j)).join("  ").trimEnd(),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map((row) => row.map((s, j) => pad(s, j)).join("  ").trimEnd()),
  ];
  if (options.caption != null) textLines.unshift(options.caption);
  const text = textLines.join("\n");

  const md = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
  const markdown = [
    ...(options.caption != null ? [`**${md(options.caption)}**`, ""] : []),
    `| ${cols.map(md).join(" | ")} |`,
    `| ${numericCol.map((n) => (n ? "---:" : ":---")).join(" | ")} |`,
    ...cells.map((row) => `| ${row.map(md).join(" | ")} |`),
  ].join("\n");

  const align = (j: number) => (numericCol[j] ? ' style="text-align:right"' : "");
  const htmlTable = `<table class="daad-table">` +
    (options.caption != null ? `<caption>${escapeHtml(options.caption)}</caption>` : "") +
    `<thead><tr>${cols.map((c, j) => `<th${align(j)}>${escapeHtml(c)}</th>`).join("")}` +
    `</tr></thead><tbody>` +
    cells.map((row) =>
      `<tr>${row.map((s, j) => `<td${align(j)}>${escapeHtml(s)}</td>`).join("")}</tr>`
    ).join("") +
    `</tbody></table>`;
  return {
    text,
    markdown,
    html: htmlTable,
    [JUPYTER_DISPLAY]() {
      return { "text/html": htmlTable, "text/markdown": markdown, "text/plain": text };
    },
  };
}

// ---------------------------------------------------------------------------------------
// live figure

/** Options of {@linkcode liveFigure}. */
export interface LiveFigureOptions extends LossCurveOptions {
  /** Height in pixels. Default 380. */
  height?: number;
  /**
   * Where bundles go. Default: `Deno.jupyter.display` in the kernel; outside it, nowhere
   * (the figure still records the history and can be shown or written later).
   */
  display?: JupyterDisplayFn | null;
  /** Called with one line per update when there is no display (scripts). Default: none. */
  log?: (line: string) => void;
  /** Initial history (a resumed run). */
  history?: readonly LossEpoch[];
}

/** A loss-curve display that updates in place; made by {@linkcode liveFigure}. */
export class LiveFigure implements Displayable {
  /** The Jupyter display id every update of this figure reuses. */
  readonly displayId: string = newFigureId("daad-live");
  readonly history: LossEpoch[];
  #shown = false;
  #updates = 0;
  readonly #options: LiveFigureOptions;
  readonly #display: JupyterDisplayFn | null;

  constructor(options: LiveFigureOptions = {}) {
    this.#options = options;
    this.history = [...(options.history ?? [])];
    this.#display = options.display === undefined ? jupyterDisplayFn() : options.display;
  }

  /** Whether updates reach a Jupyter front-end. */
  get live(): boolean {
    return this.#display != null;
  }

  /** Bundles sent so far (displays and updates, not counting plotly.js's parts). */
  get updates(): number {
    return this.#updates;
  }

  /** The current figure. */
  figure(): Figure {
    const { height = 380, display: _d, log: _l, history: _h, ...lossOptions } = this.#options;
    const fig = lossCurveFigure(this.history, lossOptions);
    return { ...fig, layout: { ...fig.layout, height } };
  }

  #bundle(): MimeBundle {
    return figureBundle(this.figure(), this.#options.height ?? 380);
  }

  /**
   * Shows the (possibly empty) figure now; later calls are updates. In the kernel, if
   * this session has not sent plotly.js yet, it goes first, in outputs of its own, so
   * the updated output never has to carry it.
   */
  async show(): Promise<void> {
    const display = this.#display;
    if (display == null) return;
    if (!this.#shown) {
      await ensurePlotly(display, "once");
      await display(this.#bundle(), { raw: true, display_id: this.displayId });
      this.#shown = true;
    } else {
      await display(this.#bundle(), {
        raw: true,
        update: true,
        display_id: this.displayId,
      });
    }
    this.#updates++;
  }

  /** Appends one epoch (trainer's `onEpochEnd` passes `EpochStats`) and updates. */
  async push(epoch: LossEpoch): Promise<void> {
    this.history.push({ epoch: epoch.epoch, losses: { ...epoch.losses } });
    if (this.#display == null) {
      const parts = Object.entries(epoch.losses).map(([k, v]) => `${k} ${fmtNumber(v)}`);
      this.#options.log?.(`epoch ${epoch.epoch}: ${parts.join(", ")}`);
      return;
    }
    await this.show();
  }

  /** The current figure as a bundle (ending a cell with the object shows it). */
  async [JUPYTER_DISPLAY](): Promise<MimeBundle> {
    await ensurePlotly(this.#display, "once");
    return this.#bundle();
  }
}

/**
 * A loss curve that updates in place while training: in the Deno kernel, the first
 * update displays it with a display id and later ones send `update_display_data` for
 * that id (`Deno.jupyter.display(bundle, {raw: true, update: true, display_id})`).
 * Outside the kernel nothing is displayed (optionally one log line per epoch).
 *
 * @example
 * ```ts
 * import { liveFigure } from "./display.ts";
 * const live = liveFigure({ logY: true, log: console.log });
 * await live.push({ epoch: 1, losses: { total: 0.4 } }); // prints "epoch 1: total 0.4" in a script
 * // with train(): onEpochEnd: (stats) => live.push(stats)
 * ```
 */
export function liveFigure(options: LiveFigureOptions = {}): LiveFigure {
  return new LiveFigure(options);
}
