/**
 * `deno task predict --run DIR PATH...`: scores new images with a trained run.
 *
 * Prints one line per image: score, verdict against the threshold (default: the one
 * in metrics.json: F1-optimal on the run's test split, or, for a run whose test set had
 * no anomalies, a quantile of its held-out normal scores; `--threshold X` overrides),
 * and path. Writes a PNG per image at the input's resolution: the input,
 * the heat-map (the error map, one colour scale for the whole call, or `--heat-max`) and
 * the heat-map over the input, side by side, under the score and the verdict.
 *
 * Real folders: an image that cannot be read does not stop the others; every readable
 * image is scored, the unreadable ones are listed at the end, and the exit code is 1.
 * An RGB image given to a greyscale model (or a grey one to an RGB model) is converted,
 * as Pillow's `convert("L")` / `convert("RGB")` would, with one note saying so.
 * @module
 */
import { initBackend } from "../backend.ts";
import { DatasetError } from "../data/errors.ts";
import { type DecodedImage, readImage, readImageRgb, resizeBilinear } from "../data/image_io.ts";
import { scoreImages } from "../eval/score_images.ts";
import { loadRunScorer } from "../run.ts";
import { heatmapRgb, overlay, rgbTile, sideBySidePng } from "../viz/images.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, runCli, THREADS_FLAG, writeOutput } from "./_common.ts";

const FLAGS: Record<string, FlagSpec> = {
  run: { type: "string", help: "Run folder written by deno task train." },
  threshold: {
    type: "float",
    help: "Score at or above which an image is anomalous (default: metrics.json's).",
  },
  out: { type: "string", help: "Folder for the heat-maps (default DIR/predictions)." },
  "heat-max": {
    type: "float",
    min: 0,
    exclusiveMin: true,
    help: "Error mapped to the top of the colour scale.",
  },
  json: { type: "bool", help: "Print JSON lines instead of text." },
  backend: BACKEND_FLAG,
  threads: THREADS_FLAG,
};

const IMAGE = /\.(png|jpe?g|bmp|tiff?|webp)$/i;

/** Expands files and folders (recursively, sorted) into image paths. */
export async function collectImages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile && IMAGE.test(e.name)) out.push(p);
    }
  };
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      throw new DatasetError(`no such file or folder: ${path}`);
    }
    if (info.isDirectory) {
      const before = out.length;
      await walk(path.replace(/\/+$/, ""));
      if (out.length === before) {
        throw new DatasetError(`no images (png, jpg, bmp, tif, webp) in folder ${path}`);
      }
    } else {
      out.push(path);
    }
  }
  return out;
}

function heatName(path: string, index: number): string {
  const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.[^.]+$/, "");
  return `${String(index).padStart(4, "0")}_${base.replace(/[^A-Za-z0-9._-]/g, "_")}_heatmap.png`;
}

/**
 * The picture written for one image: the input at its own resolution, the error map
 * (upsampled bilinearly to it) and the map over the input, under the score and verdict.
 */
async function predictionPng(
  path: string,
  map: Float32Array,
  size: number,
  heatMax: number,
  verdict: { score: number; anomalous: boolean; threshold: number },
): Promise<Uint8Array> {
  const { rgb, width, height } = await readImageRgb(path);
  const full = resizeBilinear(map, size, size, 1, height, width);
  const heat = heatmapRgb(full, height, width, { min: 0, max: heatMax, colormap: "jet" });
  return await sideBySidePng([
    rgbTile(rgb, height, width),
    rgbTile(heat, height, width),
    rgbTile(overlay(rgb, heat, 0.5), height, width),
  ], {
    title: `score ${verdict.score.toPrecision(4)}: ${
      verdict.anomalous ? "ANOMALOUS" : "normal"
    } (threshold ${verdict.threshold.toPrecision(4)})`,
    captions: ["input", `error (0 to ${heatMax.toPrecision(3)})`, "overlay"],
  });
}

