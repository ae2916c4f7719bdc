/**
 * The check of an ONNX export: ONNX Runtime (npm `onnxruntime-node`, whose CPU library
 * ships inside the package) runs the exported file on images of the run, and its scores
 * and anomaly maps are compared with the kit's own (`scoreImages`, as `predict` scores).
 *
 * Differences are measured relative to the reference's size: for the scores, the
 * largest |onnx − kit| over the images divided by the largest |kit| score; for the maps,
 * per image the largest |onnx − kit| over its pixels divided by its largest |kit| value,
 * the worst image reported. (A pixel-by-pixel ratio would divide float32 rounding by
 * the near-zero errors of well reconstructed pixels.) The per-image ratio of the scores,
 * |onnx − kit| / |kit|, is reported too.
 *
 * ONNX Runtime is imported on first use only, so that loading the exporter does not load
 * its native library.
 * @module
 */
import type { KitModel } from "../models/kit_model.ts";
import { scoreImages } from "../eval/score_images.ts";
import { nhwcToNchw } from "../nn/torch_layout.ts";
import { ExportError } from "./errors.ts";
import { ONNX_NAMES } from "./onnx_export.ts";

/** The part of onnxruntime-node's API the check uses. */
interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(bytes: Uint8Array): Promise<OrtSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => unknown;
  env: { versions?: Record<string, string> };
}

let ortPromise: Promise<Ort> | null = null;

/** onnxruntime-node (deno.json's `onnxruntime-node`), loaded on first use. */
export function loadOnnxRuntime(): Promise<Ort> {
  if (ortPromise == null) {
    const specifier = "onnxruntime-node";
    ortPromise = import(specifier).then(
      (mod) => (mod.default ?? mod) as Ort,
      (e) => {
        ortPromise = null;
        throw new ExportError(
          `cannot load ONNX Runtime (npm:onnxruntime-node in deno.json): ${(e as Error).message}`,
        );
      },
    );
  }
  return ortPromise;
}

/** Outputs of one ONNX Runtime run, NHWC-free: scores [n], maps n·H·W, reconstructions NCHW. */
export interface OnnxOutputs {
  scores: Float32Array;
  maps: Float32Array;
  reconstructions: Float32Array;
}

/** Runs an ONNX model on NHWC images with ONNX Runtime. */
export async function runOnnx(
  bytes: Uint8Array,
  data: Float32Array,
  shape: [number, number, number, number],
): Promise<OnnxOutputs> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(bytes);
  try {
    const [n, h, w, c] = shape;
    const nchw = nhwcToNchw({ shape, values: data });
    const input = new ort.Tensor("float32", nchw.values, [n, c, h, w]);
    const out = await session.run({ [ONNX_NAMES.input]: input });
    return {
      scores: Float32Array.from(out[ONNX_NAMES.score].data),
      maps: Float32Array.from(out[ONNX_NAMES.map].data),
      reconstructions: Float32Array.from(out[ONNX_NAMES.reconstruction].data),
    };
  } finally {
    await session.release?.();
  }
}

/** max |a − b| / max |b| (0 when both are all zeros). */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`${a.length} values against ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff === 0 ? 0 : diff / scale;
}

/** What {@linkcode checkOnnx} measured. */
export interface OnnxCheck {
  /** Images compared. */
  n: number;
  /** max |Δscore| / max |kit score|. */
  scores: number;
  /** max over images of |Δscore| / |kit score|. */
  scoresPerImage: number;
  /** max over images of max |Δmap| / max |kit map|. */
  maps: number;
  /** The kit's and ONNX Runtime's scores, for the record. */
  kitScores: Float32Array;
  onnxScores: Float32Array;
  /** ONNX Runtime's version. */
  runtime: string;
}

/** The tolerance the export is held to (relative, as {@linkcode OnnxCheck} measures). */
export const ONNX_TOLERANCE = 1e-4;

/**
 * Scores NHWC `images` with the kit model and with the ONNX file, and measures how far
 * apart they are (see the module notes). The model must be calibrated as the export was.
 */
export async function checkOnnx(
  bytes: Uint8Array,
  model: KitModel,
  images: Float32Array,
  shape: [number, number, number, number],
): Promise<OnnxCheck> {
  const kit = await scoreImages(model, images, shape);
  const onnx = await runOnnx(bytes, images, shape);
  const [n, h, w] = shape;
  const px = h * w;
  if (onnx.maps.length !== n * px || onnx.scores.length !== n) {
    throw new ExportError(
      `ONNX Runtime returned ${onnx.scores.length} scores and ${onnx.maps.length} map values ` +
        `for ${n} images of ${h}x${w}`,
    );
  }
  let maps = 0, perImage = 0;
  for (let i = 0; i < n; i++) {
    maps = Math.max(
      maps,
      relativeDifference(
        onnx.maps.subarray(i * px, (i + 1) * px),
        kit.maps.subarray(i * px, (i + 1) * px),
      ),
    );
    perImage = Math.max(perImage, relativeDifference([onnx.scores[i]], [kit.scores[i]]));
  }
  const ort = await loadOnnxRuntime();
  return {
    n,
    scores: relativeDifference(onnx.scores, kit.scores),
    scoresPerImage: perImage,
    maps,
    kitScores: kit.scores,
    onnxScores: onnx.scores,
    runtime: ort.env.versions?.node ?? ort.env.versions?.common ?? "unknown",
  };
}
