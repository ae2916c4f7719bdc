/**
 * `deno task export --run DIR [--format onnx|web] [--out PATH]`: takes a trained model
 * out of the kit.
 *
 * - `--format onnx` (the default) writes the run's scoring graph as an ONNX model
 *   (default DIR/model.onnx): input `image` [batch, C, s, s], outputs `reconstruction`,
 *   `anomaly_map` and `score`, with the preprocessing, threshold, score definition and
 *   model name in its metadata_props. Then ONNX Runtime runs the file on 32 test images
 *   of the run and the scores and maps are compared with the kit's (`--images N`, or
 *   `--skip-check`); a difference above 1e-4 (relative) fails the export.
 * - `--format web` writes a static web page (default DIR/site) that scores images in the
 *   browser with TensorFlow.js; `deno task serve DIR/site` serves it.
 *
 * `ae`, `ae-skip`, `memae`, `daad` and `daad-plus` runs export; `mnad` is refused (its
 * memory is updated at test time). docs/export.md tells how to use the results.
 * @module
 */
import { initBackend } from "../backend.ts";
import { ExportError } from "../export/errors.ts";
import { metadataProps } from "../export/metadata.ts";
import { checkOnnx, ONNX_TOLERANCE } from "../export/onnx_check.ts";
import { buildOnnx } from "../export/onnx_export.ts";
import { ONNX_OPSET } from "../export/onnx_graph.ts";
import {
  assertExportable,
  exportInfoOf,
  openExportRun,
  runTestImages,
} from "../export/run_model.ts";
import { writeWebSite } from "../export/web_site.ts";
import { KIT_VERSION } from "../run.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, registerUserError, runCli, THREADS_FLAG, writeOutput } from "./_common.ts";

registerUserError(ExportError);

const FLAGS: Record<string, FlagSpec> = {
  run: { type: "string", help: "Run folder written by deno task train." },
  format: {
    type: "enum",
    choices: ["onnx", "web"],
    help: "onnx (an ONNX model file) or web (a static page folder); default onnx.",
  },
  out: {
    type: "string",
    help: "The file (onnx; default DIR/model.onnx) or folder (web; default DIR/site) written.",
  },
  threshold: {
    type: "float",
    help: "Score at or above which an image is anomalous (default: metrics.json's).",
  },
  images: {
    type: "int",
    min: 1,
    help: "Test images of the run the ONNX check compares on (default 32).",
  },
  "skip-check": { type: "bool", help: "Do not check the ONNX file with ONNX Runtime." },
  backend: BACKEND_FLAG,
  threads: THREADS_FLAG,
};

function size(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task export --run DIR [--format onnx|web] [flags]", FLAGS));
    return 0;
  }
  const path = flags.run as string | undefined;
  if (path == null) {
    throw new ArgError("export needs --run DIR (a run folder written by deno task train)");
  }
  if (positionals.length > 0) throw new ArgError(`unexpected argument '${positionals[0]}'`);
  const format = (flags.format as string | undefined) ?? "onnx";
  if (format === "web" && (flags.skipCheck != null || flags.images != null)) {
    throw new ArgError("--images and --skip-check belong to --format onnx");
  }
  await assertExportable(path);
  // The weights are read from the model as the kit built it; the backend only builds the
  // model and scores the check, so any backend exports the same file.
  await initBackend((flags.backend as "auto") ?? "auto", {
    threads: flags.threads as number | undefined,
  });
  const run = await openExportRun(path, { threshold: flags.threshold as number | undefined });
  try {
    const threshold = `threshold ${run.threshold.value.toPrecision(6)} (${run.threshold.method})`;
    if (format === "web") {
      const dir = (flags.out as string | undefined) ?? `${path.replace(/\/+$/, "")}/site`;
      await writeOutput("out", dir, () => Deno.mkdir(dir, { recursive: true }));
      console.error(`bundling the page (deno bundle)...`);
      const site = await writeWebSite(run, dir);
      console.log(
        `wrote ${dir}/ (${run.family.name}, ${site.files.length} files, ${size(site.bytes)}): ` +
          `${site.files.join(", ")}; ${threshold}`,
      );
      console.log(`serve it with: deno task serve ${dir}`);
      return 0;
    }
    const out = (flags.out as string | undefined) ?? `${path.replace(/\/+$/, "")}/model.onnx`;
    const info = exportInfoOf(run, "NCHW");
    const onnx = buildOnnx(run.family, {
      producer: "daad-kit",
      version: KIT_VERSION,
      doc: `${info.model} anomaly detector exported from run ${info.run}: ${info.score}`,
      metadata: metadataProps(info),
    });
    await writeOutput("out", out, () => writeFileAtomic(out, onnx.bytes));
    const nodes = Object.values(onnx.operators).reduce((a, b) => a + b, 0);
    console.log(
      `wrote ${out} (${run.family.name}, ${size(onnx.bytes.length)}, ${nodes} nodes, ` +
        `opset ${ONNX_OPSET}): input image [batch, ${run.channels}, ${run.size}, ${run.size}] ` +
        `NCHW in [-1, 1]; outputs reconstruction, anomaly_map, score; ${threshold}`,
    );
    if (flags.skipCheck === true) {
      console.error("not checked (--skip-check)");
      return 0;
    }
    const images = await runTestImages(run, (flags.images as number | undefined) ?? 32);
    const check = await checkOnnx(onnx.bytes, run.family.model, images.data, images.shape);
    const worst = Math.max(check.scores, check.scoresPerImage, check.maps);
    console.log(
      `checked with ONNX Runtime ${check.runtime} on ${check.n} test images of the run: ` +
        `largest relative difference from the kit's scores ${check.scores.toExponential(2)} ` +
        `(per image ${check.scoresPerImage.toExponential(2)}), maps ` +
        `${check.maps.toExponential(2)} (tolerance ${ONNX_TOLERANCE})`,
    );
    if (!(worst <= ONNX_TOLERANCE)) {
      throw new ExportError(
        `${out} does not score as the kit does (difference ${worst.toExponential(2)} > ` +
          `${ONNX_TOLERANCE}); please report this with the run's config.json`,
      );
    }
    return 0;
  } finally {
    run.dispose();
  }
}

if (import.meta.main) await runCli(main);
