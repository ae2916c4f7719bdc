/**
 * Layers and parameters on tfjs: convolutions with batch norm, transposed convolutions,
 * pooling, and the {@linkcode ParamStore} that names every variable a checkpoint keeps.
 * @module
 */
export * from "./layers.ts";
export * from "./params.ts";
