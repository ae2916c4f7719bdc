/**
 * sharp, typed by `_sharp.d.ts`. Loaded lazily by `images.ts` (dynamic import), so that
 * importing the kit never loads sharp's native library until an image is encoded.
 * @module
 */
// @ts-types="./_sharp.d.ts"
import sharp from "sharp";

export default sharp;
