/**
 * `deno task sweep`: a grid of training runs described once (a JSON sweep file or flags),
 * listed, run here N at a time, or handed to Slurm as a job array, and summed up in one
 * table. docs/sweeps.md has the file format and the cluster recipe.
 *
 * ```sh
 * deno task sweep plan  sweeps/table2-mnist.json            # the 60 runs and their state
 * deno task sweep local sweeps/table2-mnist.json --jobs 2   # train them here, 2 at a time
 * deno task sweep slurm sweeps/table2-mnist.json --partition gpu --gpus-per-task 1 --time 4:00:00
 * deno task sweep table runs/table2-mnist                   # the table of what finished
 * ```
 * @module
 */
import { relative } from "node:path";
import { trainFlagTable } from "./train.ts";
import { ArgError, camel, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { EXIT_FAILURE, EXIT_INTERRUPTED, registerUserError, runCli } from "./_common.ts";
import {
  expandSweep,
  readPlan,
  type SweepPlan,
  type TrainFlags,
  writePlan,
} from "../sweep/plan.ts";
import {
  type FlagValue,
  readSweepFile,
  type SweepAxis,
  type SweepOverrides,
  type SweepSpec,
  withOverrides,
} from "../sweep/spec.ts";
import { statusLine, sweepStatus } from "../sweep/state.ts";
import { runSweepLocal, trainArgs } from "../sweep/local.ts";
import {
  activeJobs,
  sbatchCommands,
  SlurmError,
  type SlurmOptions,
  submitSlurmFiles,
  validateSlurmOptions,
  writeSlurmFiles,
} from "../sweep/slurm.ts";
import { buildSweepTable, sweepTableToMarkdown, writeSweepTable } from "../sweep/table.ts";

registerUserError(SlurmError);

/** Prints a line as it is (console.log would read '%' in a path or log line as a format). */
function say(text: string): void {
  console.log("%s", text);
}

/** The kit's folder: `deno task train` runs there. */
const KIT_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The train command's flags as the sweep library checks them (`sweep/plan.ts`'s
 * `TrainFlags`): their names, and the parser `deno task train` uses.
 */
export function trainFlags(): TrainFlags {
  const table = trainFlagTable();
  return {
    names: Object.keys(table),
    parse(args) {
      const { flags, positionals } = parseArgs(args, table);
      if (positionals.length > 0) {
        throw new ArgError(
          `'${positionals[0]}' is not a value the preceding switch takes (write true or false)`,
        );
      }
      return flags;
    },
  };
}

const FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: 'The sweep folder (default: the file\'s "out", or runs/<name>).' },
  name: { type: "string", help: "The sweep's name (default: the file's, or its file name)." },
  jobs: { type: "int", min: 1, help: "local: trainings at once (default 1)." },
  partition: { type: "string", help: "slurm: the partition (--partition)." },
  account: { type: "string", help: "slurm: the account to charge (--account)." },
  "gpus-per-task": { type: "int", min: 1, help: "slurm: GPUs per run (--gpus-per-task)." },
  "cpus-per-task": { type: "int", min: 1, help: "slurm: CPU cores per run (--cpus-per-task)." },
  mem: { type: "string", help: "slurm: memory per run, e.g. 16G (--mem)." },
  time: { type: "string", help: "slurm: time limit per run, e.g. 4:00:00 (--time)." },
  "array-limit": { type: "int", min: 1, help: "slurm: at most K runs at once (--array=0-N%K)." },
  "table-time": { type: "string", help: "slurm: time limit of the table job (default 0:30:00)." },
  deno: {
    type: "string",
    help: "slurm: the Deno executable on the nodes (default: this one; 'deno' = their PATH's).",
  },
  "dry-run": { type: "bool", help: "slurm: write the scripts, submit nothing." },
  force: { type: "bool", help: "slurm: submit although earlier jobs of the sweep are queued." },
  json: { type: "bool", help: "plan: print the plan as JSON." },
};

