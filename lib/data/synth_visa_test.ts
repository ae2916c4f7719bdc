import { assert, assertEquals } from "../../tests/assert.ts";
import { imageInfo, readMask } from "./image_io.ts";
import { writeVisaFixture } from "./synth_visa.ts";
import { listVisaObjects } from "./visa.ts";

const root = await Deno.makeTempDir({ prefix: "daad-synth-visa-" });
await writeVisaFixture({ out: root, nTrain: 4, nTestNormal: 2, nTestAnomaly: 2, width: 32 });
const csvText = await Deno.readTextFile(`${root}/split_csv/1cls.csv`);

Deno.test("writeVisaFixture() writes VisA's official layout and split file", async () => {
  const lines = csvText.trim().split("\n");
  assertEquals(lines[0], "object,split,label,image,mask");
  assertEquals(lines.length, 1 + 2 * 8);
  assertEquals(lines[1], "candle,train,normal,candle/Data/Images/Normal/0000.JPG,");
  assert(
    lines.includes(
      "candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png",
    ),
  );
  assertEquals(await listVisaObjects(root), ["candle", "pcb1"]);
});

Deno.test("writeVisaFixture() writes JPEG images of 3/4 height and masks holding region 1", async () => {
  const info = await imageInfo(`${root}/pcb1/Data/Images/Anomaly/001.JPG`);
  assertEquals([info.format, info.width, info.height, info.channels], ["jpeg", 32, 24, 3]);
  const maskPath = `${root}/pcb1/Data/Masks/Anomaly/001.png`;
  assertEquals((await imageInfo(maskPath)).format, "png");
  // Region number 1, not 255: only a threshold of 1 sees the blob.
  const sum = (m: Float32Array) => m.reduce((a, b) => a + b, 0);
  assertEquals(sum(await readMask(maskPath, 16)), 0);
  assert(sum(await readMask(maskPath, 16, { threshold: 1 })) > 4);
  await Deno.remove(root, { recursive: true });
});
