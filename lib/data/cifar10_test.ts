import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../tests/assert.ts";
import {
  CIFAR10_CLASSES,
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  oneClassCifar10,
} from "./cifar10.ts";
import { DatasetError } from "./errors.ts";

/**
 * One record: label byte, then R, G, B planes. Pixel p of plane k holds
 * (seed + 3p + k) mod 256, so every value tells where it came from.
 */
function record(label: number, seed: number): Uint8Array {
  const r = new Uint8Array(CIFAR10_RECORD_BYTES);
  r[0] = label;
  for (let k = 0; k < 3; k++) {
    for (let p = 0; p < 1024; p++) r[1 + k * 1024 + p] = (seed + 3 * p + k) % 256;
  }
  return r;
}

function batch(records: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(records.length * CIFAR10_RECORD_BYTES);
  records.forEach((r, i) => out.set(r, i * CIFAR10_RECORD_BYTES));
  return out;
}

/** Five training batches with labels [b, 2, b+1 mod 10] (seed 10·batch + index), a test batch. */
async function fakeCifar(root: string, testLabels = [0, 1, 2, 2, 3, 2, 9, 2]): Promise<void> {
  for (let b = 0; b < 5; b++) {
    const labels = [b, 2, (b + 1) % 10];
    await Deno.writeFile(
      `${root}/${CIFAR10_TRAIN_FILES[b]}`,
      batch(labels.map((l, i) => record(l, 10 * b + i))),
    );
  }
  await Deno.writeFile(
    `${root}/${CIFAR10_TEST_FILE}`,
    batch(testLabels.map((l, i) => record(l, 100 + i))),
  );
}

Deno.test("oneClassCifar10() trains on the normal class of all five batches and tests on the whole test batch", async () => {
  const root = await Deno.makeTempDir();
  await fakeCifar(root);
  const { train, test, protocol } = await oneClassCifar10({ root, normal: 2 });
  // Labels [b, 2, b+1]: class 2 is record 1 of every batch, record 2 of batch 2 (b = 1)
  // and record 0 of batch 3 (b = 2); kept in file order.
  assertEquals(train.names, [
    "data_batch_1.bin #1",
    "data_batch_2.bin #1",
    "data_batch_2.bin #2",
    "data_batch_3.bin #0",
    "data_batch_3.bin #1",
    "data_batch_4.bin #1",
    "data_batch_5.bin #1",
  ]);
  assertEquals([train.n, train.height, train.width, train.channels], [7, 32, 32, 3]);
  assert(train.groups!.every((g) => g === "bird"));
  // HWC from planes: pixel p, channel k of data_batch_2.bin #2 (seed 12) = 12 + 3p + k.
  const img = train.data.subarray(2 * 3072, 3 * 3072);
  for (const p of [0, 1, 33, 1023]) {
    for (let k = 0; k < 3; k++) {
      assertAlmostEquals(img[p * 3 + k], ((12 + 3 * p + k) % 256) / 127.5 - 1, 1e-6);
    }
  }
  assertEquals(test.n, 8);
  assertEquals(Array.from(test.labels!), [1, 1, 0, 0, 1, 0, 1, 0]);
  assertEquals(test.groups, [
    "airplane",
    "automobile",
    "bird",
    "bird",
    "cat",
    "bird",
    "truck",
    "bird",
  ]);
  assertEquals(test.names![6], "test_batch.bin #6");
  assertAlmostEquals(test.data[6 * 3072 + 5 * 3 + 1], ((106 + 15 + 1) % 256) / 127.5 - 1, 1e-6);
  assert(protocol.includes("normal class 2 (bird)") && protocol.includes("4 normal + 4 anomalous"));
  await Deno.remove(root, { recursive: true });
});

Deno.test("oneClassCifar10() resizes to other sizes and subsamples the test set per class", async () => {
  const root = await Deno.makeTempDir();
  const testLabels = Array.from({ length: 40 }, (_, i) => (i < 10 ? 4 : i % 10));
  await fakeCifar(root, testLabels);
  const d = await oneClassCifar10({ root, normal: 4, size: 16, maxTest: 20 });
  assertEquals([d.train.height, d.train.data.length], [16, d.train.n * 16 * 16 * 3]);
  assert(d.train.data.every((v) => v >= -1 && v <= 1));
  assertEquals(d.test.n, 20);
  // 13 of the 40 are class 4: about a third stays.
  const normals = d.test.labels!.filter((l) => l === 0).length;
  assert(normals >= 6 && normals <= 7, `${normals} normal of 20`);
  const idx = d.test.names!.map((n) => Number(n.split("#")[1]));
  assertEquals(idx, [...idx].sort((a, b) => a - b), "test keeps file order");
  assertEquals(CIFAR10_CLASSES.length, 10);
  await Deno.remove(root, { recursive: true });
});

Deno.test("oneClassCifar10() names the folder, file or value that is wrong", async () => {
  const root = await Deno.makeTempDir();
  await assertRejects(
    () => oneClassCifar10({ root: `${root}/nope`, normal: 0 }),
    DatasetError,
    `CIFAR-10 folder not found: ${root}/nope`,
  );
  await fakeCifar(root);
  for (const normal of [10, -1, 1.5]) {
    await assertRejects(
      () => oneClassCifar10({ root, normal }),
      DatasetError,
      `--normal must be a CIFAR-10 class 0..9 (or 'all'), got ${normal}`,
    );
  }
  await Deno.remove(`${root}/data_batch_4.bin`);
  await assertRejects(
    () => oneClassCifar10({ root, normal: 0 }),
    DatasetError,
    `CIFAR-10 batch file not found: ${root}/data_batch_4.bin`,
  );
  await Deno.writeFile(`${root}/data_batch_4.bin`, batch([record(3, 0)]));
  const bad = batch([record(1, 0), record(11, 0)]);
  await Deno.writeFile(`${root}/data_batch_3.bin`, bad);
  await assertRejects(
    () => oneClassCifar10({ root, normal: 0 }),
    DatasetError,
    `${root}/data_batch_3.bin: record 1 has label byte 11 (expected 0..9)`,
  );
  await Deno.writeFile(`${root}/data_batch_3.bin`, bad.subarray(0, CIFAR10_RECORD_BYTES + 7));
  await assertRejects(
    () => oneClassCifar10({ root, normal: 0 }),
    DatasetError,
    `${root}/data_batch_3.bin has 3080 bytes, not a positive multiple of 3073`,
  );
  await Deno.writeFile(`${root}/data_batch_3.bin`, new Uint8Array(0));
  await assertRejects(
    () => oneClassCifar10({ root, normal: 0 }),
    DatasetError,
    `${root}/data_batch_3.bin has 0 bytes`,
  );
  await Deno.remove(root, { recursive: true });
});
