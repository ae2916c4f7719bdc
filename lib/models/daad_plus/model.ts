/**
 * The DAAD+ network (paper §3.1.3, Figure 4): a generator G of the DAAD family (AE,
 * AE+Skip, MemAE* or DAAD) and, appended after its decoder, the discriminator D of
 * supplement Table 3. G and D share one {@linkcode ParamStore} (D's names start with
 * "disc."), so a checkpoint holds both; each has its own trainable-variable list, which
 * is all its optimizer sees.
 *
 * The two training passes, stepped alternately on each batch (D first):
 * - d step: x̂ = G(x) with batch statistics (as the g step will produce it), then D on
 *   real and reconstructed images. Only D's weights get gradients; G's batch-norm
 *   running statistics are put back afterwards, so each batch updates them once, in
 *   the g step, as in plain DAAD training.
 * - g step: G(x) in training mode, then D in training mode on x̂ (and x) with D's
 *   running statistics put back afterwards: they track what D is trained on, in the d
 *   step. Only G's weights get gradients (D's are not in its variable list).
 * When L_adv is off there is no d step: D is then never trained and, should L_ali or
 * L(x) still be on, the g step keeps D's running statistics so that evaluation-mode
 * features match the ones trained against (a random-feature baseline, not a Table 5 row).
 *
 * D's batch norm sees real and reconstructed images as two batches by default
 * (`discriminatorBatch: "separate"`, DCGAN's and GANomaly's practice), or as one batch
 * [x; x̂] sharing statistics (`"joint"`). Joint batches match what evaluation mode
 * does (running statistics, the same for x and x̂), which L(x) relies on, but they let
 * D separate real from reconstructed by a mean shift that separate batches normalise
 * away, and D then saturates. Measured on one-class MNIST (32x32, width 8, 8 epochs,
 * lr 1e-3, 2,000 test images, one run each; `_sanity.ts`), digits 0 / 1 / 2: eq. 7
 * AUROC 0.779 / 0.966 / 0.574 separate against 0.678 / 0.896 / 0.438 joint, with D's
 * final loss 0.9 / 0.8 / 0.1 against 0.001 / 0.002 / 0.001; L(x) alone 0.31 / 0.44 /
 * 0.61 separate and 0.86 / 0.05 / 0.61 joint. Neither makes L(x) reliable at that
 * budget; separate gives the better fused score and a D that does not saturate.
 *
 * Scoring runs both networks in evaluation mode (running statistics).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DEFAULT_DAAD_PLUS_CONFIG } from "./config.ts";
 * import { DaadPlusNetwork } from "./model.ts";
 * const net = new DaadPlusNetwork({ ...DEFAULT_DAAD_PLUS_CONFIG, size: 32, channels: 1,
 *   width: 4, memory: 10, division: [2, 2, 1], discriminatorWidth: 4 }, 0);
 * const s = net.scoreComponents(tf.zeros([2, 32, 32, 1]));
 * console.log(s.rec.shape, s.ali?.shape); // [2] [2]
 * net.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardMode } from "../../nn/layers.ts";
import { ParamStore } from "../../nn/params.ts";
import type { LossTerms } from "../../train/trainer.ts";
import { deriveSeed, Rng } from "../../util/rng.ts";
import { DaadNetwork } from "../daad/model.ts";
import { reconstructionScore } from "../daad/score.ts";
import {
  type DaadPlusConfig,
  generatorConfig,
  needsDiscriminator,
  validateDaadPlusConfig,
} from "./config.ts";
import { Discriminator } from "./discriminator.ts";
import { reconstructionLoss } from "../daad/loss.ts";
import {
  alignmentLoss,
  alignmentMeanSquareLoss,
  discriminatorAccuracy,
  discriminatorLoss,
  generatorAdversarialLoss,
  generatorLoss,
  reconstructionNormLoss,
} from "./loss.ts";
import { alignmentScore } from "./score.ts";

const TRAIN: ForwardMode = { training: true };
const EVAL: ForwardMode = { training: false };

/** The prefix of the discriminator's names in the shared store. */
export const DISCRIMINATOR_PREFIX = "disc";

