/**
 * A sweep as a Slurm job array: an `sbatch` script with one array task per run that has
 * not finished, each a plain `deno task train` with the run's flags and `--out` its
 * folder, and a second script, submitted with `--dependency=afterany:<array job>`, that
 * writes the sweep's table (`deno task sweep table <sweep folder>`).
 *
 * Why `afterany` and not `afterok`: with `afterok`, one failed or cancelled task leaves
 * the table job pending forever (reason DependencyNeverSatisfied) and nothing tells the
 * user which runs are missing. With `afterany` the table job runs once every task has
 * ended, writes the table of the runs that finished, names the missing ones and exits 1
 * (the job shows FAILED) until they are all there; resubmitting the sweep trains only the
 * missing runs and queues a new table job after them.
 *
 * Resuming: the array script asks for `--requeue`, and each task passes `--resume` when
 * its folder already holds the run (config.json: a requeued or resubmitted task), so
 * training continues from its checkpoint. A task whose run finished meanwhile (a complete
 * metrics.json) exits at once. SIGTERM, which Slurm sends before it kills a cancelled,
 * preempted or timed-out task, makes `deno task train` checkpoint its exact position; the
 * script passes it on and waits, so the checkpoint is written before the task ends.
 *
 * @example
 * ```ts ignore
 * import { writeSlurmFiles } from "./slurm.ts";
 * const files = await writeSlurmFiles(plan, pending, { root: "/home/me/daad-kit", deno: "deno" });
 * console.log(files.arrayScript); // <out>/slurm/array.sbatch
 * ```
 * @module
 */
import { ConfigError } from "../util/errors.ts";
import { RunDirError } from "../train/run_dir.ts";
import type { PlannedRun, SweepPlan } from "./plan.ts";

/** What the scripts ask of Slurm and where they find the kit. */
export interface SlurmOptions {
  /** The kit's folder as the nodes see it (the tasks run `deno task` there). */
  root: string;
  /** The Deno executable on the nodes ("deno": the one on their PATH). */
  deno: string;
  partition?: string;
  account?: string;
  /** GPUs per task (`--gpus-per-task`); none by default. */
  gpusPerTask?: number;
  cpusPerTask?: number;
  /** Memory per node, as Slurm writes it ("16G"). */
  mem?: string;
  /** Time limit of each task ("2:00:00", "1-00:00:00"). */
  time?: string;
  /** At most this many tasks run at once (`--array=0-59%K`). */
  arrayLimit?: number;
  /** Further `#SBATCH` options of the array job, e.g. "--qos=long". */
  extra?: string[];
  /** Time limit of the table job (default 0:30:00). */
  tableTime?: string;
}

/** Where the scripts were written and which runs the array trains. */
export interface SlurmFiles {
  /** `<out>/slurm` */
  dir: string;
  arrayScript: string;
  tableScript: string;
  /** The runs of the array, task i = runs[i]. */
  runs: PlannedRun[];
}

