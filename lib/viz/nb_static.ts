/**
 * Light notebooks that read everywhere: rewrites the outputs of an executed notebook so
 * that every plot also shows as a static image and plotly.js is no longer stored in it.
 * `deno task nb --update` applies it after executing; `deno task nb --slim NAME...` applies
 * it to notebooks already executed, without running them.
 *
 * What changes, output by output:
 * - the outputs that carried plotly.js to the page (the kernel session sends it once, ~2.6
 *   MB in a few `text/html` parts) are removed;
 * - a plot (an output with `application/vnd.plotly.v1+json`) keeps the figure JSON (drawn
 *   natively, interactive, by VS Code, JupyterLab with the plotly extension and nteract) and
 *   its text summary, and gets
 *   - `image/png`: the figure rendered by plotly.js itself (`Plotly.toImage`) in headless
 *     Chromium, quantised to a palette (a plot takes 10-20 kB);
 *   - `text/html`: that image inside the plot's `<div>`, and a script that, where output
 *     scripts run (classic Notebook and JupyterLab with a trusted notebook, an nbconvert
 *     HTML page), replaces it with the interactive plot: with the page's plotly.js if the
 *     kernel session sent it, else with plotly.js fetched once per page from jsDelivr (the
 *     same npm file the kit uses, checked by its SHA-384). Offline, or where no script
 *     runs (GitHub, GitLab, nbviewer, an untrusted notebook, Markdown), the image stays;
 * - an image with a caption (`image(png, { caption })`), which holds the PNG twice (in
 *   `image/png` and in its captioned `text/html`), keeps only the captioned HTML;
 * - every other PNG (image outputs, images in HTML) is re-encoded losslessly with adaptive
 *   row filters when that makes it smaller and leaves every pixel as it was.
 *
 * Everything else is untouched, and the rewrite is idempotent: slimming a slim notebook
 * gives the same bytes (the div ids derive from the notebook's name and the output's place).
 * @module
 */
import type { Browser } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { recompressPng } from "./images.ts";
import type { Figure } from "./figures.ts";
import {
  DEFAULT_PLOT_CONFIG,
  escapeHtml,
  jsonForScript,
  loadPlotlySource,
  PLOTLY_PACKAGE,
  toBase64,
} from "./plotly_html.ts";

const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** One output of a notebook cell (nbformat 4), as stored. */
export interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One cell of a notebook (nbformat 4), as stored. */
export interface NotebookCell {
  cell_type: string;
  id?: string;
  outputs?: NotebookOutput[];
  [key: string]: unknown;
}

