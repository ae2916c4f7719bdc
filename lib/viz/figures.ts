/**
 * Plotly figure builders. Each takes plain data (training history, ROC points, scores...)
 * and returns a {@linkcode Figure}: plain JSON `{data, layout}` that plotly.js draws as
 * is. Nothing here touches a DOM or plotly.js itself, so every builder is tested as data;
 * `display.ts` shows figures in Jupyter and `report.ts` writes them into an HTML page.
 *
 * @example
 * ```ts
 * import { rocFigure } from "./figures.ts";
 * const fig = rocFigure([{
 *   name: "DAAD",
 *   auroc: 0.75,
 *   points: [{ threshold: Infinity, fpr: 0, tpr: 0 }, { threshold: 0.5, fpr: 0.5, tpr: 1 },
 *     { threshold: 0, fpr: 1, tpr: 1 }],
 * }]);
 * console.log(fig.data.length); // 2: the curve and the chance diagonal
 * ```
 * @module
 */
import type { ProPoint, RocPoint } from "../metrics/mod.ts";

/** One plotly.js trace (`scatter`, `bar`, `histogram`...), plain JSON. */
export interface Trace {
  type: string;
  name?: string;
  [key: string]: unknown;
}

/** A plotly.js figure: traces, layout and (optional) config, all plain JSON. */
export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** A palette with enough contrast for lines and bars (colour-blind safe, Okabe-Ito). */
export const PALETTE: readonly string[] = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

function baseLayout(title: string | undefined, extra: Record<string, unknown>) {
  return {
    ...(title ? { title: { text: title } } : {}),
    margin: { l: 60, r: 20, t: title ? 50 : 20, b: 50 },
    legend: { orientation: "h", y: -0.2 },
    ...extra,
  } as Record<string, unknown>;
}

function finiteOrNull(v: number | null | undefined): number | null {
  return v != null && Number.isFinite(v) ? v : null;
}

