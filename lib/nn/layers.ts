/**
 * The layers of the kit's networks, as small classes that create their weights in a
 * {@linkcode ParamStore} and apply them to NHWC tensors.
 *
 * Conventions:
 * - initialisation by {@linkcode InitScheme}: `he` (the kit's default) draws weights
 *   He-normal, std = sqrt(2 / fan_in), the choice for layers followed by ReLU (He et al.,
 *   2015), with zero biases and no bias on a conv followed by batch norm (batch norm
 *   removes any constant shift). This is NOT PyTorch's default. `torch` is PyTorch's
 *   default for nn.Conv2d and nn.ConvTranspose2d: weights kaiming-uniform with a = sqrt(5),
 *   i.e. U(−1/sqrt(fan_in), 1/sqrt(fan_in)) (std 1/sqrt(3·fan_in)), biases from the same
 *   uniform, and a bias on every conv, also before batch norm (nn.Conv2d's bias=True);
 *   PyTorch computes a transposed convolution's fan_in from its weight's dimension 1,
 *   the output channels: fan_in = Cout·kh·kw;
 * - batch norm as PyTorch's: gamma 1, beta 0, momentum 0.1 and eps 1e-5; training mode
 *   normalises with the batch statistics and updates running mean and unbiased variance;
 *   eval mode uses them.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormBackward, batchNormMoments } from "../kernels/webgpu/batch_norm.ts";
import {
  batchNormGrad as oneDnnBatchNormGrad,
  batchNormInfer as oneDnnBatchNormInfer,
  batchNormTrain as oneDnnBatchNormTrain,
} from "../kernels/onednn/batch_norm.ts";
import { convTranspose2x2 as oneDnnConvTranspose2x2 } from "../kernels/onednn/conv_transpose.ts";
import { convTranspose2x2 } from "../kernels/webgpu/conv_transpose_2x2.ts";
import type { Rng } from "../util/rng.ts";
import type { ParamKind, ParamStore } from "./params.ts";

/** Whether a forward pass trains (batch statistics, running-stat updates) or evaluates. */
export interface ForwardMode {
  training: boolean;
}

/** How a layer draws its starting weights (see the module notes). */
export type InitScheme = "he" | "torch";

/** Every {@linkcode InitScheme}, for validation. */
export const INIT_SCHEMES: readonly InitScheme[] = ["he", "torch"];

/** He-normal weights of `shape` with fan-in `fanIn`, drawn from `rng`. */
export function heNormal(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(n, 0, Math.sqrt(2 / fanIn)), shape);
}

/**
 * PyTorch's default weights and biases: U(−1/sqrt(fan_in), 1/sqrt(fan_in)), which is
 * kaiming_uniform_ with a = sqrt(5) for the weights and the bias rule of nn.Conv2d.
 *
 * @example
 * ```ts
 * import { Rng } from "../util/rng.ts";
 * import { torchUniform } from "./layers.ts";
 * const w = torchUniform(new Rng(0), [3, 3, 16, 32], 16 * 9); // all within ±1/12
 * console.log(Math.max(...w.dataSync().map(Math.abs)) <= 1 / 12); // true
 * ```
 */
export function torchUniform(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  return tf.tensor(rng.uniformArray(n, -bound, bound), shape);
}

/** Options of {@linkcode Conv2d}. */
export interface Conv2dOptions {
  /** Square kernel side. Default 3. */
  kernel?: number;
  /** Default 1. */
  stride?: number;
  /** 'same', 'valid' or explicit pixels on every side. Default 'same'. */
  pad?: "same" | "valid" | number;
  /** Default true. */
  bias?: boolean;
  /** Draw weights from N(0, initStd²) (DCGAN uses 0.02), zero bias; overrides `init`. */
  initStd?: number;
  /** `he` (default: He-normal weights, zero bias) or `torch` (PyTorch's nn.Conv2d). */
  init?: InitScheme;
}

/** A 2-D convolution. */
export class Conv2d {
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: "same" | "valid" | number;

  constructor(
    store: ParamStore,
    name: string,
    rng: Rng,
    readonly inChannels: number,
    readonly outChannels: number,
    options: Conv2dOptions = {},
  ) {
    this.kernel = options.kernel ?? 3;
    this.stride = options.stride ?? 1;
    this.pad = options.pad ?? "same";
    // Weight layout [kh, kw, Cin, Cout] (tfjs's); PyTorch's is [Cout, Cin, kh, kw].
    const shape = [this.kernel, this.kernel, inChannels, outChannels];
    const fanIn = inChannels * this.kernel * this.kernel;
    const torch = options.initStd == null && (options.init ?? "he") === "torch";
    const init = options.initStd != null
      ? tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, options.initStd), shape)
      : torch
      ? torchUniform(rng, shape, fanIn)
      : heNormal(rng, shape, fanIn);
    this.w = store.add(`${name}.w`, init, true, "conv2d.weight");
    this.b = (options.bias ?? true)
      ? store.add(
        `${name}.b`,
        torch ? torchUniform(rng, [outChannels], fanIn) : tf.zeros([outChannels]),
        true,
        "conv2d.bias",
      )
      : null;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.conv2d(x, this.w as tf.Tensor4D, this.stride, this.pad);
    return this.b == null ? y : tf.add(y, this.b) as tf.Tensor4D;
  }
}

