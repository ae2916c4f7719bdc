/**
 * `deno task export --format web`: a static folder that scores images in the browser.
 *
 *     index.html   the page (drop zone, file picker, one card per image)
 *     app.js       lib/export/web/page.ts and TensorFlow.js, bundled by `deno bundle`
 *     model.json   the model's configuration, preprocessing, threshold and calibration
 *     weights.bin  every weight of the model, float32 little-endian
 *     tfjs-backend-wasm*.wasm  TensorFlow.js's WebAssembly backend, served beside app.js
 *
 * Any static file server serves it (`deno task serve DIR`, `python3 -m http.server`); a
 * page opened from file:// cannot fetch its model, so it needs one.
 *
 * @example
 * ```ts
 * import { openExportRun } from "./run_model.ts";
 * import { writeWebSite } from "./web_site.ts";
 * const run = await openExportRun("runs/digit8");
 * const site = await writeWebSite(run, "site");
 * console.log(site.files); // ["index.html", "app.js", "model.json", "weights.bin", ...]
 * run.dispose();
 * ```
 * @module
 */
import { writeFileAtomic } from "../util/fs.ts";
import { ExportError } from "./errors.ts";
import { exportInfoOf, type ExportRun } from "./run_model.ts";
import { packWeights, WEB_FORMAT, type WebManifest } from "./web/manifest.ts";

/** The kit's root folder (where deno.json is). */
const ROOT = new URL("../../", import.meta.url);

/** TensorFlow.js's wasm binaries, as the page asks for them. */
export const WASM_FILES: readonly string[] = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
];

/** What {@linkcode writeWebSite} wrote. */
export interface WebSite {
  dir: string;
  files: string[];
  /** Bytes written, all files together. */
  bytes: number;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page. Everything it shows about the model comes from model.json at run time. */
export function indexHtml(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 0.3em; }
  #model, #backend { margin: 0.2em 0; color: #444; max-width: 60em; }
  #drop { border: 2px dashed #999; border-radius: 8px; padding: 1.2em; margin: 1em 0;
    text-align: center; background: #fafafa; }
  #drop.over { border-color: #2a6; background: #efe; }
  #status { margin: 0.5em 0; color: #555; }
  #status.error, .message { color: #b00; }
  .result { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 0.8em; margin: 0.8em 0; }
  .result h2 { font-size: 1em; margin: 0; font-weight: 600; word-break: break-all; }
  .result.anomalous { border-color: #c33; background: #fff5f5; }
  .result.normal { border-color: #3a3; background: #f5fff5; }
  .result.error { border-color: #b00; }
  .verdict { margin: 0.3em 0; font-weight: 600; }
  .anomalous .verdict { color: #b00; }
  .normal .verdict { color: #060; }
  .tiles { display: flex; gap: 0.8em; flex-wrap: wrap; }
  figure { margin: 0; text-align: center; }
  canvas { width: 192px; image-rendering: pixelated; border: 1px solid #ddd; }
  figcaption { font-size: 0.85em; color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p id="model">Loading the model...</p>
<p id="backend"></p>
<div id="drop">
  Drop images here, or <label>pick them: <input type="file" id="files" multiple accept="image/*"></label>
  <br><small>Nothing leaves this browser: the model runs on this page.</small>
</div>
<p id="status">loading...</p>
<div id="results"></div>
<script src="app.js"></script>
</body>
</html>
`;
}

/** Where TensorFlow.js's wasm binaries are: a node_modules folder, else Deno's npm cache. */
async function wasmDir(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const spec = String(config.imports?.["@tensorflow/tfjs-backend-wasm"] ?? "");
  const version = spec.match(/@(\d[^/]*)$/)?.[1];
  const candidates = [new URL("node_modules/@tensorflow/tfjs-backend-wasm/dist/", ROOT).pathname];
  if (version != null) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const npmCache = JSON.parse(new TextDecoder().decode(info.stdout) || "{}").npmCache;
    if (typeof npmCache === "string") {
      candidates.push(
        `${npmCache}/registry.npmjs.org/@tensorflow/tfjs-backend-wasm/${version}/dist/`,
      );
    }
  }
  for (const dir of candidates) {
    try {
      await Deno.stat(`${dir}${WASM_FILES[0]}`);
      return dir;
    } catch {
      // try the next place
    }
  }
  throw new ExportError(
    `cannot find TensorFlow.js's wasm files (${WASM_FILES[0]}) in ${candidates.join(" or ")}`,
  );
}

/** Bundles the page's script with `deno bundle` into `out`. */
async function bundlePage(out: string): Promise<void> {
  const entry = new URL("lib/export/web/page.ts", ROOT).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "--config",
      new URL("deno.json", ROOT).pathname,
      "--output",
      out,
      entry,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").slice(-3).join(" ");
    throw new ExportError(`deno bundle of the page failed: ${err}`);
  }
}

/**
 * Writes the web page of an opened run into `dir` (created if needed; files of the same
 * names are replaced, others left alone).
 */
export async function writeWebSite(run: ExportRun, dir: string): Promise<WebSite> {
  await Deno.mkdir(dir, { recursive: true });
  const family = run.family;
  const { entries, bytes } = packWeights(family.model.params);
  const manifest: WebManifest = {
    format: WEB_FORMAT,
    family: family.family,
    config: family.model.config,
    calibration: family.family === "daad-plus" ? family.model.scoreRanges : null,
    weights: entries,
    info: exportInfoOf(run, "NHWC"),
  };
  const files: [string, Uint8Array][] = [
    [
      "index.html",
      new TextEncoder().encode(indexHtml(`daad-kit: ${family.name} (${manifest.info.run})`)),
    ],
    ["model.json", new TextEncoder().encode(JSON.stringify(manifest, null, 1))],
    ["weights.bin", bytes],
  ];
  const source = await wasmDir();
  for (const name of WASM_FILES) files.push([name, await Deno.readFile(`${source}${name}`)]);
  let total = 0;
  for (const [name, data] of files) {
    await writeFileAtomic(`${dir}/${name}`, data);
    total += data.length;
  }
  const tmp = `${dir}/.app.js.partial`;
  await bundlePage(tmp);
  await Deno.rename(tmp, `${dir}/app.js`);
  total += (await Deno.stat(`${dir}/app.js`)).size;
  return { dir, files: ["index.html", "app.js", ...files.slice(1).map(([n]) => n)], bytes: total };
}
