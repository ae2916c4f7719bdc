/**
 * Runs a sweep on this machine, `jobs` trainings at a time, each a separate `deno task
 * train` process (the same command a Slurm task runs), its output appended to
 * `<run>/train.log`. Finished runs are skipped, started ones resume (`--resume`), and a
 * progress line is printed as each run starts and ends.
 *
 * Separate processes rather than one: runs on the wasm backend are single-process bound,
 * so `jobs` processes use `jobs` cores; and a run that crashes takes only itself down.
 *
 * Interruption: on `signal` no further run starts; the running ones are left to stop by
 * themselves (Ctrl-C reaches them directly, as they share the terminal's process group)
 * and checkpoint. On `terminate` they are sent SIGTERM, which checkpoints as Ctrl-C does.
 * @module
 */
import { type ProgressSink, silentProgress } from "../train/progress.ts";
import { RunDirError } from "../train/run_dir.ts";
import type { PlannedRun, SweepPlan } from "./plan.ts";
import { finishedMetrics, type RunStatus, statusLine, sweepStatus } from "./state.ts";

/** Options of {@linkcode runSweepLocal}. */
export interface LocalOptions {
  /** How many runs train at once (>= 1). */
  jobs: number;
  /** The command that trains one run, before its flags: `["deno", "task", "train"]`. */
  command: readonly string[];
  /** Where the command runs (the kit's folder, for `deno task`). */
  cwd?: string;
  /** Extra environment for every run. */
  env?: Record<string, string>;
  progress?: ProgressSink;
  /** When raised, no further run starts. */
  signal?: AbortSignal;
  /** When raised, running trainings are sent SIGTERM (they checkpoint and stop). */
  terminate?: AbortSignal;
}

/** How one run ended. */
export interface LocalRunResult {
  name: string;
  /** finished: metrics written; stopped: interrupted with a checkpoint; failed: anything else. */
  outcome: "finished" | "stopped" | "failed";
  code: number;
  seconds: number;
  imageAuroc: number | null;
  /** The last line of its train.log (the error, for a failed run). */
  lastLine: string;
}

/** What {@linkcode runSweepLocal} returns. */
export interface LocalOutcome {
  /** Runs finished before this call (skipped). */
  skipped: string[];
  results: LocalRunResult[];
  /** Runs never started (interrupted before their turn). */
  notStarted: string[];
  interrupted: boolean;
}

function duration(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** The train arguments of a run: its flags, `--out` its folder, `--resume` when started. */
export function trainArgs(run: PlannedRun, resume: boolean): string[] {
  return [...run.args, "--out", run.dir, ...(resume ? ["--resume"] : [])];
}

async function lastLine(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.replaceAll("\r", "\n").split("\n").map((l) => l.trim()).filter((l) => l !== "")
    .at(-1) ?? "";
}

/**
 * Copies a child's output into a log file chunk by chunk, so that the log follows the run
 * (a file's `writable` stream held everything back until the process ended).
 */
async function copyInto(stream: ReadableStream<Uint8Array>, file: Deno.FsFile): Promise<void> {
  try {
    for await (const chunk of stream) {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    }
  } finally {
    file.close();
  }
}

async function trainOne(
  status: RunStatus,
  options: LocalOptions,
  running: Set<Deno.ChildProcess>,
): Promise<LocalRunResult> {
  const { run } = status;
  const log = `${run.dir}/train.log`;
  let out: Deno.FsFile, err: Deno.FsFile;
  try {
    await Deno.mkdir(run.dir, { recursive: true });
    out = await Deno.open(log, { append: true, create: true });
    err = await Deno.open(log, { append: true, create: true });
  } catch (e) {
    throw new RunDirError(`cannot write ${log}: ${(e as Error).message}`);
  }
  const args = trainArgs(run, status.state === "started");
  const header = `\n=== ${new Date().toISOString()} ${options.command.join(" ")} ${
    args.join(" ")
  }\n`;
  await out.write(new TextEncoder().encode(header));
  const started = performance.now();
  const child = new Deno.Command(options.command[0], {
    args: [...options.command.slice(1), ...args],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running.add(child);
  try {
    await Promise.all([copyInto(child.stdout, out), copyInto(child.stderr, err)]);
    const status = await child.status;
    const metrics = await finishedMetrics(run.dir);
    const seconds = (performance.now() - started) / 1000;
    const outcome = status.code === 0 && metrics != null
      ? "finished"
      : status.code === 130
      ? "stopped"
      : "failed";
    return {
      name: run.name,
      outcome,
      code: status.code,
      seconds,
      imageAuroc: metrics?.image_auroc ?? null,
      lastLine: await lastLine(log),
    };
  } finally {
    running.delete(child);
  }
}

/**
 * Trains every run of `plan` that has not finished, `options.jobs` at a time. Every run's
 * folder is checked first (a folder holding other settings stops the sweep before
 * anything runs).
 */
export async function runSweepLocal(
  plan: SweepPlan,
  options: LocalOptions,
): Promise<LocalOutcome> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1) {
    throw new RangeError(`jobs must be a positive integer, got ${options.jobs}`);
  }
  const progress = options.progress ?? silentProgress;
  const statuses = await sweepStatus(plan.runs);
  const skipped = statuses.filter((s) => s.state === "finished").map((s) => s.run.name);
  const queue = statuses.filter((s) => s.state !== "finished");
  progress.line(
    `sweep ${plan.name}: ${statusLine(statuses)}; ` +
      (queue.length === 0
        ? "nothing to train"
        : `${queue.length} to train, ${Math.min(options.jobs, queue.length)} at a time`),
  );
  const total = queue.length;
  const running = new Set<Deno.ChildProcess>();
  const onTerminate = () => {
    for (const child of running) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already ended
      }
    }
  };
  options.terminate?.addEventListener("abort", onTerminate, { once: true });
  const results: LocalRunResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < queue.length && !options.signal?.aborted) {
      const k = next++;
      const status = queue[k];
      const tag = `[${k + 1}/${total}]`;
      progress.line(
        `${tag} ${status.state === "started" ? "resuming" : "training"} ${status.run.name}`,
      );
      const r = await trainOne(status, options, running);
      results.push(r);
      const took = duration(r.seconds);
      progress.line(
        r.outcome === "finished"
          ? `${tag} finished ${r.name}: image AUROC ${r.imageAuroc!.toFixed(4)} (${took})`
          : r.outcome === "stopped"
          ? `${tag} stopped ${r.name} with a checkpoint (${took})`
          : `${tag} FAILED ${r.name} (exit ${r.code}): ${r.lastLine} (log: ${status.run.dir}/train.log)`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.jobs, total) }, worker));
  } finally {
    options.terminate?.removeEventListener("abort", onTerminate);
  }
  const notStarted = queue.slice(next).map((s) => s.run.name);
  return {
    skipped,
    results,
    notStarted,
    interrupted: (options.signal?.aborted ?? false) || results.some((r) => r.outcome === "stopped"),
  };
}