const USAGE = `Usage: deno task sweep <plan|local|slurm|table> [FILE] [flags] [-- TRAIN FLAGS]

  plan FILE              list the runs, their folders, commands and state
  local FILE [--jobs N]  train the runs here, N at a time, then write the table
  slurm FILE [...]       write a Slurm job array (one task per run not finished) and a
                         table job after it, submit both, print the job ids
  table FILE|DIR         write the table (table.json, table.md, table.csv) of what finished

FILE is a JSON sweep file (docs/sweeps.md), e.g. sweeps/table2-mnist.json. Without one, the
sweep is the flags: --axis and the train flags after '--'.
  --axis NAME=V1,V2,...  an axis (train flag NAME, its values); replaces the file's axis NAME.
                         Repeat for more axes; a list value (--division 2,2,1) takes one
                         --axis per value: --axis division=2,2,1 --axis division=4,4,1
  --sbatch OPTION        slurm: one more #SBATCH option (repeatable), e.g. --sbatch --qos=long
  -- TRAIN FLAGS         base train flags; they replace the file's (and an axis of the name)`;

const NOTES =
  `Each run trains with \`deno task train <base flags> <axis values> --out <sweep>/<run>\`;
run folders are named from the axis values (model-ae_seed-0_normal-3). A run whose folder
holds a complete metrics.json is skipped; one that started resumes (--resume).`;

/** Takes every `--name VALUE` / `--name=VALUE` of a repeatable flag out of `argv`. */
function takeRepeated(argv: string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) {
      if (i + 1 >= argv.length) throw new ArgError(`--${name} needs a value`);
      values.push(argv[++i]);
    } else if (a.startsWith(`--${name}=`)) {
      values.push(a.slice(name.length + 3));
    } else {
      rest.push(a);
    }
  }
  return { values, rest };
}

/** A value typed on the command line as the sweep file would hold it. */
function typedValue(raw: string): FlagValue {
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(raw)) return Number(raw);
  if (raw === "true" || raw === "false") return raw === "true";
  return raw;
}

/** `--axis NAME=V1,V2` flags as axes; a list flag (division) takes one value per --axis. */
export function parseAxisFlags(
  raw: readonly string[],
  table: Record<string, FlagSpec>,
): SweepAxis[] {
  const axes: SweepAxis[] = [];
  for (const text of raw) {
    const eq = text.indexOf("=");
    if (eq <= 0 || eq === text.length - 1) {
      throw new ArgError(`--axis expects NAME=V1,V2,..., got '${text}'`);
    }
    const name = text.slice(0, eq).replace(/^--/, ""), list = text.slice(eq + 1);
    const values: FlagValue[] | "all" = list === "all"
      ? "all"
      : table[name]?.type === "ints"
      ? [list]
      : list.split(",").map((v) => typedValue(v.trim()));
    const known = axes.find((a) => a.name === name);
    if (known == null) axes.push({ name, values });
    else if (known.values === "all" || values === "all") {
      throw new ArgError(`--axis ${name}: "all" stands alone, not beside other values`);
    } else known.values.push(...values);
  }
  return axes;
}

/** Train flags after `--` as base values (checked later, with the sweep). */
export function parseBaseFlags(
  argv: readonly string[],
  table: Record<string, FlagSpec>,
): Record<string, FlagValue> {
  const base: Record<string, FlagValue> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new ArgError(`train flags after '--': unexpected '${a}'`);
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    let value: FlagValue;
    if (eq >= 0) value = typedValue(a.slice(eq + 1));
    else if (table[name]?.type === "bool") value = true;
    else {
      if (i + 1 >= argv.length) throw new ArgError(`--${name} needs a value`);
      value = table[name]?.type === "ints" ? argv[++i] : typedValue(argv[++i]);
    }
    if (name in base) throw new ArgError(`--${name} is given twice`);
    base[name] = value;
  }
  return base;
}

