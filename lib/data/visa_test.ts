import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DatasetError } from "./errors.ts";
import { loadVisaCategory, readVisaSplit } from "./visa.ts";
import { writeVisaFixture } from "./synth_visa.ts";

const root = await Deno.makeTempDir({ prefix: "daad-visa-" });
await writeVisaFixture({ out: root, nTrain: 4, nTestNormal: 2, nTestAnomaly: 2, width: 32 });
const CSV = `${root}/split_csv/1cls.csv`;
const csvText = await Deno.readTextFile(CSV);

/** A copy of the fixture with the split file rewritten by `edit`. */
async function withCsv(edit: (text: string) => string): Promise<string> {
  const copy = await Deno.makeTempDir({ prefix: "daad-visa-copy-" });
  await new Deno.Command("cp", { args: ["-r", `${root}/.`, copy] }).output();
  await Deno.writeTextFile(`${copy}/split_csv/1cls.csv`, edit(csvText));
  return copy;
}

Deno.test("loadVisaCategory() loads an object's train and test split with labels, masks and groups", async () => {
  const { train, test, protocol } = await loadVisaCategory({ root, category: "pcb1", size: 16 });
  assertEquals([train.n, train.height, train.width, train.channels], [4, 16, 16, 3]);
  assertEquals(train.names![0], "pcb1/Data/Images/Normal/0000.JPG");
  assertEquals(test.n, 4);
  assertEquals(Array.from(test.labels!), [0, 0, 1, 1]);
  assertEquals(test.groups, ["good", "good", "anomaly", "anomaly"]);
  const px = 16 * 16;
  const area = (i: number) => test.masks!.subarray(i * px, (i + 1) * px).reduce((a, b) => a + b, 0);
  // Normal images have empty masks; the blob (radius width/8 at the centre) is marked,
  // though VisA's masks store it as 1, not 255.
  assertEquals([area(0), area(1)], [0, 0]);
  assert(area(2) > 4 && area(2) < px / 4, `mask area ${area(2)}`);
  assertEquals(test.masks![8 * 16 + 8 + 2 * px], 1); // the centre pixel
  // The blob is bright in the image where the mask is set.
  assert(test.data[(2 * px + 8 * 16 + 8) * 3] > 0.9);
  assert(protocol.includes("VisA layout") && protocol.includes("2 normal + 2 anomalous"), protocol);
});

Deno.test("loadVisaCategory() names a missing image or mask with its CSV line", async () => {
  const noImage = await withCsv((t) => t);
  await Deno.remove(`${noImage}/candle/Data/Images/Normal/0001.JPG`);
  await assertRejects(
    () => loadVisaCategory({ root: noImage, category: "candle", size: 16 }),
    DatasetError,
    `image file not found: ${noImage}/candle/Data/Images/Normal/0001.JPG (listed on line 3`,
  );
  const noMask = await withCsv((t) => t);
  await Deno.remove(`${noMask}/candle/Data/Masks/Anomaly/001.png`);
  await assertRejects(
    () => loadVisaCategory({ root: noMask, category: "candle", size: 16 }),
    DatasetError,
    `mask file not found: ${noMask}/candle/Data/Masks/Anomaly/001.png`,
  );
});

Deno.test("readVisaSplit() names a missing split file, a bad header, field or value, with the line", async () => {
  const empty = await Deno.makeTempDir();
  await assertRejects(() => readVisaSplit(empty), DatasetError, `${empty}/split_csv/1cls.csv`);
  await assertRejects(() => readVisaSplit(`${empty}/nope`), DatasetError, `${empty}/nope`);
  const cases: [(t: string) => string, string][] = [
    [(t) => t.replace("object,split", "object,set"), "line 1: expected the header"],
    [
      (t) => t.replace("candle,train,normal", "candle,val,normal"),
      "line 2: split must be train or test, found 'val'",
    ],
    [
      (t) => t.replace("candle,train,normal", "candle,train,good"),
      "line 2: label must be normal or anomaly",
    ],
    [(t) => t.replace(",candle/Data/Masks/Anomaly/000.png", ","), "has no mask"],
    [
      (t) => t.replace("candle,train,normal,candle/Data/Images/Normal/0000.JPG,", "candle,train"),
      "line 2: expected 5 fields",
    ],
  ];
  for (const [edit, message] of cases) {
    const copy = await withCsv(edit);
    await assertRejects(() => readVisaSplit(copy), DatasetError, message);
  }
});

Deno.test("loadVisaCategory() refuses an unknown object and lists the ones found", async () => {
  await assertRejects(
    () => loadVisaCategory({ root, category: "fryum", size: 16 }),
    DatasetError,
    "objects found: candle, pcb1",
  );
});
