/**
 * A run's report as one self-contained HTML page: metrics table, loss curves, ROC
 * curves, the PRO curve and per-defect results (from `metrics.json`), score histograms,
 * extra figures and image grids. plotly.js is inlined once in
 * the page's head and images are PNG data URIs, so the page opens offline, from a file,
 * and can be mailed or archived as one file.
 *
 * plotly.js goes in gzip-compressed (default, ~2.7 MB a report; the page unpacks it with
 * the browser's `DecompressionStream`: Chrome/Edge 80+, Firefox 113+, Safari 16.4+) or as
 * plain source (`plotly: "inline"`, ~10 MB, any browser).
 *
 * @example
 * ```ts
 * import { writeReport } from "./report.ts";
 * await writeReport(await Deno.makeTempFile({ suffix: ".html" }), {
 *   title: "DAAD on MNIST, normal digit 0",
 *   metrics: { image_auroc: 0.99, n_test: 100 },
 *   history: [{ epoch: 1, losses: { total: 0.3 } }, { epoch: 2, losses: { total: 0.2 } }],
 *   roc: [{ threshold: Infinity, fpr: 0, tpr: 0 }, { threshold: 0, fpr: 1, tpr: 1 }],
 *   scores: { normal: [0.1, 0.2], anomalous: [0.5, 0.7] },
 * });
 * ```
 * @module
 */
import type { ProPoint, RocPoint } from "../metrics/mod.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { table } from "./display.ts";
import {
  type Figure,
  lossCurveFigure,
  type LossEpoch,
  proFigure,
  type RocCurve,
  rocFigure,
  scoreHistogramFigure,
  type ScoreSplit,
} from "./figures.ts";
import {
  escapeHtml,
  figureDivHtml,
  loadPlotlySource,
  plotlyLoaderParts,
  plotlyScriptTag,
  toBase64,
} from "./plotly_html.ts";

/** A PNG shown in the report with a caption (e.g. from `imageGridPng`). */
export interface ReportImage {
  caption: string;
  png: Uint8Array;
}

/** A figure of the caller's own (bars per category, memory usage, scatter...). */
export interface ReportFigure {
  caption?: string;
  figure: Figure;
  /** Height in pixels. Default 420. */
  height?: number;
}

/** What {@linkcode writeReport} puts into the page; every part but the title is optional. */
export interface ReportContent {
  title: string;
  /** A line under the title (data, model, date...). */
  subtitle?: string;
  /** `metrics.json`'s content or any flat record; arrays (ROC points) are left out. */
  metrics?: Record<string, unknown>;
  /** Training history (`TrainResult.history` or checkpoint history). */
  history?: readonly LossEpoch[];
  /** Log-scale loss axis. Default true when every loss is positive. */
  logLoss?: boolean;
  /** One curve's points, or named curves (several models). Default: `metrics.roc`. */
  roc?: readonly RocPoint[] | readonly RocCurve[];
  /** Scores of the test images by label; the threshold defaults to `metrics.threshold.value`. */
  scores?: ScoreSplit;
  grids?: readonly ReportImage[];
  extraFigures?: readonly ReportFigure[];
}

function isPointList(roc: readonly RocPoint[] | readonly RocCurve[]): roc is readonly RocPoint[] {
  return roc.length > 0 && "fpr" in roc[0];
}

function metricsRows(metrics: Record<string, unknown>): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const add = (key: string, value: unknown) => {
    if (Array.isArray(value)) return;
    if (value != null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v);
      return;
    }
    rows.push({ metric: key, value: value ?? "null" });
  };
  for (const [k, v] of Object.entries(metrics)) add(k, v);
  return rows;
}

