/**
 * The DAAD family (`ae`, `ae-skip`, `memae`, `daad`) as a kit model: the network of
 * `model.ts`, its training objective (eq. 4, plus MemAE's entropy term) and the anomaly
 * scorer R(x).
 * @module
 */
import type { ParamStore } from "../../nn/params.ts";
import * as tf from "@tensorflow/tfjs";
import {
  bankDrift,
  diagnoseWeights,
  type MemoryBankReport,
  memoryBankReport,
  type MemoryDiagnostics,
} from "../../memory/diagnostics.ts";
import { Adam, type AdamConfig } from "../../train/adam.ts";
import type { Objective } from "../../train/trainer.ts";
import type { KitModel, ScoreOutput } from "../kit_model.ts";
import { type DaadConfig, DEFAULT_COMMITMENT_WEIGHT } from "./config.ts";
import { daadLoss, type DaadLossTerms } from "./loss.ts";
import { DaadNetwork, type DaadOutput } from "./model.ts";
import { errorMap, reconstructionScore } from "./score.ts";

/** A DAAD-family network wrapped for training and scoring. */
export class DaadModel implements KitModel {
  readonly network: DaadNetwork;
  readonly objectives: Objective[];

  constructor(readonly config: DaadConfig, seed: number, adam: Partial<AdamConfig> = {}) {
    this.network = new DaadNetwork(config, seed);
    const optimizer = new Adam(this.network.params.trainableVariables(), adam);
    this.objectives = [{
      name: "model",
      optimizer,
      loss: (batch) => this.trainingLoss(batch).terms,
    }];
  }

  /**
   * The training loss on `batch` (eq. 4 and the memory terms the configuration adds)
   * and the training-mode forward pass it came from: what the objective minimises.
   */
  trainingLoss(batch: tf.Tensor4D): { terms: DaadLossTerms; output: DaadOutput } {
    const c = this.config;
    const output = this.network.forward(batch, { training: true });
    const terms = daadLoss(
      batch,
      output,
      c.entropyWeight,
      c.recLoss,
      c.compactnessWeight,
      c.commitmentWeight ?? DEFAULT_COMMITMENT_WEIGHT,
    );
    return { terms, output };
  }

  /** Starts memory banks configured with `memoryInit: "queries"` from the first batch. */
  beforeStep(batch: tf.Tensor4D): void {
    this.network.initMemories(batch);
  }

  get params(): ParamStore {
    return this.network.params;
  }

  /** Evaluation-mode reconstruction. */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return this.network.forward(x, { training: false }).reconstruction;
  }

  /**
   * Usage, entropy and collapse diagnostics of every memory bank over `images`
   * (evaluation mode); empty for variants without memory.
   */
  memoryDiagnostics(images: tf.Tensor4D): MemoryDiagnostics[] {
    return memoryDiagnosticsOf(this.network, images);
  }

  /**
   * Addressing weights [Q, N] (row-major) of the bank at `scale` (1..4) for `images`,
   * in evaluation mode: the input of {@linkcode itemExemplars}.
   */
  memoryWeights(images: tf.Tensor4D, scale: number): Float32Array {
    if (!this.network.memories.has(scale)) {
      throw new RangeError(
        `${this.config.variant} has no memory at scale ${scale} (it has ` +
          `${[...this.network.memories.keys()].join(", ") || "none"})`,
      );
    }
    const w = tf.tidy(() =>
      this.network.forward(images, { training: false }).memoryWeights.get(scale)!
    );
    try {
      return w.dataSync() as Float32Array;
    } finally {
      w.dispose();
    }
  }

  /** {@linkcode memoryDiagnostics} plus each bank's drift, as metrics.json records them. */
  memoryReport(images: tf.Tensor4D): MemoryBankReport[] {
    return memoryReportOf(this.network, images);
  }

  score(x: tf.Tensor4D): ScoreOutput {
    return tf.tidy(() => {
      const rec = this.reconstruct(x);
      return { scores: reconstructionScore(x, rec), maps: errorMap(x, rec), reconstruction: rec };
    }) as unknown as ScoreOutput;
  }

  dispose(): void {
    for (const o of this.objectives) o.optimizer.dispose();
    this.network.dispose();
  }
}

/** Usage diagnostics of every bank of `network` over `images` (evaluation mode). */
export function memoryDiagnosticsOf(
  network: DaadNetwork,
  images: tf.Tensor4D,
): MemoryDiagnostics[] {
  const scales = [...network.memories.keys()];
  const weights = tf.tidy(() => {
    const out = network.forward(images, { training: false });
    return scales.map((s) => out.memoryWeights.get(s)!);
  });
  try {
    return scales.map((s, i) => diagnoseWeights(`scale ${s} (${2 ** s}x)`, weights[i]));
  } finally {
    tf.dispose(weights);
  }
}

/** {@linkcode memoryDiagnosticsOf} with each bank's drift from its start. */
export function memoryReportOf(network: DaadNetwork, images: tf.Tensor4D): MemoryBankReport[] {
  const diagnostics = memoryDiagnosticsOf(network, images);
  return [...network.memories.values()].map((mem, i) => {
    const start = mem.startItems();
    try {
      return memoryBankReport(diagnostics[i], bankDrift(mem.bank as tf.Tensor2D, start));
    } finally {
      start.dispose();
    }
  });
}
