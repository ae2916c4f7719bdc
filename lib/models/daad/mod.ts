/**
 * The DAAD family (`ae`, `ae-skip`, `memae`, `daad`): configuration, network
 * (`model.ts`), training objective (`loss.ts`, eq. 4 plus MemAE's entropy term), anomaly
 * scorer R(x) (`score.ts`), the division rates its block memory allows (`division.ts`),
 * and {@linkcode DaadModel}, the network wrapped as a kit
 * model (`kit_model.ts`).
 *
 * @example
 * ```ts
 * import { DaadModel, DEFAULT_DAAD_CONFIG } from "./mod.ts";
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, size: 32, width: 4, memory: 10,
 *   division: [2, 2, 1] }, 0);
 * console.log(model.params.numParams());
 * model.dispose();
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./division.ts";
export { DaadNetwork } from "./model.ts";
export type { DaadOutput } from "./model.ts";
export { daadLoss, meanL2Distance, reconstructionLoss, reconstructionNormLoss } from "./loss.ts";
export { errorMap, reconstructionScore } from "./score.ts";
export * from "./kit_model.ts";
export * from "./step_record.ts";