function positiveLosses(history: readonly LossEpoch[]): boolean {
  return history.every((h) => Object.values(h.losses).every((v) => !(v <= 0)));
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto;
  max-width: 1100px; padding: 0 16px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.subtitle { color: #666; margin-top: 0; }
table.daad-table { border-collapse: collapse; font-size: 0.95em; }
table.daad-table th, table.daad-table td { border-bottom: 1px solid #ddd; padding: 3px 12px; }
table.daad-table caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
figure { margin: 12px 0; } figcaption { color: #555; font-size: 0.9em; margin-top: 4px; }
img.daad-grid { max-width: 100%; image-rendering: pixelated; }
`;

/** How plotly.js is put into the page. */
export interface ReportOptions {
  /** "compressed" (gzip + base64, default) or "inline" (plain source). */
  plotly?: "compressed" | "inline";
  /** plotly.js's source. Default: the `plotly.js-dist` package's bundle (tests pass a stub). */
  plotlySource?: string;
}

/** The `<script>` that defines `window.Plotly` in a report. */
export async function reportPlotlyHtml(options: ReportOptions = {}): Promise<string> {
  const source = options.plotlySource ?? await loadPlotlySource();
  if ((options.plotly ?? "compressed") === "inline") return plotlyScriptTag(source);
  // One part holding all of it (a page has no size limit per script).
  return (await plotlyLoaderParts(source, { partChars: 1 << 30, loadId: "report" })).join("");
}

/** The report's HTML page. */
export async function reportHtml(
  content: ReportContent,
  options: ReportOptions = {},
): Promise<string> {
  return renderReportHtml(content, await reportPlotlyHtml(options));
}

/**
 * The report's HTML with `plotlyHtml` (a `<script>` defining `window.Plotly`) in its head.
 */
export function renderReportHtml(content: ReportContent, plotlyHtml: string): string {
  const parts: string[] = [];
  let figureCount = 0;
  const figureSection = (heading: string, fig: Figure, height = 420, caption?: string) => {
    const id = `fig-${++figureCount}`;
    parts.push(
      `<section><h2>${escapeHtml(heading)}</h2><figure>` +
        figureDivHtml(fig, { id, height, waitMs: 5000 }) +
        (caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : "") +
        `</figure></section>`,
    );
  };

  const metrics = content.metrics;
  if (metrics != null) {
    parts.push(
      `<section><h2>Metrics</h2>${
        table(metricsRows(metrics), { columns: ["metric", "value"] }).html
      }` +
        `</section>`,
    );
  }
  if (content.history != null && content.history.length > 0) {
    const logY = content.logLoss ?? positiveLosses(content.history);
    figureSection("Training loss", lossCurveFigure(content.history, { logY, title: "" }), 380);
  }
  let roc = content.roc;
  if (roc == null && Array.isArray(metrics?.roc)) roc = metrics.roc as RocPoint[];
  if (roc != null && roc.length > 0) {
    const auroc = typeof metrics?.image_auroc === "number" ? metrics.image_auroc : undefined;
    const name = typeof metrics?.model === "string" ? metrics.model : "model";
    const curves = isPointList(roc) ? [{ name, points: roc, auroc }] : roc;
    figureSection("ROC (image level)", rocFigure(curves, { title: "" }), 460);
  }
  const pro = Array.isArray(metrics?.pro_curve) ? metrics.pro_curve as ProPoint[] : [];
  if (pro.length > 0) {
    const limit = typeof metrics?.aupro_fpr_limit === "number" ? metrics.aupro_fpr_limit : 0.3;
    const aupro = typeof metrics?.aupro === "number" ? metrics.aupro : undefined;
    const name = typeof metrics?.model === "string" ? metrics.model : "model";
    figureSection(
      "PRO curve (pixel level)",
      proFigure([{ name, points: pro, aupro }], { title: "", fprLimit: limit }),
      420,
      `Per-region overlap against the false positive rate of normal pixels, up to FPR ${limit}; ` +
        `AUPRO is the area under it divided by ${limit} (MVTec AD's evaluation).`,
    );
  }
  if (Array.isArray(metrics?.per_defect) && metrics.per_defect.length > 0) {
    parts.push(
      `<section><h2>Per defect type</h2>${
        table(metrics.per_defect as Record<string, unknown>[], {
          columns: ["defect", "n", "image_auroc", "pixel_auroc", "aupro"],
          digits: 3,
          caption: "Each defect type against the good test images",
        }).html
      }</section>`,
    );
  }
  if (content.scores != null) {
    const t = (metrics?.threshold as { value?: unknown } | undefined)?.value;
    const threshold = content.scores.threshold ??
      (typeof t === "number" && Number.isFinite(t) ? t : undefined);
    figureSection(
      "Anomaly scores",
      scoreHistogramFigure({ ...content.scores, threshold }, { title: "" }),
      380,
      "Scores of normal and anomalous test images on shared bins" +
        (threshold != null ? "; dashed line: F1-optimal threshold." : "."),
    );
  }
  for (const extra of content.extraFigures ?? []) {
    const title = (extra.figure.layout.title as { text?: string } | undefined)?.text;
    let fig = extra.figure;
    if (extra.caption == null && title) {
      // The title becomes the section heading; the plot does not repeat it.
      const { title: _t, ...layout } = fig.layout;
      fig = { ...fig, layout: { ...layout, margin: { l: 60, r: 20, t: 20, b: 50 } } };
    }
    figureSection(extra.caption ?? title ?? "Figure", fig, extra.height, undefined);
  }
  if (content.grids != null && content.grids.length > 0) {
    parts.push(`<section><h2>Images</h2>`);
    for (const g of content.grids) {
      parts.push(
        `<figure><img class="daad-grid" alt="${escapeHtml(g.caption)}" ` +
          `src="data:image/png;base64,${toBase64(g.png)}">` +
          `<figcaption>${escapeHtml(g.caption)}</figcaption></figure>`,
      );
    }
    parts.push(`</section>`);
  }
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(content.title)}</title>\n<style>${STYLE}</style>\n` +
    plotlyHtml +
    `</head>\n<body>\n<h1>${escapeHtml(content.title)}</h1>\n` +
    (content.subtitle ? `<p class="subtitle">${escapeHtml(content.subtitle)}</p>\n` : "") +
    parts.join("\n") + `\n<p class="subtitle"><small>Written by daad-kit on ` +
    `${escapeHtml(new Date().toISOString())}.</small></p>\n</body>\n</html>\n`;
}

/**
 * Writes the report to `path` (atomically: a temporary file renamed into place) and
 * returns the number of bytes written. The page needs no network: plotly.js (from the
 * `plotly.js-dist` npm package) is inlined.
 */
export async function writeReport(
  path: string,
  content: ReportContent,
  options: ReportOptions = {},
): Promise<number> {
  const html = await reportHtml(content, options);
  const bytes = new TextEncoder().encode(html);
  await writeFileAtomic(path, bytes);
  return bytes.length;
}
