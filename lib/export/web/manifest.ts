/**
 * The exported web page's model: `model.json` (what the model is, how it reads an image,
 * its threshold and calibration, where each weight lies) and `weights.bin` (every
 * variable of the model's parameter store, float32 little-endian, one after another).
 * The page rebuilds the kit's own model class from the configuration and loads the
 * weights, so it scores with the same code as `predict`.
 *
 * @example
 * ```ts
 * import { DaadModel } from "../../models/daad/kit_model.ts";
 * import { DEFAULT_DAAD_CONFIG } from "../../models/daad/config.ts";
 * import { modelFromManifest, packWeights } from "./manifest.ts";
 * const model = new DaadModel({ ...DEFAULT_DAAD_CONFIG, variant: "ae", size: 16, width: 2,
 *   channels: 1 }, 0);
 * const { entries, bytes } = packWeights(model.params);
 * const copy = modelFromManifest({ family: "daad", config: model.config, calibration: null,
 *   weights: entries }, bytes);
 * console.log(copy.params.numParams() === model.params.numParams()); // true
 * model.dispose();
 * copy.dispose();
 * ```
 * @module
 */
import type { DaadConfig } from "../../models/daad/config.ts";
import { DaadModel } from "../../models/daad/kit_model.ts";
import type { DaadPlusConfig } from "../../models/daad_plus/config.ts";
import { DaadPlusModel, type ScoreCalibration } from "../../models/daad_plus/kit_model.ts";
import type { KitModel } from "../../models/kit_model.ts";
import type { ParamStore, TensorData } from "../../nn/params.ts";
import type { ExportInfo } from "../metadata.ts";

/** The format tag of model.json. */
export const WEB_FORMAT = "daad-kit-web/1";

/** Where one variable lies in weights.bin (offset and length in float32 values). */
export interface WeightEntry {
  name: string;
  shape: number[];
  offset: number;
}

/** What the page needs to rebuild the model. */
export interface ModelSpec {
  family: "daad" | "daad-plus";
  /** The model's own configuration (`DaadConfig` or `DaadPlusConfig`). */
  config: DaadConfig | DaadPlusConfig;
  /** DAAD+'s eq. 7 ranges on its fusion scale (null for the DAAD family). */
  calibration: ScoreCalibration | null;
  weights: WeightEntry[];
}

/** model.json. */
export interface WebManifest extends ModelSpec {
  format: typeof WEB_FORMAT;
  info: ExportInfo;
}

/** Every variable of `store`, packed little-endian; with where each lies. */
export function packWeights(store: ParamStore): { entries: WeightEntry[]; bytes: Uint8Array } {
  const state = store.snapshotSync();
  let total = 0;
  for (const t of state.values()) total += t.values.length;
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const [name, t] of state) {
    entries.push({ name, shape: [...t.shape], offset });
    t.values.forEach((v, i) => view.setFloat32(4 * (offset + i), v, true));
    offset += t.values.length;
  }
  return { entries, bytes };
}

/** Reads the weights of `entries` from weights.bin's bytes. */
export function unpackWeights(entries: WeightEntry[], bytes: Uint8Array): Map<string, TensorData> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const state = new Map<string, TensorData>();
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if ((e.offset + n) * 4 > bytes.byteLength) {
      throw new RangeError(
        `weights.bin holds ${bytes.byteLength} bytes; '${e.name}' needs ${(e.offset + n) * 4}`,
      );
    }
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = view.getFloat32(4 * (e.offset + i), true);
    state.set(e.name, { shape: e.shape, values });
  }
  return state;
}

/** Rebuilds the kit model a manifest describes and loads its weights. */
export function modelFromManifest(spec: ModelSpec, bytes: Uint8Array): KitModel {
  const model: KitModel | null = spec.family === "daad"
    ? new DaadModel(spec.config as DaadConfig, 0)
    : spec.family === "daad-plus"
    ? new DaadPlusModel(spec.config as DaadPlusConfig, 0)
    : null;
  if (model == null) throw new Error(`model.json names an unknown family '${spec.family}'`);
  try {
    model.params.load(unpackWeights(spec.weights, bytes));
    if (spec.calibration != null) model.calibrate?.(spec.calibration);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
