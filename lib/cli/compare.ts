/**
 * `deno task compare [--out PREFIX] RUN...`: one table of finished runs (settings, image
 * AUROC, memory report), printed as Markdown and written to PREFIX.json and PREFIX.md.
 * @module
 */
import { compareRuns, comparisonToMarkdown } from "../eval/compare.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { runCli } from "./_common.ts";

const FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: "Write PREFIX.json and PREFIX.md (e.g. docs/results/ablation)." },
};

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task compare [--out PREFIX] RUN...", FLAGS));
    return 0;
  }
  if (positionals.length === 0) throw new ArgError("compare needs one or more run folders");
  const rows = await compareRuns(positionals);
  const md = comparisonToMarkdown(rows);
  console.log(md);
  const out = flags.out as string | undefined;
  if (out != null) {
    await Deno.writeTextFile(`${out}.json`, JSON.stringify(rows, null, 2) + "\n");
    await Deno.writeTextFile(`${out}.md`, md);
    console.log(`wrote ${out}.json and ${out}.md`);
  }
  return 0;
}

if (import.meta.main) await runCli(main);