/** The task with `args`; returns the exit code (user errors throw). */
export async function main(args: string[] = Deno.args): Promise<number> {
  const { flags, positionals, help } = parseArgs(args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task predict --run DIR [flags] PATH...", FLAGS));
    return 0;
  }
  const runPath = flags.run as string | undefined;
  if (runPath == null) {
    throw new ArgError("predict needs --run DIR (a run folder written by deno task train)");
  }
  if (positionals.length === 0) {
    throw new ArgError("predict needs at least one image file or folder");
  }
  const images = await collectImages(positionals);
  await initBackend((flags.backend as "auto") ?? "auto", {
    threads: flags.threads as number | undefined,
  });
  // Set-level scores (DAAD+'s eq. 7) are scaled as on the run's test set.
  const { record, model, threshold: saved } = await loadRunScorer(runPath);
  try {
    let threshold = flags.threshold as number | undefined;
    let source = "--threshold";
    if (threshold == null) {
      if (saved == null) {
        throw new ArgError(
          `${runPath} has no threshold in metrics.json; run deno task eval --run ${runPath} or pass --threshold`,
        );
      }
      threshold = saved.value;
      source = saved.method === "normal-quantile"
        ? `the ${saved.quantile} quantile of the run's held-out normal scores`
        : "F1-optimal on the run's test split";
    }
    const size = record.config.size;
    const channels = Number((record.model_config as { channels?: number }).channels ?? 1);
    const outDir = (flags.out as string | undefined) ?? `${runPath}/predictions`;
    await writeOutput("out", outDir, () => Deno.mkdir(outDir, { recursive: true }));
    const results: { path: string; score: number; anomalous: boolean; heatmap: string }[] = [];
    const unreadable: { path: string; error: string }[] = [];
    const maps: Float32Array[] = [];
    let converted = 0;
    const batch = 16;
    for (let s = 0; s < images.length; s += batch) {
      const chunk: string[] = [], decoded: DecodedImage[] = [];
      for (const path of images.slice(s, s + batch)) {
        try {
          const d = await readImage(path, { size, channels: channels as 1 | 3, convert: true });
          if (d.convertedFrom != null && converted++ === 0) {
            console.error(
              `note: ${path} is ${d.convertedFrom === 3 ? "RGB" : "grey"} and the model reads ` +
                `${channels === 3 ? "RGB" : "grey"} images: converting it and any others ` +
                `(${
                  channels === 1
                    ? 'ITU-R 601 luma, as Pillow\'s convert("L")'
                    : 'grey repeated in R, G and B, as Pillow\'s convert("RGB")'
                })`,
            );
          }
          chunk.push(path);
          decoded.push(d);
        } catch (e) {
          if (!(e instanceof DatasetError)) throw e;
          unreadable.push({ path, error: e.message });
        }
      }
      if (chunk.length === 0) continue;
      const buf = new Float32Array(chunk.length * size * size * channels);
      decoded.forEach((d, i) => buf.set(d.data, i * size * size * channels));
      // Scored as the ONNX export's check and the exported web page score (one function).
      const { scores, maps: m } = await scoreImages(model, buf, [
        chunk.length,
        size,
        size,
        channels,
      ]);
      chunk.forEach((path, i) => {
        maps.push(m.slice(i * size * size, (i + 1) * size * size));
        results.push({ path, score: scores[i], anomalous: scores[i] >= threshold!, heatmap: "" });
      });
    }
    let heatMax = flags.heatMax as number | undefined;
    if (heatMax == null) {
      heatMax = Math.max(
        1e-12,
        ...maps.map((m) => m.reduce((a, b) => Math.max(a, b), 0)),
      );
    }
    for (const [i, r] of results.entries()) {
      r.heatmap = `${outDir}/${heatName(r.path, i)}`;
      await Deno.writeFile(
        r.heatmap,
        await predictionPng(r.path, maps[i], size, heatMax, {
          score: r.score,
          anomalous: r.anomalous,
          threshold,
        }),
      );
    }
    for (const r of results) {
      if (flags.json) console.log(JSON.stringify(r));
      else {console.log(
          `${r.score.toPrecision(6)}\t${r.anomalous ? "anomalous" : "normal"}\t${r.path}`,
        );}
    }
    if (!flags.json) {
      const n = results.filter((r) => r.anomalous).length;
      console.error(
        `${results.length} images, ${n} anomalous at threshold ${threshold.toPrecision(6)} ` +
          `(${source})` + (results.length > 0 ? `; heat-maps in ${outDir}` : ""),
      );
    }
    if (unreadable.length > 0) {
      if (flags.json) { for (const u of unreadable) console.log(JSON.stringify(u)); }
      console.error(
        `error: ${unreadable.length} of ${images.length} images could not be read:\n` +
          unreadable.map((u) => `  ${u.error}`).join("\n"),
      );
      return 1;
    }
    return 0;
  } finally {
    model.dispose();
  }
}

if (import.meta.main) await runCli(() => main());
