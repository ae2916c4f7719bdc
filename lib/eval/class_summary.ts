/**
 * A per-class table over seeds, built from the rows of `compareRuns()`: for each model and
 * each normal class, the mean image AUROC over the seeds that ran, its spread, the seeds
 * and the mean training time, then the mean over the classes. This is the shape of the
 * papers' one-class tables (DAAD Table 2: one row per method, the mean over ten classes).
 *
 * The spread is half the range of the seeds' AUROCs (for two seeds, half their
 * difference), so "mean ± spread" covers every seed that ran.
 *
 * @example
 * ```ts
 * import { classSummaryToMarkdown, summarizeByClass } from "./class_summary.ts";
 * const row = (model: string, which: string, seed: number, image_auroc: number) => ({
 *   run: `${model}-${which}-${seed}`, model, which, seed, epochs: 5, memory: "-",
 *   n_train: 10, n_test: 20, image_auroc, pixel_auroc: null, train_seconds: 60,
 *   items_read: [], max_weight_ratio: [], cosine_to_start: [],
 * });
 * const summary = summarizeByClass([row("ae", "0", 0, 0.9), row("ae", "0", 1, 0.8)]);
 * console.log(summary.models[0].cells[0].mean); // 0.85 (spread 0.05)
 * console.log(classSummaryToMarkdown(summary));
 * ```
 * @module
 */
import type { ComparisonRow } from "./compare.ts";

/** One model on one class: the seeds that ran and what they measured. */
export interface ClassCell {
  which: string;
  seeds: number[];
  /** Image AUROC of each seed, in the order of `seeds`. */
  aurocs: number[];
  mean: number;
  /** Half the range of `aurocs` (0 for one seed). */
  spread: number;
  /** Mean training seconds per run (null when no run recorded it). */
  train_seconds: number | null;
}

/** One model's line: its cells by class and the mean over the classes it ran. */
export interface ModelSummary {
  /** The model name, with its settings when the same model ran with several. */
  label: string;
  model: string;
  memory: string;
  epochs: number;
  cells: ClassCell[];
  /** Mean of the per-class means over the classes measured. */
  class_mean: number | null;
  /** How many of the table's classes this model ran. */
  classes_measured: number;
  /**
   * The mean over the classes of each seed that ran every class (seed → mean), so a
   * reader sees the seed-to-seed spread of the table's headline number.
   */
  seed_means: Record<string, number>;
  /**
   * With `--eval-every`: at each epoch every run of the model scored, the mean image AUROC
   * over those runs (all its classes and seeds), and the epoch where that mean peaks: the
   * budget at which the model is best on these classes. Absent when a run has no curve.
   */
  mean_curve?: { epochs: number[]; means: number[]; peak: { epoch: number; mean: number } };
}