const show = (path: string) => {
  const rel = relative(Deno.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
};

/** The sweep of the command line: the file (if any) with the flags' changes. */
async function loadSweep(
  file: string | undefined,
  overrides: SweepOverrides,
): Promise<SweepSpec> {
  if (file != null) return withOverrides(await readSweepFile(file), overrides);
  if ((overrides.axes ?? []).length === 0) {
    throw new ArgError("give a sweep file, or --axis NAME=V1,V2 (and train flags after '--')");
  }
  const name = overrides.name ?? "sweep";
  return {
    name,
    out: overrides.out ?? `runs/${name}`,
    base: overrides.base ?? {},
    axes: overrides.axes!,
  };
}

function printPlan(plan: SweepPlan, states: Map<string, string>): void {
  const width = Math.max(...plan.runs.map((r) => r.name.length));
  const axes = plan.axes.map((a) => `${a.name} ${a.values.length}`).join(" x ");
  say(`sweep ${plan.name}: ${plan.runs.length} runs (${axes}) in ${show(plan.out)}`);
  for (const r of plan.runs) {
    const args = trainArgs(r, states.get(r.name) === "started").map((a) =>
      a === r.dir ? show(a) : a
    );
    say(
      `${String(r.index).padStart(4)}  ${(states.get(r.name) ?? "").padEnd(8)}  ` +
        `${r.name.padEnd(width)}  deno task train ${args.join(" ")}`,
    );
  }
}

async function writeTable(plan: SweepPlan): Promise<boolean> {
  const table = await buildSweepTable(plan);
  const md = await writeSweepTable(plan, table);
  say(sweepTableToMarkdown(table, plan.axes.map((a) => a.name)));
  say(
    `wrote ${show(md)}, table.json, table.csv: ${table.runs.length} of ${table.planned} runs` +
      (table.complete ? "" : `; missing: ${table.missing.join(", ")}`),
  );
  return table.complete;
}

async function main(): Promise<number> {
  const dash = Deno.args.indexOf("--");
  const ours = dash >= 0 ? Deno.args.slice(0, dash) : [...Deno.args];
  const table = trainFlagTable();
  const base = dash >= 0 ? parseBaseFlags(Deno.args.slice(dash + 1), table) : {};
  const axisFlags = takeRepeated(ours, "axis");
  const sbatchFlags = takeRepeated(axisFlags.rest, "sbatch");
  const { flags, positionals, help } = parseArgs(sbatchFlags.rest, FLAGS);
  if (help) {
    say(formatHelp(USAGE, FLAGS, NOTES));
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (command == null) throw new ArgError(`sweep needs a command: plan, local, slurm or table`);
  if (!["plan", "local", "slurm", "table"].includes(command)) {
    throw new ArgError(`unknown sweep command '${command}' (plan, local, slurm or table)`);
  }
  if (extra.length > 0) throw new ArgError(`sweep ${command} takes one file, got '${extra[0]}'`);
  const only = (names: string[], cmd: string) => {
    for (const n of names) {
      if (flags[camel(n)] !== undefined && command !== cmd) {
        throw new ArgError(`--${n} is for 'sweep ${cmd}', not 'sweep ${command}'`);
      }
    }
  };
  only(["jobs"], "local");
  only([
    "partition",
    "account",
    "gpus-per-task",
    "cpus-per-task",
    "mem",
    "time",
    "array-limit",
    "table-time",
    "deno",
    "dry-run",
    "force",
  ], "slurm");
  if (sbatchFlags.values.length > 0 && command !== "slurm") {
    throw new ArgError(`--sbatch is for 'sweep slurm', not 'sweep ${command}'`);
  }
  only(["json"], "plan");
  const overrides: SweepOverrides = {
    axes: parseAxisFlags(axisFlags.values, table),
    base,
    out: flags.out as string | undefined,
    name: flags.name as string | undefined,
  };

  if (
    command === "table" && file != null && (await Deno.stat(file).catch(() => null))?.isDirectory
  ) {
    const plan = await readPlan(file);
    return await writeTable(plan) ? 0 : EXIT_FAILURE;
  }
  const plan = await expandSweep(await loadSweep(file, overrides), trainFlags(), {
    source: file ?? "the sweep's flags",
  });
  if (command === "table") return await writeTable(plan) ? 0 : EXIT_FAILURE;

  const statuses = await sweepStatus(plan.runs);
  const states = new Map(statuses.map((s) => [s.run.name, s.state]));
  if (command === "plan") {
    if (flags.json) {
      say(JSON.stringify(
        { ...plan, runs: plan.runs.map((r) => ({ ...r, state: states.get(r.name) })) },
        null,
        2,
      ));
      return 0;
    }
    printPlan(plan, states);
    say(statusLine(statuses));
    return 0;
  }

  if (command === "local") {
    const jobs = (flags.jobs as number | undefined) ?? 1;
    await writePlan(plan);
    const env: Record<string, string> = { NO_COLOR: "1" };
    // N processes of wasm, each taking the idle cores, would oversubscribe the machine.
    if (Deno.env.get("DAAD_WASM_THREADS") == null && jobs > 1) {
      env.DAAD_WASM_THREADS = String(Math.max(1, Math.floor(navigator.hardwareConcurrency / jobs)));
    }
    const stop = new AbortController(), terminate = new AbortController();
    const listeners: [Deno.Signal, () => void][] = [
      ["SIGINT", () => {
        if (!stop.signal.aborted) {
          say("interrupt: no further run starts; the running ones checkpoint and stop");
        }
        stop.abort();
      }],
      ["SIGTERM", () => {
        stop.abort();
        terminate.abort();
      }],
    ];
    for (const [s, f] of listeners) Deno.addSignalListener(s, f);
    try {
      const outcome = await runSweepLocal(plan, {
        jobs,
        command: [Deno.execPath(), "task", "train"],
        cwd: KIT_ROOT,
        env,
        progress: { update() {}, end() {}, line: (t) => say(t) },
        signal: stop.signal,
        terminate: terminate.signal,
      });
      const failed = outcome.results.filter((r) => r.outcome === "failed");
      if (outcome.interrupted) {
        say(
          `sweep ${plan.name} interrupted: run the same command again to continue ` +
            `(finished runs are kept, stopped ones resume)`,
        );
        return EXIT_INTERRUPTED;
      }
      const complete = await writeTable(plan);
      if (failed.length > 0) {
        say(`${failed.length} run(s) failed: ${failed.map((r) => r.name).join(", ")}`);
      }
      return complete && failed.length === 0 ? 0 : EXIT_FAILURE;
    } finally {
      for (const [s, f] of listeners) Deno.removeSignalListener(s, f);
    }
  }

  // slurm
  const options: SlurmOptions = {
    root: KIT_ROOT,
    deno: (flags.deno as string | undefined) ?? Deno.execPath(),
    partition: flags.partition as string | undefined,
    account: flags.account as string | undefined,
    gpusPerTask: flags.gpusPerTask as number | undefined,
    cpusPerTask: flags.cpusPerTask as number | undefined,
    mem: flags.mem as string | undefined,
    time: flags.time as string | undefined,
    arrayLimit: flags.arrayLimit as number | undefined,
    tableTime: flags.tableTime as string | undefined,
    extra: sbatchFlags.values,
  };
  validateSlurmOptions(options);
  const pending = statuses.filter((s) => s.state !== "finished").map((s) => s.run);
  say(`sweep ${plan.name}: ${statusLine(statuses)}`);
  if (pending.length === 0) {
    say("every run has finished: nothing to submit; the table:");
    return await writeTable(plan) ? 0 : EXIT_FAILURE;
  }
  const dryRun = flags.dryRun === true;
  const slurmDir = `${plan.out}/slurm`;
  if (!dryRun && !flags.force) {
    const active = await activeJobs(slurmDir);
    if (active.length > 0) {
      throw new SlurmError(
        `job(s) ${active.join(", ")} of an earlier submission of this sweep are still queued ` +
          `or running; wait for them or scancel them (or pass --force to submit anyway)`,
      );
    }
  }
  await writePlan(plan);
  const files = await writeSlurmFiles(plan, pending, options);
  const skipped = plan.runs.length - pending.length;
  say(
    `wrote ${show(files.arrayScript)} (${pending.length} task(s)` +
      `${skipped > 0 ? `; ${skipped} finished run(s) left out` : ""}) and ${
        show(files.tableScript)
      }`,
  );
  if (dryRun) {
    say("dry run: nothing submitted. To submit:");
    for (const c of sbatchCommands(files)) say(`  ${c}`);
    return 0;
  }
  const ids = await submitSlurmFiles(files);
  say(
    `submitted array job ${ids.arrayJob} (${pending.length} task(s)) and table job ` +
      `${ids.tableJob} (runs after every task has ended: afterany)`,
  );
  say(`array job: ${ids.arrayJob}`);
  say(`table job: ${ids.tableJob}`);
  say(`logs: ${show(slurmDir)}/logs; each run's output: <run folder>/train.log`);
  return 0;
}

if (import.meta.main) await runCli(main);
