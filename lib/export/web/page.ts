/// <reference lib="dom" />
/**
 * The exported web page's script (bundled into app.js by `deno task export --format
 * web`): loads model.json and weights.bin, rebuilds the kit's model with TensorFlow.js
 * on the best backend the browser offers (WebGPU on a real GPU adapter, else WebGL with
 * float32 textures, else wasm; `?backend=NAME` forces one), and scores the images
 * dropped on the page or picked with the file input: the score, the verdict at the
 * run's threshold and the heat-map over the image, as `deno task predict` shows them.
 * A file that cannot be read gets its message in the list; the others still score.
 *
 * Runs in the browser only; its image handling is `pixels.ts` (tested without a DOM).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { resizeBilinear } from "../../data/image_io.ts";
import { scoreImages } from "../../eval/score_images.ts";
import type { KitModel } from "../../models/kit_model.ts";
import { heatmapRgb, overlay } from "../../viz/images.ts";
import { modelFromManifest, WEB_FORMAT, type WebManifest } from "./manifest.ts";
import { rgbaToInput } from "./pixels.ts";

/** Images scored per pass (as predict's batches). */
const BATCH = 16;
/** Longest side the page draws an image at. */
const MAX_SIDE = 512;

/** What the page exposes for people and tests: the backend, and each file's outcome. */
interface PageState {
  ready: Promise<void>;
  backend: string;
  /** tfjs's name of the backend that runs (webgpu, webgl, wasm, cpu). */
  engine: string;
  results: { name: string; score?: number; anomalous?: boolean; error?: string }[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(text: string, error = false): void {
  const el = $("status");
  el.textContent = text;
  el.className = error ? "error" : "";
}

/**
 * The first backend that works here, and why the better ones did not. WebGPU only on a
 * real adapter (a software fallback is far slower than wasm); WebGL only with float32
 * render targets (half floats would cost the scores their precision).
 */
async function chooseBackend(forced: string | null): Promise<string> {
  const skipped: string[] = [];
  const order = forced != null ? [forced] : ["webgpu", "webgl", "wasm"];
  for (const name of order) {
    try {
      if (name === "webgpu" && forced == null) {
        const gpu = (navigator as unknown as {
          gpu?: {
            requestAdapter(): Promise<
              { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } } | null
            >;
          };
        }).gpu;
        const adapter = gpu == null ? null : await gpu.requestAdapter();
        if (adapter == null) {
          skipped.push(`WebGPU: ${gpu == null ? "not in this browser" : "no adapter"}`);
          continue;
        }
        if (adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter) {
          skipped.push("WebGPU: software adapter only");
          continue;
        }
      }
      if (!(await tf.setBackend(name))) {
        skipped.push(`${label(name)}: not available`);
        continue;
      }
      await tf.ready();
      if (name === "webgl" && forced == null && !tf.env().getBool("WEBGL_RENDER_FLOAT32_CAPABLE")) {
        skipped.push("WebGL: no float32 render targets");
        continue;
      }
      return `${label(name)}${skipped.length > 0 ? ` (${skipped.join("; ")})` : ""}`;
    } catch (e) {
      skipped.push(`${label(name)}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend works in this browser: ${skipped.join("; ")}`);
}

function label(name: string): string {
  return {
    webgpu: "WebGPU",
    webgl: "WebGL",
    wasm: "WebAssembly (wasm)",
    cpu: "plain JavaScript (cpu)",
  }[name] ?? name;
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

/** One decoded file: the model's input and what the page draws. */
interface Decoded {
  name: string;
  data: Float32Array;
  /** RGB at the drawn size. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** Decodes a file with the browser's decoder (no colour management) and reads it as the kit does. */
async function decode(file: File, model: { size: number; channels: number }): Promise<Decoded> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch {
    throw new Error(
      "cannot decode the image (corrupt file or not an image format the browser reads)",
    );
  }
  try {
    const { width, height } = bitmap;
    const full = new OffscreenCanvas(width, height).getContext("2d")!;
    full.drawImage(bitmap, 0, 0);
    const input = rgbaToInput(full.getImageData(0, 0, width, height).data, width, height, model);
    // Draw at most MAX_SIDE pixels wide or high; the heat-map is resized to that.
    const k = Math.min(1, MAX_SIDE / Math.max(width, height));
    const w = Math.max(1, Math.round(width * k)), h = Math.max(1, Math.round(height * k));
    let rgb = input.rgb;
    if (k < 1) {
      const small = new OffscreenCanvas(w, h).getContext("2d")!;
      small.drawImage(bitmap, 0, 0, w, h);
      const rgba = small.getImageData(0, 0, w, h).data;
      rgb = new Uint8Array(w * h * 3);
      for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = rgba[4 * p + c];
    }
    return { name: file.name, data: input.data, rgb, width: w, height: h };
  } finally {
    bitmap.close();
  }
}

function canvasOf(rgb: Uint8Array, width: number, height: number, caption: string): HTMLElement {
  const figure = document.createElement("figure");
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const img = new ImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    img.data[4 * p] = rgb[3 * p];
    img.data[4 * p + 1] = rgb[3 * p + 1];
    img.data[4 * p + 2] = rgb[3 * p + 2];
    img.data[4 * p + 3] = 255;
  }
  canvas.getContext("2d")!.putImageData(img, 0, 0);
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  figure.append(canvas, cap);
  return figure;
}

function card(name: string, kind: string): HTMLElement {
  const div = document.createElement("div");
  div.className = `result ${kind}`;
  div.dataset.name = name;
  const h = document.createElement("h2");
  h.textContent = name;
  div.append(h);
  return div;
}

/** Scores files in batches; each gets a card with its heat-map or its error message. */
async function scoreFiles(
  files: File[],
  model: KitModel,
  manifest: WebManifest,
  state: PageState,
): Promise<void> {
  const { size, channels } = manifest.info.preprocessing;
  const threshold = manifest.info.threshold.value;
  const list = $("results");
  for (let s = 0; s < files.length; s += BATCH) {
    const chunk = files.slice(s, s + BATCH);
    setStatus(`scoring ${Math.min(files.length, s + BATCH)} of ${files.length} image(s)...`);
    const slots = chunk.map((f) => {
      const c = card(f.name, "pending");
      list.append(c);
      return c;
    });
    const decoded: (Decoded | null)[] = [];
    for (const [i, file] of chunk.entries()) {
      try {
        decoded.push(await decode(file, { size, channels }));
      } catch (e) {
        decoded.push(null);
        const message = `${file.name}: ${(e as Error).message}`;
        slots[i].className = "result error";
        const p = document.createElement("p");
        p.className = "message";
        p.textContent = message;
        slots[i].append(p);
        state.results.push({ name: file.name, error: message });
      }
    }
    const ok = decoded.filter((d): d is Decoded => d != null);
    if (ok.length === 0) continue;
    const per = size * size * channels;
    const buf = new Float32Array(ok.length * per);
    ok.forEach((d, i) => buf.set(d.data, i * per));
    const { scores, maps } = await scoreImages(model, buf, [ok.length, size, size, channels]);
    // One colour scale for the batch, as predict uses one per call.
    let heatMax = 1e-12;
    for (const v of maps) heatMax = Math.max(heatMax, v);
    let j = 0;
    for (const [i, d] of decoded.entries()) {
      if (d == null) continue;
      const score = scores[j];
      const map = maps.subarray(j * size * size, (j + 1) * size * size);
      j++;
      const anomalous = score >= threshold;
      const slot = slots[i];
      slot.className = `result ${anomalous ? "anomalous" : "normal"}`;
      slot.dataset.score = String(score);
      slot.dataset.verdict = anomalous ? "anomalous" : "normal";
      const title = document.createElement("p");
      title.className = "verdict";
      title.textContent = `score ${score.toPrecision(4)}: ${anomalous ? "ANOMALOUS" : "normal"} ` +
        `(threshold ${threshold.toPrecision(4)})`;
      const full = resizeBilinear(Float32Array.from(map), size, size, 1, d.height, d.width);
      const heat = heatmapRgb(full, d.height, d.width, { min: 0, max: heatMax, colormap: "jet" });
      const row = document.createElement("div");
      row.className = "tiles";
      row.append(
        canvasOf(d.rgb, d.width, d.height, "input"),
        canvasOf(heat, d.width, d.height, `error (0 to ${heatMax.toPrecision(3)})`),
        canvasOf(overlay(d.rgb, heat, 0.5), d.width, d.height, "overlay"),
      );
      slot.append(title, row);
      state.engine = tf.getBackend();
      state.results.push({ name: d.name, score, anomalous });
    }
  }
  const n = state.results.length;
  setStatus(`${n} file(s) so far; drop more images or pick them with the button`);
}

function describe(manifest: WebManifest): string {
  const i = manifest.info;
  const auroc = i.imageAuroc != null
    ? `; image AUROC ${i.imageAuroc.toFixed(3)} on its test set`
    : "";
  return `${i.model}${
    i.generator != null ? ` (generator ${i.generator})` : ""
  } from run ${i.run} ` +
    `(${i.data})${auroc}. Reads ${i.preprocessing.size}x${i.preprocessing.size} ` +
    `${i.preprocessing.channels === 1 ? "grey" : "RGB"} images; anomalous at score >= ` +
    `${i.threshold.value.toPrecision(4)}. Score: ${i.score}.`;
}

async function main(state: PageState): Promise<void> {
  const params = new URLSearchParams(location.search);
  setWasmPaths(new URL("./", location.href).href);
  setStatus("loading the model...");
  const [manifest, weights] = await Promise.all([
    fetchOk("model.json").then((r) => r.json() as Promise<WebManifest>),
    fetchOk("weights.bin").then(async (r) => new Uint8Array(await r.arrayBuffer())),
  ]);
  if (manifest.format !== WEB_FORMAT) {
    throw new Error(`model.json is '${manifest.format}', this page reads '${WEB_FORMAT}'`);
  }
  state.backend = await chooseBackend(params.get("backend"));
  $("backend").textContent = `TensorFlow.js ${tf.version.tfjs} on ${state.backend}`;
  $("model").textContent = describe(manifest);
  const model = modelFromManifest(manifest, weights);
  const input = $<HTMLInputElement>("files");
  let queue = Promise.resolve();
  const take = (files: File[]) => {
    if (files.length === 0) return;
    queue = queue.then(() => scoreFiles(files, model, manifest, state)).catch((e) =>
      setStatus(`error: ${(e as Error).message}`, true)
    );
  };
  input.addEventListener("change", () => {
    take([...(input.files ?? [])]);
    input.value = "";
  });
  const zone = $("drop");
  for (const type of ["dragenter", "dragover"]) {
    document.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
  }
  document.addEventListener("dragleave", () => zone.classList.remove("over"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    take([...((e as DragEvent).dataTransfer?.files ?? [])]);
  });
  setStatus("ready: drop images on the page or pick them with the button");
}

const state: PageState = { ready: Promise.resolve(), backend: "", engine: "", results: [] };
(globalThis as unknown as { daadPage: PageState }).daadPage = state;
state.ready = main(state).catch((e) => {
  setStatus(`error: ${(e as Error).message}`, true);
  throw e;
});
