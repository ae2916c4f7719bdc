/**
 * Watching a GAN-trained model (DAAD+) while it trains: per epoch, the discriminator's
 * loss and its accuracy on real and reconstructed training images (means over the
 * epoch's d steps), and how well the alignment distance L(x) separates normal from
 * anomalous test images on a fixed probe. {@linkcode ganWarning} reads the history
 * for the two failures that make L_adv and L(x) useless: a discriminator that wins
 * outright early on, and one that collapses.
 *
 * The probe's labels are only watched, never used to choose anything.
 *
 * @example
 * ```ts
 * import { ganEpoch, ganWarning } from "./gan_monitor.ts";
 * const losses = { "d.total": 0.02, "d.acc_real": 1, "d.acc_fake": 1 };
 * const e1 = ganEpoch({ epoch: 1, losses }, Float32Array.of(1, 2, 3), [0, 1, 1]);
 * const e2 = ganEpoch({ epoch: 2, losses }, Float32Array.of(1, 2, 3), [0, 1, 1]);
 * console.log(e2.ali_auroc); // 1
 * console.log(ganWarning([e1, e2])); // "the discriminator wins outright ..."
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { evenlySpaced, type ImageSet, subset } from "../data/image_set.ts";
import { auroc } from "../metrics/auroc.ts";

/** One epoch as log.jsonl's `gan` lines and metrics.json's `gan.epochs` hold it. */
export interface GanEpoch {
  epoch: number;
  /** Mean of D's loss (the negated eq. 5) over the epoch's d steps; null without D steps. */
  d_loss: number | null;
  /** Fraction of real training images D called real, mean over the epoch. */
  d_acc_real: number | null;
  /** Fraction of reconstructions D called reconstructed, mean over the epoch. */
  d_acc_fake: number | null;
  /** Image AUROC of L(x) alone on the probe (null when it holds one class only). */
  ali_auroc: number | null;
  /** Mean L(x) over the probe's normal and anomalous images. */
  ali_normal: number | null;
  ali_anomalous: number | null;
}

/** Accuracies at or above this on both kinds count as D winning outright. */
export const WIN_ACCURACY = 0.98;

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Builds an epoch's record from the trainer's epoch means (`d.total`, `d.acc_real`,
 * `d.acc_fake`) and L(x) on the probe images with their labels (1 = anomalous).
 */
export function ganEpoch(
  stats: { epoch: number; losses: Record<string, number> },
  ali: Float32Array | null,
  labels: ArrayLike<number>,
): GanEpoch {
  const get = (k: string) => stats.losses[k] ?? null;
  let aliAuroc: number | null = null, aliNormal: number | null = null;
  let aliAnomalous: number | null = null;
  if (ali != null) {
    if (ali.length !== labels.length) {
      throw new Error(`${ali.length} L(x) values for ${labels.length} probe labels`);
    }
    const normal: number[] = [], anomalous: number[] = [];
    ali.forEach((v, i) => (labels[i] === 1 ? anomalous : normal).push(v));
    aliNormal = mean(normal);
    aliAnomalous = mean(anomalous);
    if (normal.length > 0 && anomalous.length > 0) aliAuroc = auroc(ali, labels);
  }
  return {
    epoch: stats.epoch,
    d_loss: get("d.total"),
    d_acc_real: get("d.acc_real"),
    d_acc_fake: get("d.acc_fake"),
    ali_auroc: aliAuroc,
    ali_normal: aliNormal,
    ali_anomalous: aliAnomalous,
  };
}

/** One line for the console: `gan: D loss 0.62, accuracy real 0.81 / rec. 0.77, L(x) AUROC 0.64`. */
export function formatGanEpoch(e: GanEpoch): string {
  const f = (v: number | null, d = 3) => (v == null ? "-" : v.toFixed(d));
  const g = (v: number | null) => (v == null ? "-" : v.toPrecision(3));
  return `gan epoch ${e.epoch}: D loss ${f(e.d_loss)}, D accuracy real ${f(e.d_acc_real, 2)} / ` +
    `reconstructed ${f(e.d_acc_fake, 2)}; L(x) AUROC on the test probe ${f(e.ali_auroc)} ` +
    `(mean normal ${g(e.ali_normal)}, anomalous ${g(e.ali_anomalous)})`;
}