/** A notebook (nbformat 4), as stored. */
export interface NotebookJson {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** A figure to render, with its pixel size. */
export interface FigureToRender {
  figure: Figure;
  width: number;
  height: number;
}

/** Renders figures to PNG bytes, in order. */
export type FigureRenderer = (figures: FigureToRender[]) => Promise<Uint8Array[]>;

/** Options of {@linkcode slimNotebook}. */
export interface SlimOptions {
  /** Names the notebook (its file name) in the plot div ids. Default "notebook". */
  name?: string;
  /** Width of the static images in CSS pixels (unless a figure sets its own). Default 800. */
  width?: number;
  /** Where the HTML fetches plotly.js when the page has none. Default: {@linkcode plotlyCdn}. */
  cdn?: PlotlyCdn | null;
  /** Lossless re-encoder of PNGs (null: leave them). Default {@linkcode recompressPng}. */
  recompress?: ((png: Uint8Array) => Promise<Uint8Array | null>) | null;
}

/** What {@linkcode slimNotebook} did. */
export interface SlimReport {
  /** Plots given a static image. */
  plots: number;
  /** Outputs that carried plotly.js, removed. */
  loaders: number;
  /** Captioned images whose second copy of the PNG was dropped. */
  images: number;
  /** PNGs re-encoded smaller (losslessly). */
  recompressed: number;
}

/** Text of a MIME value as stored (a string or a list of lines). */
function text(value: unknown): string {
  if (Array.isArray(value)) return value.join("");
  return typeof value === "string" ? value : "";
}

/** True for an output that carries (a part of) plotly.js to the page. */
export function isPlotlyLoader(output: NotebookOutput): boolean {
  const html = text(output.data?.["text/html"]);
  return html.includes("__daadPlotlyParts") ||
    html.includes("/* plotly.js, inlined by daad-kit */");
}

/** Figure size in CSS pixels: the figure's own width/height, else `width` and 420. */
export function figureSize(figure: Figure, width = 800): { width: number; height: number } {
  const w = figure.layout?.width, h = figure.layout?.height;
  return {
    width: typeof w === "number" && w > 0 ? w : width,
    height: typeof h === "number" && h > 0 ? h : 420,
  };
}

/** Where a static plot's HTML fetches plotly.js from, and the hash that checks it. */
export interface PlotlyCdn {
  url: string;
  /** Subresource-integrity hash ("sha384-..."). */
  integrity: string;
}

let cdnCache: Promise<PlotlyCdn> | null = null;

/**
 * jsDelivr's copy of the very file the kit imports (`plotly.js-dist` at the import map's
 * version), with its SHA-384, so that a browser runs it only if it is byte-identical.
 */
export function plotlyCdn(): Promise<PlotlyCdn> {
  cdnCache ??= (async () => {
    const pkg = await import("plotly.js-dist/package.json", { with: { type: "json" } });
    const version = (pkg.default as { version?: string }).version;
    if (version == null) throw new Error(`cannot read the version of ${PLOTLY_PACKAGE}`);
    const source = new TextEncoder().encode(await loadPlotlySource());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-384", source));
    return {
      url: `https://cdn.jsdelivr.net/npm/${PLOTLY_PACKAGE}@${version}/plotly.js`,
      integrity: `sha384-${toBase64(digest)}`,
    };
  })();
  return cdnCache;
}

/** A short, stable hash of a string (FNV-1a, 32 bits, hex). */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Options of {@linkcode staticFigureHtml}. */
export interface StaticFigureOptions {
  id: string;
  width: number;
  height: number;
  /** The image's text alternative (the figure's summary). */
  alt: string;
  cdn: PlotlyCdn | null;
}

/**
 * A plot's `<div>` holding its static image, and a script that replaces the image with
 * the interactive plot once plotly.js is in the page (see the module documentation).
 */
export function staticFigureHtml(figure: Figure, png: Uint8Array, o: StaticFigureOptions): string {
  if (!/^[A-Za-z][\w-]*$/.test(o.id)) {
    throw new RangeError(`figure div id '${o.id}' must be letters, digits, '-' or '_'`);
  }
  const spec = {
    data: figure.data,
    layout: { height: o.height, autosize: true, ...figure.layout },
    config: { ...DEFAULT_PLOT_CONFIG, ...figure.config },
  };
  const cdn = o.cdn == null ? "null" : jsonForScript(o.cdn);
  return `<div id="${o.id}" class="daad-plot" style="width:100%;min-height:${o.height}px">` +
    `<img src="data:image/png;base64,${toBase64(png)}" width="${o.width}" ` +
    `height="${o.height}" style="max-width:100%;height:auto" alt="${escapeHtml(o.alt)}">` +
    `</div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${jsonForScript(spec)};\n` +
    `  var id = ${JSON.stringify(o.id)}, cdn = ${cdn}, w = window, tries = 0;\n` +
    `  function draw() {\n` +
    `    var el = document.getElementById(id);\n` +
    `    if (!el || !w.Plotly) return false;\n` +
    `    el.innerHTML = "";\n` +
    `    w.Plotly.newPlot(el, spec.data, spec.layout, spec.config);\n` +
    `    return true;\n` +
    `  }\n` +
    `  // plotly.js sent later by the kernel (a plot cell run again) still upgrades the image.\n` +
    `  function poll() { if (!draw()) setTimeout(poll, 1000); }\n` +
    `  function fetchPlotly() {\n` +
    `    if (!w.__daadPlotlyCdn) {\n` +
    `      w.__daadPlotlyCdn = fetch(cdn.url, { integrity: cdn.integrity }).then(function (r) {\n` +
    `        if (!r.ok) throw new Error("HTTP " + r.status);\n` +
    `        return r.text();\n` +
    `      }).then(function (src) {\n` +
    `        if (w.Plotly) return;\n` +
    `        var s = document.createElement("script");\n` +
    `        s.text = "(function () { var define, module, exports;\\n" + src +\n` +
    `          "\\nif (!window.Plotly && typeof Plotly !== \\"undefined\\") window.Plotly = Plotly; })();";\n` +
    `        document.head.appendChild(s);\n` +
    `      });\n` +
    `    }\n` +
    `    return w.__daadPlotlyCdn;\n` +
    `  }\n` +
    `  function start() {\n` +
    `    if (!document.getElementById(id)) { if (tries++ < 200) setTimeout(start, 50); return; }\n` +
    `    if (draw()) return;\n` +
    `    if (cdn == null || typeof fetch === "undefined") { poll(); return; }\n` +
    `    fetchPlotly().then(poll, function () { poll(); });\n` +
    `  }\n` +
    `  start();\n` +
    `})();</script>\n`;
}

/** Decodes base64 to bytes. */
function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64.replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** Re-encodes the PNGs of non-plot outputs (image/png, data URIs in text/html) in place. */
async function recompressOutputs(
  nb: NotebookJson,
  recompress: (png: Uint8Array) => Promise<Uint8Array | null>,
  report: SlimReport,
): Promise<void> {
  const again = async (b64: string): Promise<string> => {
    const smaller = await recompress(fromBase64(b64));
    if (smaller == null) return b64;
    report.recompressed++;
    return toBase64(smaller);
  };
  for (const cell of nb.cells) {
    for (const output of cell.outputs ?? []) {
      const data = output.data;
      if (data == null || data[PLOTLY_MIME] != null) continue;
      if (data["image/png"] != null) {
        data["image/png"] = await again(text(data["image/png"]).replace(/\s+/g, ""));
      }
      if (data["text/html"] != null) {
        const html = text(data["text/html"]);
        const re = /data:image\/png;base64,([A-Za-z0-9+/=]+)/g;
        let out = "", last = 0;
        for (const m of html.matchAll(re)) {
          out += html.slice(last, m.index) + "data:image/png;base64," + await again(m[1]);
          last = m.index! + m[0].length;
        }
        if (last > 0) data["text/html"] = storedMimeValue("text/html", out + html.slice(last));
      }
    }
  }
}

/**
 * Rewrites a notebook's outputs in place (see the module documentation); `render` turns
 * the plots into PNGs (headless Chromium: {@linkcode chromiumRenderer}).
 */
export async function slimNotebook(
  nb: NotebookJson,
  render: FigureRenderer,
  options: SlimOptions = {},
): Promise<SlimReport> {
  const name = options.name ?? "notebook";
  const cdn = options.cdn === undefined ? await plotlyCdn() : options.cdn;
  const report: SlimReport = { plots: 0, loaders: 0, images: 0, recompressed: 0 };
  const plots: { output: NotebookOutput; id: string; figure: Figure }[] = [];
  nb.cells.forEach((cell, c) => {
    if (cell.outputs == null) return;
    const kept: NotebookOutput[] = [];
    for (const output of cell.outputs) {
      if (isPlotlyLoader(output)) {
        report.loaders++;
        continue;
      }
      const data = output.data;
      if (data?.[PLOTLY_MIME] != null) {
        plots.push({
          output,
          id: `daad-plot-${fnv(name)}-${c}-${kept.length}`,
          figure: data[PLOTLY_MIME] as Figure,
        });
      } else if (data?.["image/png"] != null && data["text/html"] != null) {
        const png = text(data["image/png"]).replace(/\s+/g, "");
        if (png.length > 0 && text(data["text/html"]).includes(`base64,${png}`)) {
          delete data["image/png"];
          report.images++;
        }
      }
      kept.push(output);
    }
    cell.outputs = kept;
  });
  const recompress = options.recompress === undefined ? recompressPng : options.recompress;
  if (recompress != null) await recompressOutputs(nb, recompress, report);
  if (plots.length === 0) return report;
  const sizes = plots.map((p) => figureSize(p.figure, options.width));
  const pngs = await render(plots.map((p, i) => ({ figure: p.figure, ...sizes[i] })));
  plots.forEach((p, i) => {
    const data = p.output.data!;
    const png = pngs[i];
    const alt = text(data["text/plain"]) || "plot";
    data["text/html"] = storedMimeValue(
      "text/html",
      staticFigureHtml(p.figure, png, { id: p.id, ...sizes[i], alt, cdn }),
    );
    data["image/png"] = toBase64(png);
    p.output.metadata = {
      ...(p.output.metadata ?? {}),
      "image/png": { height: sizes[i].height, width: sizes[i].width },
    };
    report.plots++;
  });
  return report;
}

/** Options of {@linkcode chromiumRenderer}. */
export interface RendererOptions {
  /** Device pixels per CSS pixel of the images (2 = sharp on high-density screens). Default 2. */
  scale?: number;
  /** An open browser to use (else one is launched and closed per call). */
  browser?: Browser;
}

/**
 * Renders figures with plotly.js in headless Chromium (`Plotly.toImage`), then quantises
 * each PNG to a palette of 256 colours (plots have few colours: 3-4x smaller).
 */
export function chromiumRenderer(options: RendererOptions = {}): FigureRenderer {
  const scale = options.scale ?? 2;
  return async (figures) => {
    if (figures.length === 0) return [];
    const browser = options.browser ?? await launchChromium();
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: await loadPlotlySource() });
      const sharp = (await import("./_sharp.ts")).default;
      const out: Uint8Array[] = [];
      for (const { figure, width, height } of figures) {
        const url = await page.evaluate(
          async ([f, w, h, s]) => {
            const Plotly = (globalThis as unknown as {
              Plotly: {
                toImage(fig: unknown, o: Record<string, unknown>): Promise<string>;
              };
            }).Plotly;
            return await Plotly.toImage(
              {
                data: f.data,
                layout: { ...f.layout, width: w, height: h },
                config: f.config ?? {},
              },
              { format: "png", width: w, height: h, scale: s },
            );
          },
          [figure, width, height, scale] as const,
        );
        const png = fromBase64(url.slice(url.indexOf(",") + 1));
        const small = await sharp(png).png({ palette: true, compressionLevel: 9, effort: 10 })
          .toBuffer();
        out.push(new Uint8Array(small));
      }
      await page.close();
      return out;
    } finally {
      if (options.browser == null) await browser.close();
    }
  };
}

