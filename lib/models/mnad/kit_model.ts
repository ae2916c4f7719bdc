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
 * import { mnadDefaults } from "./config.ts";
 * import { MnadModel } from "./kit_model.ts";
 * const model = new MnadModel({ ...mnadDefaults("recon"), size: 32, width: 4 }, 0);
 * const out = model.score(tf.zeros([2, 32, 32, 1]));
 * console.log(Object.keys(out.components ?? {})); // ["psnr", "distance"]
 * model.dispose();
 * ```
 * @module
 */
import type { ParamStore } from "../../nn/params.ts";
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../../data/image_set.ts";
import { Adam, type AdamConfig } from "../../train/adam.ts";
import type { Objective } from "../../train/trainer.ts";
import type { KitModel, ScoreOutput } from "../kit_model.ts";
import { type MnadConfig, sampleChannels } from "./config.ts";
import { mnadLoss } from "./loss.ts";
import { readMemory } from "./memory.ts";
import { type MnadEncoding, MnadNetwork } from "./model.ts";
import {
  combineScores,
  errorMap,
  featureDistance,
  psnr,
  regularScore,
  scoreFrame,
} from "./score.ts";

/** Everything one forward pass gives. */
export interface MnadForward {
  /** The output frame Î (reconstruction or prediction) [B, H, W, C]. */
  output: tf.Tensor4D;
  /** The frame it is compared with [B, H, W, C]. */
  target: tf.Tensor4D;
  /** Queries [B·h·w, C'], unit norm. */
  queries: tf.Tensor2D;
  /** Matching probabilities of eq. 1 [B·h·w, M]. */
  weights: tf.Tensor2D;
}

/** Cosine annealing from `lr` to 0 over `steps` steps (SGDR without restarts). */
export function cosineLr(lr: number, step: number, steps: number): number {
  if (steps <= 0) return lr;
  const t = Math.min(step, steps) / steps;
  return 0.5 * lr * (1 + Math.cos(Math.PI * t));
}

/** An MNAD network with its memory, wrapped for training and scoring. */
export class MnadModel implements KitModel {
  readonly network: MnadNetwork;
  readonly objectives: Objective[];
  readonly config: MnadConfig;
  /** Queries of the last training forward, kept for the memory update of {@linkcode afterStep}. */
  #pendingQueries: tf.Tensor2D | null = null;
  /** The memory as the scorer updates it at test time (a copy: training's items stay). */
  readonly #testItems: tf.Variable;
  #testItemsFresh = false;

  /**
   * Builds the model; `adam` overrides the optimizer settings (the learning rate comes
   * from `config.lr`, betas 0.9/0.999 as §4.1).
   */
  constructor(config: MnadConfig, seed: number, adam: Partial<AdamConfig> = {}) {
    this.network = new MnadNetwork(config, seed);
    this.config = this.network.config;
    const optimizer = new Adam(this.network.params.trainableVariables(), {
      lr: config.lr,
      ...adam,
    });
    const baseLr = optimizer.config.lr;
    this.#testItems = tf.variable(this.network.memory.items.clone(), false);
    this.objectives = [{
      name: "model",
      optimizer,
      loss: (batch) => {
        // The schedule depends on the optimizer's own step count, which checkpoints
        // restore, so a resumed run anneals exactly as an uninterrupted one.
        optimizer.config.lr = cosineLr(baseLr, optimizer.step, this.config.cosineSteps);
        const f = this.forward(batch, true);
        this.#keepQueries(f.queries);
        return mnadLoss(f.target, f.output, f.queries, this.items, this.config);
      },
    }];
  }

  get params(): ParamStore {
    return this.network.params;
  }

  /** The trained memory items [M, C'] (a variable; do not dispose). */
  get items(): tf.Tensor2D {
    return this.network.memory.items as tf.Tensor2D;
  }

  /** The test-time copy of the items the scorer reads and updates [M, C']. */
  get testItems(): tf.Tensor2D {
    this.#syncTestItems();
    return this.#testItems as tf.Tensor2D;
  }

  /** Channels one sample has: C (recon) or (inputFrames + 1)·C (pred). */
  get sampleChannels(): number {
    return sampleChannels(this.config);
  }

  /** Splits a batch of samples into the encoder's input and the frame to produce. */
  split(batch: tf.Tensor4D): { input: tf.Tensor4D; target: tf.Tensor4D } {
    const [b, h, w, c] = batch.shape;
    const { size, channels, task, inputFrames } = this.config;
    if (h !== size || w !== size || c !== this.sampleChannels) {
      const what = task === "pred"
        ? `clips of ${inputFrames + 1} frames x ${channels} channels`
        : `frames of ${channels} channels`;
      throw new RangeError(
        `MNAD ${task} expects [B, ${size}, ${size}, ${this.sampleChannels}] samples (${what}), ` +
          `got [${batch.shape}]`,
      );
    }
    if (task === "recon") return { input: batch, target: batch };
    const cin = inputFrames * channels;
    return {
      input: tf.slice(batch, [0, 0, 0, 0], [b, h, w, cin]),
      target: tf.slice(batch, [0, 0, 0, cin], [b, h, w, channels]),
    };
  }

  /**
   * Encoder, memory read with the trained items (eq. 1-2), decoder. Training mode uses
   * batch statistics; the items are not changed here.
   */
  forward(batch: tf.Tensor4D, training: boolean): MnadForward {
    const mode = { training };
    const { input, target } = this.split(batch);
    const enc = this.network.encode(input, mode);
    const queries = this.#flat(enc.query);
    const { weights, read } = readMemory(queries, this.items, this.config.readGradient);
    const output = this.network.decode(enc.query, read.reshape(enc.query.shape), enc.skips, mode);
    return { output, target, queries, weights };
  }

  /**
   * The memory update of eq. 3-5 with the queries of the last training forward (the
   * batch's B·h·w queries form one set U); outside the gradient, as the items are not
   * learned by back-propagation. Without a pending forward, the queries are computed
   * from `batch` in evaluation mode.
   */
  afterStep(batch: tf.Tensor4D): void {
    const queries = this.#pendingQueries ??
      tf.tidy(() =>
        this.#flat(this.network.encode(this.split(batch).input, { training: false }).query)
      );
    this.#pendingQueries = null;
    this.network.memory.update(queries, this.config.updateMax);
    queries.dispose();
    this.#testItemsFresh = false;
  }

  /**
   * Scores a batch of consecutive frames in order, as the paper's test protocol does
   * one frame at a time ({@linkcode scoreFrame}): each frame reads the test-time memory,
   * gets its PSNR (eq. 15), its query distance (eq. 14, as `featureDistance` says) and
   * its regular score E_t (eq. 6); then, if E_t < γ
   * (`gated`; always for `always`; never for `off`), its queries update the memory
   * (eq. 3-5) before the next frame is read. The test-time memory starts from the
   * trained items and carries over between calls until {@linkcode finalizeScores} (the
   * end of a pass over a set), a training step, or {@linkcode resetTestMemory}.
   *
   * `scores` is −PSNR (higher = worse); the final score needs the whole video, see
   * {@linkcode finalizeScores}. `components` holds `psnr`, `distance` and `regular`.
   */
  score(x: tf.Tensor4D): ScoreOutput {
    this.#syncTestItems();
    const { testUpdate, regularError, featureDistance: kind } = this.config;
    return tf.tidy(() => {
      const mode = { training: false };
      const { input, target } = this.split(x);
      const enc = this.network.encode(input, mode);
      const [b, h, w, c] = enc.query.shape;
      const outputs: tf.Tensor4D[] = [], distances: tf.Tensor[] = [], regular: tf.Tensor[] = [];
      const decodeFrame = (i: number, items: tf.Tensor2D) => {
        const q = tf.slice(enc.query, [i, 0, 0, 0], [1, h, w, c]);
        const skips = enc.skips.map((s) =>
          tf.slice(s, [i, 0, 0, 0], [1, s.shape[1], s.shape[2], s.shape[3]])
        );
        return this.#decodeWith({ query: q, skips }, items);
      };
      if (testUpdate === "off") {
        const items = this.#testItems as tf.Tensor2D;
        const r = this.#decodeWith(enc, items);
        outputs.push(r.output);
        distances.push(featureDistance(r.queries, items, b, kind));
        regular.push(regularScore(target, r.output, regularError));
      } else {
        for (let i = 0; i < b; i++) {
          const items = this.#testItems as tf.Tensor2D;
          const r = decodeFrame(i, items);
          const t = tf.slice(target, [i, 0, 0, 0], [1, target.shape[1], target.shape[2], -1]);
          const f = scoreFrame(r.queries, items, t as tf.Tensor4D, r.output, this.config);
          this.#testItems.assign(f.items);
          outputs.push(r.output);
          distances.push(f.distance);
          regular.push(f.regular);
        }
      }
      const output = tf.concat(outputs, 0) as tf.Tensor4D;
      const p = psnr(target, output);
      return {
        scores: tf.neg(p) as tf.Tensor1D,
        maps: errorMap(target, output),
        reconstruction: output,
        components: {
          psnr: p,
          distance: tf.concat(distances, 0) as tf.Tensor1D,
          regular: tf.concat(regular, 0) as tf.Tensor1D,
        },
      };
    }) as unknown as ScoreOutput;
  }

  /**
   * Eq. 16-17 over a whole set: PSNR and distance min-max normalised within each video
   * (`set.groups`, or the whole set when it has no groups), combined with λ. Ends the
   * scoring pass: the next {@linkcode score} starts again from the trained memory.
   */
  finalizeScores(components: Record<string, Float32Array>, set: ImageSet): Float32Array {
    this.#testItemsFresh = false;
    const { psnr: p, distance: d } = components;
    if (p == null || d == null) {
      throw new Error(
        `MNAD needs the 'psnr' and 'distance' components of every frame to finalise its ` +
          `scores; got [${Object.keys(components).join(", ")}]`,
      );
    }
    if (p.length !== set.n || d.length !== set.n) {
      throw new RangeError(
        `MNAD components cover ${p.length} frames but the set has ${set.n}`,
      );
    }
    return combineScores({ psnr: p, distance: d }, set.groups ?? null, this.config.lambdaScore);
  }

  /** Makes the next {@linkcode score} start from the trained memory again. */
  resetTestMemory(): void {
    this.#testItemsFresh = false;
  }

  dispose(): void {
    this.#pendingQueries?.dispose();
    this.#pendingQueries = null;
    this.#testItems.dispose();
    for (const o of this.objectives) o.optimizer.dispose();
    this.network.dispose();
  }

  #flat(query: tf.Tensor4D): tf.Tensor2D {
    const [b, h, w, c] = query.shape;
    return query.reshape([b * h * w, c]);
  }

  #keepQueries(queries: tf.Tensor2D): void {
    this.#pendingQueries?.dispose();
    // Kept out of the step's tidy (and of the tape: a clone of the values only).
    this.#pendingQueries = tf.keep(tf.clone(queries));
  }

  #syncTestItems(): void {
    if (this.#testItemsFresh) return;
    this.#testItems.assign(this.items);
    this.#testItemsFresh = true;
  }

  /** Evaluation-mode read with `items` and decode. */
  #decodeWith(enc: MnadEncoding, items: tf.Tensor2D) {
    const queries = this.#flat(enc.query);
    const { read } = readMemory(queries, items);
    const output = this.network.decode(
      enc.query,
      read.reshape(enc.query.shape),
      enc.skips,
      { training: false },
    );
    return { output, queries };
  }
}
