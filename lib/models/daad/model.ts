/**
 * The DAAD network (supplement Table 2) and its ablations AE, AE+Skip and MemAE*.
 *
 * Read top to bottom: four encoder stages (two ConvBNReLU, then 2x max-pool) whose
 * pooled outputs go through a block-wise memory (where the variant has one); a
 * bottleneck of two ConvBNReLU at 16x width; three decoder stages (ConvTranspose 2x2
 * stride 2, concatenation with the memory-filtered skip where the variant has skips,
 * two ConvBNReLU); a last ConvTranspose, a head of two ConvBNReLU and a 1x1 conv back
 * to the input channels. Tensors are NHWC; in the shape comments s is the input size and
 * ch = stageChannels(width, bottleneck) = [w, 2w, 4w, 8w, 16w] (the last is `bottleneck`
 * where the configuration sets it). `init` chooses He-normal or PyTorch's default weights.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { DaadNetwork } from "./model.ts";
 * import { DEFAULT_DAAD_CONFIG } from "./config.ts";
 * const net = new DaadNetwork({ ...DEFAULT_DAAD_CONFIG, size: 32, width: 4, memory: 10,
 *   division: [2, 2, 1], channels: 1 }, 0);
 * const y = net.forward(tf.zeros([1, 32, 32, 1]), { training: false });
 * console.log(y.reconstruction.shape); // [1, 32, 32, 1]
 * net.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BlockMemory } from "../../memory/block_memory.ts";
import {
  Conv2d,
  ConvBnRelu,
  ConvTranspose2x2,
  type ForwardMode,
  maxPool2x2,
} from "../../nn/layers.ts";
import { ParamStore } from "../../nn/params.ts";
import { deriveSeed, Rng } from "../../util/rng.ts";
import {
  type DaadConfig,
  hasSkips,
  memoryConfigOf,
  memoryScales,
  scaleMap,
  stageChannels,
  validateDaadConfig,
} from "./config.ts";

/**
 * The decoder levels k, in the order they run: level k brings the map up to scale k
 * (s/2^k) and concatenates that scale's skip. Table 2 names them dec_{k+1}.
 */
const DECODER_LEVELS = [3, 2, 1] as const;

/** What one forward pass returns. */
export interface DaadOutput {
  /** x̂, same shape as the input. */
  reconstruction: tf.Tensor4D;
  /** Addressing weights per memory scale (key: scale 1..4), for diagnostics. */
  memoryWeights: Map<number, tf.Tensor2D>;
  /** Sum over scales of the mean addressing entropy (MemAE addressing only). */
  entropy: tf.Scalar | null;
  /** Mean over scales of each bank's compactness (training with a compactness weight only). */
  compactness: tf.Scalar | null;
  /** Sum over scales of the banks' commitment losses (`vq` similarity only). */
  commitment: tf.Scalar | null;
  /** Sum over scales of the banks' codebook losses (`vq` with items learnt by gradient). */
  codebook: tf.Scalar | null;
}

/** The encoder/decoder with optional skips and block-wise memories. */
export class DaadNetwork {
  readonly params: ParamStore;
  readonly config: DaadConfig;
  readonly #enc: [ConvBnRelu, ConvBnRelu][] = [];
  readonly #memory = new Map<number, BlockMemory>();
  readonly #bottleneck: [ConvBnRelu, ConvBnRelu];
  readonly #up: ConvTranspose2x2[] = [];
  readonly #dec: [ConvBnRelu, ConvBnRelu][] = [];
  readonly #head: [ConvBnRelu, ConvBnRelu, Conv2d];
  readonly #initRng: Rng;
  #memoriesReady = false;