/** Quotes a word for bash when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A path in an `#SBATCH` line: double-quoted when it holds spaces (sbatch reads those). */
function sbatchPath(path: string): string {
  if (/["\n\r]/.test(path)) {
    throw new ConfigError(`a Slurm script cannot name the path ${JSON.stringify(path)}`);
  }
  return /\s/.test(path) ? `"${path}"` : path;
}

/** Checks the options; throws {@linkcode ConfigError} naming the flag. */
export function validateSlurmOptions(o: SlurmOptions): void {
  const positive = (name: string, v: number | undefined) => {
    if (v != null && (!Number.isInteger(v) || v < 1)) {
      throw new ConfigError(`--${name} expects a positive integer, got ${v}`);
    }
  };
  positive("gpus-per-task", o.gpusPerTask);
  positive("cpus-per-task", o.cpusPerTask);
  positive("array-limit", o.arrayLimit);
  if (o.time != null && !/^(\d+-)?\d+(:\d+){0,2}$/.test(o.time)) {
    throw new ConfigError(
      `--time expects a Slurm time limit (MM, HH:MM:SS or D-HH:MM:SS), got '${o.time}'`,
    );
  }
  for (const line of o.extra ?? []) {
    if (!line.startsWith("--") || /[\n\r]/.test(line)) {
      throw new ConfigError(`--sbatch expects one sbatch option such as --qos=long, got '${line}'`);
    }
  }
}

function sbatchLines(o: SlurmOptions, gpus: boolean): string[] {
  const lines: string[] = [];
  if (o.partition != null) lines.push(`--partition=${o.partition}`);
  if (o.account != null) lines.push(`--account=${o.account}`);
  if (gpus && o.gpusPerTask != null) lines.push(`--gpus-per-task=${o.gpusPerTask}`);
  if (gpus && o.cpusPerTask != null) lines.push(`--cpus-per-task=${o.cpusPerTask}`);
  if (gpus && o.mem != null) lines.push(`--mem=${o.mem}`);
  return lines.map((l) => `#SBATCH ${l}`);
}

/**
 * The array script: task i trains `runs[i]`.
 *
 * @example
 * ```ts ignore
 * console.log(arrayScript(plan, plan.runs, { root: "/kit", deno: "deno", arrayLimit: 8 }));
 * ```
 */
export function arrayScript(plan: SweepPlan, runs: readonly PlannedRun[], o: SlurmOptions): string {
  validateSlurmOptions(o);
  if (runs.length === 0) throw new ConfigError(`sweep ${plan.name}: no run to put in an array`);
  const q = shellQuote;
  const logs = `${plan.out}/slurm/logs`;
  const cases = runs.map((r, i) =>
    `  ${i}) # ${r.name}\n    out=${q(r.dir)}\n    args=(${r.args.map(q).join(" ")}) ;;`
  );
  return `#!/bin/bash
# Sweep ${plan.name}: ${runs.length} run(s) as a Slurm job array, written by
# \`deno task sweep slurm\` (docs/sweeps.md). Task i trains one run: a plain
# \`deno task train\` with its flags and --out its folder, --resume when the folder already
# holds the run (a requeued or resubmitted task continues from its checkpoint).
#SBATCH --job-name=${plan.name}
#SBATCH --array=0-${runs.length - 1}${o.arrayLimit != null ? `%${o.arrayLimit}` : ""}
#SBATCH --output=${sbatchPath(`${logs}/%A_%a.out`)}
#SBATCH --open-mode=append
#SBATCH --requeue
#SBATCH --ntasks=1
${
    [
      ...sbatchLines(o, true),
      ...(o.time != null ? [`#SBATCH --time=${o.time}`] : []),
      ...(o.extra ?? []).map((l) => `#SBATCH ${l}`),
    ].map((l) => `${l}\n`).join("")
  }
export NO_COLOR=1
case "\${SLURM_ARRAY_TASK_ID:?submit this script with sbatch}" in
${cases.join("\n")}
  *) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;
esac

stamp() { date '+%Y-%m-%dT%H:%M:%S'; }
where="task \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID} on $(hostname)"
if [ -f "$out/metrics.json" ] && grep -q '"image_auroc": [0-9]' "$out/metrics.json"; then
  echo "$(stamp) $where: $out finished before (metrics.json); nothing to do"
  exit 0
fi
resume=""
if [ -f "$out/config.json" ]; then resume="--resume"; fi
mkdir -p "$out" || exit 1
cd ${q(o.root)} || exit 1
echo "$(stamp) $where: deno task train \${args[*]} --out $out $resume (output in $out/train.log)"
# Slurm sends SIGTERM to every process of a task it stops; train checkpoints on it. The
# shell passes it on too and waits, so the task ends only once the checkpoint is written.
${q(o.deno)} task train "\${args[@]}" --out "$out" $resume >> "$out/train.log" 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM
wait "$pid"
code=$?
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  code=$?
done
echo "$(stamp) $where: exit $code"
exit $code
`;
}

/** The table job's script: `deno task sweep table <sweep folder>`. */
export function tableScript(plan: SweepPlan, o: SlurmOptions): string {
  validateSlurmOptions(o);
  const q = shellQuote;
  return `#!/bin/bash
