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