/** A per-class table: the classes (columns) and one summary per model (rows). */
export interface ClassSummary {
  classes: string[];
  models: ModelSummary[];
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Sorts class names numerically when all are numbers, else alphabetically. */
function sortClasses(classes: string[]): string[] {
  const numeric = classes.every((c) => /^\d+$/.test(c));
  return [...classes].sort((a, b) => numeric ? Number(a) - Number(b) : a.localeCompare(b));
}

/**
 * Groups runs by model (and its memory settings and epochs) and by class.
 * Runs with no class (`which` null) are refused: a per-class table needs one.
 *
 * @param tableClasses The table's classes (e.g. "0".."9" for a ten-class table), so that a
 *   model missing some is marked as such; by default, every class some run used.
 */
export function summarizeByClass(rows: ComparisonRow[], tableClasses?: string[]): ClassSummary {
  for (const r of rows) {
    if (r.which == null) {
      throw new Error(`run ${r.run} has no normal class or category: it cannot join a class table`);
    }
  }
  const seen = [...new Set(rows.map((r) => r.which!))];
  const classes = tableClasses ? [...tableClasses] : sortClasses(seen);
  const extra = seen.filter((c) => !classes.includes(c));
  if (extra.length > 0) {
    throw new Error(
      `runs of class ${extra.join(", ")} are outside the table's classes ${classes.join(", ")}`,
    );
  }
  // One group per model and settings; the key only finds the group, its fields say what it is.
  const groups = new Map<
    string,
    { model: string; memory: string; network: string; epochs: number; rows: ComparisonRow[] }
  >();
  for (const r of rows) {
    const network = r.network ?? "-";
    const key = JSON.stringify([r.model, r.memory, network, r.epochs]);
    const group = groups.get(key) ??
      { model: r.model, memory: r.memory, network, epochs: r.epochs, rows: [] };
    group.rows.push(r);
    groups.set(key, group);
  }
  const modelCount = new Map<string, number>();
  for (const { model } of groups.values()) modelCount.set(model, (modelCount.get(model) ?? 0) + 1);
  const models: ModelSummary[] = [];
  for (const { model, memory, network, epochs, rows: group } of groups.values()) {
    const cells: ClassCell[] = [];
    for (const which of classes) {
      const runs = group.filter((r) => r.which === which).sort((a, b) => a.seed - b.seed);
      if (runs.length === 0) continue;
      const seeds = runs.map((r) => r.seed);
      const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
      if (dup !== undefined) {
        throw new Error(
          `runs ${runs.filter((r) => r.seed === dup).map((r) => r.run).join(", ")} are the ` +
            `same model, class ${which} and seed ${dup}: keep one`,
        );
      }
      const aurocs = runs.map((r) => r.image_auroc);
      const times = runs.map((r) => r.train_seconds).filter((t): t is number => t != null);
      cells.push({
        which,
        seeds,
        aurocs,
        mean: mean(aurocs),
        spread: (Math.max(...aurocs) - Math.min(...aurocs)) / 2,
        train_seconds: times.length > 0 ? mean(times) : null,
      });
    }
    const seedMeans: Record<string, number> = {};
    for (const seed of new Set(group.map((r) => r.seed))) {
      const perClass = classes.map((c) =>
        group.find((r) => r.which === c && r.seed === seed)?.image_auroc
      );
      if (perClass.every((v) => v !== undefined)) seedMeans[seed] = mean(perClass as number[]);
    }
    models.push({
      label: modelCount.get(model)! > 1
        ? `${model} (${network === "-" ? "" : `${network}; `}${memory}, ${epochs} epochs)`
        : model,
      model,
      memory,
      epochs,
      cells,
      class_mean: cells.length > 0 ? mean(cells.map((c) => c.mean)) : null,
      classes_measured: cells.length,
      seed_means: seedMeans,
      ...meanCurveOf(group),
    });
  }
  return { classes: classes, models };
}

/**
 * The mean curve of a group of runs: the epochs at which every run has an image AUROC, the
 * mean over the runs at each, and the epoch of the largest mean (the earliest on a tie).
 */
function meanCurveOf(group: ComparisonRow[]): Pick<ModelSummary, "mean_curve"> {
  if (group.some((r) => r.curve == null || r.curve.length === 0)) return {};
  const at = group.map((r) =>
    new Map(r.curve!.filter((p) => p.image_auroc != null).map((p) => [p.epoch, p.image_auroc!]))
  );
  const epochs = [...at[0].keys()].filter((e) => at.every((m) => m.has(e))).sort((a, b) => a - b);
  if (epochs.length === 0) return {};
  const means = epochs.map((e) => mean(at.map((m) => m.get(e)!)));
  let best = 0;
  for (let i = 1; i < means.length; i++) if (means[i] > means[best]) best = i;
  return { mean_curve: { epochs, means, peak: { epoch: epochs[best], mean: means[best] } } };
}

/**
 * The models' mean curves (see {@linkcode ModelSummary.mean_curve}) as a Markdown table:
 * a row per model with a curve, a column per epoch, the peak and its epoch; "" when no
 * model has one.
 */
export function meanCurvesToMarkdown(s: ClassSummary): string {
  const withCurve = s.models.filter((m) => m.mean_curve != null);
  if (withCurve.length === 0) return "";
  const epochs = [...new Set(withCurve.flatMap((m) => m.mean_curve!.epochs))].sort((a, b) => a - b);
  const row = (v: string[]) => `| ${v.join(" | ")} |`;
  const head = ["model", "runs", ...epochs.map((e) => `epoch ${e}`), "peak (epoch)"];
  const lines = withCurve.map((m) => {
    const c = m.mean_curve!;
    const runs = m.cells.reduce((n, cell) => n + cell.seeds.length, 0);
    const cells = epochs.map((e) => {
      const i = c.epochs.indexOf(e);
      return i < 0 ? "-" : c.means[i].toFixed(4);
    });
    return [m.label, String(runs), ...cells, `**${c.peak.mean.toFixed(4)}** (${c.peak.epoch})`];
  });
  return [row(head), "|" + " --- |".repeat(head.length), ...lines.map(row)].join("\n") +
    "\n\nEach cell: mean image AUROC at that epoch over every run of the model (all its classes " +
    "and seeds); the peak is the largest mean and its epoch.\n";
}

/** Options of `classSummaryToMarkdown()`. */
export interface ClassSummaryMarkdownOptions {
  /** A number quoted from a paper per model name (e.g. DAAD Table 2's means), shown beside. */
  paper?: Record<string, number>;
  /** The heading of the paper column. */
  paperHeading?: string;
}

/**
 * The summary as a Markdown table: a row per model, a column per class ("mean ± spread
 * (n)"), the mean over the classes (marked with how many classes when some are missing),
 * the per-seed means, the mean training minutes per run, and an optional paper column.
 */
export function classSummaryToMarkdown(
  s: ClassSummary,
  options: ClassSummaryMarkdownOptions = {},
): string {
  const paper = options.paper;
  const head = [
    "model",
    ...s.classes,
    "mean over classes",
    "mean by seed",
    "train min per run",
    ...(paper ? [options.paperHeading ?? "paper"] : []),
  ];
  const lines = s.models.map((m) => {
    const cells = s.classes.map((c) => {
      const cell = m.cells.find((x) => x.which === c);
      if (!cell) return "-";
      return cell.seeds.length === 1
        ? `${cell.mean.toFixed(4)} (1)`
        : `${cell.mean.toFixed(4)} ± ${cell.spread.toFixed(4)} (${cell.seeds.length})`;
    });
    const full = m.classes_measured === s.classes.length;
    const classMean = m.class_mean == null
      ? "-"
      : full
      ? `**${m.class_mean.toFixed(4)}**`
      : `${m.class_mean.toFixed(4)} (${m.classes_measured} of ${s.classes.length} classes)`;
    const bySeed = Object.entries(m.seed_means).map(([seed, v]) => `s${seed} ${v.toFixed(4)}`)
      .join(", ") || "-";
    const times = m.cells.map((c) => c.train_seconds).filter((t): t is number => t != null);
    const minutes = times.length > 0 ? (mean(times) / 60).toFixed(1) : "-";
    const quoted = paper ? [paper[m.model] != null ? paper[m.model].toFixed(3) : "-"] : [];
    return [m.label, ...cells, classMean, bySeed, minutes, ...quoted];
  });
  const row = (v: string[]) => `| ${v.join(" | ")} |`;
  return [row(head), "|" + " --- |".repeat(head.length), ...lines.map(row)].join("\n") +
    "\n\nEach class cell: mean image AUROC over seeds ± half their range (number of seeds).\n";
}
