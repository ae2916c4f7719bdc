/**
 * Sweeps over the classes of a dataset (`--normal all`, `--category all`): one run
 * folder per class inside the sweep folder, then a table of image AUROC, pixel AUROC and
 * AUPRO with the mean (paper Tables 2 and 3) as table.json, table.md and table.csv.
 *
 * A sweep can be interrupted and resumed: finished classes (metrics.json present) are
 * kept, a class with a checkpoint continues from it.
 * @module
 */
import { pathExists } from "../util/fs.ts";
import type { RunConfig } from "../config.ts";
import { runConfigFlags } from "../families/resolve.ts";
import { listMvtecCategories } from "../data/mvtec.ts";
import { listVisaObjects } from "../data/visa.ts";
import { ConfigError } from "../util/errors.ts";
import { makeTable, type ResultsTable, tableToCsv, tableToMarkdown } from "../eval/table.ts";
import { defaultRunPath, type RunMetrics, type RunOptions, trainRun } from "../run.ts";
import { RunDir, RunDirError } from "../train/run_dir.ts";

/** What {@linkcode trainSweep} returns. */
export interface SweepOutcome {
  dir: string;
  table: ResultsTable | null;
  /** Per class: its run folder and metrics (null when interrupted before it finished). */
  runs: { name: string; dir: string; metrics: RunMetrics | null }[];
  interrupted: boolean;
}

/** Resolves the class list of a sweep; datasets register their own (e.g. MVTec categories). */
export type ClassLister = (config: RunConfig) => Promise<string[]>;

const LISTERS: Partial<Record<RunConfig["data"], ClassLister>> = {
  mnist: () => Promise.resolve(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
  cifar10: () => Promise.resolve(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
  mvtec: (c) =>
    c.root == null
      ? Promise.reject(new ConfigError("--category all needs --root DIR, the MVTec AD folder"))
      : listMvtecCategories(c.root),
  visa: (c) =>
    c.root == null
      ? Promise.reject(new ConfigError("--category all needs --root DIR, the VisA folder"))
      : listVisaObjects(c.root),
};

/** Registers how to list the classes of `data` for `all` sweeps. */
export function registerClassLister(data: RunConfig["data"], lister: ClassLister): void {
  LISTERS[data] = lister;
}

/**
 * The classes of `config.data` (and `config.root`) that `--normal all` or `--category all`
 * sweeps: digits "0".."9", MVTec AD categories, VisA objects.
 */
export async function listClasses(config: RunConfig): Promise<string[]> {
  const lister = LISTERS[config.data];
  if (lister == null) {
    throw new ConfigError(`--data ${config.data} has no classes to sweep with 'all'`);
  }
  const classes = await lister(config);
  if (classes.length === 0) {
    throw new ConfigError(`--data ${config.data}: no classes found to sweep`);
  }
  return classes;
}

/** Whether a configuration asks for a sweep. */
export function isSweep(c: RunConfig): boolean {
  return c.normal === "all" || c.category === "all";
}

function forClass(base: RunConfig, name: string, out: string): RunConfig {
  return base.normal === "all"
    ? { ...base, normal: Number(name), out }
    : { ...base, category: name, out };
}

/** Trains and evaluates every class, then writes the table. */
export async function trainSweep(base: RunConfig, options: RunOptions): Promise<SweepOutcome> {
  const classes = await listClasses(base);
  const path = base.out ?? defaultRunPath(base);
  const dir = await openSweepDir(path, base);
  const runs: SweepOutcome["runs"] = [];
  for (const name of classes) {
    const out = `${path}/${name}`;
    const runDir = new RunDir(out);
    const done = await runDir.readJson<RunMetrics>("metrics.json").catch(() => null);
    if (done != null) {
      options.progress?.line(`${name}: done before (image AUROC ${done.image_auroc?.toFixed(4)})`);
      runs.push({ name, dir: out, metrics: done });
      continue;
    }
    const resume = await pathExists(out);
    const outcome = await trainRun({ ...forClass(base, name, out), resume }, options);
    runs.push({ name, dir: out, metrics: outcome.metrics });
    if (outcome.metrics == null) return { dir: path, table: null, runs, interrupted: true };
  }
  const title = base.normal === "all" ? `one-class ${base.data}` : `${base.data} categories`;
  const table = makeTable(
    title,
    base.model,
    runs.map((r) => ({
      name: r.name,
      image_auroc: r.metrics!.image_auroc,
      pixel_auroc: r.metrics!.pixel_auroc,
      aupro: r.metrics!.aupro ?? null,
    })),
  );
  await dir.writeJson("table.json", table);
  await dir.writeJson("sweep.json", { config: runConfigFlags(base), classes, finished: true });
  for (
    const [name, text] of [["table.md", tableToMarkdown(table)], ["table.csv", tableToCsv(table)]]
  ) {
    try {
      await Deno.writeTextFile(dir.file(name), text);
    } catch (e) {
      throw new RunDirError(`cannot write ${dir.file(name)}: ${(e as Error).message}`);
    }
  }
  return { dir: path, table, runs, interrupted: false };
}

async function openSweepDir(path: string, base: RunConfig): Promise<RunDir> {
  const marker = `${path}/sweep.json`;
  if (await pathExists(marker)) {
    if (!base.resume) {
      throw new RunDirError(
        `${path} already holds a sweep; pass --resume to continue it or --out to choose another folder`,
      );
    }
  } else if (base.resume) {
    throw new RunDirError(`--resume: ${path} holds no sweep (no sweep.json)`);
  }
  const dir = await RunDir.open(path, { resume: base.resume });
  if (!base.resume) {
    await dir.writeJson("sweep.json", { config: runConfigFlags(base), finished: false });
  }
  return dir;
}
