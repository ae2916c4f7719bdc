/**
 * The DAAD+ network (paper §3.1.3, Figure 4): a generator G of the DAAD family (AE,
 * AE+Skip, MemAE* or DAAD) and, appended after its decoder, the discriminator D of
 * supplement Table 3. G and D share one {@linkcode ParamStore} (D's names start with
 * "disc."), so a checkpoint holds both; each has its own trainable-variable list, which
 * is all its optimizer sees.
 *
 * The two training passes, stepped alternately on each batch (D first):
 * - d step: x̂ = G(x) with batch statistics (as the g step will produce it), then D on
 *   the real batch and on the reconstructed batch separately (DCGAN practice: a batch
 *   never mixes real and fake in its batch-norm statistics). Only D's weights get
 *   gradients; G's batch-norm running statistics are put back afterwards, so each batch
 *   updates them once, in the g step, as in plain DAAD training.
 * - g step: G(x) in training mode, then D in training mode on x̂ (and on x for L_ali)
 *   with D's running statistics put back afterwards: they track what D is trained on,
 *   in the d step. Only G's weights get gradients (D's are not in its variable list,
 *   and the f_D(x) path does not depend on G).
 * When L_adv is off there is no d step: D is then never trained and, should L_ali or
 * L(x) still be on, the g step keeps D's running statistics so that evaluation-mode
 * features match the ones trained against (a random-feature baseline, not a Table 5 row).
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
import { reconstructionLoss } from "../daad/loss.ts";
import { DaadNetwork } from "../daad/model.ts";
import { reconstructionScore } from "../daad/score.ts";
import {
  type DaadPlusConfig,
  generatorConfig,
  needsDiscriminator,
  validateDaadPlusConfig,
} from "./config.ts";
import { Discriminator } from "./discriminator.ts";
import {
  alignmentLoss,
  discriminatorLoss,
  generatorAdversarialLoss,
  generatorLoss,
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
    const real = d.apply(x, TRAIN);
    const rec = d.apply(fake, TRAIN);
    const l = discriminatorLoss(real.logits, rec.logits);
    return { total: l.total, parts: { real: l.real, fake: l.fake } };
  }

  /**
   * The g step's loss, eq. 3 with the terms the switches keep. Differentiate it with
   * respect to {@linkcode generatorVariables} only.
   */
  generatorStepLoss(x: tf.Tensor4D): LossTerms {
    const c = this.config;
    const out = this.generator.forward(x, TRAIN);
    const rec = reconstructionLoss(x, out.reconstruction);
    let adv: tf.Scalar | null = null, ali: tf.Scalar | null = null;
    if (c.adversarial || c.alignment) {
      const d = this.#requireD();
      // D's statistics belong to the d step when there is one.
      keepingState(c.adversarial ? this.#discriminatorState : [], () => {
        const fake = d.apply(out.reconstruction, TRAIN);
        if (c.adversarial) adv = generatorAdversarialLoss(fake.logits);
        if (c.alignment) ali = alignmentLoss(d.features(x, TRAIN), fake.features);
      });
    }
    return generatorLoss({ rec, entropy: out.entropy, adv, ali }, c);
  }

  /** Evaluation-mode reconstruction x̂ = G(x). */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.generator.forward(x, EVAL).reconstruction);
  }

  /** R(x) and, when scored, L(x) of a batch, in evaluation mode. */
  scoreComponents(x: tf.Tensor4D): DaadPlusScoreComponents {
    return tf.tidy(() => {
      const reconstruction = this.reconstruct(x);
      const rec = reconstructionScore(x, reconstruction);
      let ali: tf.Tensor1D | null = null;
      if (this.config.alignmentScore) {
        // One pass over [x; x̂]: evaluation mode normalises each image on its own.
        const b = x.shape[0];
        const f = this.#requireD().features(tf.concat([x, reconstruction], 0), EVAL);
        ali = alignmentScore(f.slice([0, 0], [b, -1]), f.slice([b, 0], [b, -1]));
      }
      return { reconstruction, rec, ali };
    }) as unknown as DaadPlusScoreComponents;
  }

  /** Frees every weight of both networks. */
  dispose(): void {
    this.params.dispose();
  }
}
