/**
 * A comparison table of finished runs (an ablation, a per-class table over seeds): one
 * row per run with its settings, image AUROC and memory report, as JSON and Markdown.
 *
 * @example
 * ```ts ignore
 * import { compareRuns, comparisonToMarkdown } from "./compare.ts";
 * const rows = await compareRuns(["runs/a", "runs/b"]);
 * console.log(comparisonToMarkdown(rows));
 * ```
 * @module
 */
import type { MemoryBankReport } from "../memory/diagnostics.ts";
import { checkRunFolder, RunDirError } from "../train/run_dir.ts";

/** One run's line. */
export interface ComparisonRow {
  run: string;
  model: string;
  /** The normal class or category. */
  which: string | null;
  seed: number;
  epochs: number;
  /** The memory settings the network used (DAAD family), as in config.json. */
  memory: string;
  /** The network's departures from supplement Table 2 (bottleneck, init); "-" for none. */
  network?: string;
  n_train: number;
  n_test: number;
  image_auroc: number;
  pixel_auroc: number | null;
  /** Seconds of training over all epochs (log.jsonl's epoch lines, across resumes). */
  train_seconds: number | null;
  /** Per bank: items read per query (mean). */
  items_read: number[];
  /** Per bank: mean largest weight times N. */
  max_weight_ratio: number[];
  /** Per bank: mean cosine of each item to its start. */
  cosine_to_start: number[];
  /** Image AUROC against epochs (runs trained with `--eval-every`); absent otherwise. */
  curve?: { epoch: number; image_auroc: number | null }[];
}

interface SavedRun {
  config: { model: string; normal?: unknown; category?: unknown; seed: number };
  model_config: Record<string, unknown>;
  n_train: number;
  n_test: number;
}

interface SavedMetrics {
  image_auroc: number;
  pixel_auroc: number | null;
  epochs: number;
  train_seconds: number | null;
  memory?: MemoryBankReport[];
  curve?: { epoch: number; image_auroc: number | null }[];
}

/** The memory settings of a network configuration, in flag words ("-" without memory). */
export function describeMemory(modelConfig: Record<string, unknown>): string {
  const variant = modelConfig.variant;
  if (variant === "ae" || variant === "ae-skip") return "-";
  if (modelConfig.temperature === undefined) return "eq. 1 as printed";
  const similarity = modelConfig.similarity as string | undefined;
  const parts = similarity === "vq"
    ? [`vq β ${modelConfig.commitmentWeight ?? 0.25}`, `items ${modelConfig.memoryInit}`]
    : [
      ...(similarity === "dot" ? ["dot"] : []),
      `τ ${modelConfig.temperature}`,
      `items ${modelConfig.memoryInit}`,
    ];
  if (modelConfig.memoryUpdate === "ema") parts.push("ema items");
  // The block geometry too: runs that differ only in it must not be grouped together.
  const division = modelConfig.division as number[] | null | undefined;
  if (division != null) parts.push(`division ${division.join(",")}`);
  const rates = modelConfig.scaleRates as number[] | null | undefined;
  if (rates != null) parts.push(`rates ${rates.join("/")}`);
  if (modelConfig.renormalize) parts.push("renorm");
  if (modelConfig.compactnessWeight) parts.push(`compactness ${modelConfig.compactnessWeight}`);
  if (modelConfig.addressing === "memae" && similarity !== "vq") {
    parts.push(`λ ${modelConfig.shrinkThreshold}`);
  }
  return parts.join(", ");
}

/**
 * The network's departures from supplement Table 2, in flag words: a bottleneck other
 * than 16 x width, PyTorch's initialisation; "-" for none (and for runs recorded before
 * these options).
 */
export function describeNetwork(modelConfig: Record<string, unknown>): string {
  const parts: string[] = [];
  const { bottleneck, width, init } = modelConfig;
  if (typeof bottleneck === "number" && typeof width === "number" && bottleneck !== 16 * width) {
    parts.push(`bottleneck ${bottleneck}`);
  }
  if (init === "torch") parts.push("init torch");
  return parts.length === 0 ? "-" : parts.join(", ");
}

