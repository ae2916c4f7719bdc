/**
 * The kit's public API: backends, the run configuration, the model families and their
 * registry, one run end to end, and the layers it is built from (data, models, memory, training, evaluation, metrics, figures,
 * sweeps). Each layer is also published on its own subpath (`@daad-kit/kit/models`,
 * `/data`, `/train`, `/eval`, `/metrics`, `/viz`, ...; see deno.json), which is also
 * where the parts this index leaves out live: network layers (`/nn`), the kit's tfjs
 * kernels (`/kernels`) and the block-size toy (`/toy`). docs/architecture.md describes
 * the layers and what each may import.
 *
 * @example
 * ```ts
 * import { initBackend, resolveRunConfig, trainRun } from "./mod.ts";
 * const backend = await initBackend("auto");
 * const config = resolveRunConfig({ data: "mnist", normal: 3, epochs: 5 });
 * const { metrics } = await trainRun(config, { backend });
 * console.log(metrics?.image_auroc);
 * ```
 * @module
 */
export * from "./backend.ts";
export * from "./config.ts";
export * from "./families/mod.ts";
export * from "./adapters.ts";
export * from "./run.ts";
export * from "./data/mod.ts";
export * from "./models/mod.ts";
export * from "./memory/mod.ts";
export * from "./train/mod.ts";
export * from "./eval/mod.ts";
export * from "./metrics/mod.ts";
export * from "./viz/mod.ts";
export * from "./sweep/mod.ts";
export { deriveSeed, Rng, type RngState } from "./util/rng.ts";
