/**
 * DAAD+'s scoring (`models/daad_plus/`) as an ONNX graph: the generator's reconstruction
 * (the DAAD family's graph), R(x), the discriminator's features f_D on x and on x̂ in
 * evaluation mode and L(x), fused by eq. 7 with the run's calibration: each component
 * on the fusion scale (square roots of the means of squares for `distance`), min-max
 * scaled with the test set's ranges that metrics.json saved, and weighted by γ. With one
 * component switched off the score is the other's raw value, as the kit scores it.
 * @module
 */
import type { DaadPlusNetwork } from "../models/daad_plus/model.ts";
import type { ScoreCalibration } from "../models/daad_plus/kit_model.ts";
import { DEFAULT_FUSION_SCALE, LEAKY_SLOPE, type ScoreRange } from "../models/daad_plus/mod.ts";
import { batchNorm, conv, WeightReader } from "./layers_onnx.ts";
import { type OnnxGraph, OnnxGraphError } from "./onnx_graph.ts";

/** f_D [B, featureDim, m, m] of the NCHW image `x`, in evaluation mode. */
export function discriminatorFeatures(
  g: OnnxGraph,
  network: DaadPlusNetwork,
  x: string,
  label: string,
): string {
  const d = network.discriminator;
  if (d == null) throw new OnnxGraphError("this DAAD+ configuration has no discriminator");
  const weights = new WeightReader(network.params);
  let f = x;
  for (const [i, stage] of d.layout.stages.entries()) {
    const name = `disc.conv${i + 1}`;
    f = conv(g, weights, f, name, { stride: 2, pad: 1 });
    if (stage.batchNorm) f = batchNorm(g, weights, f, `${name}.bn`);
    f = g.op("LeakyRelu", [f], { alpha: { f: LEAKY_SLOPE } }, `${label}.${name}.act`);
  }
  return conv(g, weights, f, "disc.feature", { pad: "valid" });
}

/** L(x): the mean over the f_D values of (f_D(x) − f_D(x̂))², [B]. */
export function alignmentError(
  g: OnnxGraph,
  network: DaadPlusNetwork,
  x: string,
  reconstruction: string,
): string {
  const real = discriminatorFeatures(g, network, x, "real");
  const fake = discriminatorFeatures(g, network, reconstruction, "fake");
  const d = g.op("Sub", [real, fake]);
  return g.op("ReduceMean", [g.op("Mul", [d, d])], {
    axes: { ints: [1, 2, 3] },
    keepdims: { i: 0 },
  }, "l_x");
}

/** (v − lo) / (hi − lo), or zero for a constant component (as `minMaxScale`). */
function minMax(g: OnnxGraph, v: string, range: ScoreRange | undefined, what: string): string {
  if (range == null || !Number.isFinite(range.lo) || !Number.isFinite(range.hi)) {
    throw new OnnxGraphError(
      `the run's score calibration has no range for ${what}; it cannot be scored alone`,
    );
  }
  const span = range.hi - range.lo;
  // A zero span carries no ranking: the kit maps it to 0 (NaN stays NaN, as v·0 does).
  if (!(span > 0)) return g.op("Mul", [v, g.scalar(0)]);
  return g.op("Div", [g.op("Sub", [v, g.scalar(range.lo)]), g.scalar(span)]);
}

/**
 * The final image score of a DAAD+ configuration from R(x) and L(x) (either may be null
 * when not scored), on `ranges` (the model's calibration, already on its fusion scale).
 */
export function daadPlusScore(
  g: OnnxGraph,
  network: DaadPlusNetwork,
  rec: string,
  ali: string | null,
  ranges: ScoreCalibration | null,
): string {
  const c = network.config;
  if (c.reconstructionScore && c.alignmentScore) {
    if (ali == null) throw new OnnxGraphError("eq. 7 needs L(x)");
    if (ranges == null) {
      throw new OnnxGraphError(
        "eq. 7 scales R(x) and L(x) with the test set's ranges, and the run has none " +
          "(metrics.json holds no score_calibration)",
      );
    }
    const scale = c.fusionScale ?? DEFAULT_FUSION_SCALE;
    const onScale = (v: string) =>
      scale === "distance" ? g.op("Sqrt", [g.op("Max", [v, g.scalar(0)])]) : v;
    const r = minMax(g, onScale(rec), ranges.rec, "R(x)");
    const l = minMax(g, onScale(ali), ranges.ali, "L(x)");
    return g.op(
      "Add",
      [
        g.op("Mul", [r, g.scalar(c.gamma)]),
        g.op("Mul", [l, g.scalar(1 - c.gamma)]),
      ],
      {},
      "score",
    );
  }
  if (c.reconstructionScore) return g.op("Identity", [rec], {}, "score");
  if (c.alignmentScore && ali != null) return g.op("Identity", [ali], {}, "score");
  throw new OnnxGraphError("the DAAD+ score needs R(x), L(x) or both; both are switched off");
}