/** Builds a row from a run's config.json and metrics.json contents. */
export function comparisonRow(
  run: string,
  saved: SavedRun,
  metrics: SavedMetrics,
  epochSeconds?: number[],
): ComparisonRow {
  const mem = metrics.memory ?? [];
  const which = saved.config.category ?? saved.config.normal;
  return {
    run,
    model: saved.config.model,
    which: which == null ? null : String(which),
    seed: saved.config.seed,
    epochs: metrics.epochs,
    memory: describeMemory(saved.model_config),
    network: describeNetwork(saved.model_config),
    n_train: saved.n_train,
    n_test: saved.n_test,
    image_auroc: metrics.image_auroc,
    pixel_auroc: metrics.pixel_auroc,
    train_seconds: epochSeconds != null && epochSeconds.length > 0
      ? Math.round(epochSeconds.reduce((a, b) => a + b, 0))
      : metrics.train_seconds,
    items_read: mem.map((b) => b.mean_items_read),
    max_weight_ratio: mem.map((b) => b.max_weight_ratio),
    cosine_to_start: mem.map((b) => b.cosine_to_start),
    ...(metrics.curve != null
      ? { curve: metrics.curve.map((p) => ({ epoch: p.epoch, image_auroc: p.image_auroc })) }
      : {}),
  };
}

const FINISHED = " (is it a finished run?)";

/**
 * Reads finished run folders (config.json and metrics.json each) into rows. Throws
 * {@linkcode RunDirError} for a path that is no folder or lacks either file.
 */
export async function compareRuns(paths: string[]): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const path of paths) {
    await checkRunFolder(path, FINISHED);
    const read = async <T>(file: string): Promise<T> => {
      try {
        return JSON.parse(await Deno.readTextFile(`${path}/${file}`)) as T;
      } catch (e) {
        const why = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
        throw new RunDirError(`${path}/${file}: ${why}${FINISHED}`);
      }
    };
    const name = path.replace(/\/+$/, "").split("/").at(-1)!;
    const log = await Deno.readTextFile(`${path}/log.jsonl`).catch(() => "");
    // One line per epoch; a resumed run's log keeps the epochs before the interruption.
    const epochs = log.split("\n").filter((l) => l.includes('"type":"epoch"'))
      .map((l) => JSON.parse(l) as { seconds: number }).map((e) => e.seconds);
    rows.push(
      comparisonRow(name, await read("config.json"), await read("metrics.json"), epochs),
    );
  }
  return rows;
}

const list = (v: number[], digits: number) =>
  v.length === 0 ? "-" : v.map((x) => x.toFixed(digits)).join(" / ");

/** The rows as a Markdown table (memory columns list the banks from scale 1 up). */
export function comparisonToMarkdown(rows: ComparisonRow[]): string {
  const head = "| run | model | class | seed | epochs | memory | network | train / test | " +
    "image AUROC | train s | items read per query | largest weight × N | item cosine to start |";
  const sep = "|" + " --- |".repeat(13);
  const lines = rows.map((r) =>
    `| ${r.run} | ${r.model} | ${r.which ?? "-"} | ${r.seed} | ${r.epochs} | ${r.memory} | ` +
    `${r.network ?? "-"} | ` +
    `${r.n_train} / ${r.n_test} | ${r.image_auroc.toFixed(4)} | ${r.train_seconds ?? "-"} | ` +
    `${list(r.items_read, 1)} | ${list(r.max_weight_ratio, 1)} | ${list(r.cosine_to_start, 3)} |`
  );
  return [head, sep, ...lines].join("\n") + "\n";
}

/**
 * Image AUROC against epochs as a Markdown table, one row per run that has a curve
 * (`--eval-every`), one column per epoch evaluated in any of them; "" when none has.
 *
 * @example
 * ```ts
 * import { curvesToMarkdown } from "./compare.ts";
 * const md = curvesToMarkdown([{ run: "ae", curve: [{ epoch: 2, image_auroc: 0.9 }] }]);
 * console.log(md.split("\n")[2]); // | ae | 0.9000 |
 * ```
 */
export function curvesToMarkdown(
  rows: readonly Pick<ComparisonRow, "run" | "curve">[],
): string {
  const withCurve = rows.filter((r) => r.curve != null && r.curve.length > 0);
  if (withCurve.length === 0) return "";
  const epochs = [...new Set(withCurve.flatMap((r) => r.curve!.map((p) => p.epoch)))]
    .sort((a, b) => a - b);
  const head = `| run | ${epochs.map((e) => `epoch ${e}`).join(" | ")} | peak (epoch) |`;
  const sep = "|" + " --- |".repeat(epochs.length + 2);
  const lines = withCurve.map((r) => {
    const at = new Map(r.curve!.map((p) => [p.epoch, p.image_auroc]));
    const cells = epochs.map((e) => at.get(e)?.toFixed(4) ?? "-");
    const scored = r.curve!.filter((p) => p.image_auroc != null);
    const peak = scored.reduce<typeof scored[number] | null>(
      (best, p) => best == null || p.image_auroc! > best.image_auroc! ? p : best,
      null,
    );
    const peakCell = peak == null ? "-" : `${peak.image_auroc!.toFixed(4)} (${peak.epoch})`;
    return `| ${r.run} | ${cells.join(" | ")} | ${peakCell} |`;
  });
  return [head, sep, ...lines].join("\n") + "\n";
}
