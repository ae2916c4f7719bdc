/**
 * Training: the loop ({@linkcode train}, model-agnostic: a model offers objectives and a
 * parameter store), the kit's Adam, checkpoints written atomically, run folders and
 * progress display.
 *
 * @example
 * ```ts
 * import { consoleProgress, train } from "./mod.ts";
 * import { stripesDataset } from "../data/stripes.ts";
 * import { DaadModel, DEFAULT_DAAD_CONFIG } from "../models/daad/mod.ts";
 * const { train: data } = stripesDataset({ size: 32, nTrain: 16, nTest: 4 });
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, size: 32, width: 4, memory: 10,
 *   division: [2, 2, 1] }, 0);
 * await train(model, data, { epochs: 1, batchSize: 8, seed: 0, augment: "none",
 *   progress: consoleProgress() });
 * model.dispose();
 * ```
 * @module
 */
export * from "./adam.ts";
export * from "./checkpoint.ts";
export * from "./progress.ts";
export * from "./run_dir.ts";
export * from "./trainer.ts";
