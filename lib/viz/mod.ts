/**
 * Visualisation: plotly figure builders, Jupyter display objects (plots, images, tables,
 * a live loss curve), PNG image grids and heat-maps, and self-contained HTML reports.
 *
 * @example
 * ```ts
 * import { lossCurveFigure, plot } from "./mod.ts";
 * const fig = plot(lossCurveFigure([{ epoch: 1, losses: { total: 0.4 } }]));
 * // End a notebook cell with `fig` to draw it.
 * ```
 * @module
 */
export * from "./figures.ts";
export * from "./display.ts";
export * from "./images.ts";
export * from "./exemplars.ts";
export * from "./report.ts";
export * from "./sweep_figures.ts";
export {
  escapeHtml,
  figureDivHtml,
  type FigureDivOptions,
  loadPlotlySource,
  PLOTLY_PACKAGE,
  type PlotlyLoaderOptions,
  plotlyLoaderParts,
  plotlyScriptTag,
  toBase64,
} from "./plotly_html.ts";
