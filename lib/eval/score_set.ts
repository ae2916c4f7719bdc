/**
 * Scores a whole image set with a model, batch by batch, in evaluation mode.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { evalBatches, type ImageSet } from "../data/image_set.ts";
import type { KitModel } from "../models/kit_model.ts";
import { type ProgressSink, silentProgress } from "../train/progress.ts";

/** Per-image scores and, optionally, per-pixel maps and reconstructions of a set. */
export interface SetScores {
  scores: Float32Array;
  /** n·H·W values when asked for. */
  maps?: Float32Array;
  /** n·H·W·C values when asked for. */
  reconstructions?: Float32Array;
  /** Per-image raw components, when the model reports them. */
  components?: Record<string, Float32Array>;
  /** Images per second of the scoring pass. */
  imagesPerSecond: number;
}

/** Options of {@linkcode scoreSet}. */
export interface ScoreSetOptions {
  batchSize?: number;
  keepMaps?: boolean;
  keepReconstructions?: boolean;
  progress?: ProgressSink;
  label?: string;
}

/** Scores every image of `set`. */
export async function scoreSet(
  model: KitModel,
  set: ImageSet,
  options: ScoreSetOptions = {},
): Promise<SetScores> {
  const batchSize = options.batchSize ?? 32;
  const progress = options.progress ?? silentProgress;
  const label = options.label ?? "scoring";
  const px = set.height * set.width;
  const scores = new Float32Array(set.n);
  const maps = options.keepMaps ? new Float32Array(set.n * px) : undefined;
  // A reconstruction may have fewer channels than its sample (MNAD predicts one frame of a clip).
  let recs: Float32Array | undefined;
  const components: Record<string, Float32Array> = {};
  const t0 = performance.now();
  for (const [start, batch] of evalBatches(set, batchSize)) {
    const out = model.score(batch);
    scores.set(await out.scores.data() as Float32Array, start);
    if (maps) maps.set(await out.maps.data() as Float32Array, start * px);
    if (options.keepReconstructions && out.reconstruction) {
      const per = out.reconstruction.size / out.reconstruction.shape[0];
      recs ??= new Float32Array(set.n * per);
      recs.set(await out.reconstruction.data() as Float32Array, start * per);
    }
    for (const [name, t] of Object.entries(out.components ?? {})) {
      components[name] ??= new Float32Array(set.n);
      components[name].set(await t.data() as Float32Array, start);
    }
    tf.dispose([
      batch,
      out.scores,
      out.maps,
      out.reconstruction ?? [],
      ...Object.values(out.components ?? {}),
    ]);
    progress.update({ label, done: Math.min(set.n, start + batchSize), total: set.n });
  }
  progress.end({ label, done: set.n, total: set.n });
  const elapsed = (performance.now() - t0) / 1000;
  if (model.finalizeScores != null) scores.set(model.finalizeScores(components, set));
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new Error(
        `score of image ${set.names?.[i] ?? i} is ${
          scores[i]
        }; the model produced non-finite output`,
      );
    }
  }
  return {
    scores,
    maps,
    reconstructions: recs,
    components: Object.keys(components).length > 0 ? components : undefined,
    imagesPerSecond: set.n / elapsed,
  };
}
