/**
 * HTML for plotly.js figures, shared by the Jupyter display objects and the HTML report:
 * the plotly.js bundle as an inline `<script>` (read lazily from the `plotly.js-dist`
 * npm package: no network needed at display time) and a `<div>` with a small script that
 * draws one figure once `window.Plotly` exists.
 *
 * The drawing script waits (polls every 50 ms, up to `waitMs`) for both its `<div>` to
 * be attached and `window.Plotly` to be defined, because front-ends differ in when they
 * attach an output's HTML and run its scripts. If plotly.js never arrives, the div says
 * so and how to fix it; if scripts never run at all (untrusted notebook, static viewer),
 * the div's initial text says that instead.
 *
 * @example
 * ```ts
 * import { figureDivHtml } from "./plotly_html.ts";
 * const html = figureDivHtml({ data: [], layout: {} }, { id: "fig-1", height: 300 });
 * console.log(html.includes('id="fig-1"')); // true
 * ```
 * @module
 */
import type { Figure } from "./figures.ts";

/** The npm package whose bundle is inlined (see deno.json's import map). */
export const PLOTLY_PACKAGE = "plotly.js-dist";

let plotlyCache: Promise<string> | null = null;

/**
 * The plotly.js bundle's source text (about 10 MB for plotly.js-dist 4.1), loaded once
 * per process through a text import of the npm package, so Deno fetches and caches it
 * like any other dependency and nothing is downloaded at display time.
 */
