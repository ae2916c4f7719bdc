/**
 * Sweeps: many trainings of one configuration that differ in one thing, and their
 * summary. `trainSweep` trains one run folder per class of a data set (`--normal all`,
 * `--category all`; paper Tables 2 and 3); `sweepSettings` trains one in-memory model
 * per setting (division rate, memory size; paper Table 4, Figure 5, supplement
 * Figure 1). This is the top of the kit below the CLI: it drives `run.ts`.
 *
 * @example
 * ```ts
 * import { isSweep, rateSettings } from "./mod.ts";
 * import { resolveRunConfig } from "../config.ts";
 * console.log(isSweep(resolveRunConfig({ data: "mnist", normal: "all" }))); // true
 * console.log(rateSettings([1, 8]).map((s) => s.label)); // ["r=1", "r=8"]
 * ```
 * @module
 */
export * from "./categories.ts";
export * from "./rates.ts";
