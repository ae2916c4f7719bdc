/**
 * Utilities every layer may use: the seeded random generator, the shared error classes,
 * file-system helpers and the safetensors format.
 * @module
 */
export * from "./errors.ts";
export * from "./fs.ts";
export * from "./rng.ts";
export * from "./safetensors.ts";
