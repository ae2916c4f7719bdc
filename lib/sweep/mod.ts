/**
 * Sweeps: many trainings that differ in a few settings, and their summary.
 *
 * - `spec.ts`, `plan.ts`: a sweep described once (a JSON file or flags: base train flags
 *   plus axes), expanded into named runs with stable folders, every flag checked against
 *   the train command's before anything runs (`deno task sweep`; docs/sweeps.md).
 * - `state.ts`, `local.ts`: where each run stands (finished, started, new) and running the
 *   unfinished ones here, N `deno task train` processes at a time.
 * - `slurm.ts`: the same sweep as a Slurm job array plus a dependent table job.
 * - `table.ts`: the sweep's table (per run, and per class over seeds).
 * - `categories.ts`: `trainSweep`, one run folder per class of a data set in one process
 *   (`--normal all`, `--category all`; paper Tables 2 and 3).
 * - `rates.ts`: `sweepSettings`, one in-memory model per setting (division rate, memory
 *   size; paper Table 4, Figure 5, supplement Figure 1).
 *
 * This is the top of the kit below the CLI: it drives `run.ts`.
 *
 * @example
 * ```ts
 * import { isSweep, parseSweepSpec, rateSettings } from "./mod.ts";
 * import { resolveRunConfig } from "../families/resolve.ts";
 * console.log(isSweep(resolveRunConfig({ data: "mnist", normal: "all" }))); // true
 * console.log(rateSettings([1, 8]).map((s) => s.label)); // ["r=1", "r=8"]
 * console.log(parseSweepSpec({ axes: { seed: [0, 1] } }, "seeds.json").out); // runs/seeds
 * ```
 * @module
 */
export * from "./categories.ts";
export * from "./rates.ts";
export * from "./spec.ts";
export * from "./plan.ts";
export * from "./state.ts";
export * from "./local.ts";
export * from "./slurm.ts";
export * from "./table.ts";