/** Batch normalisation over N, H, W of an NHWC tensor. */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    store: ParamStore,
    name: string,
    readonly channels: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    const kind = (k: string) => `batch_norm.${k}` as ParamKind;
    this.gamma = store.add(`${name}.gamma`, tf.ones([channels]), true, kind("weight"));
    this.beta = store.add(`${name}.beta`, tf.zeros([channels]), true, kind("bias"));
    this.runningMean = store.add(
      `${name}.running_mean`,
      tf.zeros([channels]),
      false,
      kind("running_mean"),
    );
    this.runningVar = store.add(
      `${name}.running_var`,
      tf.ones([channels]),
      false,
      kind("running_var"),
    );
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    if (tf.getBackend() === "onednn") return this.#oneDnn(x, mode, false);
    if (!mode.training) {
      return tf.batchNorm(
        x,
        this.runningMean,
        this.runningVar,
        this.beta,
        this.gamma,
        this.eps,
      ) as tf.Tensor4D;
    }
    return this.#train(x, this.gamma, this.beta) as tf.Tensor4D;
  }

  /**
   * relu(apply(x)). On `onednn` the ReLU is fused into the normalisation (forward and
   * backward), one pass each instead of a dozen element-wise kernels; same numbers.
   */
  applyRelu(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    if (tf.getBackend() === "onednn") return this.#oneDnn(x, mode, true);
    return tf.relu(this.apply(x, mode));
  }

  // Running statistics are state, not part of the loss; customGrad's forward is not taped.
  #updateRunning(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const m = this.momentum;
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
  }

  #oneDnn(x: tf.Tensor4D, mode: ForwardMode, relu: boolean): tf.Tensor4D {
    if (!mode.training) {
      return oneDnnBatchNormInfer(
        x,
        this.runningMean as tf.Tensor1D,
        this.runningVar as tf.Tensor1D,
        this.gamma as tf.Tensor1D,
        this.beta as tf.Tensor1D,
        this.eps,
        relu,
      );
    }
    const train = relu ? this.#oneDnnTrainRelu : this.#oneDnnTrain;
    return train(x, this.gamma, this.beta) as tf.Tensor4D;
  }

  // oneDNN's batch norm: statistics, normalisation (and ReLU) in one kernel; its
  // backward gives dx, dγ and dβ in one more.
  #oneDnnTrainOf(relu: boolean) {
    return tf.customGrad((x, gamma, beta, save) => {
      const x4 = x as tf.Tensor4D, g = gamma as tf.Tensor1D, b = beta as tf.Tensor1D;
      const out = oneDnnBatchNormTrain(x4, g, b, this.eps, relu, {
        mean: this.runningMean as tf.Tensor1D,
        variance: this.runningVar as tf.Tensor1D,
        momentum: this.momentum,
      });
      // The same update as #updateRunning, computed by the kernel in one call.
      this.runningMean.assign(out.runningMean!);
      this.runningVar.assign(out.runningVar!);
      const saved = [x4, out.mean, out.variance, g, b];
      if (out.workspace != null) saved.push(out.workspace);
      (save as tf.GradSaveFunc)(saved);
      return {
        value: out.y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], s: tf.Tensor[]) =>
          oneDnnBatchNormGrad(
            dy as tf.Tensor4D,
            s[0] as tf.Tensor4D,
            s[1] as tf.Tensor1D,
            s[2] as tf.Tensor1D,
            s[3] as tf.Tensor1D,
            s[4] as tf.Tensor1D,
            (s[5] ?? null) as tf.Tensor1D | null,
            this.eps,
          ),
      };
    });
  }
  #oneDnnTrain = this.#oneDnnTrainOf(false);
  #oneDnnTrainRelu = this.#oneDnnTrainOf(true);

  // Training-mode batch norm with its analytic gradient. tfjs's own batchNorm gradient
  // tiles the per-channel statistics to the full tensor size, which dominated a step.
  #train = tf.customGrad((x, gamma, beta, save) => {
    const x4 = x as tf.Tensor4D;
    // On WebGPU the kit's fused reductions (where autotune measured them faster).
    const webgpu = tf.getBackend() === "webgpu";
    const { mean, variance } = webgpu ? batchNormMoments(x4) : tf.moments(x4, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, this.eps));
    const n = x4.size / this.channels;
    this.#updateRunning(mean, variance, n);
    (save as tf.GradSaveFunc)([x4, mean, invStd, gamma as tf.Tensor]);
    const value = tf.batchNorm(
      x4,
      mean,
      variance,
      beta as tf.Tensor1D,
      gamma as tf.Tensor1D,
      this.eps,
    );
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, mu, inv, g] = saved;
        const d = dy as tf.Tensor;
        if (webgpu) {
          const { dx, dGamma, dBeta } = batchNormBackward(d, xs, mu, inv, g);
          return [dx, dGamma, dBeta];
        }
        const xhat = tf.mul(tf.sub(xs, mu), inv);
        const sumDy = tf.sum(d, [0, 1, 2]);
        const sumDyXhat = tf.sum(tf.mul(d, xhat), [0, 1, 2]);
        // dx = γ·invStd/n · (n·dy − Σdy − x̂·Σ(dy·x̂))
        const inner = tf.sub(tf.sub(tf.mul(d, n), sumDy), tf.mul(xhat, sumDyXhat));
        const dx = tf.mul(inner, tf.div(tf.mul(g, inv), n));
        return [dx, sumDyXhat, sumDy];
      },
    };
  });
}