/** Per-image score components of one batch (evaluation mode). */
export interface DaadPlusScoreComponents {
  /** x̂ = G(x). */
  reconstruction: tf.Tensor4D;
  /** R(x): mean squared pixel error, [B]. */
  rec: tf.Tensor1D;
  /** L(x): mean squared f_D difference, [B]; null when L(x) is not scored. */
  ali: tf.Tensor1D | null;
}

/**
 * Runs `fn`, then puts the values of `state` back as they were before it (batch-norm
 * running statistics that a training-mode pass would otherwise update).
 */
function keepingState<T>(state: tf.Variable[], fn: () => T): T {
  if (state.length === 0) return fn();
  const saved = state.map((v) => tf.clone(v));
  try {
    return fn();
  } finally {
    state.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
  }
}

/** Variables of `store` whose names satisfy `pick`, split into trainable and state. */
function split(store: ParamStore, pick: (name: string) => boolean) {
  const trainable = new Set(store.trainableVariables().map((v) => v.name));
  const names = store.names().filter(pick);
  const vars = names.map((n) => store.get(n));
  return {
    trainable: vars.filter((v) => trainable.has(v.name)),
    state: vars.filter((v) => !trainable.has(v.name)),
  };
}

/** Generator and discriminator of DAAD+, with the losses of both training passes. */
export class DaadPlusNetwork {
  readonly params: ParamStore;
  readonly config: DaadPlusConfig;
  readonly generator: DaadNetwork;
  /** Null when no switch needs it (Table 5's "R" row: the generator alone). */
  readonly discriminator: Discriminator | null;
  /** What the g step's optimizer updates. */
  readonly generatorVariables: tf.Variable[];
  /** What the d step's optimizer updates (empty without a discriminator). */
  readonly discriminatorVariables: tf.Variable[];
  readonly #generatorState: tf.Variable[];
  readonly #discriminatorState: tf.Variable[];

  /** Builds both networks; G's weights come from `seed`, D's from a seed derived from it. */
  constructor(config: DaadPlusConfig, seed: number) {
    validateDaadPlusConfig(config);
    this.config = { ...config };
    this.params = new ParamStore("daad-plus");
    const isD = (n: string) => n.startsWith(`${DISCRIMINATOR_PREFIX}.`);
    this.generator = new DaadNetwork(generatorConfig(config), seed, this.params);
    this.discriminator = needsDiscriminator(config)
      ? new Discriminator(
        this.params,
        DISCRIMINATOR_PREFIX,
        new Rng(deriveSeed(seed, "discriminator")),
        {
          size: config.size,
          channels: config.channels,
          width: config.discriminatorWidth,
          featureDim: config.featureDim,
        },
      )
      : null;
    const g = split(this.params, (n) => !isD(n));
    const d = split(this.params, isD);
    this.generatorVariables = g.trainable;
    this.#generatorState = g.state;
    this.discriminatorVariables = d.trainable;
    this.#discriminatorState = d.state;
  }