/**
 * Splits a MIME value into lines the way nbformat stores it (`text/*`, JavaScript and
 * SVG as lists of lines; images and JSON as they are).
 */
export function storedMimeValue(mime: string, value: string): string | string[] {
  if (!mime.startsWith("text/") && mime !== "application/javascript" && mime !== "image/svg+xml") {
    return value;
  }
  return value.split(/(?<=\n)/).filter((line) => line.length > 0);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value != null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      out[k] = sortKeys((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}

/** A notebook as nbformat writes it: keys sorted, one-space indent, a final newline. */
export function notebookText(nb: NotebookJson): string {
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

/** Sizes of one notebook file before and after slimming, and what changed. */
export interface SlimFileReport extends SlimReport {
  path: string;
  /** Size in bytes before. */
  before: number;
  /** Size in bytes after. */
  after: number;
}

/**
 * Slims a notebook file in place (nbformat's JSON layout: one-space indent, a final
 * newline, as Jupyter writes it).
 */
export async function slimNotebookFile(
  path: string,
  render: FigureRenderer,
  options: SlimOptions = {},
): Promise<SlimFileReport> {
  const source = await Deno.readTextFile(path);
  const nb = JSON.parse(source) as NotebookJson;
  const name = options.name ?? path.slice(path.lastIndexOf("/") + 1);
  const report = await slimNotebook(nb, render, { ...options, name });
  const written = notebookText(nb);
  if (written !== source) await Deno.writeTextFile(path, written);
  const bytes = (t: string) => new TextEncoder().encode(t).length;
  return { path, before: bytes(source), after: bytes(written), ...report };
}
