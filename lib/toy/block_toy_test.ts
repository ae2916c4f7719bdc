import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { assertNoLeak, useBackend } from "../../tests/tf_helpers.ts";
import { DatasetError } from "../data/errors.ts";
import {
  bestContrast,
  BlockToyMemory,
  type BlockToyResult,
  runBlockToy,
  toyBlockSizes,
  toyStripes,
} from "./block_toy.ts";

// wasm: the toy trains a few hundred small steps per block size (6x faster than cpu).
await useBackend("wasm");

Deno.test("toyStripes() draws diagonal A and B at two phases and vertical C", () => {
  const { size, a, b, c } = toyStripes({ size: 16 });
  assertEquals(size, 16);
  for (const img of [a, b, c]) assertEquals(img.length, 256);
  // 45 degrees: constant along the diagonal x = y (offset by one row and one column).
  for (let y = 0; y < 15; y++) {
    for (let x = 0; x < 15; x++) assertAlmostEquals(a[(y + 1) * 16 + x + 1], a[y * 16 + x], 1e-6);
  }
  // 90 degrees: constant down each column, and not constant along a row.
  for (let y = 1; y < 16; y++) {
    for (let x = 0; x < 16; x++) assertEquals(c[y * 16 + x], c[x]);
  }
  assert(new Set(Array.from(c.subarray(0, 16))).size > 1, "vertical stripes vary along x");
  let diff = 0;
  for (let i = 0; i < 256; i++) diff += Math.abs(a[i] - b[i]);
  assert(diff / 256 > 0.3, `B differs from A (mean |A - B| = ${diff / 256})`);
});

Deno.test("toyStripes() refuses an anomaly with the normal orientation", () => {
  assertThrows(
    () => toyStripes({ angle: 45, anomalyAngle: 225 }),
    DatasetError,
    "same orientation",
  );
});

Deno.test("toyBlockSizes() lists the powers of two dividing the side", () => {
  assertEquals(toyBlockSizes(64), [1, 2, 4, 8, 16, 32, 64]);
  assertEquals(toyBlockSizes(24), [1, 2, 4, 8]);
  assertEquals(toyBlockSizes(7), [1]);
  assertThrows(() => toyBlockSizes(0), RangeError, "got 0");
});

Deno.test("BlockToyMemory() names a block size that does not divide the image", () => {
  assertThrows(() => new BlockToyMemory(32, 5), RangeError, "block size 5");
  assertThrows(() => new BlockToyMemory(32, 4, { items: 0 }), RangeError, "items");
  assertThrows(() => new BlockToyMemory(32, 4, { lr: -1 }), RangeError, "-1");
});

Deno.test("BlockToyMemory.fit() lowers the error on the image it learns from", async () => {
  await assertNoLeak("fit", () => {
    const { a } = toyStripes({ size: 16 });
    const m = new BlockToyMemory(16, 4, { items: 8, lr: 0.05 });
    try {
      const log = m.fit([a], 60);
      assertEquals(log[0].step, 1);
      assertEquals(log.at(-1)!.step, 60);
      assert(log.at(-1)!.loss < 0.5 * log[0].loss, `loss ${log[0].loss} -> ${log.at(-1)!.loss}`);
      assertEquals(m.items().length, 8 * 16);
      assertEquals(m.queriesPerImage, 16);
      assertThrows(() => m.reconstruct(new Float32Array(10)), RangeError, "10 values");
    } finally {
      m.dispose();
    }
  });
});

Deno.test("runBlockToy() reproduces Figure 1: small blocks rebuild C, medium rebuild B not C, whole-image blocks fail on B", async () => {
  const images = toyStripes({ size: 32 });
  let results: BlockToyResult[] = [];
  const seen: number[] = [];
  await assertNoLeak("runBlockToy", () => {
    results = runBlockToy(images, [1, 4, 32], { steps: 800 }, (r) => seen.push(r.blockSize));
  });
  assertEquals(seen, [1, 4, 32]);
  const [small, medium, whole] = results;
  assertEquals([small.rate, medium.rate, whole.rate], [32, 8, 1]);
  assertEquals([small.dim, medium.dim, whole.dim], [1, 16, 1024]);
  const e = (r: BlockToyResult) => `A ${r.error.a}, B ${r.error.b}, C ${r.error.c}`;
  // 1-pixel blocks: cosine similarity is the sign, so only bright and dark are stored,
  // and the anomaly comes back almost exactly.
  assert(small.error.c < 0.05, `b=1 rebuilds C: ${e(small)}`);
  assert(small.error.b < 0.15, `b=1 rebuilds B: ${e(small)}`);
  // 4x4 blocks: B well, C at least ten times worse.
  assert(medium.error.b < 0.05, `b=4 rebuilds B: ${e(medium)}`);
  assert(medium.error.c > 10 * medium.error.b, `b=4 fails on C: ${e(medium)}`);
  // One block for the whole image: A is memorised, B (another phase) is not.
  assert(whole.error.a < 0.01, `b=32 memorises A: ${e(whole)}`);
  assert(whole.error.b > 0.3, `b=32 fails on B: ${e(whole)}`);
  assertEquals(bestContrast(results).blockSize, 4);
  // Error maps and the reported means agree.
  const mean = whole.errorMap.b.reduce((s, v) => s + v, 0) / whole.errorMap.b.length;
  assertAlmostEquals(mean, whole.error.b, 1e-5);
  assertAlmostEquals(medium.contrast, medium.error.c / medium.error.b, 1e-9);
});

Deno.test("runBlockToy() is reproducible from its seed", () => {
  const images = toyStripes({ size: 16 });
  const run = (seed: number) => runBlockToy(images, [4], { steps: 20, seed })[0].error.b;
  assertEquals(run(3), run(3));
  assert(run(3) !== run(4), "another seed starts from other items");
});

Deno.test("bestContrast() refuses an empty list", () => {
  assertThrows(() => bestContrast([]), RangeError, "at least one");
});
