/**
 * Memory modules: DAAD's block-wise memory (eq. 1-2, with MemAE's addressing as a
 * special case), diagnostics of how a bank is used (usage, sparsity, drift from its
 * start, collapse) and the training patches each item is closest to (exemplars).
 *
 * @example
 * ```ts
 * import { uniformWarning } from "./mod.ts";
 * console.log(typeof uniformWarning); // "function"
 * ```
 * @module
 */
export * from "./block_memory.ts";
export * from "./diagnostics.ts";
export * from "./exemplars.ts";
