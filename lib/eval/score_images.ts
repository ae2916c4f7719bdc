/**
 * Scores a batch of new images as `deno task predict` does: one evaluation-mode pass of
 * the model, then, for a model whose score needs set-level statistics (DAAD+'s eq. 7),
 * its `finalizeScores` (on a saved calibration's scale when the model was calibrated,
 * else on these images' own). The CLI, the ONNX export's check and the exported web
 * page all score through this one function, so that they agree by construction.
 *
 * @example
 * ```ts
 * import { DaadModel } from "../models/daad/kit_model.ts";
 * import { DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
 * import { scoreImages } from "./score_images.ts";
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, variant: "ae", size: 16, width: 2,
 *   channels: 1 }, 0);
 * const out = await scoreImages(model, new Float32Array(2 * 16 * 16), [2, 16, 16, 1]);
 * console.log(out.scores.length, out.maps.length); // 2 512
 * model.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { KitModel } from "../models/kit_model.ts";

/** What {@linkcode scoreImages} returns. */
export interface ImageScores {
  /** One final score per image. */
  scores: Float32Array;
  /** The per-pixel maps, n·H·W values (image after image, row-major). */
  maps: Float32Array;
}

/**
 * Scores `n` images given as NHWC float32 values in the kit's [-1, 1] range, `shape` =
 * [n, height, width, channels].
 */
export async function scoreImages(
  model: KitModel,
  data: Float32Array,
  shape: [number, number, number, number],
): Promise<ImageScores> {
  const [n, height, width, channels] = shape;
  if (data.length !== n * height * width * channels) {
    throw new RangeError(`${data.length} values for ${n} images of ${height}x${width}x${channels}`);
  }
  const x = tf.tensor4d(data, shape);
  const out = model.score(x);
  try {
    let scores = await out.scores.data() as Float32Array;
    if (model.finalizeScores != null && out.components != null) {
      const comps: Record<string, Float32Array> = {};
      for (const [k, t] of Object.entries(out.components)) {
        comps[k] = await t.data() as Float32Array;
      }
      scores = model.finalizeScores(comps, { n, height, width, channels, data });
    }
    const maps = await out.maps.data() as Float32Array;
    return { scores: Float32Array.from(scores), maps: Float32Array.from(maps) };
  } finally {
    tf.dispose([
      x,
      out.scores,
      out.maps,
      out.reconstruction ?? [],
      ...Object.values(out.components ?? {}),
    ]);
  }
}
