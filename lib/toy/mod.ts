/**
 * The block-size toy of DAAD's Figure 1: stripe images, a block-wise memory learned
 * directly on image blocks, and its pictures.
 *
 * @example
 * ```ts
 * import { bestContrast, runBlockToy, toyStripes } from "./mod.ts";
 * const results = runBlockToy(toyStripes({ size: 16 }), [1, 4, 16], { steps: 20 });
 * console.log(results.length, bestContrast(results).blockSize > 0); // 3 true
 * ```
 * @module
 */
export * from "./block_toy.ts";
export * from "./block_toy_viz.ts";
