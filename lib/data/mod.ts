/**
 * The kit's data sets, each a loader from its own typed options to train and test
 * {@linkcode ImageSet}s: MNIST, CIFAR-10, MVTec AD, VisA, folders of images, videos
 * (UCSD Ped2, Avenue layouts) and the synthetic stand-ins the kit writes for them. The
 * dispatch from a run configuration (`--data`) to a loader is `lib/adapters.ts`'s
 * `loadRunData`.
 *
 * @example
 * ```ts
 * import { stripesDataset } from "./mod.ts";
 * const { train, test, protocol } = stripesDataset({ size: 32, seed: 0, nTest: 10 });
 * console.log(train.n, test.n, protocol);
 * ```
 * @module
 */
export * from "./image_set.ts";
export { DatasetError } from "./errors.ts";
export * from "./mnist.ts";
export * from "./idx.ts";
export * from "./image_io.ts";
export * from "./mvtec.ts";
export * from "./synth_mvtec.ts";
export * from "./cifar10.ts";
export * from "./stripes.ts";
export * from "./video.ts";
export * from "./synth_video.ts";
export * from "./visa.ts";
export * from "./synth_visa.ts";
export * from "./folder.ts";
export type { RunData } from "./run_data.ts";
