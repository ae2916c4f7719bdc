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
 * import { DEFAULT_DAAD_PLUS_CONFIG } from "./config.ts";
 * import { DaadPlusModel } from "./kit_model.ts";
 * const model = new DaadPlusModel({ ...DEFAULT_DAAD_PLUS_CONFIG, size: 32, channels: 1,
 *   width: 4, memory: 10, division: [2, 2, 1], discriminatorWidth: 4 }, 0);
 * console.log(model.objectives.map((o) => o.name)); // ["d", "g"]
 * const out = model.score(tf.zeros([2, 32, 32, 1]));
 * console.log(Object.keys(out.components ?? {})); // ["rec", "ali"]
 * model.dispose();
 * ```
 * @module
 */
import type { ParamStore } from "../../nn/params.ts";
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../../data/image_set.ts";
import { Adam, type AdamConfig } from "../../train/adam.ts";
import type { Objective } from "../../train/trainer.ts";
import { errorMap } from "../daad/score.ts";
import { memoryReportOf } from "../daad/kit_model.ts";
import type { MemoryBankReport } from "../../memory/diagnostics.ts";
import type { KitModel, ScoreOutput } from "../kit_model.ts";
import { type DaadPlusConfig, DEFAULT_DAAD_PLUS_ADAM } from "./config.ts";
import { DaadPlusNetwork } from "./model.ts";
import {
  DEFAULT_FUSION_SCALE,
  fuseScores,
  type FusionScale,
  type ScoreRange,
  toFusionScale,
  valueRange,
} from "./score.ts";

/**
 * The min-max bounds of eq. 7 as metrics.json keeps them (`score_calibration`): R(x)'s
 * and L(x)'s ranges over the test set, on the fusion `scale` (absent in runs written
 * before the scale was recorded: their ranges are of the squares).
 */
export interface ScoreCalibration {
  rec?: ScoreRange;
  ali?: ScoreRange;
  scale?: FusionScale;
}

/** DAAD+ (or one of its Table 5 ablations) wrapped for training and scoring. */
export class DaadPlusModel implements KitModel {
  readonly network: DaadPlusNetwork;
  readonly objectives: Objective[];
  /**
   * When set, {@linkcode finalizeScores} scales R(x) and L(x) with these ranges instead
   * of the scored set's own: set it to a test set's {@linkcode lastScoreRanges} to score
   * a few new images on that set's scale (eq. 7 scaling over 1 image is meaningless).
   */
  scoreRanges: ScoreCalibration | null = null;
  /** The ranges of R(x) and L(x) over the set last given to {@linkcode finalizeScores}. */
  lastScoreRanges: ScoreCalibration | null = null;

  /** Starts generator memory banks configured with `memoryInit: "queries"`. */
  beforeStep(batch: tf.Tensor4D): void {
    this.network.generator.initMemories(batch);
  }

  /** The generator's memory banks, as metrics.json records them. */
  memoryReport(images: tf.Tensor4D): MemoryBankReport[] {
    return memoryReportOf(this.network.generator, images);
  }

  /** {@linkcode lastScoreRanges}, for metrics.json. */
  calibration(): unknown {
    return this.lastScoreRanges;
  }

  /** L(x) per image whenever there is a discriminator (watched while training). */
  alignmentProbe(x: tf.Tensor4D): Float32Array | null {
    const ali = this.network.alignmentDistances(x);
    if (ali == null) return null;
    try {
      return ali.dataSync() as Float32Array;
    } finally {
      ali.dispose();
    }
  }

  /**
   * Uses saved ranges (a test set's) for eq. 7's scaling from now on. Ranges saved on
   * another scale are carried over to this model's (square roots of squares' bounds
   * are the distances' bounds, and back).
   */
  calibrate(calibration: unknown): void {
    const c = calibration as ScoreCalibration | null;
    if (c == null) {
      this.scoreRanges = null;
      return;
    }
    const from = c.scale ?? "square", to = this.#fusionScale;
    const convert = (r: ScoreRange | undefined): ScoreRange | undefined => {
      if (r == null || from === to) return r;
      return to === "distance"
        ? { lo: Math.sqrt(Math.max(r.lo, 0)), hi: Math.sqrt(Math.max(r.hi, 0)) }
        : { lo: r.lo * r.lo, hi: r.hi * r.hi };
    };
    this.scoreRanges = { rec: convert(c.rec), ali: convert(c.ali), scale: to };
  }

  get #fusionScale(): FusionScale {
    return this.config.fusionScale ?? DEFAULT_FUSION_SCALE;
  }

  /**
   * `adam` overrides {@linkcode DEFAULT_DAAD_PLUS_ADAM} (lr 2e-4) for both optimizers.
   * Without L_adv there is no discriminator to train and only the "g" objective exists.
   */
  constructor(readonly config: DaadPlusConfig, seed: number, adam: Partial<AdamConfig> = {}) {
    this.network = new DaadPlusNetwork(config, seed);
    const settings = { ...DEFAULT_DAAD_PLUS_ADAM, ...adam };
    const net = this.network;
    const objectives: Objective[] = [];
    if (config.adversarial) {
      objectives.push({
        name: "d",
        optimizer: new Adam(net.discriminatorVariables, settings),
        loss: (batch) => net.discriminatorStepLoss(batch),
      });
    }
    objectives.push({
      name: "g",
      optimizer: new Adam(net.generatorVariables, settings),
      loss: (batch) => net.generatorStepLoss(batch),
    });
    this.objectives = objectives;
  }

  get params(): ParamStore {
    return this.network.params;
  }

  /** Evaluation-mode reconstruction. */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return this.network.reconstruct(x);
  }

  /**
   * Scores a batch. `components` holds R(x) as "rec" and, when scored, L(x) as "ali";
   * the final eq. 7 scores need the whole set and come from
   * {@linkcode finalizeScores}. `scores` is the batch-local stand-in: R(x) when R is
   * scored, else L(x). `maps` is the per-pixel squared error (L(x) has no spatial map).
   */
  score(x: tf.Tensor4D): ScoreOutput {
    return tf.tidy(() => {
      const c = this.network.scoreComponents(x);
      const components: Record<string, tf.Tensor1D> = { rec: c.rec };
      if (c.ali != null) components.ali = c.ali;
      const primary = this.config.reconstructionScore ? c.rec : c.ali!;
      return {
        scores: primary.clone(),
        maps: errorMap(x, c.reconstruction),
        reconstruction: c.reconstruction,
        components,
      };
    }) as unknown as ScoreOutput;
  }

  /**
   * Eq. 7 over the whole set: γ·R + (1 − γ)·L with R and L min-max scaled to [0, 1]
   * over `set` (or with {@linkcode scoreRanges} when set); with one component switched
   * off, that of the other, unscaled. Records the set's ranges in
   * {@linkcode lastScoreRanges}.
   */
  finalizeScores(components: Record<string, Float32Array>, set: ImageSet): Float32Array {
    const need = [
      ...(this.config.reconstructionScore ? ["rec"] : []),
      ...(this.config.alignmentScore ? ["ali"] : []),
    ];
    for (const k of need) {
      const v = components[k];
      if (v == null) {
        throw new Error(
          `DAAD+ score needs component '${k}' over the whole set; got ${
            JSON.stringify(Object.keys(components))
          }`,
        );
      }
      if (v.length !== set.n) {
        throw new Error(`component '${k}' has ${v.length} values for ${set.n} images`);
      }
    }
    // Eq. 7 fuses distances (or squares); a lone component is returned as computed.
    const fused = this.config.reconstructionScore && this.config.alignmentScore;
    const scale = this.#fusionScale;
    const onScale = (v: Float32Array | undefined) =>
      v == null ? null : fused ? toFusionScale(v, scale) : v;
    const rec = onScale(components.rec), ali = onScale(components.ali);
    const own: ScoreCalibration = { scale: fused ? scale : "square" };
    if (rec != null) own.rec = valueRange(rec);
    if (ali != null) own.ali = valueRange(ali);
    this.lastScoreRanges = own;
    return fuseScores(rec, ali, {
      gamma: this.config.gamma,
      reconstruction: this.config.reconstructionScore,
      alignment: this.config.alignmentScore,
      ranges: this.scoreRanges ?? own,
    });
  }

  dispose(): void {
    for (const o of this.objectives) o.optimizer.dispose();
    this.network.dispose();
  }
}
