/**
 * MNAD's encoder and decoder (paper §3.1.1): a U-Net whose encoder ends without the
 * last batch norm and ReLU and with an L2 normalisation of each position's feature
 * (the queries), and whose decoder reads the queries concatenated with the memory's
 * read features. Skips join encoder and decoder for prediction only: for
 * reconstruction they would let the network copy its input.
 *
 * Read top to bottom (w = width; the paper's w = 64 gives the 32x32x512 query map of
 * §4.1 at 256x256):
 * - encoder: stage 1 (two ConvBNReLU, w) → pool → stage 2 (2w) → pool → stage 3 (4w)
 *   → pool → ConvBNReLU (8w) and a plain 3x3 conv (8w) → per-position L2 norm = q;
 * - decoder: [q, p̂] (16w) → two ConvBNReLU (8w); three times: ConvTranspose 2x2 up,
 *   BN, ReLU to the stage's width, [skip of that stage] (pred only), two ConvBNReLU;
 *   a 3x3 conv to the frame's channels and tanh (frames live in [-1, 1]).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MnadNetwork } from "./model.ts";
 * import { mnadDefaults } from "./config.ts";
 * const net = new MnadNetwork({ ...mnadDefaults("pred"), size: 32, width: 4 }, 0);
 * const enc = net.encode(tf.zeros([2, 32, 32, 4]), { training: false });
 * console.log(enc.query.shape); // [2, 4, 4, 32]
 * net.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { l2NormalizeRows } from "../../memory/block_memory.ts";
import {
  BatchNorm,
  Conv2d,
  ConvBnRelu,
  ConvTranspose2x2,
  type ForwardMode,
  maxPool2x2,
} from "../../nn/layers.ts";
import { ParamStore } from "../../nn/params.ts";
import { Rng } from "../../util/rng.ts";
import { type MnadConfig, queryChannels, validateMnadConfig } from "./config.ts";
import { MnadMemory } from "./memory.ts";

/** What the encoder gives. */
export interface MnadEncoding {
  /** The query map q [B, size/8, size/8, 8w], unit norm at every position. */
  query: tf.Tensor4D;
  /** Stage outputs before pooling (sizes 1, 1/2, 1/4), for the prediction task's skips. */
  skips: tf.Tensor4D[];
}

/** Channels of the encoder stages for base width `w`: w, 2w, 4w, 8w. */
export function mnadStageChannels(width: number): number[] {
  return [1, 2, 4, 8].map((m) => m * width);
}

/** Unit L2 norm along the channels of every position of an NHWC map. */
export function l2NormalizePositions(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    return l2NormalizeRows(x.reshape([b * h * w, c])).reshape([b, h, w, c]) as tf.Tensor4D;
  });
}

/** Upsampling block of the decoder: ConvTranspose 2x2 stride 2, batch norm, ReLU. */
class Up {
  readonly conv: ConvTranspose2x2;
  readonly bn: BatchNorm;

  constructor(store: ParamStore, name: string, rng: Rng, cin: number, cout: number) {
    this.conv = new ConvTranspose2x2(store, `${name}.conv`, rng, cin, cout);
    this.bn = new BatchNorm(store, `${name}.bn`, cout);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return tf.relu(this.bn.apply(this.conv.apply(x), mode));
  }
}

/** The encoder/decoder and the memory items of one MNAD model. */
export class MnadNetwork {
  readonly params: ParamStore;
  readonly config: MnadConfig;
  readonly memory: MnadMemory;
  readonly #enc: [ConvBnRelu, ConvBnRelu][] = [];
  readonly #encLast: [ConvBnRelu, Conv2d];
  readonly #bottleneck: [ConvBnRelu, ConvBnRelu];
  readonly #up: Up[] = [];
  readonly #dec: [ConvBnRelu, ConvBnRelu][] = [];
  readonly #out: Conv2d;