export function loadPlotlySource(): Promise<string> {
  plotlyCache ??= import("plotly.js-dist/plotly.js", { with: { type: "text" } })
    .then((m) => m.default as string)
    .catch((e) => {
      plotlyCache = null;
      throw new Error(
        `cannot load plotly.js from the npm package '${PLOTLY_PACKAGE}' (import map entry ` +
          `"plotly.js-dist"): ${(e as Error).message}`,
      );
    });
  return plotlyCache;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON that is safe inside an HTML `<script>` element: `<` (so no `</script>` or `<!--`)
 * and the line separators U+2028/U+2029 are written as `\u` escapes, which JSON and
 * JavaScript read back as the same characters.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Makes JavaScript source safe to inline in a `<script>` element: `</script` and `<!--`
 * (which end or change how the HTML parser reads a script) get a backslash before the
 * `/` or `!`, which means the same inside strings, regular expressions and comments.
 */
export function escapeScriptSource(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/**
 * An inline `<script>` defining `window.Plotly` from `source` (plotly.js), unless the
 * page already has it. `define`, `module` and `exports` are shadowed so that a UMD
 * bundle registers the global even in pages with require.js (classic Notebook).
 */
export function plotlyScriptTag(source: string): string {
  return `<script type="text/javascript">/* plotly.js, inlined by daad-kit */\n` +
    `(function () { if (window.Plotly) return; var define, module, exports;\n` +
    `${escapeScriptSource(source)}\n` +
    `if (!window.Plotly && typeof Plotly !== "undefined") window.Plotly = Plotly; })();\n` +
    `</script>\n`;
}

/** Options of {@linkcode figureDivHtml}. */
export interface FigureDivOptions {
  /** The div's id: unique in the page (letters, digits, `-`, `_`). */
  id: string;
  /** Height in CSS pixels. Default 420. */
  height?: number;
  /**
   * How long to wait for `window.Plotly` before saying it is missing. Default 20000 ms.
   * The script keeps checking once a second after that, so a plot draws as soon as
   * plotly.js is loaded later (e.g. by running `loadPlotly()`).
   */
  waitMs?: number;
}

/** The plotly.js config every figure gets unless the figure sets its own. */
export const DEFAULT_PLOT_CONFIG: Record<string, unknown> = {
  responsive: true,
  displaylogo: false,
};

/** A `<div>` and the script that draws `figure` into it with `window.Plotly.newPlot`. */
export function figureDivHtml(figure: Figure, options: FigureDivOptions): string {
  const { id, height = 420, waitMs = 20000 } = options;
  if (!/^[A-Za-z][\w-]*$/.test(id)) {
    throw new RangeError(`figure div id '${id}' must be letters, digits, '-' or '_'`);
  }
  if (!(height > 0 && height < 10000)) {
    throw new RangeError(`height ${height} must be a positive number of pixels`);
  }
  const spec = {
    data: figure.data,
    layout: { height, autosize: true, ...figure.layout },
    config: { ...DEFAULT_PLOT_CONFIG, ...figure.config },
  };
  return `<div id="${id}" class="daad-plot" style="width:100%;min-height:${height}px">` +
    `<em>Plot not drawn: this output's JavaScript has not run (in Jupyter, trust the ` +
    `notebook; static viewers show no plots).</em></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${jsonForScript(spec)};\n` +
    `  var id = ${JSON.stringify(id)}, waited = 0;\n` +
    `  function draw() {\n` +
    `    var el = document.getElementById(id);\n` +
    `    if (!el || !window.Plotly) {\n` +
    `      if (waited < ${waitMs}) { waited += 50; setTimeout(draw, 50); return; }\n` +
    `      if (el && !el.getAttribute("data-missing")) {\n` +
    `        el.setAttribute("data-missing", "plotly");\n` +
    `        el.textContent = "plotly.js is not loaded in this page: run loadPlotly() (or any ` +
    `plot cell) again in this notebook, or re-run the notebook.";\n` +
    `      }\n` +
    `      setTimeout(draw, 1000);\n` +
    `      return;\n` +
    `    }\n` +
    `    el.removeAttribute("data-missing");\n` +
    `    el.textContent = "";\n` +
    `    window.Plotly.newPlot(el, spec.data, spec.layout, spec.config);\n` +
    `  }\n` +
    `  draw();\n` +
    `})();</script>\n`;
}

/** Options of {@linkcode plotlyLoaderParts}. */
export interface PlotlyLoaderOptions {
  /** Base64 characters per part. Default 400000 (one Jupyter output each). */
  partChars?: number;
  /** Identifies this load in the page, so parts of two loads never mix. Default: random. */
  loadId?: string;
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Base64 of bytes (chunked, so large inputs do not overflow the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * plotly.js as several small HTML fragments, each a `<script>` holding one part of the
 * gzip-compressed, base64-encoded bundle (10 MB of source become ~2.6 MB in 7 parts).
 * Whichever fragment completes the set (they may run in any order) joins the parts,
 * decompresses them with the browser's `DecompressionStream` and runs plotly.js with
 * `define`, `module` and `exports` shadowed, which defines `window.Plotly`.
 *
 * Why parts: the Deno kernel (2.9) silently drops iopub messages above ~2 MB, and
 * messages sent faster than the front-end reads them, so one 10 MB output never arrives;
 * several ~400 kB outputs sent a little apart do.
 */
export async function plotlyLoaderParts(
  source: string,
  options: PlotlyLoaderOptions = {},
): Promise<string[]> {
  const { partChars = 400_000 } = options;
  if (!Number.isInteger(partChars) || partChars < 1000 || partChars % 4 !== 0) {
    throw new RangeError(`partChars ${partChars} must be a multiple of 4, at least 1000`);
  }
  const loadId = jsonForScript(options.loadId ?? crypto.randomUUID());
  const b64 = toBase64(await gzip(source));
  const n = Math.ceil(b64.length / partChars);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const chunk = b64.slice(i * partChars, (i + 1) * partChars);
    parts.push(
      `<script type="text/javascript">(function () {\n` +
        `  var w = window, all = w.__daadPlotlyParts = w.__daadPlotlyParts || {};\n` +
        `  var load = all[${loadId}] = all[${loadId}] || ` +
        `{ parts: [], started: false };\n` +
        `  load.parts[${i}] = "${chunk}";\n` +
        `  if (w.Plotly) { delete all[${loadId}]; return; }\n` +
        `  if (load.started) return;\n` +
        `  for (var j = 0; j < ${n}; j++) if (typeof load.parts[j] !== "string") return;\n` +
        `  load.started = true;\n` +
        `  if (typeof DecompressionStream === "undefined") {\n` +
        `    console.warn("daad-kit: this browser has no DecompressionStream; plotly.js not loaded");\n` +
        `    return;\n` +
        `  }\n` +
        `  var bin = atob(load.parts.join("")), bytes = new Uint8Array(bin.length);\n` +
        `  for (var k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);\n` +
        `  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));\n` +
        `  new Response(stream).text().then(function (src) {\n` +
        `    if (w.Plotly) return;\n` +
        `    var s = document.createElement("script");\n` +
        `    s.text = "(function () { var define, module, exports;\\n" + src +\n` +
        `      "\\nif (!window.Plotly && typeof Plotly !== \\"undefined\\") window.Plotly = Plotly; })();";\n` +
        `    document.head.appendChild(s);\n` +
        `    delete all[${loadId}];\n` +
        `  });\n` +
        `})();</script>\n`,
    );
  }
  return parts;
}

/** A fresh id for a figure div. */
export function newFigureId(prefix = "daad-plot"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
