/**
 * Layers and parameters on tfjs: convolutions with batch norm, transposed convolutions,
 * pooling, the {@linkcode ParamStore} that names every variable a checkpoint keeps, and
 * the weights in PyTorch's names and layouts.
 * @module
 */
export * from "./layers.ts";
export * from "./params.ts";
export * from "./torch_layout.ts";