/**
 * A warning when the history shows D winning outright (accuracy >= {@linkcode
 * WIN_ACCURACY} on both kinds in every epoch from the first quarter of training on, at
 * least two epochs) or collapsing (in the last epoch D calls nearly every image of both
 * kinds the same, or L(x) no longer varies over the probe); null otherwise.
 */
export function ganWarning(history: readonly GanEpoch[]): string | null {
  const withD = history.filter((e) => e.d_acc_real != null && e.d_acc_fake != null);
  if (withD.length >= 2) {
    const won = (e: GanEpoch) => e.d_acc_real! >= WIN_ACCURACY && e.d_acc_fake! >= WIN_ACCURACY;
    // The first epoch of the final unbroken run of won epochs.
    let first = withD.length;
    while (first > 0 && won(withD[first - 1])) first--;
    if (first <= Math.floor(withD.length / 4) && first < withD.length) {
      return `the discriminator wins outright: accuracy >= ${WIN_ACCURACY} on real and on ` +
        `reconstructed images from epoch ${withD[first].epoch} on (D loss ${
          withD.at(-1)!.d_loss?.toFixed(4)
        }); its adversarial gradient then tells the generator little`;
    }
  }
  const last = withD.at(-1);
  if (last != null) {
    const [r, f] = [last.d_acc_real!, last.d_acc_fake!];
    if ((r >= 0.95 && f <= 0.05) || (r <= 0.05 && f >= 0.95)) {
      return `the discriminator has collapsed: in epoch ${last.epoch} it calls nearly every ` +
        `image ${r > f ? "real" : "reconstructed"} (accuracy real ${r.toFixed(2)}, ` +
        `reconstructed ${f.toFixed(2)})`;
    }
  }
  const lastAli = history.at(-1);
  if (
    lastAli?.ali_normal != null && lastAli.ali_anomalous != null &&
    Math.abs(lastAli.ali_normal) + Math.abs(lastAli.ali_anomalous) < 1e-12
  ) {
    return `the discriminator's features have collapsed: L(x) is zero on every probed ` +
      `test image in epoch ${lastAli.epoch}`;
  }
  return null;
}

/** Test images probed each epoch: at most this many, evenly spaced over the set. */
export const GAN_PROBE_IMAGES = 128;

/**
 * Collects {@linkcode GanEpoch}s over a run: give it the model's L(x) probe and the test
 * set, call {@linkcode GanMonitor.epochEnd} after every epoch.
 */
export class GanMonitor {
  readonly history: GanEpoch[] = [];
  readonly #probe: (x: tf.Tensor4D) => Float32Array | null;
  readonly #images: ImageSet;
  readonly #labels: Uint8Array;

  constructor(probe: (x: tf.Tensor4D) => Float32Array | null, test: ImageSet) {
    if (test.labels == null) throw new Error("the GAN monitor needs a labelled test set");
    const idx = evenlySpaced(test.n, GAN_PROBE_IMAGES);
    this.#images = subset(test, idx);
    this.#labels = Uint8Array.from(idx, (i) => test.labels![i]);
    this.#probe = probe;
  }

  /**
   * Records the epoch; null (nothing recorded) for a model without a discriminator,
   * whose epochs carry no D statistics and whose probe gives no L(x).
   */
  epochEnd(stats: { epoch: number; losses: Record<string, number> }): GanEpoch | null {
    const ali = this.#alignment();
    if (ali == null && stats.losses["d.total"] == null) return null;
    const e = ganEpoch(stats, ali, this.#labels);
    this.history.push(e);
    return e;
  }

  #alignment(): Float32Array | null {
    const { n, height, width, channels, data } = this.#images;
    const out = new Float32Array(n);
    const per = height * width * channels;
    // Batches of 32 keep the memory of a probe at 256 px bounded.
    for (let start = 0; start < n; start += 32) {
      const b = Math.min(32, n - start);
      const x = tf.tensor4d(data.subarray(start * per, (start + b) * per), [
        b,
        height,
        width,
        channels,
      ]);
      try {
        const v = this.#probe(x);
        if (v == null) return null;
        out.set(v, start);
      } finally {
        x.dispose();
      }
    }
    return out;
  }
}
