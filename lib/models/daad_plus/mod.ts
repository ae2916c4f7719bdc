/**
 * DAAD+ as a kit model (`--model daad-plus`): the DAAD-family generator with the
 * adversarially learned representation of paper §3.1.3. Training steps two objectives
 * on every batch, "d" (the discriminator, eq. 5) then "g" (the generator, eq. 3), each
 * with its own Adam over its own network's weights (lr 2e-4, §4.1). Scoring reports the
 * per-image components R(x) and L(x), which {@linkcode DaadPlusModel.finalizeScores}
 * scales and fuses over the whole test set (eq. 7).
 *
 * The switches of {@linkcode DaadPlusConfig} (adversarial, alignment,
 * reconstructionScore, alignmentScore) give every row of Table 5 on any generator
 * variant; {@linkcode TABLE5_ABLATIONS} names them.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DaadPlusModel, DEFAULT_DAAD_PLUS_CONFIG } from "./mod.ts";
 * const model = new DaadPlusModel({ ...DEFAULT_DAAD_PLUS_CONFIG, size: 32, channels: 1,
 *   width: 4, memory: 10, division: [2, 2, 1], discriminatorWidth: 4 }, 0);
 * console.log(model.objectives.map((o) => o.name)); // ["d", "g"]
 * const out = model.score(tf.zeros([2, 32, 32, 1]));
 * console.log(Object.keys(out.components ?? {})); // ["rec", "ali"]
 * model.dispose();
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./discriminator.ts";
export * from "./loss.ts";
export * from "./score.ts";
export { DaadPlusNetwork, DISCRIMINATOR_PREFIX } from "./model.ts";
export type { DaadPlusScoreComponents } from "./model.ts";
export * from "./kit_model.ts";
