/**
 * A texture set from real photographs, in the MVTec AD layout: crops of photographed
 * textures (by default brick, grass and gravel from Debian's `python3-skimage`) as good
 * images, and the same kind of crops with drawn scratches, stains and holes (the
 * synthetic set's defects, {@linkcode drawSynthDefect}) and their masks as anomalies.
 *
 * Training crops come from the top 70% of each photograph, test crops from the bottom
 * 30%, so no test pixel was seen in training. Crops of `crop` pixels are averaged down
 * to `size` (crop must be a multiple of size), so each image keeps the photo's texture
 * at a coarser scale. Grey images; a seed always writes the same bytes.
 *
 * @example
 * ```ts ignore
 * import { writePhotoTextures } from "./photo_textures.ts";
 * await writePhotoTextures({ out: "data/textures" });
 * // deno task train --data mvtec --root data/textures --category all --size 64
 * ```
 * @module
 */
import { join } from "node:path";
import { deriveSeed, Rng } from "../util/rng.ts";
import { pathExists } from "../util/fs.ts";
import { DatasetError } from "./errors.ts";
import { encodePng, readImage } from "./image_io.ts";
import { drawSynthDefect, SYNTH_DEFECTS, type SynthImage } from "./synth_mvtec.ts";

/** Where Debian's `python3-skimage` keeps its sample photographs. */
export const SKIMAGE_DATA_DIR = "/usr/lib/python3/dist-packages/skimage/data";

/** The photographed textures used by default (`<name>.png` in the photo folder). */
export const PHOTO_TEXTURES: readonly string[] = Object.freeze(["brick", "grass", "gravel"]);

/** First line of the README.txt the generator writes. */
export const PHOTO_README_MARKER = "daad-kit texture set from photographs";

/** Options of {@linkcode writePhotoTextures}. */
export interface WritePhotoTexturesOptions {
  /** Output folder: new or empty. */
  out: string;
  /** Folder holding `<texture>.png`. Default {@linkcode SKIMAGE_DATA_DIR}. */
  from?: string;
  /** Texture names. Default {@linkcode PHOTO_TEXTURES}. */
  textures?: string[];
  /** Image side in pixels. Default 64. */
  size?: number;
  /** Crop side in photo pixels, a multiple of size. Default 128. */
  crop?: number;
  /** Training images per texture. Default 200. */
  nTrain?: number;
  /** Good test images per texture. Default 40. */
  nTestGood?: number;
  /** Test images per defect type and texture. Default 20. */
  nTestDefect?: number;
  /** Seed. Default 0. */
  seed?: number;
}

/** Grey bytes of a whole photograph. */
interface Photo {
  side: number;
  pixels: Uint8Array;
}

async function readPhoto(path: string): Promise<Photo> {
  if (!(await pathExists(path))) {
    throw new DatasetError(
      `${path} not found: the photographs come from Debian's python3-skimage ` +
        `(apt-get install python3-skimage), or give a folder of <texture>.png with --from`,
    );
  }
  // Decode at the file's own size (square photos; others are resized to a square).
  const probe = await readImage(path, { size: 16, channels: 1 });
  const side = Math.min(probe.sourceWidth, probe.sourceHeight);
  const img = await readImage(path, { size: side, channels: 1 });
  return {
    side,
    pixels: Uint8Array.from(img.data, (v) => Math.round((v + 1) * 127.5)),
  };
}

/** A crop at (x, y) of side `crop`, box-averaged down to `size`. */
export function cropDown(
  photo: Photo,
  x: number,
  y: number,
  crop: number,
  size: number,
): Uint8Array {
  const f = crop / size;
  const out = new Uint8Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let s = 0;
      for (let dy = 0; dy < f; dy++) {
        for (let dx = 0; dx < f; dx++) {
          s += photo.pixels[(y + r * f + dy) * photo.side + x + c * f + dx];
        }
      }
      out[r * size + c] = Math.round(s / (f * f));
    }
  }
  return out;
}

