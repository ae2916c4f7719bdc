/**
 * The kit's models, each a trainable, scorable {@linkcode KitModel} built from its own
 * typed configuration: the DAAD family (`ae`, `ae-skip`, `memae`, `daad`), DAAD+ and
 * MNAD (under the `mnad` namespace, whose names would clash with DAAD's). A run reaches
 * them through their families (`lib/families/`) and the registry from `--model` to a
 * family (`lib/families/registry.ts`).
 * @module
 */
export type { KitModel, ScoreOutput } from "./kit_model.ts";
export * from "./daad/mod.ts";
export * from "./daad_plus/mod.ts";
export { MnadModel, MnadNetwork } from "./mnad/mod.ts";
export * as mnad from "./mnad/mod.ts";
