/**
 * `deno task eval --run DIR`: recomputes DIR/metrics.json (image and pixel AUROC, AUPRO,
 * per-defect results, ROC and PRO points, threshold) from the run's checkpoint; for a sweep folder, every class and
 * the table.
 * @module
 */
import { initBackend } from "../backend.ts";
import { makeTable, tableToCsv, tableToMarkdown } from "../eval/table.ts";
import { metricsSummary } from "../eval/evaluate.ts";
import { evaluateRunDir, type RunMetrics } from "../run.ts";
import { consoleProgress } from "../train/progress.ts";
import { RunDir } from "../train/run_dir.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, runCli, THREADS_FLAG } from "./_common.ts";

const FLAGS: Record<string, FlagSpec> = {
  run: { type: "string", help: "Run folder (or sweep folder) to evaluate." },
  backend: BACKEND_FLAG,
  threads: THREADS_FLAG,
};

/** The task with `args`; returns the exit code (user errors throw). */
export async function main(args: string[] = Deno.args): Promise<number> {
  const { flags, positionals, help } = parseArgs(args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task eval --run DIR [flags]", FLAGS));
    return 0;
  }
  const path = (flags.run as string | undefined) ?? positionals[0];
  if (path == null) {
    throw new ArgError("eval needs --run DIR (a run folder written by deno task train)");
  }
  if (positionals.length > (flags.run == null ? 1 : 0)) {
    throw new ArgError(`unexpected argument '${positionals.at(-1)}'`);
  }
  const backend = await initBackend((flags.backend as "auto") ?? "auto", {
    threads: flags.threads as number | undefined,
  });
  const progress = consoleProgress();
  const dir = new RunDir(path);
  const sweep = await dir.readJson<
    { config: { model: string; data: string; normal: unknown }; classes?: string[] }
  >(
    "sweep.json",
  ).catch(() => null);
  if (sweep?.classes != null) {
    const rows = [];
    for (const name of sweep.classes) {
      const m: RunMetrics = await evaluateRunDir(`${path}/${name}`, { backend, progress });
      rows.push({
        name,
        image_auroc: m.image_auroc,
        pixel_auroc: m.pixel_auroc,
        aupro: m.aupro,
      });
    }
    const title = sweep.config.normal === "all"
      ? `one-class ${sweep.config.data}`
      : `${sweep.config.data} categories`;
    const table = makeTable(title, sweep.config.model, rows);
    await dir.writeJson("table.json", table);
    await Deno.writeTextFile(dir.file("table.md"), tableToMarkdown(table));
    await Deno.writeTextFile(dir.file("table.csv"), tableToCsv(table));
    console.log(tableToMarkdown(table));
    return 0;
  }
  const m = await evaluateRunDir(path, { backend, progress });
  console.log(
    `${metricsSummary(m)}; threshold ${m.threshold.value.toPrecision(4)}` +
      (m.threshold.f1 != null ? ` (F1 ${m.threshold.f1.toFixed(3)})` : ""),
  );
  console.log(`wrote ${dir.metricsPath}`);
  return 0;
}

if (import.meta.main) await runCli(() => main());
