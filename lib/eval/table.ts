/**
 * Result tables in the shape of the paper's Table 3: one row per class or category,
 * image and pixel AUROC, and the mean; written as JSON, Markdown and CSV.
 * @module
 */

/** One row of a results table. */
export interface TableRow {
  name: string;
  image_auroc: number | null;
  pixel_auroc: number | null;
  /** Optional further columns (e.g. the paper's number for comparison). */
  [column: string]: string | number | null;
}

/** A results table with its mean row. */
export interface ResultsTable {
  title: string;
  model: string;
  rows: TableRow[];
  mean: TableRow;
}

function meanOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

/** Builds a table and its mean row over every numeric column. */
export function makeTable(title: string, model: string, rows: TableRow[]): ResultsTable {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => c !== "name");
  const mean: TableRow = { name: "Mean", image_auroc: null, pixel_auroc: null };
  for (const c of columns) {
    const vals = rows.map((r) => (typeof r[c] === "number" ? r[c] as number : null));
    mean[c] = meanOf(vals);
  }
  return { title, model, rows, mean };
}

function cell(v: string | number | null | undefined, digits = 3): string {
  if (v == null) return "-";
  return typeof v === "number" ? v.toFixed(digits) : v;
}

function columnsOf(t: ResultsTable): string[] {
  return [...new Set([...t.rows, t.mean].flatMap((r) => Object.keys(r)))].filter((c) =>
    c !== "name"
  );
}

/** Markdown table, three decimals as in the paper. */
export function tableToMarkdown(t: ResultsTable): string {
  const cols = columnsOf(t);
  const head = `| ${["name", ...cols].join(" | ")} |\n| ${
    ["---", ...cols.map(() => "---:")].join(" | ")
  } |`;
  const body = [...t.rows, t.mean].map((r) =>
    `| ${[r.name, ...cols.map((c) => cell(r[c]))].join(" | ")} |`
  );
  return `**${t.title}** (${t.model})\n\n${head}\n${body.join("\n")}\n`;
}

/** CSV with full precision. */
export function tableToCsv(t: ResultsTable): string {
  const cols = columnsOf(t);
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = [["name", ...cols].join(",")];
  for (const r of [...t.rows, t.mean]) {
    lines.push([esc(r.name), ...cols.map((c) => (r[c] == null ? "" : String(r[c])))].join(","));
  }
  return lines.join("\n") + "\n";
}

/** What {@linkcode summaryTableRows} reads of one group of a sweep (one setting over seeds). */
export interface SweepSummaryOf {
  group: string;
  points: readonly { trainSeconds: number }[];
  imageAuroc: { mean: number; min: number; max: number };
  pixelAuroc: { mean: number } | null;
}

/** What {@linkcode sweepTableRows} reads of one sweep point. */
export interface SweepPointOf {
  label: string;
  metrics: { image_auroc: number | null; pixel_auroc: number | null };
  trainSeconds: number;
}

/**
 * A table row per group: mean image and pixel AUROC, the range over seeds, and the
 * reference value (e.g. the paper's) when given.
 */
export function summaryTableRows<S extends SweepSummaryOf>(
  summaries: readonly S[],
  reference?: { name: string; value: (summary: S) => number | null },
): Record<string, unknown>[] {
  const range = (s: { min: number; max: number }) =>
    s.min === s.max ? s.min.toFixed(3) : `${s.min.toFixed(3)} to ${s.max.toFixed(3)}`;
  return summaries.map((s) => ({
    setting: s.group,
    seeds: s.points.length,
    "image AUROC (mean)": s.imageAuroc.mean,
    "image AUROC (range)": range(s.imageAuroc),
    "pixel AUROC (mean)": s.pixelAuroc?.mean ?? null,
    ...(reference != null ? { [reference.name]: reference.value(s) } : {}),
    "train s (mean)": Math.round(
      s.points.reduce((a, p) => a + p.trainSeconds, 0) / s.points.length * 10,
    ) / 10,
  }));
}

/** A table row per sweep point: AUROC, training time, and the paper's value when given. */
export function sweepTableRows<P extends SweepPointOf>(
  points: readonly P[],
  paper?: (point: P) => number | null,
): Record<string, unknown>[] {
  return points.map((p) => ({
    setting: p.label,
    image_auroc: p.metrics.image_auroc,
    pixel_auroc: p.metrics.pixel_auroc,
    ...(paper != null ? { "paper (MVTec AD)": paper(p) } : {}),
    train_s: Math.round(p.trainSeconds * 10) / 10,
  }));
}