  /** Builds the network with weights drawn from `seed` (same seed, same weights). */
  constructor(config: DaadConfig, seed: number, store?: ParamStore) {
    validateDaadConfig(config);
    this.config = { ...config };
    this.params = store ?? new ParamStore(config.variant);
    const rng = new Rng(seed);
    this.#initRng = new Rng(deriveSeed(seed, "memory init"));
    const ch = stageChannels(config.width, config.bottleneck);
    const skips = hasSkips(config.variant);
    const p = this.params;
    const init = { init: config.init ?? "he" };

    let cin = config.channels;
    for (let i = 0; i < 4; i++) {
      this.#enc.push([
        new ConvBnRelu(p, `enc${i + 1}.1`, rng, cin, ch[i], init),
        new ConvBnRelu(p, `enc${i + 1}.2`, rng, ch[i], ch[i], init),
      ]);
      cin = ch[i];
    }
    for (const scale of memoryScales(config.variant)) {
      this.#memory.set(
        scale,
        new BlockMemory(
          p,
          `mem${scale}`,
          rng,
          scaleMap(config, scale),
          memoryConfigOf(config, scale),
        ),
      );
    }
    this.#bottleneck = [
      new ConvBnRelu(p, "bottleneck.1", rng, ch[3], ch[4], init),
      new ConvBnRelu(p, "bottleneck.2", rng, ch[4], ch[4], init),
    ];
    // Decoder level k (k = 3, 2, 1): up from ch[k+1] to ch[k], concat the scale-k skip
    // (ch[k-1] channels), two ConvBNReLU to ch[k]. Table 2 names these dec_{k+1}.
    for (const k of DECODER_LEVELS) {
      this.#up.push(new ConvTranspose2x2(p, `up${k + 1}`, rng, ch[k + 1], ch[k], init));
      const cat = skips ? ch[k] + ch[k - 1] : ch[k];
      this.#dec.push([
        new ConvBnRelu(p, `dec${k + 1}.1`, rng, cat, ch[k], init),
        new ConvBnRelu(p, `dec${k + 1}.2`, rng, ch[k], ch[k], init),
      ]);
    }
    this.#up.push(new ConvTranspose2x2(p, "up1", rng, ch[1], ch[0], init));
    this.#head = [
      new ConvBnRelu(p, "head.1", rng, ch[0], ch[0], init),
      new ConvBnRelu(p, "head.2", rng, ch[0], ch[0], init),
      new Conv2d(p, "head.out", rng, ch[0], config.channels, { kernel: 1, ...init }),
    ];
  }

  /** Memory banks by scale (1..4), for diagnostics and notebooks. */
  get memories(): ReadonlyMap<number, BlockMemory> {
    return this.#memory;
  }

  /**
   * The encoder: the four pooled maps f_1..f_4, [B, s/2^k, s/2^k, ch[k-1]] for k = 1..4
   * (enc_{k-3} in Table 2). Each stage reads the previous pooled map, not its memory.
   */
  encode(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D[] {
    const { size, channels } = this.config;
    const [, h, w, c] = x.shape;
    if (h !== size || w !== size || c !== channels) {
      throw new Error(`network expects [B, ${size}, ${size}, ${channels}] input, got [${x.shape}]`);
    }
    const maps: tf.Tensor4D[] = [];
    let f = x;
    for (const [c1, c2] of this.#enc) {
      f = maxPool2x2(c2.apply(c1.apply(f, mode), mode));
      maps.push(f);
    }
    return maps;
  }

  /**
   * Starts every bank configured with `memoryInit: "queries"` from the queries of the
   * batch `x` (call before the first training step; a no-op once the banks are set,
   * also after a checkpoint restored them).
   */
  initMemories(x: tf.Tensor4D): void {
    if (this.#memoriesReady) return;
    const waiting = [...this.#memory].filter(([, m]) => m.needsInit);
    if (waiting.length > 0) {
      tf.tidy(() => {
        const maps = this.encode(x, { training: true });
        for (const [scale, mem] of waiting) mem.initFromQueries(maps[scale - 1], this.#initRng);
      });
    }
    this.#memoriesReady = true;
  }

  /** Reconstructs `x` [B, size, size, channels]. */
  forward(x: tf.Tensor4D, mode: ForwardMode): DaadOutput {
    const memoryWeights = new Map<number, tf.Tensor2D>();
    const entropies: tf.Scalar[] = [];
    const compact: tf.Scalar[] = [];
    const commitments: tf.Scalar[] = [];
    const codebooks: tf.Scalar[] = [];
    const withCompactness = mode.training && this.config.compactnessWeight > 0;
    // x: [B, s, s, C]. Skips: the memory's output m_k where scale k has a memory, else f_k
    // itself; skips[k-1]: [B, s/2^k, s/2^k, ch[k-1]] for k = 1..4.
    const skips = this.encode(x, mode).map((f, i) => {
      const mem = this.#memory.get(i + 1);
      if (mem == null) return f;
      const m = mem.apply(f, { compactness: withCompactness, update: mode.training });
      memoryWeights.set(i + 1, m.weights);
      if (m.entropy != null) entropies.push(m.entropy);
      if (m.compactness != null) compact.push(m.compactness);
      if (m.commitment != null) commitments.push(m.commitment);
      if (m.codebook != null) codebooks.push(m.codebook);
      return m.output;
    });
    // The bottleneck reads the 16x scale after its memory (m4 in Table 2):
    // [B, s/16, s/16, ch[3]] -> y [B, s/16, s/16, ch[4]].
    let y = this.#bottleneck[1].apply(this.#bottleneck[0].apply(skips[3], mode), mode);
    const withSkips = hasSkips(this.config.variant);
    // Level k, as built in the constructor (this.#up[i], this.#dec[i] for the i-th level):
    // up [B, s/2^(k+1), s/2^(k+1), ch[k+1]] -> [B, s/2^k, s/2^k, ch[k]]; with skips, concat
    // skips[k-1] -> [B, s/2^k, s/2^k, ch[k] + ch[k-1]]; two ConvBNReLU -> [B, s/2^k, s/2^k, ch[k]].
    for (const [i, k] of DECODER_LEVELS.entries()) {
      const up = this.#up[i].apply(y);
      const input = withSkips ? tf.concat([up, skips[k - 1]], 3) : up;
      const [c1, c2] = this.#dec[i];
      y = c2.apply(c1.apply(input, mode), mode);
    }
    // up1: [B, s/2, s/2, ch[1]] -> [B, s, s, ch[0]]; the head keeps ch[0], then a 1x1 conv
    // gives the reconstruction [B, s, s, C].
    const up = this.#up[DECODER_LEVELS.length].apply(y);
    const [h1, h2, out] = this.#head;
    const reconstruction = out.apply(h2.apply(h1.apply(up, mode), mode));
    // Each bank is a quantiser with its own VQ-VAE losses: they add up, as entropies do.
    const sum = (terms: tf.Scalar[]) => terms.length === 0 ? null : tf.addN(terms) as tf.Scalar;
    const entropy = sum(entropies);
    const compactness = compact.length === 0
      ? null
      : tf.div(tf.addN(compact), compact.length) as tf.Scalar;
    return {
      reconstruction,
      memoryWeights,
      entropy,
      compactness,
      commitment: sum(commitments),
      codebook: sum(codebooks),
    };
  }

  /** Frees every weight. */
  dispose(): void {
    this.params.dispose();
  }
}
