import { assert, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { encodePng, readImage } from "../../data/image_io.ts";
import { decodeRawPixels } from "../../viz/images.ts";
import { PixelError, resampleLinear, rgbaToInput } from "./pixels.ts";

/** RGBA bytes of a PNG, as a browser's getImageData gives them (opaque images only). */
async function rgbaOf(
  png: Uint8Array,
): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const raw = await decodeRawPixels(png);
  const n = raw.width * raw.height, c = raw.channels;
  const rgba = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++) rgba[4 * p + k] = raw.data[p * c + (c >= 3 ? k : 0)];
    rgba[4 * p + 3] = 255;
  }
  return { rgba, width: raw.width, height: raw.height };
}

Deno.test("rgbaToInput() reads an image at the model's size exactly as readImage does", async () => {
  const path = await Deno.makeTempFile({ suffix: ".png" });
  try {
    for (const [channels, model] of [[1, 1], [3, 3], [3, 1], [1, 3]] as const) {
      const bytes = Uint8Array.from({ length: 16 * 16 * channels }, (_, i) => (i * 37 + 11) % 256);
      const png = await encodePng(bytes, 16, 16, channels);
      await Deno.writeFile(path, png);
      const kit = await readImage(path, { size: 16, channels: model, convert: true });
      const { rgba, width, height } = await rgbaOf(png);
      const page = rgbaToInput(rgba, width, height, { size: 16, channels: model });
      assertEquals(Array.from(page.data), Array.from(kit.data), `${channels} -> ${model} channels`);
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("rgbaToInput() resizes as readImage does (exactly when enlarging, within 2 grey levels when shrinking) and refuses transparency", async () => {
  const path = await Deno.makeTempFile({ suffix: ".png" });
  try {
    // Shrinking (with and without libvips' box pre-shrink), enlarging (MNIST's 28 to 32),
    // and both at once.
    for (
      const [w, h, size] of [[50, 40, 16], [300, 200, 32], [28, 28, 32], [16, 20, 32], [50, 20, 32]]
    ) {
      const bytes = Uint8Array.from(
        { length: w * h * 3 },
        (_, i) => Math.round(127 + 120 * Math.sin(i / 9 + (i % 3))),
      );
      const png = await encodePng(bytes, w, h, 3);
      await Deno.writeFile(path, png);
      const { rgba } = await rgbaOf(png);
      for (const channels of [1, 3] as const) {
        const kit = await readImage(path, { size, channels, convert: true });
        const page = rgbaToInput(rgba, w, h, { size, channels });
        let worst = 0;
        for (let i = 0; i < kit.data.length; i++) {
          worst = Math.max(worst, Math.abs(kit.data[i] - page.data[i]) * 127.5);
        }
        // Enlarging both axes gives sharp's bytes; shrinking comes within 2 grey levels.
        const limit = w <= size && h <= size ? 1e-4 : 2.001;
        assert(worst <= limit, `${w}x${h} to ${size}, ${channels} channels: ${worst} grey levels`);
      }
    }
    const { rgba } = await rgbaOf(await encodePng(new Uint8Array(4 * 4).fill(9), 4, 4, 1));
    rgba[7] = 128;
    assertThrows(
      () => rgbaToInput(rgba, 4, 4, { size: 4, channels: 1 }),
      PixelError,
      "transparent",
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("resampleLinear() keeps a constant image constant and enlarges bilinearly", () => {
  const flat = new Uint8Array(7 * 5 * 3).fill(200);
  assertEquals(new Set(resampleLinear(flat, 7, 5, 3, 3, 2)), new Set([200]));
  // Enlarging samples at i·(in / out) − 0.5 (libvips' affine): 1x4 -> 1x8.
  assertEquals(
    Array.from(resampleLinear(Uint8Array.from([0, 100, 200, 100]), 1, 4, 1, 1, 8)),
    [0, 0, 50, 100, 150, 200, 150, 100],
  );
});
