/**
 * Command-line parsing for the kit's tasks: `--flag value`, `--flag=value`, boolean
 * flags and positional arguments, each flag typed and checked, every error naming the
 * flag and the value.
 * @module
 */
import { camel, type FlagSpec } from "../config.ts";

/** Raised for bad command-line input; the CLI prints the message and exits with 2. */
export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgError";
  }
}

export type { FlagSpec };
export { camel };

/** Parsed values by flag name (camelCase of the flag) and the positionals. */
export interface ParsedArgs {
  flags: Record<string, unknown>;
  positionals: string[];
  help: boolean;
}

function parseValue(name: string, spec: FlagSpec, raw: string): unknown {
  const bad = (want: string) => new ArgError(`--${name} expects ${want}, got '${raw}'`);
  switch (spec.type) {
    case "int": {
      if (!/^-?\d+$/.test(raw)) throw bad("an integer");
      const v = Number(raw);
      if (spec.min != null && v < spec.min) throw bad(`an integer >= ${spec.min}`);
      return v;
    }
    case "float": {
      const v = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(v)) throw bad("a number");
      if (spec.min != null && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
        throw bad(`a number ${spec.exclusiveMin ? ">" : ">="} ${spec.min}`);
      }
      return v;
    }
    case "string":
      if (raw === "") throw bad("a value");
      return raw;
    case "bool":
      if (["true", "1", "yes"].includes(raw)) return true;
      if (["false", "0", "no"].includes(raw)) return false;
      throw bad("true or false");
    case "enum":
      if (!spec.choices.includes(raw)) throw bad(spec.choices.join("|"));
      return raw;
    case "ints": {
      const parts = raw.split(",");
      if (
        parts.length !== spec.count || parts.some((p) => !/^\d+$/.test(p.trim()) || Number(p) < 1)
      ) {
        throw bad(`${spec.count} positive integers separated by commas`);
      }
      return parts.map(Number);
    }
    case "int-or-all": {
      if (raw === "all") return "all";
      if (!/^-?\d+$/.test(raw)) throw bad(`an integer or 'all'`);
      const v = Number(raw);
      if ((spec.min != null && v < spec.min) || (spec.max != null && v > spec.max)) {
        throw bad(`${spec.min ?? ""}..${spec.max ?? ""} or 'all'`);
      }
      return v;
    }
  }
}

/** Parses `argv` against `specs`. Unknown flags and missing values are errors. */
export function parseArgs(argv: string[], specs: Record<string, FlagSpec>): ParsedArgs {
  const flags: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      help = true;
      continue;
    }
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--")) {
      if (a.startsWith("-") && a.length > 1 && !/^-\d/.test(a)) {
        throw new ArgError(`unknown option '${a}'`);
      }
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = specs[name];
    if (spec == null) {
      throw new ArgError(`unknown flag --${name} (see --help for the flags this command takes)`);
    }
    let raw: string;
    if (eq >= 0) {
      raw = a.slice(eq + 1);
    } else if (spec.type === "bool") {
      raw = "true";
    } else {
      if (
        i + 1 >= argv.length ||
        (argv[i + 1].startsWith("--") && spec.type !== "float" && spec.type !== "int")
      ) {
        throw new ArgError(`--${name} needs a value`);
      }
      raw = argv[++i];
    }
    const key = camel(name);
    if (key in flags) throw new ArgError(`--${name} is given twice`);
    flags[key] = parseValue(name, spec, raw);
  }
  return { flags, positionals, help };
}

/** One flag's lines in a help text. */
function helpRow(name: string, spec: FlagSpec): string {
  const arg = spec.type === "bool"
    ? ""
    : spec.type === "enum"
    ? ` <${spec.choices.join("|")}>`
    : " <value>";
  return `  --${name}${arg}\n      ${spec.help}`;
}

/** A help text listing the flags. */
export function formatHelp(usage: string, specs: Record<string, FlagSpec>, notes = ""): string {
  const rows = Object.entries(specs).map(([name, spec]) => helpRow(name, spec));
  return `${usage}\n\nFlags:\n${rows.join("\n")}\n  --help\n      Show this help.\n${
    notes ? `\n${notes}\n` : ""
  }`;
}

/** A group of flags in a help text: a heading, the flags, and lines after them. */
export interface HelpGroup {
  title: string;
  specs: Record<string, FlagSpec>;
  /** A line under the heading, before the flags. */
  intro?: string;
  /** Lines after the flags. */
  notes?: string;
}

/**
 * A help text listing the flags group by group (`deno task train`: the run's, then each
 * model family's); `--help` closes the first group.
 */
export function formatHelpGroups(usage: string, groups: HelpGroup[], notes = ""): string {
  const blocks = groups.map((g, i) => {
    const lines = [`${g.title}:`];
    if (g.intro) lines.push(`  ${g.intro}`);
    lines.push(...Object.entries(g.specs).map(([name, spec]) => helpRow(name, spec)));
    if (i === 0) lines.push("  --help\n      Show this help.");
    if (g.notes) lines.push(...g.notes.split("\n").map((l) => `  ${l}`));
    return lines.join("\n");
  });
  return `${usage}\n\n${blocks.join("\n\n")}\n${notes ? `\n${notes}\n` : ""}`;
}
