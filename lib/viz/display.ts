/**
 * Rich output for Jupyter (Deno kernel). Every function returns a display object: an
 * object whose `[Symbol.for("Jupyter.display")]()` gives a MIME bundle, which the kernel
 * shows when the object ends a cell. Building a bundle never touches `Deno.jupyter`
 * (which throws outside the kernel), so display objects work, and are tested, anywhere.
 *
 * ## How plots reach the page: plotly.js inlined once per kernel session
 *
 * A {@linkcode plot} bundle holds the figure three ways:
 * - `application/vnd.plotly.v1+json`: the figure itself, drawn natively by front-ends
 *   with a plotly renderer (VS Code, JupyterLab with the plotly extension, nteract);
 * - `text/html`: a `<div>` and a small script calling `window.Plotly.newPlot`, for every
 *   front-end that runs output scripts (classic Notebook, JupyterLab, VS Code);
 * - `text/plain`: a short summary (traces, points), for consoles and nbconvert logs.
 *
 * plotly.js itself (the `plotly.js-dist` bundle, ~10 MB; no CDN is reachable) is inlined
 * as a `<script>` into the `text/html` of the FIRST plot this kernel session displays;
 * later plots only carry their figure (a few kB) and reuse `window.Plotly`, which all
 * these front-ends keep for the whole page (outputs share one window / webview). Their
 * drawing script waits for `window.Plotly`, so the order in which outputs are attached
 * does not matter. A notebook saved with its outputs therefore stores plotly.js once,
 * and opening it again (trusted) redraws every plot from that one copy.
 *
 * If the output that carried plotly.js is cleared or its cell is re-run (the new output
 * does not carry it again: the session already shipped it), later plots of a reloaded
 * page say "plotly.js is not loaded"; `loadPlotly()` (or `plot(fig, {inline: "always"})`)
 * in a cell near the top ships it again. `inline: "never"` leaves it out (pages that load
 * plotly.js themselves, e.g. the report).
 *
 * @example
 * ```ts
 * import { lossCurveFigure } from "./figures.ts";
 * import { plot, table } from "./display.ts";
 * const fig = plot(lossCurveFigure([{ epoch: 1, losses: { total: 0.5 } }]), { height: 300 });
 * const rows = table([{ model: "daad", auroc: 0.91 }]);
 * // In a notebook cell, end with `fig` or `rows` to show it.
 * const bundle = await rows[Symbol.for("Jupyter.display")]();
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
  plotlyScriptTag,
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
// plotly.js once per session

let plotlyShipped = false;

/** Whether this process (kernel session) has already put plotly.js into an output. */
export function plotlyShippedThisSession(): boolean {
  return plotlyShipped;
}

/** Forgets that plotly.js was shipped: the next plot inlines it again (tests, reloads). */
export function resetPlotlySession(): void {
  plotlyShipped = false;
}

/** When a plot's `text/html` carries plotly.js: see the module documentation. */
export type PlotlyInline = "once" | "always" | "never";

async function plotlyPrefix(inline: PlotlyInline): Promise<string> {
  if (inline === "never" || (inline === "once" && plotlyShipped)) return "";
  const tag = plotlyScriptTag(await loadPlotlySource());
  plotlyShipped = true;
  return tag;
}

/**
 * A display object that only loads plotly.js into the page (always, even when this
 * session already did), for a notebook's first cell or after clearing outputs.
 */
export function loadPlotly(): Displayable {
  return {
    async [JUPYTER_DISPLAY]() {
      return {
        "text/html": `${await plotlyPrefix("always")}<small>plotly.js loaded</small>`,
        "text/plain": "plotly.js loaded",
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// plot

/** Options of {@linkcode plot}. */
export interface PlotOptions {
  /** Replaces the figure's title. */
  title?: string;
  /** Height in pixels. Default 420. */
  height?: number;
  /** When to inline plotly.js into the HTML. Default "once" (per kernel session). */
  inline?: PlotlyInline;
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

/** A display object showing a plotly figure (see the module doc for how it renders). */
export function plot(figure: Figure, options: PlotOptions = {}): Displayable & { figure: Figure } {
  const fig = adjust(figure, options);
  const height = options.height ??
    (typeof fig.layout.height === "number" ? fig.layout.height as number : 420);
  return {
    figure: fig,
    async [JUPYTER_DISPLAY]() {
      const prefix = await plotlyPrefix(options.inline ?? "once");
      return {
        [PLOTLY_MIME]: JSON.parse(JSON.stringify(fig)),
        "text/html": prefix + figureDivHtml(fig, { id: newFigureId(), height }),
        "text/plain": summarizeFigure(fig),
      };
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

/** Base64 of bytes (chunked, so large images do not overflow the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
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

/** Options of `Deno.jupyter.display` (checked against Deno 2.9's `cli/js/40_jupyter.js`). */
export interface JupyterDisplayOptions {
  raw?: boolean;
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

  /** Bundles sent so far (displays and updates, not counting the plotly.js loader). */
  get updates(): number {
    return this.#updates;
  }

  /** The current figure. */
  figure(): Figure {
    const { height = 380, display: _d, log: _l, history: _h, ...lossOptions } = this.#options;
    const fig = lossCurveFigure(this.history, lossOptions);
    return { ...fig, layout: { ...fig.layout, height } };
  }

  async #bundle(inline: PlotlyInline): Promise<MimeBundle> {
    return await bundleOf(plot(this.figure(), { inline, height: this.#options.height ?? 380 }));
  }

  /**
   * Shows the (possibly empty) figure now; later calls are updates. In the kernel, if
   * this session has not shipped plotly.js yet, a separate output loads it first, so
   * the updated output never has to carry it again.
   */
  async show(): Promise<void> {
    const display = this.#display;
    if (display == null) return;
    if (!this.#shown) {
      if (!plotlyShipped) await display(await bundleOf(loadPlotly()), { raw: true });
      await display(await this.#bundle("never"), { raw: true, display_id: this.displayId });
      this.#shown = true;
    } else {
      await display(await this.#bundle("never"), {
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
  [JUPYTER_DISPLAY](): Promise<MimeBundle> {
    return this.#bundle("once");
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
