/**
 * A sweep described once: a base run (train flags) and axes (train flags with several
 * values), read from a small JSON file or built from command-line flags. Every run of the
 * sweep is the base plus one value of each axis (see `plan.ts`, which expands and checks it).
 *
 * A sweep file:
 *
 * ```json
 * {
 *   "name": "table2-mnist",
 *   "description": "DAAD Table 2: AE, MemAE*, DAAD on the ten digits, two seeds",
 *   "out": "runs/table2-mnist",
 *   "base": { "data": "mnist" },
 *   "axes": { "model": ["ae", "memae", "daad"], "seed": [0, 1], "normal": "all" }
 * }
 * ```
 *
 * Keys of `base` and `axes` are `deno task train` flags without the dashes (`max-train`,
 * `scale-rates`); values are what the flag takes: a number, a string, true/false, or a list
 * of numbers for `division` and `scale-rates` (`[2, 2, 1]` or `"2,2,1"`). The axis
 * `normal` or `category` may be `"all"`: every class of the data set.
 *
 * @example
 * ```ts
 * import { parseSweepSpec } from "./spec.ts";
 * const spec = parseSweepSpec({ base: { data: "stripes" }, axes: { seed: [0, 1] } }, "demo.json");
 * console.log(spec.name, spec.out, spec.axes); // demo runs/demo [{ name: "seed", values: [0, 1] }]
 * ```
 * @module
 */
import { ConfigError } from "../util/errors.ts";

/** One value of a train flag in a sweep: a number, a string, a switch, or a list of numbers. */
export type FlagValue = string | number | boolean | number[];

/** One axis: a train flag and the values the runs take, or "all" classes of the data set. */
export interface SweepAxis {
  name: string;
  values: FlagValue[] | "all";
}

/** A sweep: its name, folder, base flags and axes (in the order the runs are named). */
export interface SweepSpec {
  name: string;
  description?: string;
  /** The sweep folder: one run folder per run inside it, plan.json, the table. */
  out: string;
  base: Record<string, FlagValue>;
  axes: SweepAxis[];
}

const KEYS = ["name", "description", "out", "base", "axes"];

/** A sweep's name: it names its folder and its Slurm jobs. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The axes whose value "all" means every class of the data set. */
export const CLASS_AXES: readonly string[] = ["normal", "category"];

