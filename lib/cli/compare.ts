/**
 * `deno task compare [--out PREFIX] [--by-class [--paper mnist|cifar10]] [--curves FILE]
 * RUN...`: one table of finished runs (settings, image AUROC, memory report), printed as
 * Markdown and written to PREFIX.json and PREFIX.md. With `--by-class`, a per-class table
 * over seeds comes first (mean ± spread per class, the mean over the classes, per-seed
 * means), and PREFIX.json holds `{ by_class, runs }`. Runs trained with `--eval-every`
 * add a table of image AUROC against epochs (with `--by-class`, also each model's mean over
 * its runs at every epoch and the epoch where it peaks); `--curves FILE` draws those curves
 * into one self-contained HTML page.
 * @module
 */
import { compareRuns, comparisonToMarkdown, curvesToMarkdown } from "../eval/compare.ts";
import { aurocCurveFigure } from "../viz/figures.ts";
import { writeReport } from "../viz/report.ts";
import {
  classSummaryToMarkdown,
  meanCurvesToMarkdown,
  summarizeByClass,
} from "../eval/class_summary.ts";
import { table2Quotes } from "../eval/paper_tables.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { runCli, writeOutput } from "./_common.ts";
import { writeFileAtomic } from "../util/fs.ts";

const FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: "Write PREFIX.json and PREFIX.md (e.g. docs/results/ablation)." },
  "by-class": {
    type: "bool",
    help: "Add a per-class table over seeds: mean ± half the range, mean over the classes; " +
      "with --eval-every runs, each model's mean AUROC against epochs and its peak epoch.",
  },
  paper: {
    type: "enum",
    choices: ["mnist", "cifar10"],
    help: "With --by-class: quote DAAD Table 2's mean for this data set beside each model.",
  },
  curves: {
    type: "string",
    help: "Write FILE (HTML) plotting image AUROC against epochs for the runs trained with " +
      "--eval-every.",
  },
};

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(
      formatHelp(
        "Usage: deno task compare [--out PREFIX] [--by-class] [--curves FILE] RUN...",
        FLAGS,
      ),
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
    const meanCurves = meanCurvesToMarkdown(summary);
    md = meanCurves === ""
      ? `${table}\n${md}`
      : `${table}\nMean image AUROC against epochs, per model (--eval-every):\n\n${meanCurves}\n${md}`;
    json = { by_class: summary, runs: rows };
  }
  const curves = curvesToMarkdown(rows);
  if (curves !== "") md = `${md}\nImage AUROC against epochs (--eval-every):\n\n${curves}`;
  const curvesPath = flags.curves as string | undefined;
  if (curvesPath != null) {
    const drawn = rows.filter((r) => r.curve != null && r.curve.length > 0);
    if (drawn.length === 0) {
      throw new ArgError(
        "--curves draws AUROC against epochs, but none of these runs has a curve: train with " +
          "--eval-every K",
      );
    }
    const figure = aurocCurveFigure(
      drawn.map((r) => ({
        name: r.run,
        points: r.curve!.map((p) => ({ epoch: p.epoch, value: p.image_auroc })),
      })),
      { title: "" },
    ); // the page's heading says it
    await writeOutput("curves", curvesPath, () =>
      writeReport(curvesPath, {
        title: "Image AUROC against epochs",
        subtitle: `${drawn.length} runs: ${drawn.map((r) => r.run).join(", ")}`,
        extraFigures: [{ figure, height: 480 }],
      }));
  }
  console.log(md);
  const out = flags.out as string | undefined;
  if (out != null) {
    const text = [[`${out}.json`, JSON.stringify(json, null, 2) + "\n"], [`${out}.md`, md]];
    for (const [path, content] of text) {
      await writeOutput(
        "out",
        path,
        () => writeFileAtomic(path, new TextEncoder().encode(content)),
      );
    }
    console.log(`wrote ${out}.json and ${out}.md`);
  }
  if (curvesPath != null) console.log(`wrote ${curvesPath}`);
  return 0;
}

if (import.meta.main) await runCli(main);
