/**
 * What `train` and `eval` leave in a run folder besides metrics.json: image grids of
 * the test set's best and worst cases (input | reconstruction | error map | mask) and a
 * self-contained report.html (loss curves, ROC, score histograms, the grids).
 * @module
 */
import type { ImageSet } from "../data/image_set.ts";
import type { EpochStats } from "../train/trainer.ts";
import type { RunDir } from "../train/run_dir.ts";
import { describeIoError, RunDirError } from "../train/run_dir.ts";
import { heatTile, imageGridPng, imageTile, type Tile } from "../viz/images.ts";
import { writeReport } from "../viz/report.ts";
import type { SetScores } from "./score_set.ts";
import type { EvalMetrics } from "./evaluate.ts";

/** Indices of a test set's best and worst cases. */
export interface CaseSelection {
  /** Anomalies scored highest and normal images scored lowest. */
  best: number[];
  /** Normal images scored highest and anomalies scored lowest (the likely errors). */
  worst: number[];
}

/** Picks `k` best and `k` worst cases, half anomalous and half normal where possible. */
export function selectCases(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  k = 6,
): CaseSelection {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  const anomalies = idx.filter((i) => labels[i] === 1).sort((a, b) => scores[b] - scores[a]);
  const normals = idx.filter((i) => labels[i] === 0).sort((a, b) => scores[a] - scores[b]);
  const nA = Math.min(anomalies.length, Math.max(k - normals.length, Math.ceil(k / 2)));
  const nN = Math.min(normals.length, k - nA);
  return {
    best: [...anomalies.slice(0, nA), ...normals.slice(0, nN)],
    worst: [...normals.slice(-nN).reverse(), ...anomalies.slice(-nA).reverse()],
  };
}

/** The last `c` channels of image `i` of a set (a prediction clip's target frame). */
function lastChannels(set: ImageSet, i: number, c: number): Float32Array {
  const px = set.height * set.width, sc = set.channels;
  const out = new Float32Array(px * c);
  for (let p = 0; p < px; p++) {
    for (let k = 0; k < c; k++) out[p * c + k] = set.data[(i * px + p) * sc + sc - c + k];
  }
  return out;
}

/** A grid PNG of the cases: one row each (name, label, score), columns input | output | error | mask. */
export async function caseGridPng(
  set: ImageSet,
  scored: SetScores,
  indices: number[],
): Promise<Uint8Array> {
  const h = set.height, w = set.width, px = h * w;
  const recs = scored.reconstructions;
  const recChannels = recs != null ? recs.length / (set.n * px) : set.channels;
  let heatMax = 1e-12;
  for (const i of indices) {
    for (let p = 0; p < px; p++) heatMax = Math.max(heatMax, scored.maps?.[i * px + p] ?? 0);
  }
  const rows = indices.map((i) => {
    const tiles: (Tile | null)[] = [
      imageTile(lastChannels(set, i, recChannels), h, w, recChannels),
    ];
    tiles.push(
      recs != null
        ? imageTile(
          recs.subarray(i * px * recChannels, (i + 1) * px * recChannels),
          h,
          w,
          recChannels,
        )
        : null,
    );
    tiles.push(
      scored.maps != null
        ? heatTile(scored.maps.subarray(i * px, (i + 1) * px), h, w, { min: 0, max: heatMax })
        : null,
    );
    if (set.masks != null) {
      tiles.push(
        imageTile(set.masks.subarray(i * px, (i + 1) * px).map((v) => v * 2 - 1), h, w, 1),
      );
    }
    const label = set.labels?.[i] === 1 ? "anomalous" : "normal";
    const name = (set.names?.[i] ?? `#${i}`).split("/").slice(-2).join("/");
    return { label: `${name} ${label} ${scored.scores[i].toPrecision(3)}`, tiles };
  });
  const captions = ["input", "reconstruction", "error map", ...(set.masks != null ? ["mask"] : [])];
  return await imageGridPng(rows, { captions, tileSize: Math.max(64, Math.min(160, h)) });
}

/** One line of scores.csv. */
export interface ScoredImage {
  name: string;
  group: string;
  label: number;
  score: number;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** scores.csv: one line per test image (name, group, label 1 = anomalous, final score). */
export function scoresCsv(test: ImageSet, scores: ArrayLike<number>): string {
  const lines = ["name,group,label,score"];
  for (let i = 0; i < test.n; i++) {
    lines.push([
      csvField(test.names?.[i] ?? String(i)),
      csvField(test.groups?.[i] ?? ""),
      String(test.labels?.[i] ?? ""),
      String(scores[i]),
    ].join(","));
  }
  return lines.join("\n") + "\n";
}

/** Reads a run folder's scores.csv. */
export async function readScores(runPath: string): Promise<ScoredImage[]> {
  const text = await Deno.readTextFile(`${runPath}/scores.csv`);
  const out: ScoredImage[] = [];
  for (const line of text.trim().split("\n").slice(1)) {
    // Fields may be quoted; the last three never contain commas.
    const fields: string[] = [];
    let cur = "", quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") {
        fields.push(cur);
        cur = "";
      } else cur += ch;
    }
    fields.push(cur);
    out.push({
      name: fields[0],
      group: fields[1],
      label: Number(fields[2]),
      score: Number(fields[3]),
    });
  }
  return out;
}

/** Writes grid_best.png, grid_worst.png, scores.csv and report.html into a run folder. */
export async function writeRunReport(
  dir: RunDir,
  title: string,
  metrics: EvalMetrics & { protocol?: string },
  history: readonly EpochStats[],
  test: ImageSet,
  scored: SetScores,
  finalScores: Float32Array,
): Promise<void> {
  const labels = test.labels!;
  const cases = selectCases(finalScores, labels);
  const shown = { ...scored, scores: finalScores };
  const best = await caseGridPng(test, shown, cases.best);
  const worst = await caseGridPng(test, shown, cases.worst);
  const normal: number[] = [], anomalous: number[] = [];
  finalScores.forEach((s, i) => (labels[i] === 1 ? anomalous : normal).push(s));
  try {
    await Deno.writeTextFile(dir.file("scores.csv"), scoresCsv(test, finalScores));
    await Deno.writeFile(dir.file("grid_best.png"), best);
    await Deno.writeFile(dir.file("grid_worst.png"), worst);
    await writeReport(dir.file("report.html"), {
      title,
      subtitle: String(metrics.protocol ?? ""),
      metrics: metrics as unknown as Record<string, unknown>,
      history: history.map((h) => ({ epoch: h.epoch, losses: h.losses })),
      scores: { normal, anomalous },
      grids: [
        { caption: "Best cases: anomalies scored highest, normal images scored lowest", png: best },
        {
          caption: "Worst cases: normal images scored highest, anomalies scored lowest",
          png: worst,
        },
      ],
    });
  } catch (e) {
    throw new RunDirError(`cannot write the report into ${dir.path}: ${describeIoError(e)}`);
  }
}