function isFlagValue(v: unknown): v is FlagValue {
  return typeof v === "string" || typeof v === "boolean" ||
    (typeof v === "number" && Number.isFinite(v)) ||
    (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number"));
}

/** A value as a person reads it in a message or a run folder name. */
export function formatFlagValue(v: FlagValue): string {
  return Array.isArray(v) ? v.join(",") : String(v);
}

/**
 * Checks the shape of a parsed sweep file and returns it as a {@linkcode SweepSpec}.
 * Whether each key is a train flag and each value fits it is checked by `expandSweep`.
 *
 * @param source The file it came from (named in every error); its base name is the default
 *   sweep name, and `runs/<name>` the default folder.
 */
export function parseSweepSpec(value: unknown, source: string): SweepSpec {
  const fail = (msg: string) => new ConfigError(`${source}: ${msg}`);
  if (value == null || typeof value !== "object" || Array.isArray(value)) {
    throw fail(`a sweep file is a JSON object with "base" and "axes"`);
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) {
      throw fail(`unknown key "${key}" (a sweep file has ${KEYS.join(", ")})`);
    }
  }
  const fileName = source.split("/").at(-1)!.replace(/\.json$/i, "");
  const name = o.name ?? fileName;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw fail(`"name" must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }
  if (o.description != null && typeof o.description !== "string") {
    throw fail(`"description" must be a string`);
  }
  const out = o.out ?? `runs/${name}`;
  if (typeof out !== "string" || out === "") {
    throw fail(`"out" must be a folder path, got ${JSON.stringify(o.out)}`);
  }
  const base = o.base ?? {};
  if (typeof base !== "object" || Array.isArray(base) || base == null) {
    throw fail(`"base" must be an object of train flags, e.g. { "data": "mnist" }`);
  }
  for (const [k, v] of Object.entries(base)) {
    if (!isFlagValue(v)) {
      throw fail(`base "${k}": ${JSON.stringify(v)} is not a flag value`);
    }
  }
  if (o.axes == null || typeof o.axes !== "object" || Array.isArray(o.axes)) {
    throw fail(`"axes" must be an object of train flags and their values, e.g. { "seed": [0, 1] }`);
  }
  const axes: SweepAxis[] = [];
  for (const [k, v] of Object.entries(o.axes as Record<string, unknown>)) {
    axes.push(parseAxis(k, v, source));
  }
  if (axes.length === 0) throw fail(`"axes" is empty: a sweep needs at least one axis`);
  const spec: SweepSpec = {
    name,
    out,
    base: base as Record<string, FlagValue>,
    axes,
  };
  if (o.description != null) spec.description = o.description as string;
  checkOverlap(spec, source);
  return spec;
}

/** Checks one axis (a flag name and its values) and returns it. */
export function parseAxis(name: string, values: unknown, source: string): SweepAxis {
  const fail = (msg: string) => new ConfigError(`${source}: axis "${name}": ${msg}`);
  if (values === "all") {
    if (!CLASS_AXES.includes(name)) {
      throw fail(`"all" lists the classes of a data set: only ${CLASS_AXES.join(" and ")} take it`);
    }
    return { name, values: "all" };
  }
  if (!Array.isArray(values) || values.length === 0) {
    throw fail(`values must be a non-empty list, got ${JSON.stringify(values)}`);
  }
  const seen = new Set<string>();
  for (const v of values) {
    if (!isFlagValue(v)) throw fail(`${JSON.stringify(v)} is not a flag value`);
    if (v === "all") throw fail(`"all" stands alone ("${name}": "all"), not inside a list`);
    const key = formatFlagValue(v);
    if (seen.has(key)) throw fail(`value ${key} is listed twice`);
    seen.add(key);
  }
  return { name, values: values as FlagValue[] };
}

function checkOverlap(spec: SweepSpec, source: string): void {
  const seen = new Set<string>();
  for (const axis of spec.axes) {
    if (axis.name in spec.base) {
      throw new ConfigError(`${source}: "${axis.name}" is both in "base" and an axis; keep one`);
    }
    if (seen.has(axis.name)) throw new ConfigError(`${source}: axis "${axis.name}" is given twice`);
    seen.add(axis.name);
  }
}

/** Reads and checks a sweep file (JSON). */
export async function readSweepFile(path: string): Promise<SweepSpec> {
  if (/\.ya?ml$/i.test(path)) {
    throw new ConfigError(`${path}: sweep files are JSON (see docs/sweeps.md)`);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(
      e instanceof Deno.errors.NotFound
        ? `sweep file ${path} does not exist`
        : e instanceof Deno.errors.IsADirectory
        ? `${path} is a folder, not a sweep file (a sweep folder is read by sweep table)`
        : `cannot read sweep file ${path}: ${(e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseSweepSpec(value, path);
}

/** Changes to a sweep given on the command line. */
export interface SweepOverrides {
  /** Axes that replace the file's axis of the same name, or are added after its axes. */
  axes?: SweepAxis[];
  /** Base flags that replace the file's (an axis of the same name is dropped). */
  base?: Record<string, FlagValue>;
  out?: string;
  name?: string;
}

/**
 * The sweep with command-line changes: `--axis` replaces an axis in place (or adds one),
 * a base flag after `--` replaces the file's and drops an axis of the same name.
 *
 * @example
 * ```ts
 * import { parseSweepSpec, withOverrides } from "./spec.ts";
 * const spec = parseSweepSpec({ axes: { seed: [0, 1], normal: "all" } }, "t.json");
 * const tiny = withOverrides(spec, { axes: [{ name: "normal", values: [0, 1] }], base: { seed: 0 } });
 * console.log(tiny.axes); // [{ name: "normal", values: [0, 1] }]
 * ```
 */
export function withOverrides(spec: SweepSpec, o: SweepOverrides): SweepSpec {
  if (o.name != null && !NAME.test(o.name)) {
    throw new ConfigError(
      `--name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(o.name)}`,
    );
  }
  const base = { ...spec.base };
  let axes = spec.axes.map((a) => ({ ...a }));
  for (const [k, v] of Object.entries(o.base ?? {})) {
    base[k] = v;
    axes = axes.filter((a) => a.name !== k);
  }
  for (const axis of o.axes ?? []) {
    delete base[axis.name];
    const at = axes.findIndex((a) => a.name === axis.name);
    if (at >= 0) axes[at] = axis;
    else axes.push(axis);
  }
  const out: SweepSpec = {
    ...spec,
    name: o.name ?? spec.name,
    out: o.out ?? spec.out,
    base,
    axes,
  };
  if (out.axes.length === 0) {
    throw new ConfigError(`the sweep ${out.name} has no axis left: a sweep needs at least one`);
  }
  return out;
}
