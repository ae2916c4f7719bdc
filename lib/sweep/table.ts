/**
 * The table of a sweep: one row per finished run (its axis values, image AUROC, pixel
 * AUROC, AUPRO, epochs, training time) and, when the runs have classes (`normal`,
 * `category`), the per-class table over seeds of `deno task compare --by-class` (the shape
 * of DAAD's Table 2). Runs not finished are listed as missing, so a table written while
 * some runs failed says so instead of averaging fewer classes in silence.
 *
 * Written as `table.json`, `table.md` and `table.csv` in the sweep folder.
 *
 * @example
 * ```ts ignore
 * import { buildSweepTable, writeSweepTable } from "./table.ts";
 * const table = await buildSweepTable(plan);
 * console.log(table.complete, table.missing); // true []
 * await writeSweepTable(plan, table);
 * ```
 * @module
 */
import { compareRuns, type ComparisonRow } from "../eval/compare.ts";
import {
  type ClassSummary,
  classSummaryToMarkdown,
  summarizeByClass,
} from "../eval/class_summary.ts";
import { ConfigError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import type { SweepPlan } from "./plan.ts";
import { CLASS_AXES, type FlagValue, formatFlagValue } from "./spec.ts";
import { finishedMetrics } from "./state.ts";

/** One finished run's line. */
export interface SweepTableRow {
  run: string;
  values: Record<string, FlagValue>;
  image_auroc: number;
  pixel_auroc: number | null;
  aupro: number | null;
  epochs: number;
  /** Seconds of training over all epochs (across resumes); null when not recorded. */
  train_seconds: number | null;
}

/** What table.json holds. */
export interface SweepTable {
  sweep: string;
  description: string | null;
  created: string;
  /** True when every run of the sweep finished. */
  complete: boolean;
  /** How many runs the sweep has. */
  planned: number;
  runs: SweepTableRow[];
  /** Runs without a complete metrics.json. */
  missing: string[];
  /** The per-class table over seeds, when every run has a class. */
  by_class: ClassSummary | null;
}

/** Axes that a per-class table shows as rows' labels (not the class, seed or model). */
function labelAxes(plan: SweepPlan): string[] {
  return plan.axes.map((a) => a.name).filter((n) =>
    !CLASS_AXES.includes(n) && n !== "seed" && n !== "model"
  );
}

/** Reads the finished runs of a sweep and builds its table. */
export async function buildSweepTable(plan: SweepPlan): Promise<SweepTable> {
  const finished: { run: SweepPlan["runs"][number]; aupro: number | null }[] = [];
  const missing: string[] = [];
  for (const run of plan.runs) {
    const m = await finishedMetrics(run.dir);
    if (m == null) missing.push(run.name);
    else finished.push({ run, aupro: m.aupro ?? null });
  }
  const compared = await compareRuns(finished.map((f) => f.run.dir));
  const rows: SweepTableRow[] = compared.map((c, i) => ({
    run: finished[i].run.name,
    values: finished[i].run.values,
    image_auroc: c.image_auroc,
    pixel_auroc: c.pixel_auroc,
    aupro: finished[i].aupro,
    epochs: c.epochs,
    train_seconds: c.train_seconds,
  }));
  let byClass: ClassSummary | null = null;
  if (compared.length > 0 && compared.every((c) => c.which != null)) {
    const extra = labelAxes(plan);
    const labelled: ComparisonRow[] = compared.map((c, i) =>
      extra.length === 0 ? c : {
        ...c,
        model: `${c.model} (${
          extra.map((a) => `${a} ${formatFlagValue(finished[i].run.values[a])}`).join(", ")
        })`,
      }
    );
    const classAxis = plan.axes.find((a) => CLASS_AXES.includes(a.name));
    byClass = summarizeByClass(labelled, classAxis?.values.map((v) => formatFlagValue(v)));
  }
  return {
    sweep: plan.name,
    description: plan.description ?? null,
    created: new Date().toISOString(),
    complete: missing.length === 0,
    planned: plan.runs.length,
    runs: rows,
    missing,
    by_class: byClass,
  };
}

const num = (v: number | null, digits = 4) => v == null ? "-" : v.toFixed(digits);

/** The table as Markdown: a status line, the per-class table, then one row per run. */
export function sweepTableToMarkdown(t: SweepTable, axes: readonly string[]): string {
  const parts = [`# Sweep ${t.sweep}\n`];
  if (t.description) parts.push(`${t.description}\n`);
  parts.push(
    t.complete
      ? `All ${t.planned} runs finished.\n`
      : `${t.runs.length} of ${t.planned} runs finished; missing: ${t.missing.join(", ")}.\n`,
  );
  if (t.by_class != null) {
    parts.push(`## Per class\n\n${classSummaryToMarkdown(t.by_class)}`);
  }
  const head = ["run", ...axes, "image AUROC", "pixel AUROC", "AUPRO", "epochs", "train s"];
  const lines = t.runs.map((r) => [
    r.run,
    ...axes.map((a) => r.values[a] == null ? "-" : formatFlagValue(r.values[a])),
    num(r.image_auroc),
    num(r.pixel_auroc),
    num(r.aupro),
    String(r.epochs),
    r.train_seconds == null ? "-" : String(r.train_seconds),
  ]);
  const row = (v: string[]) => `| ${v.join(" | ")} |`;
  parts.push(
    `## Runs\n\n${[row(head), "|" + " --- |".repeat(head.length), ...lines.map(row)].join("\n")}\n`,
  );
  return parts.join("\n");
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The runs as CSV: run, one column per axis, the metrics. */
export function sweepTableToCsv(t: SweepTable, axes: readonly string[]): string {
  const head = ["run", ...axes, "image_auroc", "pixel_auroc", "aupro", "epochs", "train_seconds"];
  const lines = t.runs.map((r) =>
    [
      r.run,
      ...axes.map((a) => r.values[a] == null ? "" : formatFlagValue(r.values[a])),
      String(r.image_auroc),
      r.pixel_auroc == null ? "" : String(r.pixel_auroc),
      r.aupro == null ? "" : String(r.aupro),
      String(r.epochs),
      r.train_seconds == null ? "" : String(r.train_seconds),
    ].map(csvCell).join(",")
  );
  return [head.join(","), ...lines].join("\n") + "\n";
}

/** Writes table.json, table.md and table.csv into the sweep folder; returns table.md's path. */
export async function writeSweepTable(plan: SweepPlan, table: SweepTable): Promise<string> {
  const axes = plan.axes.map((a) => a.name);
  const files: [string, string][] = [
    ["table.json", JSON.stringify(table, null, 2) + "\n"],
    ["table.csv", sweepTableToCsv(table, axes)],
    ["table.md", sweepTableToMarkdown(table, axes)],
  ];
  for (const [name, text] of files) {
    const path = `${plan.out}/${name}`;
    try {
      await Deno.mkdir(plan.out, { recursive: true });
      await writeFileAtomic(path, new TextEncoder().encode(text));
    } catch (e) {
      throw new ConfigError(`cannot write ${path}: ${(e as Error).message}`);
    }
  }
  return `${plan.out}/table.md`;
}