/** Writes the set; returns the number of files written. */
export async function writePhotoTextures(options: WritePhotoTexturesOptions): Promise<number> {
  const {
    out,
    from = SKIMAGE_DATA_DIR,
    textures = [...PHOTO_TEXTURES],
    size = 64,
    crop = 128,
    nTrain = 200,
    nTestGood = 40,
    nTestDefect = 20,
    seed = 0,
  } = options;
  if (!Number.isInteger(size) || size < 16) {
    throw new DatasetError(`size must be an integer >= 16, got ${size}`);
  }
  if (!Number.isInteger(crop) || crop < size || crop % size !== 0) {
    throw new DatasetError(`crop must be a multiple of size ${size}, got ${crop}`);
  }
  for (
    const [name, v] of [["nTrain", nTrain], ["nTestGood", nTestGood], [
      "nTestDefect",
      nTestDefect,
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < (name === "nTrain" ? 1 : 0)) {
      throw new DatasetError(`${name} must be a non-negative integer, got ${v}`);
    }
  }
  if (await pathExists(out)) {
    for await (const _ of Deno.readDir(out)) {
      throw new DatasetError(`${out} is not empty; choose a new or empty folder`);
    }
  }
  const photos = new Map<string, Photo>();
  for (const t of textures) {
    const photo = await readPhoto(join(from, `${t}.png`));
    if (photo.side * 0.3 < crop) {
      throw new DatasetError(
        `${join(from, `${t}.png`)} is ${photo.side} px: too small for ${crop}-px crops in its ` +
          `bottom 30% (lower crop)`,
      );
    }
    photos.set(t, photo);
  }
  let files = 0;
  const write = async (path: string, bytes: Uint8Array) => {
    await Deno.writeFile(path, await encodePng(bytes, size, size, 1));
    files++;
  };
  const name = (i: number) => String(i).padStart(3, "0");
  for (const t of textures) {
    const photo = photos.get(t)!;
    const split = Math.floor(photo.side * 0.7);
    const draw = (rng: Rng, test: boolean) => {
      const y = test ? split + rng.int(photo.side - split - crop + 1) : rng.int(split - crop + 1);
      return cropDown(photo, rng.int(photo.side - crop + 1), y, crop, size);
    };
    const dir = join(out, t);
    await Deno.mkdir(join(dir, "train", "good"), { recursive: true });
    for (let i = 0; i < nTrain; i++) {
      await write(
        join(dir, "train", "good", `${name(i)}.png`),
        draw(new Rng(deriveSeed(seed, t, "train", i)), false),
      );
    }
    await Deno.mkdir(join(dir, "test", "good"), { recursive: true });
    for (let i = 0; i < nTestGood; i++) {
      await write(
        join(dir, "test", "good", `${name(i)}.png`),
        draw(new Rng(deriveSeed(seed, t, "good", i)), true),
      );
    }
    for (const defect of nTestDefect > 0 ? SYNTH_DEFECTS : []) {
      await Deno.mkdir(join(dir, "test", defect), { recursive: true });
      await Deno.mkdir(join(dir, "ground_truth", defect), { recursive: true });
      for (let i = 0; i < nTestDefect; i++) {
        const rng = new Rng(deriveSeed(seed, t, defect, i));
        const img: SynthImage = {
          size,
          channels: 1,
          pixels: draw(rng, true),
          region: new Uint8Array(size * size).fill(1),
        };
        const mask = drawSynthDefect(img, defect, rng);
        await write(join(dir, "test", defect, `${name(i)}.png`), img.pixels);
        await write(join(dir, "ground_truth", defect, `${name(i)}_mask.png`), mask);
      }
    }
  }
  await Deno.writeTextFile(
    join(out, "README.txt"),
    `${PHOTO_README_MARKER}\n\nTextures: ${textures.join(", ")} (photographs from ${from}).\n` +
      `${size}x${size} grey images, averaged down from ${crop}-px crops; training crops from the ` +
      `top 70% of each photograph, test crops from the bottom 30%.\n` +
      `Defects drawn by the kit: ${SYNTH_DEFECTS.join(", ")}, with masks. Seed ${seed}.\n` +
      `This is not MVTec AD: real textures, drawn defects.\n`,
  );
  return files + 1;
}
