/**
 * `deno task compare [--out PREFIX] [--by-class [--paper mnist|cifar10]] RUN...`: one
 * table of finished runs (settings, image AUROC, memory report), printed as Markdown and
 * written to PREFIX.json and PREFIX.md. With `--by-class`, a per-class table over seeds
 * comes first (mean ± spread per class, the mean over the classes, per-seed means), and
 * PREFIX.json holds `{ by_class, runs }`.
 * @module
 */
import { compareRuns, comparisonToMarkdown } from "../eval/compare.ts";
import { classSummaryToMarkdown, summarizeByClass } from "../eval/class_summary.ts";
import { table2Quotes } from "../eval/paper_tables.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { runCli } from "./_common.ts";

const FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: "Write PREFIX.json and PREFIX.md (e.g. docs/results/ablation)." },
  "by-class": {
    type: "bool",
    help: "Add a per-class table over seeds: mean ± half the range, mean over the classes.",
  },
  paper: {
    type: "enum",
    choices: ["mnist", "cifar10"],
    help: "With --by-class: quote DAAD Table 2's mean for this data set beside each model.",
  },
};

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(
      formatHelp("Usage: deno task compare [--out PREFIX] [--by-class] RUN...", FLAGS),
    );
    return 0;
  }
  if (positionals.length === 0) throw new ArgError("compare needs one or more run folders");
  if (flags.paper != null && !flags.byClass) {
    throw new ArgError("--paper quotes beside the per-class table: add --by-class");
  }
  const rows = await compareRuns(positionals);
  let md = comparisonToMarkdown(rows);
  let json: unknown = rows;
  if (flags.byClass) {
    const paper = flags.paper as "mnist" | "cifar10" | undefined;
    // Both of Table 2's data sets have ten classes, 0..9: a model short of some is marked.
    const classes = paper ? Array.from({ length: 10 }, (_, i) => String(i)) : undefined;
    const summary = summarizeByClass(rows, classes);
    const table = classSummaryToMarkdown(
      summary,
      paper ? { paper: table2Quotes(paper), paperHeading: `paper, Table 2 (${paper} mean)` } : {},
    );
    md = `${table}\n${md}`;
    json = { by_class: summary, runs: rows };
  }
  console.log(md);
  const out = flags.out as string | undefined;
  if (out != null) {
    await Deno.writeTextFile(`${out}.json`, JSON.stringify(json, null, 2) + "\n");
    await Deno.writeTextFile(`${out}.md`, md);
    console.log(`wrote ${out}.json and ${out}.md`);
  }
  return 0;
}

if (import.meta.main) await runCli(main);
