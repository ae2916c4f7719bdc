/**
 * A toy model family, written as a newcomer would add a model to the kit, but outside
 * `lib/`: a one-layer autoencoder (one 3x3 convolution to a code of `--code` channels,
 * ReLU, one 3x3 convolution back) and the family module that gives it a flag, a
 * default, a check and a mapping. Nothing in `lib/` knows it; `cli.ts` registers it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { flagError } from "../../../lib/config.ts";
import { defineFamily, type ModelFamily } from "../../../lib/families/family.ts";
import type { KitModel, ScoreOutput } from "../../../lib/models/kit_model.ts";
import { Conv2d } from "../../../lib/nn/layers.ts";
import { ParamStore } from "../../../lib/nn/params.ts";
import { Adam } from "../../../lib/train/adam.ts";
import type { Objective } from "../../../lib/train/trainer.ts";
import { Rng } from "../../../lib/util/rng.ts";

/** The toy's own configuration (what config.json records as `model_config`). */
export interface ToyAeConfig {
  size: number;
  channels: number;
  /** Channels of the code. */
  code: number;
}

/** The one-layer autoencoder. */
export class ToyAeModel implements KitModel {
  readonly params: ParamStore = new ParamStore("toy-ae");
  readonly objectives: Objective[];
  readonly #encode: Conv2d;
  readonly #decode: Conv2d;

  constructor(readonly config: ToyAeConfig, seed: number, lr: number) {
    const rng = new Rng(seed);
    this.#encode = new Conv2d(this.params, "encode", rng, config.channels, config.code);
    this.#decode = new Conv2d(this.params, "decode", rng, config.code, config.channels);
    this.objectives = [{
      name: "model",
      optimizer: new Adam(this.params.trainableVariables(), { lr }),
      loss: (x) => ({ total: tf.mean(tf.squaredDifference(this.#forward(x), x)), parts: {} }),
    }];
  }

  #forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.#decode.apply(tf.relu(this.#encode.apply(x)));
  }

  score(x: tf.Tensor4D): ScoreOutput {
    return tf.tidy(() => {
      const reconstruction = this.#forward(x);
      const maps = tf.mean(tf.squaredDifference(reconstruction, x), 3) as tf.Tensor3D;
      return { scores: tf.mean(maps, [1, 2]) as tf.Tensor1D, maps, reconstruction };
    });
  }

  dispose(): void {
    for (const o of this.objectives) o.optimizer.dispose();
    this.params.dispose();
  }
}

/** The toy's settings: its flag's value. */
export type ToyAeSettings = { code: number };

/** The toy family: one model, one flag. */
export const toyAeFamily: ModelFamily<ToyAeSettings, ToyAeConfig> = defineFamily({
  name: "toy",
  title: "Toy AE (a test's family)",
  models: ["toy-ae"],
  flags: { code: { type: "int", min: 1, help: "Channels of the one-layer code (default 4)." } },
  defaults: () => ({ settings: { code: 4 }, run: { lr: 1e-2 } }),
  check: (run) => {
    if (run.settings.code > 64) throw flagError("code", run.settings.code, "at most 64 channels");
  },
  modelConfig: (run, sample) => ({
    size: run.size,
    channels: sample.channels,
    code: run.settings.code,
  }),
  build: (config, run) => new ToyAeModel(config, run.seed, run.lr),
});
