/**
 * The discriminator of DAAD+ (supplement Table 3, after DCGAN): a feature extractor of
 * 4x4 stride-2 convolutions (batch norm on all but the first, LeakyReLU 0.2) ending in a
 * 4x4 convolution to `featureDim` channels, whose flattened output is the semantic
 * representation f_D (paper §3.1.3, eq. 6); a 3x3 convolution and a sigmoid on top
 * classify real against reconstructed.
 *
 * How the layers follow the input size. Table 3 lists five stride-2 convolutions
 * (64 to 1024 channels) and says f_D has 100 values for a 256x256 input. Five stride-2
 * convolutions with padding 1 leave an 8x8 map at 256, from which no 4x4 convolution
 * gives a single position; they leave 4x4 at 128, which the final 4x4 convolution
 * (stride 1, no padding) turns into 1x1x100, as in DCGAN. The kit therefore uses
 * DCGAN's rule: stride-2 stages continue while the map stays at least 4 pixels wide,
 * S = ⌊log2(size / 4)⌋ stages (3 at 32, 4 at 64, 5 at 128 = Table 3, 6 at 256), with
 * channels width·2^i capped at 16·width (Table 3's widest, 1024 at width 64, so the
 * sixth stage at 256 keeps 1024). The f_D map then has side m − 3 with
 * m = ⌊size / 2^S⌋ ∈ [4, 7], and
 *
 *     dim f_D = featureDim · (⌊size / 2^S⌋ − 3)²
 *
 * which is featureDim (100) for every power-of-two size, 256 included, as the
 * supplement states. Other sizes (e.g. 48: 6x6 after three stages) give a larger f_D
 * map, and the classifier then scores each of its positions (patch logits).
 *
 * Weights are drawn from N(0, 0.02) as in DCGAN [31]; convolutions followed by batch
 * norm carry no bias (batch norm removes constant shifts, the kit's convention).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ParamStore } from "../../nn/params.ts";
 * import { Rng } from "../../util/rng.ts";
 * import { Discriminator } from "./discriminator.ts";
 * const store = new ParamStore("d");
 * const d = new Discriminator(store, "disc", new Rng(0), { size: 32, channels: 1, width: 8,
 *   featureDim: 100 });
 * const out = d.apply(tf.zeros([2, 32, 32, 1]), { training: false });
 * console.log(out.features.shape, out.logits.shape); // [2, 100] [2, 1]
 * store.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm, Conv2d, type ForwardMode } from "../../nn/layers.ts";
import type { ParamStore } from "../../nn/params.ts";
import type { Rng } from "../../util/rng.ts";
import { ConfigError } from "../../util/errors.ts";

/** Configuration of the discriminator. */
export interface DiscriminatorConfig {
  /** Input height = width in pixels; at least 8 (one stride-2 stage down to 4). */
  size: number;
  /** Input channels: 1 (grey) or 3 (colour). */
  channels: number;
  /** Channels of the first convolution; 64 in supplement Table 3. */
  width: number;
  /** Channels of the last feature convolution (f_D); 100 in supplement Table 3. */
  featureDim: number;
}

/** Supplement Table 3 at 256x256 colour input. */
export const DEFAULT_DISCRIMINATOR_CONFIG: Readonly<DiscriminatorConfig> = Object.freeze({
  size: 256,
  channels: 3,
  width: 64,
  featureDim: 100,
});

/** DCGAN's weight initialisation: N(0, 0.02). */
export const DCGAN_INIT_STD = 0.02;

/** LeakyReLU slope of Table 3. */
export const LEAKY_SLOPE = 0.2;

/** One stride-2 stage of the feature extractor. */
export interface DiscriminatorStage {
  /** Output channels. */
  channels: number;
  /** Output side in pixels. */
  side: number;
  /** Whether batch norm follows the convolution (all but the first stage). */
  batchNorm: boolean;
}

/** The shapes a configuration builds, computed without building anything. */
export interface DiscriminatorLayout {
  stages: DiscriminatorStage[];
  /** Side of the f_D map (1 for power-of-two sizes). */
  featureSide: number;
  /** Length of the flattened f_D: featureDim · featureSide². */
  featureDim: number;
}

/**
 * Checks a configuration; throws {@linkcode ConfigError} naming the field and value.
 *
 * @example
 * ```ts
 * import { validateDiscriminatorConfig } from "./discriminator.ts";
 * validateDiscriminatorConfig({ size: 64, channels: 3, width: 64, featureDim: 100 }); // ok
 * ```
 */
export function validateDiscriminatorConfig(config: DiscriminatorConfig): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new ConfigError(`discriminator ${name} must be an integer >= ${min}, got ${v}`);
    }
  };
  int("size", config.size, 8);
  int("channels", config.channels, 1);
  int("width", config.width, 1);
  int("featureDim", config.featureDim, 1);
}

