/**
 * What travels with an exported model so that it scores as the kit does: the
 * preprocessing of an image file, the score's definition, the decision threshold, the
 * model's name and, for DAAD+, the calibration of eq. 7. The ONNX file carries it as
 * `metadata_props` (string values; structured ones as JSON), the web page as model.json.
 *
 * @example
 * ```ts
 * import { metadataProps, preprocessingOf } from "./metadata.ts";
 * const props = metadataProps({
 *   model: "daad", kitVersion: "0.1.0", run: "runs/digit8", data: "one-class MNIST",
 *   preprocessing: preprocessingOf(32, 1, "NCHW"), score: "R(x)",
 *   threshold: { value: 0.01, method: "f1" }, calibration: null, imageAuroc: 0.9,
 * });
 * console.log(props.model, props.threshold); // daad 0.01
 * ```
 * @module
 */
import type { ScoreCalibration } from "../models/daad_plus/kit_model.ts";
import { DEFAULT_FUSION_SCALE } from "../models/daad_plus/score.ts";
import type { ExportFamily } from "./families.ts";

/** How an image file becomes the model's input, as `predict` reads it. */
export interface Preprocessing {
  /** Square side the image is resized to. */
  size: number;
  /** 1 = grey, 3 = RGB. */
  channels: 1 | 3;
  /** Axis order of the input tensor. */
  layout: "NCHW" | "NHWC";
  /** Each step in words, for the people who write their own reader. */
  resize: string;
  color: string;
  alpha: string;
  scale: string;
}

/** The preprocessing of a model reading `size`×`size` images of `channels` channels. */
export function preprocessingOf(
  size: number,
  channels: number,
  layout: "NCHW" | "NHWC",
): Preprocessing {
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`an exported model reads 1 or 3 channels, not ${channels}`);
  }
  return {
    size,
    channels,
    layout,
    resize: `to ${size}x${size}, aspect ratio not kept, as sharp's "linear" kernel (libvips): ` +
      `a shrinking axis by a triangle filter as wide as the shrink factor (after a box ` +
      `average over whole factors of 4 and more), an enlarging one bilinearly`,
    color: channels === 1
      ? "grey; an RGB file becomes ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B, in " +
        '16-bit fixed point, rounded: Pillow\'s convert("L"))'
      : "RGB; a grey file has its value repeated in R, G and B",
    alpha: "a fully opaque alpha channel is dropped; an image with real transparency is refused",
    scale: "8-bit value v (0..255) to v / 127.5 - 1, in [-1, 1]",
  };
}

/** The threshold an image is called anomalous at (score >= value). */
export interface ExportThreshold {
  value: number;
  /** "f1", "normal-quantile" (metrics.json's methods) or "given" (--threshold). */
  method: string;
  quantile?: number;
}

/** Everything {@linkcode metadataProps} writes. */
export interface ExportInfo {
  /** The run's `--model`. */
  model: string;
  /** DAAD+'s generator variant (absent for other models). */
  generator?: string;
  kitVersion: string;
  /** The run folder exported. */
  run: string;
  /** The run's data protocol, in words. */
  data: string;
  preprocessing: Preprocessing;
  /** The score's definition, in words ({@linkcode scoreDefinition}). */
  score: string;
  threshold: ExportThreshold;
  /** DAAD+'s eq. 7 ranges, on its fusion scale; null for the other models. */
  calibration: ScoreCalibration | null;
  /** The run's image AUROC on its test set (metrics.json), when known. */
  imageAuroc: number | null;
}

/** The anomaly score of an exportable model, in words. */
export function scoreDefinition(family: ExportFamily): string {
  const r = "R(x) = mean over pixels and channels of (x - x̂)²";
  if (family.family === "daad") return r;
  const c = family.model.config;
  const l = "L(x) = mean over the discriminator's features f_D of (f_D(x) - f_D(x̂))²";
  if (c.reconstructionScore && c.alignmentScore) {
    const scale = c.fusionScale ?? DEFAULT_FUSION_SCALE;
    const v = scale === "distance" ? "sqrt(R(x)), sqrt(L(x))" : "R(x), L(x)";
    return `eq. 7: ${c.gamma}·r + ${Math.round((1 - c.gamma) * 1e6) / 1e6}·l, where r and l ` +
      `are ${v} min-max scaled with the run's test-set ranges (score_calibration); ${r}; ${l}`;
  }
  return c.reconstructionScore ? r : l;
}

/** The `metadata_props` of an exported ONNX model (string values, JSON where structured). */
export function metadataProps(info: ExportInfo): Record<string, string> {
  const props: Record<string, string> = {
    model: info.model,
    ...(info.generator != null ? { generator: info.generator } : {}),
    producer: `daad-kit ${info.kitVersion}`,
    run: info.run,
    data: info.data,
    preprocessing: JSON.stringify(info.preprocessing),
    score: info.score,
    threshold: String(info.threshold.value),
    threshold_method: info.threshold.method +
      (info.threshold.quantile != null ? ` (quantile ${info.threshold.quantile})` : ""),
    outputs: JSON.stringify({
      reconstruction: "x̂, the model's reconstruction, same shape and range as the input",
      anomaly_map: "per-pixel anomaly map [batch, height, width]: (x - x̂)² averaged over channels",
      score: "image anomaly score [batch]; anomalous when score >= threshold",
    }),
  };
  if (info.calibration != null) props.score_calibration = JSON.stringify(info.calibration);
  if (info.imageAuroc != null) props.image_auroc = String(info.imageAuroc);
  return props;
}
