import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { encodeIdx } from "./idx.ts";
import { DatasetError, loadIdxDigits, MNIST_FILES, oneClassMnist } from "./mnist.ts";

Deno.test("loadIdxDigits() reads the official MNIST split with its label counts", async () => {
  const d = await loadIdxDigits();
  assertEquals([d.train.n, d.test.n, d.train.rows, d.train.cols], [60000, 10000, 28, 28]);
  const counts = new Array(10).fill(0);
  for (const l of d.train.labels) counts[l]++;
  assertEquals(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
});

Deno.test("oneClassMnist() follows protocol 2: digit 8 trains on 5851, tests on 10,000 (974 normal)", async () => {
  const s = await oneClassMnist({ normal: 8 });
  assertEquals([s.train.n, s.test.n], [5851, 10000]);
  let normals = 0;
  for (let i = 0; i < s.test.n; i++) {
    assertEquals(s.test.labels![i], s.test.groups![i] === "8" ? 0 : 1);
    normals += 1 - s.test.labels![i];
  }
  assertEquals(normals, 974);
  assert(s.train.groups!.every((g) => g === "8"));
  assert(s.protocol.includes("protocol 2") && s.protocol.includes("5851"));
});

Deno.test("oneClassMnist() pads 28x28 to 32x32 with -1 and scales digits to [-1, 1]", async () => {
  const s = await oneClassMnist({ normal: 0, size: 32 });
  assertEquals([s.train.height, s.train.width, s.train.channels], [32, 32, 1]);
  const img = s.train.data.subarray(0, 1024);
  for (let x = 0; x < 32; x++) assertEquals(img[x], -1); // padding row
  assert(Math.max(...img) === 1 && Math.min(...img) === -1);
});

Deno.test("oneClassMnist() thins the test set per class and refuses bad digits", async () => {
  await assertRejects(
    () => oneClassMnist({ normal: 11 }),
    DatasetError,
    "--normal must be a digit 0..9",
  );
  const q = await oneClassMnist({ normal: 5, maxTest: 100 });
  assertEquals(q.test.n, 100);
  const perClass = new Array(10).fill(0);
  for (const g of q.test.groups!) perClass[Number(g)]++;
  // 892 fives of 10,000 -> about 9 of 100; every class is represented.
  assert(perClass.every((c) => c >= 8 && c <= 12), `per class ${perClass}`);
  assert(q.protocol.includes("thinned to 100"));
});

/** Writes a tiny IDX data set (4x4 images) into `dir`, gzipping the files when asked. */
async function writeTinyIdx(dir: string, gzip: boolean, trainLabels = [0, 1, 0, 2, 0]) {
  const write = (name: string, dims: number[], data: Uint8Array) =>
    Deno.writeFile(
      join(dir, gzip ? `${name}.gz` : name),
      gzip ? gzipSync(encodeIdx(dims, data)) : encodeIdx(dims, data),
    );
  const nTrain = trainLabels.length, nTest = 3;
  // Image i is filled with the value 10·i, so each can be recognised after loading.
  const images = (n: number) =>
    Uint8Array.from({ length: n * 16 }, (_, k) => 10 * Math.floor(k / 16));
  await write(MNIST_FILES.trainImages, [nTrain, 4, 4], images(nTrain));
  await write(MNIST_FILES.trainLabels, [nTrain], Uint8Array.from(trainLabels));
  await write(MNIST_FILES.testImages, [nTest, 4, 4], images(nTest));
  await write(MNIST_FILES.testLabels, [nTest], Uint8Array.from([2, 0, 1]));
}

for (const gzip of [false, true]) {
  Deno.test(`oneClassMnist() reads ${gzip ? "gzipped" : "plain"} IDX files from --root`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await writeTinyIdx(dir, gzip);
      const s = await oneClassMnist({ normal: 0, root: dir, size: 16 });
      assertEquals([s.train.n, s.test.n], [3, 3]);
      // Data in MNIST's layout need not be digits (Fashion-MNIST): its classes are "class N".
      assertEquals(s.train.names, [
        "train #0 (class 0)",
        "train #2 (class 0)",
        "train #4 (class 0)",
      ]);
      assertEquals([...s.test.labels!], [1, 0, 1]);
      // 4x4 padded to 16x16: the corner is background (-1), the centre image #2's value 20.
      const second = s.train.data.subarray(256, 512);
      assertEquals(second[0], -1);
      assertEquals(second[6 * 16 + 6], Math.fround(20 / 127.5 - 1));
      assert(s.protocol.includes(dir));
      assert(
        s.protocol.startsWith(
          `one-class split of the data set in MNIST's IDX layout in ${dir}, protocol 2: normal ` +
            "class 0; all 3 of its training images train; the 3-image test set tests (class 0 " +
            "normal, the others anomalous)",
        ),
        s.protocol,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("oneClassMnist() refuses bad IDX files with one line naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => oneClassMnist({ normal: 0, root: join(dir, "nope") }),
      DatasetError,
      "does not exist",
    );
    await assertRejects(
      () => oneClassMnist({ normal: 0, root: dir }),
      DatasetError,
      `${join(dir, MNIST_FILES.trainImages)} not found`,
    );
    await writeTinyIdx(dir, false);
    const images = join(dir, MNIST_FILES.trainImages);
    const good = await Deno.readFile(images);
    // Truncated: the last image lacks a byte.
    await Deno.writeFile(images, good.subarray(0, good.length - 1));
    await assertRejects(() => loadIdxDigits(dir), DatasetError, `${images}: truncated`);
    // Wrong magic number.
    const bad = good.slice();
    bad[0] = 7;
    await Deno.writeFile(images, bad);
    await assertRejects(() => loadIdxDigits(dir), DatasetError, `${images}: wrong magic number`);
    // Image and label counts disagree.
    await writeTinyIdx(dir, false, [0, 1, 0, 2]);
    await Deno.writeFile(images, good);
    await assertRejects(() => loadIdxDigits(dir), DatasetError, "holds 5 images but");
    // A digit with no training image.
    await writeTinyIdx(dir, false);
    await assertRejects(
      () => oneClassMnist({ normal: 7, root: dir }),
      DatasetError,
      "no training image has label 7",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