  /** Builds the network with weights and items drawn from `seed` (same seed, same model). */
  constructor(config: MnadConfig, seed: number, store?: ParamStore) {
    validateMnadConfig(config);
    this.config = { ...config };
    this.params = store ?? new ParamStore(`mnad-${config.task}`);
    const rng = new Rng(seed);
    const p = this.params;
    const ch = mnadStageChannels(config.width);
    const c = queryChannels(config);
    const inputChannels = config.task === "pred"
      ? config.inputFrames * config.channels
      : config.channels;

    let cin = inputChannels;
    for (let i = 0; i < 3; i++) {
      this.#enc.push([
        new ConvBnRelu(p, `enc${i + 1}.1`, rng, cin, ch[i]),
        new ConvBnRelu(p, `enc${i + 1}.2`, rng, ch[i], ch[i]),
      ]);
      cin = ch[i];
    }
    // The last stage keeps negative values: no batch norm, no ReLU (§3.1.1).
    this.#encLast = [
      new ConvBnRelu(p, "enc4.1", rng, ch[2], ch[3]),
      new Conv2d(p, "enc4.2", rng, ch[3], c),
    ];
    this.memory = new MnadMemory(p, "memory", rng, config.items, c, config.itemInit);
    this.#bottleneck = [
      new ConvBnRelu(p, "dec4.1", rng, 2 * c, ch[3]),
      new ConvBnRelu(p, "dec4.2", rng, ch[3], ch[3]),
    ];
    const skips = config.task === "pred";
    for (const k of [2, 1, 0]) {
      this.#up.push(new Up(p, `up${k + 1}`, rng, ch[k + 1], ch[k]));
      const cat = skips ? 2 * ch[k] : ch[k];
      this.#dec.push([
        new ConvBnRelu(p, `dec${k + 1}.1`, rng, cat, ch[k]),
        new ConvBnRelu(p, `dec${k + 1}.2`, rng, ch[k], ch[k]),
      ]);
    }
    this.#out = new Conv2d(p, "out", rng, ch[0], config.channels);
  }

  /** Channels the encoder takes: one frame (recon) or `inputFrames` frames (pred). */
  get inputChannels(): number {
    const { task, inputFrames, channels } = this.config;
    return task === "pred" ? inputFrames * channels : channels;
  }

  /** Encodes `x` [B, size, size, inputChannels] into the unit-norm query map. */
  encode(x: tf.Tensor4D, mode: ForwardMode): MnadEncoding {
    const { size } = this.config;
    const [, h, w, c] = x.shape;
    if (h !== size || w !== size || c !== this.inputChannels) {
      throw new RangeError(
        `MNAD ${this.config.task} encoder expects [B, ${size}, ${size}, ${this.inputChannels}] ` +
          `input, got [${x.shape}]`,
      );
    }
    const skips: tf.Tensor4D[] = [];
    let f = x;
    for (const [c1, c2] of this.#enc) {
      const s = c2.apply(c1.apply(f, mode), mode);
      skips.push(s);
      f = maxPool2x2(s);
    }
    const [l1, l2] = this.#encLast;
    const query = l2NormalizePositions(l2.apply(l1.apply(f, mode)));
    return { query, skips };
  }

  /**
   * Decodes the query map and the memory's read features `read` (same shape as the
   * query) into a frame [B, size, size, channels] in [-1, 1]. `skips` are used by
   * the prediction task only.
   */
  decode(
    query: tf.Tensor4D,
    read: tf.Tensor4D,
    skips: tf.Tensor4D[],
    mode: ForwardMode,
  ): tf.Tensor4D {
    const [b1, b2] = this.#bottleneck;
    let y = b2.apply(b1.apply(tf.concat([query, read], 3), mode), mode);
    const withSkips = this.config.task === "pred";
    for (let i = 0; i < 3; i++) {
      const up = this.#up[i].apply(y, mode);
      const input = withSkips ? tf.concat([up, skips[2 - i]], 3) : up;
      const [c1, c2] = this.#dec[i];
      y = c2.apply(c1.apply(input, mode), mode);
    }
    return tf.tanh(this.#out.apply(y));
  }

  /** Frees every weight and the memory. */
  dispose(): void {
    this.params.dispose();
  }
}
