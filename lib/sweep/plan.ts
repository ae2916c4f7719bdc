/**
 * A sweep expanded into named runs: the base flags plus one value of each axis, every
 * combination, first axis outermost. Each run gets a stable folder inside the sweep folder,
 * named from its axis values (`model-ae_seed-0_normal-3`), so the same sweep file always
 * names the same folders and a second pass finds the runs the first one finished.
 *
 * Every flag name and value is checked against `deno task train`'s own flag table (passed
 * in as {@linkcode TrainFlags}, since the command line sits above this layer) and every
 * run's configuration is resolved and validated, so a bad axis fails, naming it, before
 * anything runs.
 *
 * @example
 * ```ts
 * import { expandSweep } from "./plan.ts";
 * import { parseSweepSpec } from "./spec.ts";
 * const flags = { names: ["data", "seed", "model"], parse: (a: string[]) => ({ [a[0].slice(2)]: a[1] }) };
 * const spec = parseSweepSpec({ base: { data: "stripes" }, axes: { model: ["ae", "daad"] } }, "s.json");
 * const plan = await expandSweep(spec, flags);
 * console.log(plan.runs.map((r) => r.name)); // ["model-ae", "model-daad"]
 * ```
 * @module
 */
import { resolve } from "node:path";
import { camel, DEFAULT_RUN_SETTINGS, type RunConfig } from "../config.ts";
import { resolveRunConfig } from "../families/resolve.ts";
import { ConfigError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { listClasses } from "./categories.ts";
import { type FlagValue, formatFlagValue, type SweepSpec } from "./spec.ts";

/**
 * The train command's flags, as the sweep checks them: their names, and a parser that
 * reads train arguments exactly as `deno task train` does (throwing an error that names
 * the flag and value).
 */
export interface TrainFlags {
  names: readonly string[];
  parse(args: string[]): Record<string, unknown>;
}

/** Flags the sweep sets itself for every run. */
const RESERVED: Record<string, string> = {
  out: 'the sweep gives every run its own folder inside the sweep\'s "out"',
  resume: "the sweep resumes a started run by itself",
  help: "not a setting",
};

/** One run of a sweep. */
export interface PlannedRun {
  /** Position in the sweep (0-based). */
  index: number;
  /** The run folder's name: `<axis>-<value>` for every axis, joined by `_`. */
  name: string;
  /** The run folder (absolute). */
  dir: string;
  /** The run's value of each axis. */
  values: Record<string, FlagValue>;
  /** Its `deno task train` flags, `--out` and `--resume` aside. */
  args: string[];
  /** Its resolved configuration (what config.json will record, `out` = `dir`). */
  config: RunConfig;
}

/** A sweep with its runs. */
export interface SweepPlan {
  name: string;
  description?: string;
  /** The sweep folder (absolute). */
  out: string;
  base: Record<string, FlagValue>;
  /** The axes with "all" replaced by the classes. */
  axes: { name: string; values: FlagValue[] }[];
  runs: PlannedRun[];
}

/**
 * A flag and its value as train arguments: `["--epochs", "8"]`, `["--renorm"]`,
 * `["--division", "2,2,1"]`; a value that starts with '-' is attached (`--lr=-1`) so that
 * the parser reports it as a bad value, not as a missing one.
 *
 * @example
 * ```ts
 * import { flagArgs } from "./plan.ts";
 * console.log(flagArgs("division", [2, 2, 1]), flagArgs("eq1", false)); // ["--division", "2,2,1"] ["--eq1=false"]
 * ```
 */
export function flagArgs(name: string, value: FlagValue): string[] {
  if (value === true) return [`--${name}`];
  if (value === false) return [`--${name}=false`];
  const text = formatFlagValue(value);
  return text.startsWith("-") ? [`--${name}=${text}`] : [`--${name}`, text];
}

/** The name part of one axis value: `seed-0`, `division-2,2,1`, `category-metal_nut`. */
export function runNamePart(axis: string, value: FlagValue): string {
  return `${axis}-${formatFlagValue(value).replace(/[^A-Za-z0-9.,+_-]/g, "-")}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const keep = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = keep;
    }
  }
  return d[b.length];
}

function checkName(name: string, where: string, flags: TrainFlags): void {
  if (name in RESERVED) {
    throw new ConfigError(`${where}: --${name} cannot be set in a sweep: ${RESERVED[name]}`);
  }
  if (flags.names.includes(name)) return;
  const near = flags.names.filter((n) => editDistance(n, name) <= 2);
  throw new ConfigError(
    `${where}: "${name}" is not a flag of deno task train` +
      (near.length > 0 ? ` (did you mean "${near[0]}"?)` : " (see deno task train --help)"),
  );
}

function parseOne(flags: TrainFlags, name: string, value: FlagValue, where: string): unknown {
  try {
    return flags.parse(flagArgs(name, value))[camel(name)];
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
}

/** Every combination of the axes' values, first axis outermost. */
function combinations(axes: SweepPlan["axes"]): Record<string, FlagValue>[] {
  let combos: Record<string, FlagValue>[] = [{}];
  for (const axis of axes) {
    combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.name]: v })));
  }
  return combos;
}

/** Options of {@linkcode expandSweep}. */
export interface ExpandOptions {
  /** Folder that a relative `out` is taken from (default: the current one). */
  cwd?: string;
  /** Where the sweep came from, named in errors (default: "sweep <name>"). */
  source?: string;
}

/**
 * Expands a sweep into its runs and checks each: flag names and values as `deno task
 * train` parses them, then every run's whole configuration (`resolveRunConfig`). Throws
 * {@linkcode ConfigError} naming the axis, value or run at fault.
 */
export async function expandSweep(
  spec: SweepSpec,
  flags: TrainFlags,
  options: ExpandOptions = {},
): Promise<SweepPlan> {
  const source = options.source ?? `sweep ${spec.name}`;
  const baseFlags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.base)) {
    checkName(k, `${source}, base`, flags);
    baseFlags[camel(k)] = parseOne(flags, k, v, `${source}, base "${k}"`);
    if (v === "all" && (k === "normal" || k === "category")) {
      throw new ConfigError(
        `${source}, base "${k}": "all" would make every run a whole class sweep; ` +
          `make it an axis ("axes": { "${k}": "all" })`,
      );
    }
  }
  const axes: SweepPlan["axes"] = [];
  for (const axis of spec.axes) {
    const where = `${source}, axis "${axis.name}"`;
    checkName(axis.name, where, flags);
    let values = axis.values;
    if (values === "all") {
      const classes = await listClasses({ ...DEFAULT_RUN_SETTINGS, ...baseFlags } as RunConfig)
        .catch((e) => {
          throw new ConfigError(`${where}: ${(e as Error).message}`);
        });
      values = axis.name === "normal" ? classes.map(Number) : classes;
    }
    for (const v of values) parseOne(flags, axis.name, v, `${where}, value ${formatFlagValue(v)}`);
    axes.push({ name: axis.name, values });
  }
  const out = resolve(options.cwd ?? Deno.cwd(), spec.out);
  const baseArgs = Object.entries(spec.base).flatMap(([k, v]) => flagArgs(k, v));
  const byName = new Map<string, Record<string, FlagValue>>();
  const runs = combinations(axes).map((values, index): PlannedRun => {
    const name = axes.map((a) => runNamePart(a.name, values[a.name])).join("_");
    const twin = byName.get(name);
    if (twin != null) {
      throw new ConfigError(
        `${source}: two runs get the folder name ${name} (${JSON.stringify(twin)} and ` +
          `${JSON.stringify(values)}); make the axis values differ in letters or digits`,
      );
    }
    byName.set(name, values);
    const dir = `${out}/${name}`;
    const args = [...baseArgs, ...axes.flatMap((a) => flagArgs(a.name, values[a.name]))];
    let parsed: Record<string, unknown>;
    try {
      parsed = flags.parse(args);
    } catch (e) {
      throw new ConfigError(`${source}, run ${name}: ${(e as Error).message}`);
    }
    const { threads: _threads, ...given } = parsed;
    let config: RunConfig;
    try {
      config = resolveRunConfig({ ...(given as Partial<RunConfig>), out: dir, resume: false });
    } catch (e) {
      throw new ConfigError(`${source}, run ${name}: ${(e as Error).message}`);
    }
    return { index, name, dir, values, args, config };
  });
  const plan: SweepPlan = { name: spec.name, out, base: { ...spec.base }, axes, runs };
  if (spec.description != null) plan.description = spec.description;
  return plan;
}

/** What `plan.json` in a sweep folder holds. */
export interface PlanRecord {
  kind: "daad-kit sweep";
  created: string;
  plan: SweepPlan;
}

/** Writes the plan as `<out>/plan.json` (the table job and `sweep table DIR` read it). */
export async function writePlan(plan: SweepPlan): Promise<string> {
  const path = `${plan.out}/plan.json`;
  const record: PlanRecord = { kind: "daad-kit sweep", created: new Date().toISOString(), plan };
  try {
    await Deno.mkdir(plan.out, { recursive: true });
    await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(record, null, 2) + "\n"));
  } catch (e) {
    throw new ConfigError(`cannot write ${path}: ${(e as Error).message}`);
  }
  return path;
}

/**
 * Reads `<dir>/plan.json`, written by `sweep local` or `sweep slurm`. The runs are taken to
 * be in `dir`, so a sweep folder that was moved or copied still finds its runs.
 */
export async function readPlan(dir: string): Promise<SweepPlan> {
  const path = `${dir.replace(/\/+$/, "")}/plan.json`;
  let record: PlanRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new ConfigError(
      e instanceof Deno.errors.NotFound
        ? `${dir} holds no plan.json: it is not a sweep folder (sweep local and sweep slurm write one)`
        : `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  if (record?.kind !== "daad-kit sweep" || !Array.isArray(record.plan?.runs)) {
    throw new ConfigError(`${path} is not a sweep plan of this kit`);
  }
  const out = resolve(dir);
  return {
    ...record.plan,
    out,
    runs: record.plan.runs.map((r) => ({ ...r, dir: `${out}/${r.name}` })),
  };
}
