/**
 * Adam (Kingma & Ba), with PyTorch's update rule and defaults, whose whole state (step
 * count and both moments) can be saved and restored, so that a resumed run continues
 * exactly.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Adam } from "./adam.ts";
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const opt = new Adam([w], { lr: 0.1 });
 * const { grads } = tf.variableGrads(() => tf.sum(tf.square(w)), [w]);
 * opt.apply(grads);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ParamStore, type TensorData } from "../nn/params.ts";

/** Adam hyper-parameters. */
export interface AdamConfig {
  /** Learning rate (DAAD: 1e-4; DAAD+: 2e-4). */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 weight decay added to the gradient (PyTorch's Adam, not AdamW). */
  weightDecay: number;
}

/** The paper's setting (§4.1): lr 1e-4, betas 0.9/0.999, no weight decay; eps as PyTorch. */
export const DEFAULT_ADAM_CONFIG: Readonly<AdamConfig> = Object.freeze({
  lr: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
});

/** Checks Adam hyper-parameters; throws a RangeError naming the bad one. */
export function validateAdamConfig(c: AdamConfig): void {
  if (!(c.lr > 0 && Number.isFinite(c.lr))) {
    throw new RangeError(`learning rate must be > 0, got ${c.lr}`);
  }
  for (const [k, v] of [["beta1", c.beta1], ["beta2", c.beta2]] as const) {
    if (!(v >= 0 && v < 1)) throw new RangeError(`${k} must be in [0, 1), got ${v}`);
  }
  if (!(c.eps > 0)) throw new RangeError(`eps must be > 0, got ${c.eps}`);
  if (!(c.weightDecay >= 0)) {
    throw new RangeError(`weight decay must be >= 0, got ${c.weightDecay}`);
  }
}

/** The saved state of an {@linkcode Adam}. */
export interface AdamState {
  step: number;
  moments: Map<string, TensorData>;
}

/** Adam over an explicit list of variables. */
export class Adam {
  readonly config: AdamConfig;
  readonly variables: tf.Variable[];
  #step = 0;
  readonly #moments: ParamStore;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();

  constructor(variables: tf.Variable[], config: Partial<AdamConfig> = {}) {
    this.config = { ...DEFAULT_ADAM_CONFIG, ...config };
    validateAdamConfig(this.config);
    this.variables = variables;
    this.#moments = new ParamStore("adam");
    for (const [i, v] of variables.entries()) {
      this.#m.set(v.name, this.#moments.add(`m${i}`, tf.zerosLike(v), false));
      this.#v.set(v.name, this.#moments.add(`v${i}`, tf.zerosLike(v), false));
    }
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.#step;
  }

  /** Applies one update from gradients keyed by variable name (as `tf.variableGrads` gives). */
  apply(grads: tf.NamedTensorMap): void {
    this.#step++;
    const { lr, beta1, beta2, eps, weightDecay } = this.config;
    const stepSize = lr / (1 - beta1 ** this.#step);
    const sqrtBias2 = Math.sqrt(1 - beta2 ** this.#step);
    tf.tidy(() => {
      for (const v of this.variables) {
        let g = grads[v.name];
        if (g == null) continue; // a variable the loss does not reach this step
        if (weightDecay > 0) g = tf.add(g, tf.mul(v, weightDecay));
        const m = this.#m.get(v.name)!, s = this.#v.get(v.name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        s.assign(tf.add(tf.mul(s, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(s), sqrtBias2), eps);
        v.assign(tf.sub(v, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** A copy of the state. */
  async state(): Promise<AdamState> {
    return { step: this.#step, moments: await this.#moments.snapshot() };
  }

  /** Restores a state saved by {@linkcode state} for the same variable list. */
  load(state: AdamState): void {
    this.#moments.load(state.moments);
    this.#step = state.step;
  }

  dispose(): void {
    this.#moments.dispose();
  }
}