  #requireD(): Discriminator {
    if (this.discriminator == null) {
      throw new Error(
        "this DAAD+ configuration has no discriminator (all of its switches are off)",
      );
    }
    return this.discriminator;
  }

  /**
   * D in training mode on real and reconstructed images: one batch [x; x̂] sharing
   * batch statistics ("joint"), or two batches ("separate"; the real one only when
   * `needReal`).
   */
  #pair(d: Discriminator, x: tf.Tensor4D, fake: tf.Tensor4D, needReal: boolean) {
    if (this.config.discriminatorBatch === "separate") {
      return { real: needReal ? d.apply(x, TRAIN) : null, fake: d.apply(fake, TRAIN) };
    }
    const b = x.shape[0];
    const both = d.apply(tf.concat([x, fake], 0), TRAIN);
    const half = (t: tf.Tensor2D, start: number) => t.slice([start, 0], [b, -1]);
    return {
      real: { features: half(both.features, 0), logits: half(both.logits, 0) },
      fake: { features: half(both.features, b), logits: half(both.logits, b) },
    };
  }

  /**
   * The d step's loss: BCE of D on real (label 1) and reconstructed (label 0) images,
   * the negated eq. 5. Differentiate it with respect to
   * {@linkcode discriminatorVariables} only.
   */
  discriminatorStepLoss(x: tf.Tensor4D): LossTerms {
    const d = this.#requireD();
    const fake = keepingState(
      this.#generatorState,
      () => this.generator.forward(x, TRAIN).reconstruction,
    );
    const { real, fake: rec } = this.#pair(d, x, fake, true);
    const l = discriminatorLoss(real!.logits, rec.logits, this.config.realLabel ?? 1);
    // D's accuracy on each kind, logged per epoch: a D that wins outright (both near 1
    // from early on) leaves the generator no useful adversarial gradient.
    return {
      total: l.total,
      parts: {
        real: l.real,
        fake: l.fake,
        acc_real: discriminatorAccuracy(real!.logits, true),
        acc_fake: discriminatorAccuracy(rec.logits, false),
      },
    };
  }

  /**
   * The g step's loss, eq. 3 with the terms the switches keep. Differentiate it with
   * respect to {@linkcode generatorVariables} only.
   */
  generatorStepLoss(x: tf.Tensor4D): LossTerms {
    const c = this.config;
    const out = this.generator.forward(x, TRAIN);
    // Eq. 4 and eq. 6 in one reading: per-image norms ("l2") or mean squares ("mse").
    const norms = c.recLoss === "l2";
    const rec = norms
      ? reconstructionNormLoss(x, out.reconstruction)
      : reconstructionLoss(x, out.reconstruction);
    let adv: tf.Scalar | null = null, ali: tf.Scalar | null = null;
    if (c.adversarial || c.alignment) {
      const d = this.#requireD();
      // D's statistics belong to the d step when there is one.
      keepingState(c.adversarial ? this.#discriminatorState : [], () => {
        const { real, fake } = this.#pair(d, x, out.reconstruction, c.alignment);
        if (c.adversarial) adv = generatorAdversarialLoss(fake.logits);
        if (c.alignment) {
          ali = norms
            ? alignmentLoss(real!.features, fake.features)
            : alignmentMeanSquareLoss(real!.features, fake.features);
        }
      });
    }
    return generatorLoss(
      { rec, entropy: out.entropy, adv, ali, commitment: out.commitment, codebook: out.codebook },
      c,
    );
  }

  /** Evaluation-mode reconstruction x̂ = G(x). */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.generator.forward(x, EVAL).reconstruction);
  }

  /** L(x) of `x` against its reconstruction: one evaluation-mode pass of D over [x; x̂]. */
  #alignment(d: Discriminator, x: tf.Tensor4D, reconstruction: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => {
      // Evaluation mode normalises each image on its own, so one batch serves both.
      const b = x.shape[0];
      const f = d.features(tf.concat([x, reconstruction], 0), EVAL);
      return alignmentScore(f.slice([0, 0], [b, -1]), f.slice([b, 0], [b, -1]));
    });
  }

  /**
   * L(x) of a batch in evaluation mode whenever there is a discriminator, scored or not
   * (to watch training); null without one.
   */
  alignmentDistances(x: tf.Tensor4D): tf.Tensor1D | null {
    if (this.discriminator == null) return null;
    const d = this.discriminator;
    return tf.tidy(() => this.#alignment(d, x, this.generator.forward(x, EVAL).reconstruction));
  }

  /** R(x) and, when scored, L(x) of a batch, in evaluation mode. */
  scoreComponents(x: tf.Tensor4D): DaadPlusScoreComponents {
    const reconstruction = this.reconstruct(x);
    const rec = tf.tidy(() => reconstructionScore(x, reconstruction));
    const ali = this.config.alignmentScore
      ? this.#alignment(this.#requireD(), x, reconstruction)
      : null;
    return { reconstruction, rec, ali };
  }

  /** Frees every weight of both networks. */
  dispose(): void {
    this.params.dispose();
  }
}