function checkFinite(values: ArrayLike<number>, label: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${label}[${i}] is ${values[i]}, expected a finite number`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Loss curves

/** One epoch of losses: `EpochStats` from the trainer fits as is. */
export interface LossEpoch {
  epoch: number;
  losses: Record<string, number>;
}

/** Options of {@linkcode lossCurveFigure}. */
export interface LossCurveOptions {
  /** Log-scale y axis (non-positive values become gaps). Default false. */
  logY?: boolean;
  /** Only these loss terms, in this order. Default: every term, in first-seen order. */
  terms?: string[];
  title?: string;
}

/**
 * One line per loss term over the epochs of a training history. Terms missing from an
 * epoch, non-finite values and (with `logY`) values <= 0 become gaps.
 *
 * @example
 * ```ts
 * import { lossCurveFigure } from "./figures.ts";
 * const fig = lossCurveFigure([
 *   { epoch: 1, losses: { total: 0.9, recon: 0.8 } },
 *   { epoch: 2, losses: { total: 0.5, recon: 0.4 } },
 * ], { logY: true });
 * console.log(fig.data.map((t) => t.name)); // ["total", "recon"]
 * ```
 */
export function lossCurveFigure(
  history: readonly LossEpoch[],
  options: LossCurveOptions = {},
): Figure {
  const { logY = false, title = "Training loss" } = options;
  let terms = options.terms;
  if (terms == null) {
    const seen = new Set<string>();
    for (const h of history) for (const k of Object.keys(h.losses)) seen.add(k);
    terms = [...seen];
  }
  for (const h of history) {
    if (!Number.isFinite(h.epoch)) throw new RangeError(`epoch ${h.epoch} is not a number`);
  }
  const x = history.map((h) => h.epoch);
  const data: Trace[] = terms.map((term, i) => ({
    type: "scatter",
    mode: history.length > 1 ? "lines+markers" : "markers",
    name: term,
    x,
    y: history.map((h) => {
      const v = finiteOrNull(h.losses[term]);
      return logY && v != null && v <= 0 ? null : v;
    }),
    line: { color: PALETTE[i % PALETTE.length], width: term === "total" ? 3 : 2 },
    marker: { size: 5 },
  }));
  return {
    data,
    layout: baseLayout(title, {
      // Whole epochs: one tick per epoch while they fit.
      xaxis: { title: { text: "epoch" }, ...(x.length > 0 && x.length <= 20 ? { dtick: 1 } : {}) },
      yaxis: { title: { text: "loss" }, type: logY ? "log" : "linear" },
    }),
  };
}

// ---------------------------------------------------------------------------------------
// AUROC against epochs

/** One run's curve for {@linkcode aurocCurveFigure}: a value (AUROC) after some epochs. */
export interface EpochCurve {
  name: string;
  points: readonly { epoch: number; value: number | null }[];
}

/** Options of {@linkcode aurocCurveFigure}. */
export interface EpochCurveOptions {
  title?: string;
  /** Default "image AUROC". */
  yTitle?: string;
  /** Fixed y range, e.g. [0.5, 1]; default plotly's. */
  yRange?: [number, number];
}

/**
 * A value (image AUROC) against epochs, one line per run: where each curve peaks and
 * how fast it gets there (`deno task compare --curves`, `--eval-every`). A null value
 * (no anomalies in the test set) is a gap.
 *
 * @example
 * ```ts
 * import { aurocCurveFigure } from "./figures.ts";
 * const fig = aurocCurveFigure([
 *   { name: "AE", points: [{ epoch: 2, value: 0.88 }, { epoch: 4, value: 0.91 }] },
 *   { name: "DAAD", points: [{ epoch: 2, value: 0.85 }, { epoch: 4, value: 0.86 }] },
 * ]);
 * console.log(fig.data.length); // 2
 * ```
 */
export function aurocCurveFigure(
  curves: readonly EpochCurve[],
  options: EpochCurveOptions = {},
): Figure {
  const data: Trace[] = curves.map((c, i) => {
    c.points.forEach((p, j) => {
      if (!Number.isFinite(p.epoch)) {
        throw new RangeError(`curve '${c.name}': point ${j} has epoch ${p.epoch}`);
      }
    });
    const points = [...c.points].sort((a, b) => a.epoch - b.epoch);
    return {
      type: "scatter",
      mode: points.length > 1 ? "lines+markers" : "markers",
      name: c.name,
      x: points.map((p) => p.epoch),
      y: points.map((p) => finiteOrNull(p.value)),
      line: { color: PALETTE[i % PALETTE.length], width: 2 },
      marker: { size: 6 },
    };
  });
  const last = Math.max(0, ...curves.flatMap((c) => c.points.map((p) => p.epoch)));
  return {
    data,
    layout: baseLayout(options.title ?? "Image AUROC against epochs", {
      // Whole epochs: one tick per epoch while they fit.
      xaxis: { title: { text: "epoch" }, ...(last > 0 && last <= 20 ? { dtick: 1 } : {}) },
      yaxis: {
        title: { text: options.yTitle ?? "image AUROC" },
        ...(options.yRange != null ? { range: options.yRange } : {}),
      },
    }),
  };
}

// ---------------------------------------------------------------------------------------
// ROC

/** One ROC curve for {@linkcode rocFigure}. */
export interface RocCurve {
  name: string;
  points: readonly RocPoint[];
  /** Shown in the legend when given. */
  auroc?: number;
}

/** Options of {@linkcode rocFigure}. */
export interface RocFigureOptions {
  title?: string;
}

/**
 * ROC curves (false positive rate against true positive rate) with the chance diagonal
 * as the last trace. Legend entries carry the AUROC when given.
 */
export function rocFigure(curves: readonly RocCurve[], options: RocFigureOptions = {}): Figure {
  const data: Trace[] = curves.map((c, i) => {
    c.points.forEach((p, j) => {
      for (const key of ["fpr", "tpr"] as const) {
        if (!(p[key] >= 0 && p[key] <= 1)) {
          throw new RangeError(
            `ROC curve '${c.name}': point ${j} has ${key} ${p[key]}, expected a value in [0, 1]`,
          );
        }
      }
    });
    return {
      type: "scatter",
      mode: "lines",
      name: c.auroc != null ? `${c.name} (AUROC ${c.auroc.toFixed(3)})` : c.name,
      x: c.points.map((p) => p.fpr),
      y: c.points.map((p) => p.tpr),
      line: { color: PALETTE[i % PALETTE.length], width: 2, shape: "linear" },
    };
  });
  data.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [0, 1],
    y: [0, 1],
    line: { color: "#888888", dash: "dash", width: 1 },
    hoverinfo: "skip",
  });
  return {
    data,
    layout: baseLayout(options.title ?? "ROC", {
      xaxis: { title: { text: "false positive rate" }, range: [0, 1], constrain: "domain" },
      yaxis: {
        title: { text: "true positive rate" },
        range: [0, 1.02],
        scaleanchor: "x",
        scaleratio: 1,
      },
    }),
  };
}

// ---------------------------------------------------------------------------------------
// PRO

/** One PRO curve for {@linkcode proFigure}. */
export interface ProCurve {
  name: string;
  points: readonly ProPoint[];
  /** Shown in the legend when given. */
  aupro?: number;
}

/** Options of {@linkcode proFigure}. */
export interface ProFigureOptions {
  title?: string;
  /** The FPR up to which AUPRO integrates; the x axis ends there. Default 0.3. */
  fprLimit?: number;
}

/**
 * Per-region overlap curves (MVTec AD's PRO: false positive rate of normal pixels against
 * the mean share of each anomalous region detected) up to the FPR limit of AUPRO.
 *
 * @example
 * ```ts
 * import { proFigure } from "./figures.ts";
 * const fig = proFigure([{
 *   name: "DAAD",
 *   aupro: 0.9,
 *   points: [{ threshold: Infinity, fpr: 0, pro: 0 }, { threshold: 0.5, fpr: 0.3, pro: 1 }],
 * }]);
 * console.log(fig.data[0].name); // DAAD (AUPRO 0.900)
 * ```
 */
export function proFigure(curves: readonly ProCurve[], options: ProFigureOptions = {}): Figure {
  const limit = options.fprLimit ?? 0.3;
  const data: Trace[] = curves.map((c, i) => {
    c.points.forEach((p, j) => {
      for (const key of ["fpr", "pro"] as const) {
        if (!(p[key] >= 0 && p[key] <= 1)) {
          throw new RangeError(
            `PRO curve '${c.name}': point ${j} has ${key} ${p[key]}, expected a value in [0, 1]`,
          );
        }
      }
    });
    return {
      type: "scatter",
      mode: "lines",
      name: c.aupro != null ? `${c.name} (AUPRO ${c.aupro.toFixed(3)})` : c.name,
      x: c.points.map((p) => p.fpr),
      y: c.points.map((p) => p.pro),
      line: { color: PALETTE[i % PALETTE.length], width: 2, shape: "linear" },
    };
  });
  return {
    data,
    layout: baseLayout(options.title ?? "PRO", {
      xaxis: { title: { text: "false positive rate (normal pixels)" }, range: [0, limit] },
      yaxis: { title: { text: "per-region overlap" }, range: [0, 1.02] },
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Score histograms

/** Scores of one test set split by label. */
export interface ScoreSplit {
  normal: ArrayLike<number>;
  anomalous: ArrayLike<number>;
  /** Decision threshold drawn as a vertical line (anomalous when score >= threshold). */
  threshold?: number;
}

/** Options of {@linkcode scoreHistogramFigure}. */
export interface ScoreHistogramOptions {
  /** Number of bins shared by both groups. Default 40. */
  bins?: number;
  /** Normalise each group to a probability density (groups of unequal size). Default true. */
  density?: boolean;
  title?: string;
  xTitle?: string;
}

/**
 * Overlaid histograms of the anomaly scores of normal and anomalous test images, on the
 * same bins, with the threshold (if any) as a dashed vertical line.
 */
export function scoreHistogramFigure(
  scores: ScoreSplit,
  options: ScoreHistogramOptions = {},
): Figure {
  const { bins = 40, density = true } = options;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
  }
  checkFinite(scores.normal, "normal");
  checkFinite(scores.anomalous, "anomalous");
  const all = [...Array.from(scores.normal), ...Array.from(scores.anomalous)];
  if (all.length === 0) throw new RangeError("no scores to plot (both groups are empty)");
  let lo = Infinity, hi = -Infinity;
  for (const v of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) hi = lo + 1;
  const size = (hi - lo) / bins;
  // The end is nudged up so that the maximum falls inside the last bin.
  const xbins = { start: lo, end: hi + size * 1e-6, size };
  const group = (name: string, values: ArrayLike<number>, color: string): Trace => ({
    type: "histogram",
    name: `${name} (n=${values.length})`,
    x: Array.from(values),
    xbins,
    autobinx: false,
    histnorm: density ? "probability density" : "",
    opacity: 0.6,
    marker: { color },
  });
  const data = [
    group("normal", scores.normal, PALETTE[0]),
    group("anomalous", scores.anomalous, PALETTE[1]),
  ];
  const shapes: unknown[] = [];
  const annotations: unknown[] = [];
  if (scores.threshold != null) {
    if (!Number.isFinite(scores.threshold)) {
      throw new RangeError(`threshold is ${scores.threshold}, expected a finite number`);
    }
    shapes.push({
      type: "line",
      xref: "x",
      yref: "paper",
      x0: scores.threshold,
      x1: scores.threshold,
      y0: 0,
      y1: 1,
      line: { color: "#333333", dash: "dash", width: 2 },
    });
    annotations.push({
      x: scores.threshold,
      y: 1,
      xref: "x",
      yref: "paper",
      text: `threshold ${scores.threshold.toPrecision(4)}`,
      showarrow: false,
      xanchor: "left",
      yanchor: "bottom",
    });
  }
  return {
    data,
    layout: baseLayout(options.title ?? "Anomaly scores", {
      barmode: "overlay",
      xaxis: { title: { text: options.xTitle ?? "anomaly score" } },
      yaxis: { title: { text: density ? "density" : "images" } },
      shapes,
      annotations,
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Bars

/** A second series of bars beside the main one (e.g. the paper's numbers). */
export interface BarReference {
  name: string;
  /** One per label; null where the reference has no value. */
  values: readonly (number | null)[];
}

/** Input of {@linkcode barFigure}. */
export interface BarSpec {
  labels: readonly string[];
  values: readonly (number | null)[];
  title?: string;
  yTitle?: string;
  /** Name of the main series. Default "this kit". */
  name?: string;
  /** Bars beside the main ones, e.g. `{name: "paper", values: [...]}`. */
  reference?: BarReference;
  /** More series of the kit's own beside the main one (e.g. one per model), before the reference. */
  more?: readonly BarReference[];
  /** y range, e.g. `[0.5, 1]` for AUROC. Default: plotly's automatic range. */
  yRange?: [number, number];
  /** printf-like format of the value on each bar. Default ".3f". */
  valueFormat?: string;
}

/**
 * Grouped bars, one group per label (AUROC per division rate, per MVTec category...),
 * optionally with reference values (the paper's) beside each.
 */
export function barFigure(spec: BarSpec): Figure {
  const { labels, values, reference } = spec;
  const more = spec.more ?? [];
  if (values.length !== labels.length) {
    throw new RangeError(`${values.length} values for ${labels.length} labels`);
  }
  for (const other of [...more, ...(reference != null ? [reference] : [])]) {
    if (other.values.length !== labels.length) {
      throw new RangeError(
        `series '${other.name}' has ${other.values.length} values for ${labels.length} labels`,
      );
    }
  }
  const fmt = spec.valueFormat ?? ".3f";
  const series = (name: string, ys: readonly (number | null)[], color: string): Trace => ({
    type: "bar",
    name,
    x: [...labels],
    y: ys.map((v) => finiteOrNull(v)),
    marker: { color },
    texttemplate: `%{y:${fmt}}`,
    textposition: "outside",
    cliponaxis: false,
  });
  const data = [series(spec.name ?? "this kit", values, PALETTE[0])];
  // PALETTE[0] is the main series' colour and PALETTE[4] the reference's.
  const moreColors = [1, 2, 3, 5, 6, 7];
  more.forEach((m, i) =>
    data.push(series(m.name, m.values, PALETTE[moreColors[i % moreColors.length]]))
  );
  if (reference != null) data.push(series(reference.name, reference.values, PALETTE[4]));
  return {
    data,
    layout: baseLayout(spec.title, {
      barmode: "group",
      showlegend: reference != null || more.length > 0,
      xaxis: { type: "category" },
      yaxis: {
        ...(spec.yTitle != null ? { title: { text: spec.yTitle } } : {}),
        ...(spec.yRange != null ? { range: spec.yRange } : {}),
      },
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Scatter

/** One group of points for {@linkcode scatterFigure}. */
export interface ScatterSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Hover text per point (image names). */
  text?: readonly string[];
}

/** Input of {@linkcode scatterFigure}. */
export interface ScatterSpec {
  series: readonly ScatterSeries[];
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
}

/**
 * Points of one or more series, e.g. anomaly score against anomaly area (fraction of
 * the image the ground-truth mask covers) per test image, as in the paper's Figure 6.
 */
export function scatterFigure(spec: ScatterSpec): Figure {
  const data: Trace[] = spec.series.map((s, i) => {
    if (s.x.length !== s.y.length) {
      throw new RangeError(`series '${s.name}': ${s.x.length} x values but ${s.y.length} y`);
    }
    if (s.text != null && s.text.length !== s.x.length) {
      throw new RangeError(`series '${s.name}': ${s.text.length} labels for ${s.x.length} points`);
    }
    checkFinite(s.x, `series '${s.name}' x`);
    checkFinite(s.y, `series '${s.name}' y`);
    return {
      type: "scatter",
      mode: "markers",
      name: s.name,
      x: Array.from(s.x),
      y: Array.from(s.y),
      ...(s.text != null ? { text: [...s.text] } : {}),
      marker: { color: PALETTE[i % PALETTE.length], size: 6, opacity: 0.7 },
    };
  });
  return {
    data,
    layout: baseLayout(spec.title, {
      xaxis: {
        title: { text: spec.xTitle ?? "anomaly area (fraction of pixels)" },
        type: spec.logX ? "log" : "linear",
      },
      yaxis: {
        title: { text: spec.yTitle ?? "anomaly score" },
        type: spec.logY ? "log" : "linear",
      },
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Memory usage

/** Options of {@linkcode memoryUsageFigure}. */
export interface MemoryUsageOptions {
  /** Sort items by weight, largest first (item order in a bank is arbitrary). Default true. */
  sort?: boolean;
  title?: string;
  /**
   * The bank's usage in numbers (`summarizeMemoryUsage` of `memory/diagnostics.ts`, or a
   * `MemoryDiagnostics`), said in the default title.
   */
  summary?: { items: number; unused: number; itemsFor90: number };
}

/**
 * How much addressing weight each memory item receives (e.g. the mean over a test set of
 * each item's weight), as bars of each item's share of the total; with a `summary`, the
 * title says how many items carry 90% of it and how many are never used.
 */
export function memoryUsageFigure(
  usage: ArrayLike<number>,
  options: MemoryUsageOptions = {},
): Figure {
  if (usage.length === 0) throw new RangeError("usage is empty: expected one weight per item");
  const v = Array.from(usage);
  v.forEach((w, i) => {
    if (!(Number.isFinite(w) && w >= 0)) {
      throw new RangeError(`usage[${i}] is ${w}, expected a finite weight >= 0`);
    }
  });
  const total = v.reduce((a, b) => a + b, 0);
  let order = v.map((_, i) => i);
  if (options.sort ?? true) order = order.sort((a, b) => v[b] - v[a] || a - b);
  const s = options.summary;
  const title = options.title ??
    (s == null ? "Memory usage" : `Memory usage: ${s.itemsFor90} of ${s.items} items carry ` +
      `90% of the weight, ${s.unused} unused`);
  return {
    data: [{
      type: "bar",
      name: "share of weight",
      x: order.map((_, rank) => rank),
      y: order.map((i) => (total > 0 ? v[i] / total : 0)),
      text: order.map((i) => `item ${i}`),
      hovertemplate: "%{text}: %{y:.4f}<extra></extra>",
      marker: { color: PALETTE[2] },
    }],
    layout: baseLayout(title, {
      bargap: 0,
      showlegend: false,
      xaxis: { title: { text: options.sort ?? true ? "item (by weight)" : "item" } },
      yaxis: { title: { text: "share of total weight" } },
    }),
  };
}

/** One curve of {@linkcode scoreCurveFigure}: scores over frames with their labels. */
export interface ScoreCurve {
  name: string;
  /** Frame numbers (x axis). */
  frames: ArrayLike<number>;
  scores: ArrayLike<number>;
  /** 1 = anomalous frame; spans of 1s are shaded. */
  labels: ArrayLike<number>;
}

/** The spans [start, end] of consecutive frames labelled 1. */
export function anomalousSpans(
  frames: ArrayLike<number>,
  labels: ArrayLike<number>,
): [number, number][] {
  const spans: [number, number][] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    const start = frames[i];
    while (i + 1 < labels.length && labels[i + 1] === 1) i++;
    spans.push([start, frames[i]]);
  }
  return spans;
}

/**
 * Anomaly score over the frames of one video (as in MNAD's and MemAE's figures), with
 * the ground-truth anomalous spans shaded.
 */
export function scoreCurveFigure(
  curve: ScoreCurve,
  options: { title?: string; yTitle?: string } = {},
): Figure {
  if (curve.frames.length !== curve.scores.length || curve.frames.length !== curve.labels.length) {
    throw new RangeError(
      `score curve '${curve.name}': ${curve.frames.length} frames, ${curve.scores.length} scores, ` +
        `${curve.labels.length} labels`,
    );
  }
  checkFinite(curve.scores, `score curve '${curve.name}'`);
  const shapes = anomalousSpans(curve.frames, curve.labels).map(([a, b]) => ({
    type: "rect",
    xref: "x",
    yref: "paper",
    x0: a - 0.5,
    x1: b + 0.5,
    y0: 0,
    y1: 1,
    fillcolor: "rgba(214, 39, 40, 0.15)",
    line: { width: 0 },
  }));
  return {
    data: [{
      type: "scatter",
      mode: "lines",
      name: curve.name,
      x: Array.from(curve.frames),
      y: Array.from(curve.scores),
      line: { color: PALETTE[0] },
    }],
    layout: baseLayout(options.title ?? `${curve.name} (anomalous frames shaded)`, {
      xaxis: { title: { text: "frame" } },
      yaxis: { title: { text: options.yTitle ?? "anomaly score" } },
      shapes,
    }),
  };
}
