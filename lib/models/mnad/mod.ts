/**
 * MNAD (Park, Noh and Ham, CVPR 2020) as a kit model, `--model mnad`: the network, the
 * training objective (eq. 8), the memory update after every training step (eq. 3-5),
 * and a scorer that updates a test-time copy of the memory with the frames its regular
 * score declares normal (eq. 6-7) and reports the two components of the abnormality
 * score, which {@linkcode MnadModel.finalizeScores} normalises per video (eq. 14-17).
 *
 * Samples: `recon` takes single frames [B, H, W, C]; `pred` takes clips of
 * `inputFrames + 1` consecutive frames stacked along channels, [B, H, W, (T+1)·C],
 * the inputs first and the frame to predict last (the layout of `lib/data/video.ts`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MnadModel, mnadDefaults } from "./mod.ts";
 * const model = new MnadModel({ ...mnadDefaults("recon"), size: 32, width: 4 }, 0);
 * const out = model.score(tf.zeros([2, 32, 32, 1]));
 * console.log(Object.keys(out.components ?? {})); // ["psnr", "distance"]
 * model.dispose();
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./loss.ts";
export * from "./memory.ts";
export * from "./score.ts";
export { l2NormalizePositions, MnadNetwork, mnadStageChannels } from "./model.ts";
export type { MnadEncoding } from "./model.ts";
export * from "./kit_model.ts";
