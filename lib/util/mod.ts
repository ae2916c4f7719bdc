/**
 * Utilities every layer may use: the seeded random generator, the shared error classes
 * and file-system helpers.
 * @module
 */
export * from "./errors.ts";
export * from "./fs.ts";
export * from "./rng.ts";
