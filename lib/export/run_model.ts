/**
 * A run folder opened for export: its model rebuilt from the configuration the run saved
 * with the checkpoint's weights, calibrated as `predict` calibrates it (DAAD+'s eq. 7
 * ranges from metrics.json), its threshold, and a few of its test images for the check.
 *
 * This is the one place the exporters rebuild a run's model (`loadRunScorer`, as
 * `predict` opens it) and load its data (`loadRunData`).
 *
 * @example
 * ```ts
 * import { initBackend } from "../backend.ts";
 * import { openExportRun } from "./run_model.ts";
 * await initBackend("cpu");
 * const run = await openExportRun("runs/digit8");
 * console.log(run.family.name, run.threshold.value);
 * run.dispose();
 * ```
 * @module
 */
import { loadRunData } from "../adapters.ts";
import { evenlySpaced, subset } from "../data/image_set.ts";
import {
  KIT_VERSION,
  type LoadedRunRecord,
  loadRunScorer,
  readRunRecord,
  type RunMetrics,
} from "../run.ts";
import { ExportError } from "./errors.ts";
import { type ExportFamily, exportFamilyOf, refusalOf } from "./families.ts";
import {
  type ExportInfo,
  type ExportThreshold,
  preprocessingOf,
  scoreDefinition,
} from "./metadata.ts";

/** An opened run: dispose it when done (it holds the model's weights). */
export interface ExportRun {
  path: string;
  record: LoadedRunRecord;
  family: ExportFamily;
  metrics: RunMetrics | null;
  threshold: ExportThreshold;
  /** Input side and channels. */
  size: number;
  channels: 1 | 3;
  dispose(): void;
}

/** Options of {@linkcode openExportRun}. */
export interface OpenExportRunOptions {
  /** Overrides metrics.json's threshold (as `predict --threshold`). */
  threshold?: number;
}

/**
 * Reads a run folder's config.json and throws {@linkcode ExportError} when its model
 * cannot be exported (cheap: no weight is read, no backend needed).
 */
export async function assertExportable(path: string): Promise<LoadedRunRecord> {
  const saved = await readRunRecord(path);
  const refusal = refusalOf(saved.config.model);
  if (refusal != null) throw new ExportError(refusal);
  return saved;
}

/**
 * Opens a run folder for export. Refuses, before loading any weight, a model that cannot
 * be exported; throws {@linkcode ExportError} for a run without the threshold or the
 * calibration an export needs.
 */
export async function openExportRun(
  path: string,
  options: OpenExportRunOptions = {},
): Promise<ExportRun> {
  await assertExportable(path);
  const { record, model, metrics, threshold: saved } = await loadRunScorer(path);
  try {
    let threshold: ExportThreshold;
    if (options.threshold != null) {
      threshold = { value: options.threshold, method: "given" };
    } else if (saved != null) {
      threshold = {
        value: saved.value,
        method: saved.method,
        ...(saved.quantile != null ? { quantile: saved.quantile } : {}),
      };
    } else {
      throw new ExportError(
        `${path} has no threshold in metrics.json; run deno task eval --run ${path} or pass --threshold`,
      );
    }
    const family = exportFamilyOf(record.config.model, model);
    if (
      family.family === "daad-plus" && family.model.config.reconstructionScore &&
      family.model.config.alignmentScore && family.model.scoreRanges == null
    ) {
      throw new ExportError(
        `${path}: DAAD+'s eq. 7 needs the test set's score ranges and metrics.json has no ` +
          `score_calibration; run deno task eval --run ${path} first`,
      );
    }
    return {
      path,
      record,
      family,
      metrics,
      threshold,
      size: record.config.size,
      channels: record.channels as 1 | 3,
      dispose: () => model.dispose(),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** What an export says about its run and model ({@linkcode ExportInfo}). */
export function exportInfoOf(run: ExportRun, layout: "NCHW" | "NHWC"): ExportInfo {
  const name = run.path.replace(/\/+$/, "").split("/").at(-1) ?? run.path;
  const plus = run.family.family === "daad-plus" ? run.family.model : null;
  return {
    model: run.family.name,
    ...(plus != null ? { generator: plus.config.variant } : {}),
    kitVersion: KIT_VERSION,
    run: name,
    data: run.record.protocol ?? run.record.config.data,
    preprocessing: preprocessingOf(run.size, run.channels, layout),
    score: scoreDefinition(run.family),
    threshold: run.threshold,
    calibration: plus?.scoreRanges ?? null,
    imageAuroc: run.metrics?.image_auroc ?? null,
  };
}

/** Test images of a run, NHWC in [-1, 1], with their names. */
export interface RunImages {
  data: Float32Array;
  shape: [number, number, number, number];
  names: string[];
}

/**
 * Up to `count` images of the run's test set, evenly spaced over it (normal and
 * anomalous ones alike where the set is ordered by class).
 */
export async function runTestImages(run: ExportRun, count = 32): Promise<RunImages> {
  const data = await loadRunData(run.record.config);
  const picked = subset(data.test, evenlySpaced(data.test.n, count));
  return {
    data: picked.data,
    shape: [picked.n, picked.height, picked.width, picked.channels],
    names: picked.names ?? Array.from({ length: picked.n }, (_, i) => `test image ${i}`),
  };
}
