/**
 * Model families: the layer between the models (`lib/models/`) and the run. A family
 * module owns, for its models, the flags and their help, the defaults and the run
 * settings it changes, the checks of its settings, the mapping to the model's own
 * configuration and `create()`; the registry maps `--model` names to families, and
 * `resolve.ts` turns a run's flags into a `RunConfig` through it.
 *
 * - `family.ts`: what a family is (`FamilySpec`, `ModelFamily`, `defineFamily`);
 * - `daad.ts`: AE, AE+Skip, MemAE*, DAAD; `daad_plus.ts`: DAAD+; `mnad.ts`: MNAD;
 * - `registry.ts`: name -> family, `registerFamily`, `listTrainFlags`, `buildRunModel`;
 * - `resolve.ts`: `resolveRunConfig`, `validateRunConfig`, `runConfigFlags`,
 *   `runConfigFromSaved`.
 *
 * docs/architecture.md walks through adding a model.
 *
 * @example
 * ```ts
 * import { buildRunModel, resolveRunConfig } from "./mod.ts";
 * const run = resolveRunConfig({ model: "daad", data: "stripes", size: 32, width: 4 });
 * const { model, modelConfig } = buildRunModel(run, { channels: 1, nTrain: 100 });
 * console.log(modelConfig);
 * model.dispose();
 * ```
 * @module
 */
export * from "./family.ts";
export * from "./daad.ts";
export * from "./daad_plus.ts";
export * from "./mnad.ts";
export * from "./registry.ts";
export * from "./resolve.ts";