/**
 * The stages, f_D map side and f_D length of a configuration (see the module notes).
 *
 * @example
 * ```ts
 * import { discriminatorLayout } from "./discriminator.ts";
 * const l = discriminatorLayout({ size: 256, channels: 3, width: 64, featureDim: 100 });
 * console.log(l.stages.map((s) => s.channels), l.featureDim);
 * // [64, 128, 256, 512, 1024, 1024] 100
 * ```
 */
export function discriminatorLayout(config: DiscriminatorConfig): DiscriminatorLayout {
  validateDiscriminatorConfig(config);
  const stages: DiscriminatorStage[] = [];
  let side = config.size;
  // A 4x4 stride-2 convolution with padding 1 maps side s to ⌊s / 2⌋; stop before the
  // map would be narrower than the final 4x4 convolution.
  while (Math.floor(side / 2) >= 4) {
    side = Math.floor(side / 2);
    const i = stages.length;
    stages.push({
      channels: Math.min(config.width * 2 ** i, 16 * config.width),
      side,
      batchNorm: i > 0,
    });
  }
  const featureSide = side - 3;
  return { stages, featureSide, featureDim: config.featureDim * featureSide * featureSide };
}

/** What one discriminator pass returns. */
export interface DiscriminatorOutput {
  /** f_D: the last feature convolution's output, flattened, [B, layout.featureDim]. */
  features: tf.Tensor2D;
  /** Classifier logits before the sigmoid, one per f_D position: [B, featureSide²]. */
  logits: tf.Tensor2D;
}

/** The DCGAN-style discriminator of supplement Table 3. */
export class Discriminator {
  readonly config: DiscriminatorConfig;
  readonly layout: DiscriminatorLayout;
  readonly #convs: Conv2d[] = [];
  readonly #norms: (BatchNorm | null)[] = [];
  readonly #feature: Conv2d;
  readonly #classifier: Conv2d;
  readonly #trainable: tf.Variable[];

  /**
   * Builds the layers in `store` under names starting with `prefix` + "." and draws
   * their weights from `rng`.
   */
  constructor(store: ParamStore, prefix: string, rng: Rng, config: DiscriminatorConfig) {
    this.layout = discriminatorLayout(config);
    this.config = { ...config };
    const before = new Set(store.trainableVariables().map((v) => v.name));
    let cin = config.channels;
    for (const [i, stage] of this.layout.stages.entries()) {
      const name = `${prefix}.conv${i + 1}`;
      // The first convolution has no batch norm after it, so it keeps its bias.
      this.#convs.push(
        new Conv2d(store, name, rng, cin, stage.channels, {
          kernel: 4,
          stride: 2,
          pad: 1,
          bias: !stage.batchNorm,
          initStd: DCGAN_INIT_STD,
        }),
      );
      this.#norms.push(stage.batchNorm ? new BatchNorm(store, `${name}.bn`, stage.channels) : null);
      cin = stage.channels;
    }
    this.#feature = new Conv2d(store, `${prefix}.feature`, rng, cin, config.featureDim, {
      kernel: 4,
      pad: "valid",
      initStd: DCGAN_INIT_STD,
    });
    this.#classifier = new Conv2d(store, `${prefix}.classifier`, rng, config.featureDim, 1, {
      initStd: DCGAN_INIT_STD,
    });
    this.#trainable = store.trainableVariables().filter((v) => !before.has(v.name));
  }

  /** The discriminator's trainable variables (what its optimizer updates). */
  get trainableVariables(): tf.Variable[] {
    return [...this.#trainable];
  }

  /** f_D as a map, [B, featureSide, featureSide, featureDim]. */
  #featureMap(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const { size, channels } = this.config;
    const [, h, w, c] = x.shape;
    if (h !== size || w !== size || c !== channels) {
      throw new Error(
        `discriminator expects [B, ${size}, ${size}, ${channels}] input, got [${x.shape}]`,
      );
    }
    let f = x;
    for (let i = 0; i < this.#convs.length; i++) {
      f = this.#convs[i].apply(f);
      const bn = this.#norms[i];
      if (bn != null) f = bn.apply(f, mode);
      f = tf.leakyRelu(f, LEAKY_SLOPE);
    }
    return this.#feature.apply(f);
  }

  /** f_D(x) only, flattened: [B, layout.featureDim]. */
  features(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    return tf.tidy(() => {
      const f = this.#featureMap(x, mode);
      return f.reshape([x.shape[0], this.layout.featureDim]);
    });
  }

  /** f_D(x) and the real/fake logits; D(x) = sigmoid(logits). */
  apply(x: tf.Tensor4D, mode: ForwardMode): DiscriminatorOutput {
    return tf.tidy(() => {
      const f = this.#featureMap(x, mode);
      const b = x.shape[0];
      const logits = this.#classifier.apply(f).reshape([b, -1]) as tf.Tensor2D;
      return { features: f.reshape([b, this.layout.featureDim]) as tf.Tensor2D, logits };
    });
  }
}
