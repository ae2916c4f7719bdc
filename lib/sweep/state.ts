/**
 * Where each run of a sweep stands, read from its folder: finished (a complete
 * metrics.json), started (config.json, perhaps a checkpoint: it resumes), or new. A folder
 * that holds a run trained with other settings is refused before anything runs, so a
 * changed sweep file never mixes two configurations under one name.
 *
 * @example
 * ```ts ignore
 * import { runStatus } from "./state.ts";
 * const status = await runStatus(plan.runs[0]);
 * console.log(status.state); // "new", "started" or "finished"
 * ```
 * @module
 */
import { identityOf, readRunRecord, type RunMetrics } from "../run.ts";
import type { RunConfig } from "../config.ts";
import { ConfigError } from "../util/errors.ts";
import { pathExists } from "../util/fs.ts";
import type { PlannedRun } from "./plan.ts";

/** A run's state: finished, started (resumes), or new. */
export type RunState = "finished" | "started" | "new";

/** A run and where it stands. */
export interface RunStatus {
  run: PlannedRun;
  state: RunState;
  /** The run's metrics when finished. */
  metrics: RunMetrics | null;
  /** Whether a checkpoint exists (a started run resumes from it). */
  checkpoint: boolean;
}

/** A run's metrics.json when it is complete (an image AUROC), else null. */
export async function finishedMetrics(dir: string): Promise<RunMetrics | null> {
  try {
    const m = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`)) as RunMetrics;
    return typeof m?.image_auroc === "number" ? m : null;
  } catch {
    return null;
  }
}

/** The settings that make two runs the same training (folder, resume, backend aside). */
function identity(c: RunConfig): Record<string, unknown> {
  const rest = { ...identityOf(c), epochs: c.epochs };
  // Settings absent from an older config.json and null in a newer one mean the same.
  return Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v != null).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** The settings in which `saved` and `planned` differ, as "name: saved -> planned". */
export function settingDifferences(saved: RunConfig, planned: RunConfig): string[] {
  const a = identity(saved), b = identity(planned);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) =>
    `${k} ${JSON.stringify(a[k] ?? null)} there, ${JSON.stringify(b[k] ?? null)} in the sweep`
  );
}

/**
 * Reads where `run` stands. Throws {@linkcode ConfigError} when its folder holds a run
 * with other settings than the sweep's.
 */
export async function runStatus(run: PlannedRun): Promise<RunStatus> {
  const hasConfig = await pathExists(`${run.dir}/config.json`);
  const metrics = await finishedMetrics(run.dir);
  if (!hasConfig) {
    return { run, state: metrics != null ? "finished" : "new", metrics, checkpoint: false };
  }
  const saved = (await readRunRecord(run.dir)).config;
  const diff = settingDifferences(saved, run.config);
  if (diff.length > 0) {
    throw new ConfigError(
      `run ${run.name}: ${run.dir} holds a run with other settings (${
        diff.slice(0, 3).join("; ")
      }` +
        `${diff.length > 3 ? `; ${diff.length - 3} more` : ""}); give the sweep another "out" ` +
        `or remove that folder`,
    );
  }
  const checkpoint = await pathExists(`${run.dir}/checkpoint.ckpt`);
  return { run, state: metrics != null ? "finished" : "started", metrics, checkpoint };
}

/** Every run's status, in the plan's order (all checked before any is returned). */
export async function sweepStatus(runs: readonly PlannedRun[]): Promise<RunStatus[]> {
  const out: RunStatus[] = [];
  for (const run of runs) out.push(await runStatus(run));
  return out;
}

/** Counts of each state, as one line: "60 runs: 12 finished, 2 started, 46 new". */
export function statusLine(statuses: readonly RunStatus[]): string {
  const n = (s: RunState) => statuses.filter((x) => x.state === s).length;
  return `${statuses.length} runs: ${n("finished")} finished, ${n("started")} started ` +
    `(they resume), ${n("new")} new`;
}