# Sweep ${plan.name}: the table, written by \`deno task sweep slurm\` (docs/sweeps.md).
# Submitted with --dependency=afterany:<array job>: it runs once every task has ended and
# writes table.json, table.md and table.csv from the runs that finished; it exits 1 when
# some run has not finished (the table names them).
#SBATCH --job-name=${plan.name}-table
#SBATCH --output=${sbatchPath(`${plan.out}/slurm/logs/table_%j.out`)}
#SBATCH --open-mode=append
#SBATCH --ntasks=1
#SBATCH --time=${o.tableTime ?? "0:30:00"}
${sbatchLines(o, false).map((l) => `${l}\n`).join("")}
export NO_COLOR=1
cd ${q(o.root)} || exit 1
exec ${q(o.deno)} task sweep table ${q(plan.out)}
`;
}

/** Writes `<out>/slurm/array.sbatch`, `table.sbatch` and the logs folder. */
export async function writeSlurmFiles(
  plan: SweepPlan,
  runs: readonly PlannedRun[],
  o: SlurmOptions,
): Promise<SlurmFiles> {
  const dir = `${plan.out}/slurm`;
  const files: SlurmFiles = {
    dir,
    arrayScript: `${dir}/array.sbatch`,
    tableScript: `${dir}/table.sbatch`,
    runs: [...runs],
  };
  const array = arrayScript(plan, runs, o);
  const table = tableScript(plan, o);
  try {
    await Deno.mkdir(`${dir}/logs`, { recursive: true });
    await Deno.writeTextFile(files.arrayScript, array, { mode: 0o755 });
    await Deno.writeTextFile(files.tableScript, table, { mode: 0o755 });
  } catch (e) {
    throw new RunDirError(`cannot write the Slurm scripts in ${dir}: ${(e as Error).message}`);
  }
  return files;
}

/** Raised when a Slurm command fails; the message holds its error output. */
export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlurmError";
  }
}

/** Runs a Slurm client command (`sbatch`, `squeue`) and returns its standard output. */
export type SlurmCommand = (program: string, args: string[]) => Promise<string>;

/** Runs Slurm's client commands as processes. */
export const runSlurmCommand: SlurmCommand = async (program, args) => {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new SlurmError(
      e instanceof Deno.errors.NotFound
        ? `${program} is not installed here: run this on a Slurm login node (or use --dry-run)`
        : `${program} cannot run: ${(e as Error).message}`,
    );
  }
  const dec = new TextDecoder();
  if (!r.success) {
    const err = dec.decode(r.stderr).trim() || dec.decode(r.stdout).trim();
    throw new SlurmError(`${program} ${args.join(" ")} failed (exit ${r.code}): ${err}`);
  }
  return dec.decode(r.stdout);
};

/** The job id in `sbatch --parsable`'s answer ("123" or "123;cluster"). */
export function parseJobId(answer: string): string {
  const id = answer.trim().split(";")[0];
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch answered '${answer.trim()}', not a job id`);
  return id;
}

/** The job ids of one submission. */
export interface Submission {
  arrayJob: string;
  tableJob: string;
}

/** The sbatch commands that submit the files, as a user would type them. */
export function sbatchCommands(files: SlurmFiles): string[] {
  return [
    `jid=$(sbatch --parsable ${shellQuote(files.arrayScript)})`,
    `sbatch --dependency=afterany:\${jid%;*} ${shellQuote(files.tableScript)}`,
  ];
}

/** Submits the array, then the table job after it; records both in `submissions.jsonl`. */
export async function submitSlurmFiles(
  files: SlurmFiles,
  run: SlurmCommand = runSlurmCommand,
): Promise<Submission> {
  const arrayJob = parseJobId(await run("sbatch", ["--parsable", files.arrayScript]));
  const tableJob = parseJobId(
    await run("sbatch", ["--parsable", `--dependency=afterany:${arrayJob}`, files.tableScript]),
  );
  const line = JSON.stringify({
    submitted: new Date().toISOString(),
    array_job: arrayJob,
    table_job: tableJob,
    runs: files.runs.map((r) => r.name),
  });
  await Deno.writeTextFile(`${files.dir}/submissions.jsonl`, line + "\n", { append: true });
  return { arrayJob, tableJob };
}

/**
 * The jobs of earlier submissions of this sweep that Slurm still holds (pending or
 * running), so that a resubmission does not train a run twice at once.
 */
export async function activeJobs(
  slurmDir: string,
  run: SlurmCommand = runSlurmCommand,
): Promise<string[]> {
  const text = await Deno.readTextFile(`${slurmDir}/submissions.jsonl`).catch(() => "");
  const ids = text.split("\n").filter((l) => l.trim() !== "").flatMap((l) => {
    try {
      const s = JSON.parse(l) as { array_job?: string };
      return s.array_job != null ? [s.array_job] : [];
    } catch {
      return [];
    }
  });
  const active: string[] = [];
  for (const id of ids) {
    // squeue refuses a job id it no longer knows: that job has ended long ago.
    const out = await run("squeue", ["-h", "-o", "%i %T", "-j", id]).catch(() => "");
    if (out.trim() !== "") active.push(id);
  }
  return active;
}
