/**
 * The kit's public API: backends, the DAAD model family, data, training, evaluation.
 *
 * @example
 * ```ts
 * import { initBackend, oneClassMnist, resolveRunConfig, trainRun } from "./mod.ts";
 * const backend = await initBackend("auto");
 * const config = resolveRunConfig({ data: "mnist", normal: 3, epochs: 5 });
 * const { metrics } = await trainRun(config, { backend });
 * console.log(metrics?.image_auroc);
 * ```
 * @module
 */
export * from "./backend.ts";
export * from "./config.ts";
export * from "./adapters.ts";
export * from "./data/mod.ts";
export * from "./eval/evaluate.ts";
export * from "./eval/score_set.ts";
export * from "./kernels/mod.ts";
export * from "./memory/block_memory.ts";
export * from "./memory/diagnostics.ts";
export * from "./memory/exemplars.ts";
export {
  DAAD_SUPP_TABLE1,
  DAAD_TABLE2,
  DAAD_TABLE3,
  DAAD_TABLE4,
  DAAD_TABLE5,
  type PaperTable,
  paperTable4Auroc,
  paperValue,
} from "./eval/paper_tables.ts";
export * from "./metrics/mod.ts";
export * from "./models/daad/mod.ts";
export * from "./models/mod.ts";
export * from "./nn/layers.ts";
export * from "./nn/params.ts";
export * from "./run.ts";
export * from "./train/adam.ts";
export * from "./train/checkpoint.ts";
export * from "./train/progress.ts";
export * from "./train/run_dir.ts";
export * from "./train/trainer.ts";
export * from "./viz/mod.ts";
export * from "./eval/run_report.ts";
export * from "./eval/table.ts";
export * from "./sweep/mod.ts";
export * from "./toy/mod.ts";
export { MnadModel, MnadNetwork } from "./models/mnad/mod.ts";
export * from "./models/daad_plus/mod.ts";
export * as mnad from "./models/mnad/mod.ts";
export { deriveSeed, Rng, type RngState } from "./util/rng.ts";
