/**
 * Taking a trained model out of the kit: its scoring graph as an ONNX model (checked by
 * ONNX Runtime against the kit's own scores) and a static web page that scores images in
 * the browser with TensorFlow.js. `deno task export` and `deno task serve` are these
 * functions behind flag parsing; docs/export.md tells how to use what they write.
 *
 * @example
 * ```ts
 * import { buildOnnx, exportInfoOf, metadataProps, openExportRun } from "./mod.ts";
 * const run = await openExportRun("runs/digit8");
 * const onnx = buildOnnx(run.family, {
 *   producer: "daad-kit",
 *   metadata: metadataProps(exportInfoOf(run, "NCHW")),
 * });
 * await Deno.writeFile("model.onnx", onnx.bytes);
 * run.dispose();
 * ```
 * @module
 */
export * from "./errors.ts";
export * from "./families.ts";
export * from "./metadata.ts";
export * from "./onnx_graph.ts";
export * from "./onnx_export.ts";
export * from "./onnx_check.ts";
export * from "./run_model.ts";
export * from "./serve.ts";
export * from "./web_site.ts";
export * from "./web/manifest.ts";
export * from "./web/pixels.ts";
