/**
 * A trained model's scoring graph as an ONNX model: input `image` [batch, C, s, s]
 * (NCHW float32 in [-1, 1], preprocessed as `metadata_props.preprocessing` says);
 * outputs `reconstruction` [batch, C, s, s], `anomaly_map` [batch, s, s] at the input's
 * resolution and `score` [batch], each as the kit's `predict` computes it, in standard
 * operators of opset 13 (`ONNX_OPSET`).
 *
 * @example
 * ```ts
 * import { DaadModel } from "../models/daad/kit_model.ts";
 * import { DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
 * import { buildOnnx } from "./onnx_export.ts";
 * import { metadataProps, preprocessingOf } from "./metadata.ts";
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, size: 32, channels: 1, width: 2,
 *   memory: 4, division: [2, 2, 1] }, 0);
 * const family = { family: "daad" as const, name: "daad", model };
 * const onnx = buildOnnx(family, { producer: "daad-kit", metadata: metadataProps({
 *   model: "daad", kitVersion: "0.1.0", run: "example", data: "none",
 *   preprocessing: preprocessingOf(32, 1, "NCHW"), score: "R(x)",
 *   threshold: { value: 0.1, method: "given" }, calibration: null, imageAuroc: null }) });
 * console.log(onnx.operators.Softmax); // 4 (one block memory per scale)
 * model.dispose();
 * ```
 * @module
 */
import { daadReconstruction, reconstructionError } from "./daad_onnx.ts";
import { alignmentError, daadPlusScore } from "./daad_plus_onnx.ts";
import type { ExportFamily } from "./families.ts";
import { type ModelInfo, OnnxGraph, OnnxGraphError } from "./onnx_graph.ts";

/** An encoded ONNX model and what it holds. */
export interface OnnxExport {
  bytes: Uint8Array;
  /** Nodes by operator type. */
  operators: Record<string, number>;
  /** Scalars in the initializers. */
  parameters: number;
}

/** The names of the exported graph's input and outputs. */
export const ONNX_NAMES = Object.freeze({
  input: "image",
  reconstruction: "reconstruction",
  map: "anomaly_map",
  score: "score",
});

/** Builds and encodes the scoring graph of an exportable model. */
export function buildOnnx(family: ExportFamily, info: ModelInfo): OnnxExport {
  const network = family.family === "daad" ? family.model.network : family.model.network.generator;
  const { size, channels } = network.config;
  const g = new OnnxGraph(`daad-kit ${family.name}`);
  const x = g.input(ONNX_NAMES.input, ["batch", channels, size, size]);
  const rec = daadReconstruction(g, network, x);
  const err = reconstructionError(g, x, rec);
  let score: string;
  if (family.family === "daad") {
    score = g.op("Identity", [err.score], {}, ONNX_NAMES.score);
  } else {
    const plus = family.model.network;
    const c = family.model.config;
    const ali = c.alignmentScore ? alignmentError(g, plus, x, rec) : null;
    score = daadPlusScore(g, plus, err.score, ali, family.model.scoreRanges);
  }
  const reconstruction = g.op("Identity", [rec], {}, ONNX_NAMES.reconstruction);
  const map = g.op("Identity", [err.map], {}, ONNX_NAMES.map);
  g.output(reconstruction, ["batch", channels, size, size]);
  g.output(map, ["batch", size, size]);
  g.output(score, ["batch"]);
  for (const [want, got] of [[ONNX_NAMES.score, score], [ONNX_NAMES.map, map]]) {
    if (want !== got) throw new OnnxGraphError(`output '${want}' came out as '${got}'`);
  }
  return { bytes: g.encode(info), operators: g.operatorCounts(), parameters: g.parameterCount() };
}
