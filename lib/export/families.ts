/**
 * Which kit models can leave the kit, and as what: the DAAD family (`ae`, `ae-skip`,
 * `memae`, `daad`) and DAAD+ (`daad-plus`) score an image by a fixed function of that
 * image, which an ONNX graph or a web page can compute. MNAD cannot: its scorer updates
 * the memory at test time with the frames it reads, so a score depends on every image
 * scored before it.
 *
 * @example
 * ```ts
 * import { EXPORTABLE_MODELS, refusalOf } from "./families.ts";
 * console.log(EXPORTABLE_MODELS.includes("daad"), refusalOf("mnad") != null); // true true
 * ```
 * @module
 */
import { DaadModel } from "../models/daad/kit_model.ts";
import { DaadPlusModel } from "../models/daad_plus/kit_model.ts";
import type { KitModel } from "../models/kit_model.ts";
import { ExportError } from "./errors.ts";

/** The `--model` names an export accepts. */
export const EXPORTABLE_MODELS: readonly string[] = ["ae", "ae-skip", "memae", "daad", "daad-plus"];

/** A model the exporters know, by family. */
export type ExportFamily =
  | { family: "daad"; name: string; model: DaadModel }
  | { family: "daad-plus"; name: string; model: DaadPlusModel };

/** Why a model cannot be exported (one line), or null when it can. */
export function refusalOf(modelName: string): string | null {
  if (modelName === "mnad") {
    return "mnad cannot be exported: its scorer updates the memory at test time with every " +
      "frame it reads (MNAD eq. 3-5), so an image's score depends on the images scored before it " +
      "and no fixed graph computes it";
  }
  if (!EXPORTABLE_MODELS.includes(modelName)) {
    return `--model ${modelName} cannot be exported (exportable: ${EXPORTABLE_MODELS.join(", ")})`;
  }
  return null;
}

/** The family of a loaded model; throws {@linkcode ExportError} for one that cannot leave. */
export function exportFamilyOf(modelName: string, model: KitModel): ExportFamily {
  const refusal = refusalOf(modelName);
  if (refusal != null) throw new ExportError(refusal);
  if (model instanceof DaadPlusModel) return { family: "daad-plus", name: modelName, model };
  if (model instanceof DaadModel) return { family: "daad", name: modelName, model };
  throw new ExportError(`the ${modelName} run's model is of no family the exporter knows`);
}