/** Options of {@linkcode ConvBnRelu} and {@linkcode ConvTranspose2x2}. */
export interface InitOptions {
  /** `he` (default) or `torch` (see the module notes). */
  init?: InitScheme;
}

/**
 * Conv 3x3 + BatchNorm + ReLU: the "ConvBNReLU" of the DAAD supplement's Table 2. The
 * conv has no bias with `he` init (batch norm removes it) and PyTorch's default bias
 * with `torch` init.
 */
export class ConvBnRelu {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(
    store: ParamStore,
    name: string,
    rng: Rng,
    inChannels: number,
    outChannels: number,
    options: InitOptions = {},
  ) {
    const init = options.init ?? "he";
    this.conv = new Conv2d(store, `${name}.conv`, rng, inChannels, outChannels, {
      bias: init === "torch",
      init,
    });
    this.bn = new BatchNorm(store, `${name}.bn`, outChannels);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.bn.applyRelu(this.conv.apply(x), mode);
  }
}

/**
 * ConvTranspose 2x2, stride 2. The four output positions of each input pixel do not
 * overlap, so the layer is one matmul [B·H·W, Cin] x [Cin, 4·Cout] followed by a
 * depth-to-space rearrangement: no scatter, and its gradient is two matmuls.
 */
export class ConvTranspose2x2 {
  readonly w: tf.Variable;
  readonly b: tf.Variable;

  constructor(
    store: ParamStore,
    name: string,
    rng: Rng,
    readonly inChannels: number,
    readonly outChannels: number,
    options: InitOptions = {},
  ) {
    // Weight layout [Cin, kh, kw, Cout] flattened to [Cin, 4·Cout]; PyTorch's is
    // [Cin, Cout, kh, kw], and its fan_in (dimension 1 times the kernel) is Cout·4.
    const shape = [inChannels, 4 * outChannels];
    const torch = (options.init ?? "he") === "torch";
    const w = torch ? torchUniform(rng, shape, 4 * outChannels) : heNormal(rng, shape, inChannels);
    this.w = store.add(`${name}.w`, w, true, "conv_transpose2x2.weight");
    const b = torch ? torchUniform(rng, [outChannels], 4 * outChannels) : tf.zeros([outChannels]);
    this.b = store.add(`${name}.b`, b, true, "conv_transpose2x2.bias");
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    // On WebGPU the kit's fused GEMMs (where autotune measured them faster).
    if (tf.getBackend() === "webgpu") {
      return convTranspose2x2(x, this.w as tf.Tensor2D, this.b as tf.Tensor1D);
    }
    // On oneDNN one deconvolution primitive (bias included) per direction.
    if (tf.getBackend() === "onednn") {
      return oneDnnConvTranspose2x2(x, this.w as tf.Tensor2D, this.b as tf.Tensor1D);
    }
    const [b, h, w, c] = x.shape;
    const co = this.outChannels;
    const y = tf.matMul(x.reshape([b * h * w, c]), this.w as tf.Tensor2D);
    // [B·H, W, kh, kw·Co] -> [B·H, kh, W, kw·Co] = [B, 2H, 2W, Co]
    const up = tf.transpose(y.reshape([b * h, w, 2, 2 * co]), [0, 2, 1, 3]);
    return tf.add(up.reshape([b, 2 * h, 2 * w, co]), this.b) as tf.Tensor4D;
  }
}

/** 2x2 max-pooling, stride 2. */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, "valid");
}
