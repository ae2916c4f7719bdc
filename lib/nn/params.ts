/**
 * A named collection of tfjs variables: the weights of one model, the state a
 * checkpoint saves, and the explicit variable list a training step differentiates.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ParamStore } from "./params.ts";
 * const store = new ParamStore("demo");
 * store.add("w", tf.zeros([2, 2]));
 * console.log(store.numParams()); // 4
 * store.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A variable's values as plain data (checkpoints, comparisons). */
export interface TensorData {
  shape: number[];
  values: Float32Array;
}

let storeCounter = 0;

/** Raised when saved state does not fit a store (missing, extra or mis-shaped names). */
export class StateMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateMismatchError";
  }
}

/**
 * What a variable is in PyTorch's terms, recorded by the layer that creates it, so that
 * weights can be written in PyTorch's names and layouts (`lib/nn/torch_layout.ts`).
 * Variables without a kind (memory banks, counters) are written as they are.
 */
export type ParamKind =
  | "conv2d.weight"
  | "conv2d.bias"
  | "conv_transpose2x2.weight"
  | "conv_transpose2x2.bias"
  | "batch_norm.weight"
  | "batch_norm.bias"
  | "batch_norm.running_mean"
  | "batch_norm.running_var";

/** Named variables, trainable or not (batch-norm running statistics are not). */
export class ParamStore {
  readonly #vars = new Map<string, tf.Variable>();
  readonly #trainable = new Set<string>();
  readonly #kinds = new Map<string, ParamKind>();
  readonly #prefix: string;

  /** `label` only helps to read tfjs variable names; each store gets a unique prefix. */
  constructor(label = "model") {
    this.#prefix = `${label}#${storeCounter++}`;
  }

  /**
   * Adds a variable owning `init` (the store disposes it). Names are unique per store.
   * `kind` says what the variable is in PyTorch's terms (for exporting weights).
   */
  add(name: string, init: tf.Tensor, trainable = true, kind?: ParamKind): tf.Variable {
    if (this.#vars.has(name)) throw new Error(`parameter '${name}' is defined twice`);
    const v = tf.variable(init, trainable, `${this.#prefix}/${name}`);
    init.dispose();
    this.#vars.set(name, v);
    if (trainable) this.#trainable.add(name);
    if (kind != null) this.#kinds.set(name, kind);
    return v;
  }

  /** What the variable `name` is in PyTorch's terms, or null (see {@linkcode ParamKind}). */
  kindOf(name: string): ParamKind | null {
    return this.#kinds.get(name) ?? null;
  }

  /** Whether the variable `name` is trained by the optimiser (not a running statistic). */
  isTrainable(name: string): boolean {
    return this.#trainable.has(name);
  }

  /** The variable called `name`. */
  get(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (v == null) throw new Error(`no parameter '${name}'`);
    return v;
  }

  /** Whether a variable called `name` exists. */
  has(name: string): boolean {
    return this.#vars.has(name);
  }

  /** All names, in creation order. */
  names(): string[] {
    return [...this.#vars.keys()];
  }

  /** Trainable variables, in creation order (the list given to `tf.variableGrads`). */
  trainableVariables(): tf.Variable[] {
    return [...this.#trainable].map((n) => this.get(n));
  }

  /** Trainable variables whose name starts with `prefix`. */
  trainableWithPrefix(prefix: string): tf.Variable[] {
    return [...this.#trainable].filter((n) => n.startsWith(prefix)).map((n) => this.get(n));
  }

  /** The store's name for a tfjs variable (inverse of the unique tfjs name). */
  nameOf(v: tf.Variable): string {
    const p = `${this.#prefix}/`;
    if (!v.name.startsWith(p)) throw new Error(`variable ${v.name} is not in this store`);
    return v.name.slice(p.length);
  }

  /** Number of scalar parameters (trainable only, as papers count them). */
  numParams(): number {
    let n = 0;
    for (const name of this.#trainable) n += this.get(name).size;
    return n;
  }

  /** Copies every variable's values out (for checkpoints). */
  async snapshot(): Promise<Map<string, TensorData>> {
    const out = new Map<string, TensorData>();
    for (const [name, v] of this.#vars) {
      out.set(name, { shape: [...v.shape], values: (await v.data()) as Float32Array });
    }
    return out;
  }

  /** Synchronous {@linkcode snapshot}. */
  snapshotSync(): Map<string, TensorData> {
    const out = new Map<string, TensorData>();
    for (const [name, v] of this.#vars) {
      out.set(name, { shape: [...v.shape], values: v.dataSync() as Float32Array });
    }
    return out;
  }

  /**
   * Assigns saved values to every variable. Throws {@linkcode StateMismatchError}
   * naming the first missing, unexpected or mis-shaped entry; nothing is assigned then.
   */
  load(state: Map<string, TensorData>): void {
    for (const [name, v] of this.#vars) {
      const s = state.get(name);
      if (s == null) throw new StateMismatchError(`saved state has no '${name}'`);
      if (s.shape.join("x") !== v.shape.join("x")) {
        throw new StateMismatchError(
          `'${name}' has shape [${s.shape}] in the saved state but [${v.shape}] in the model`,
        );
      }
    }
    for (const name of state.keys()) {
      if (!this.#vars.has(name)) throw new StateMismatchError(`saved state has unknown '${name}'`);
    }
    for (const [name, v] of this.#vars) {
      const s = state.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(s.values, s.shape)));
    }
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
    this.#trainable.clear();
    this.#kinds.clear();
  }
}
