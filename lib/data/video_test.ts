import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { bmp8 } from "../../tests/image_fixtures.ts";
import { DatasetError } from "./errors.ts";
import { encodePng } from "./image_io.ts";
import {
  compareNames,
  loadVideoDataset,
  parseLabelsJson,
  parseLabelsText,
  parseLabelValues,
} from "./video.ts";

/** Frame value of frame t of video v: a flat grey level, distinct per frame. */
const level = (v: number, t: number) => 10 * v + 3 * t;

/**
 * Writes `<root>/ds/{training,testing}/frames/<video>/<t>.png`: 8x8 grey frames whose
 * level encodes (video, frame). `counts` = frames per video.
 */
async function fixture(train: number[], test: number[], options: { rgb?: boolean } = {}) {
  const root = await Deno.makeTempDir();
  const write = async (split: string, counts: number[], offset: number) => {
    for (const [vi, n] of counts.entries()) {
      const dir = `${root}/ds/${split}/frames/${String(vi + 1).padStart(2, "0")}`;
      await Deno.mkdir(dir, { recursive: true });
      for (let t = 0; t < n; t++) {
        const c = options.rgb ? 3 : 1;
        const px = new Uint8Array(64 * c).fill(level(vi + offset, t));
        if (options.rgb) { for (let p = 0; p < 64; p++) px[3 * p] = 200; // red-ish: colour
         }
        // Names without zero padding: 10.png must come after 9.png.
        await Deno.writeFile(`${dir}/${t}.png`, await encodePng(px, 8, 8, c));
      }
    }
  };
  await write("training", train, 0);
  await write("testing", test, 10);
  return root;
}

const pix = (x: number) => Math.fround(x / 127.5 - 1);

Deno.test("loadVideoDataset() builds recon frames in video and name order", async () => {
  const root = await fixture([3, 2], [12, 5]);
  await Deno.writeTextFile(
    `${root}/ds/labels.json`,
    JSON.stringify({ "01": "000000001110", "02": [0, 1, 1, 0, 0] }),
  );
  const d = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "recon" });
  assertEquals([d.train.n, d.test.n, d.train.channels, d.train.height], [5, 17, 1, 8]);
  // Frame t of test video v is flat at level(10 + v, t); order 0, 1, ..., 9, 10, 11.
  for (let i = 0; i < 12; i++) assertEquals(d.test.data[i * 64], pix(level(10, i)), `frame ${i}`);
  assertEquals(d.test.data[12 * 64], pix(level(11, 0)));
  assertEquals(
    Array.from(d.test.labels!),
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0],
  );
  assertEquals(d.test.groups, [...Array(12).fill("01"), ...Array(5).fill("02")]);
  assert(d.test.names![10].endsWith("ds/testing/frames/01/10.png"), d.test.names![10]);
  assert(d.protocol.includes("task recon") && d.protocol.includes("labels.json"), d.protocol);
  await Deno.remove(root, { recursive: true });
});

Deno.test("pred clips stack 5 frames as channels, labelled by the last; 4 frames dropped", async () => {
  const root = await fixture([6], [7, 5]);
  await Deno.writeTextFile(`${root}/ds/labels.txt`, "01: 0 0 0 0 1 1 0\n02: 1,1,1,1,0\n");
  const d = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "pred" });
  assertEquals([d.train.n, d.test.n, d.test.channels], [2, 3 + 1, 5]);
  // Test clip 1 of video 01 = frames 1..5; pixel 0's five channels are their levels.
  const clip = Array.from(d.test.data.subarray(1 * 64 * 5, 1 * 64 * 5 + 5));
  assertEquals(clip, [1, 2, 3, 4, 5].map((t) => pix(level(10, t))));
  // The same five values at the last pixel (pixel-major layout).
  assertEquals(Array.from(d.test.data.subarray(2 * 64 * 5 - 5, 2 * 64 * 5)), clip);
  // Labels and names of the predicted frames 4, 5, 6 of 01 and 4 of 02.
  assertEquals(Array.from(d.test.labels!), [1, 1, 0, 0]);
  assertEquals(d.test.names!.map((n) => n.split("/").slice(-2).join("/")), [
    "01/4.png",
    "01/5.png",
    "01/6.png",
    "02/4.png",
  ]);
  assertEquals(d.test.groups, ["01", "01", "01", "02"]);
  assert(d.protocol.includes("first 4 frames of each test video"), d.protocol);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadVideoDataset() subsamples the test set evenly, in order", async () => {
  const root = await fixture([2], [10, 10]);
  await Deno.writeTextFile(
    `${root}/ds/labels.txt`,
    "# flat, as the .npy\n" + "0 ".repeat(15) + "1 ".repeat(5),
  );
  const d = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "recon", maxTest: 5 });
  assertEquals(d.test.n, 5);
  assertEquals(d.test.names!.map((n) => n.split("/").slice(-2).join("/")), [
    "01/0.png",
    "01/4.png",
    "01/8.png",
    "02/2.png",
    "02/6.png",
  ]);
  assertEquals(Array.from(d.test.labels!), [0, 0, 0, 0, 1]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("per-video label files and UCSD-style mask folders give frame labels", async () => {
  const root = await fixture([2], [3, 2]);
  await Deno.mkdir(`${root}/ds/testing/labels`);
  await Deno.writeTextFile(`${root}/ds/testing/labels/01.txt`, "010");
  await Deno.writeTextFile(`${root}/ds/testing/labels/02.json`, "[1, 0]");
  const a = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "recon" });
  assertEquals(Array.from(a.test.labels!), [0, 1, 0, 1, 0]);
  assertEquals(a.test.masks, undefined);

  // Masks: 01 in testing/gt/01 (PNG), 02 beside its frames as 02_gt (BMP, as UCSD).
  await Deno.remove(`${root}/ds/testing/labels`, { recursive: true });
  await Deno.mkdir(`${root}/ds/testing/gt/01`, { recursive: true });
  for (let t = 0; t < 3; t++) {
    const m = new Uint8Array(16);
    if (t === 2) m[5] = 255; // one foreground pixel
    await Deno.writeFile(`${root}/ds/testing/gt/01/${t}.png`, await encodePng(m, 4, 4, 1));
  }
  await Deno.mkdir(`${root}/ds/testing/frames/02_gt`);
  await Deno.writeFile(`${root}/ds/testing/frames/02_gt/0.bmp`, bmp8(2, 2, [0, 0, 0, 1]));
  await Deno.writeFile(`${root}/ds/testing/frames/02_gt/1.bmp`, bmp8(2, 2, [0, 0, 0, 0]));
  const b = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "recon" });
  assertEquals(Array.from(b.test.labels!), [0, 0, 1, 1, 0]);
  assert(b.test.masks != null && b.test.masks.length === 5 * 64);
  // Frame 2 of 01: the 4x4 mask's pixel (1, 1) covers pixels (2..3, 2..3) at 8x8.
  const m2 = b.test.masks!.subarray(2 * 64, 3 * 64);
  assertEquals([m2[2 * 8 + 2], m2[3 * 8 + 3], m2[0], m2[4 * 8 + 4]], [1, 1, 0, 0]);
  // The "_gt" folder is not a video, and the protocol names the mask source.
  assertEquals(new Set(b.test.groups), new Set(["01", "02"]));
  assert(b.protocol.includes("masks"), b.protocol);
  await Deno.remove(root, { recursive: true });
});

Deno.test("colour frames load as 3 channels unless grey is asked for", async () => {
  const root = await fixture([1], [2], { rgb: true });
  await Deno.writeTextFile(`${root}/ds/labels.json`, "[0, 1]");
  const c = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "recon" });
  assertEquals(c.train.channels, 3);
  assertEquals(Array.from(c.test.data.subarray(0, 3)), [pix(200), pix(100), pix(100)]);
  const g = await loadVideoDataset({ root, dataset: "ds", size: 8, task: "recon", channels: 1 });
  assertEquals(g.train.channels, 1);
  const luma = 0.299 * pix(200) + 0.587 * pix(100) + 0.114 * pix(100);
  assert(Math.abs(g.test.data[0] - luma) < 1e-6);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadVideoDataset() errors name the folder, video, file and counts", async () => {
  const root = await fixture([6], [6, 3]);
  const opts = { root, dataset: "ds", size: 8, task: "pred" as const };
  await assertRejects(
    () => loadVideoDataset({ ...opts, dataset: "nope" }),
    DatasetError,
    `${root}/nope does not exist`,
  );
  await Deno.writeTextFile(`${root}/ds/labels.json`, JSON.stringify({ "01": [0, 0, 0, 0, 0, 1] }));
  await assertRejects(() => loadVideoDataset(opts), DatasetError, "no labels for test video '02'");
  await Deno.writeTextFile(
    `${root}/ds/labels.json`,
    JSON.stringify({ "01": [0, 0, 0, 0, 1], "02": [0, 0, 0] }),
  );
  await assertRejects(
    () => loadVideoDataset(opts),
    DatasetError,
    "gives 5 labels for test video '01', which has 6 frames",
  );
  await Deno.writeTextFile(`${root}/ds/labels.json`, "[0, 0, 0, 0, 0, 0, 1, 1, 1]");
  // Video 02 has 3 frames: too few for a 5-frame clip.
  await assertRejects(
    () => loadVideoDataset(opts),
    DatasetError,
    `test video ${root}/ds/testing/frames/02 has 3 frame(s); the pred task needs at least 5`,
  );
  const recon = await loadVideoDataset({ ...opts, task: "recon" });
  assertEquals(recon.test.n, 9);
  await Deno.writeTextFile(`${root}/ds/labels.json`, "[0, 0, 1]");
  await assertRejects(
    () => loadVideoDataset({ ...opts, task: "recon" }),
    DatasetError,
    "has 3 frame labels but the 2 test videos have 9 frames",
  );
  await Deno.writeTextFile(`${root}/ds/labels.json`, "[0, 0, 0, 0, 0, 0, 1, 1, 1]");
  await Deno.writeTextFile(`${root}/ds/testing/frames/02/1.png`, "not an image");
  await assertRejects(
    () => loadVideoDataset({ ...opts, task: "recon" }),
    DatasetError,
    `${root}/ds/testing/frames/02/1.png`,
  );
  await Deno.remove(`${root}/ds/labels.json`);
  await assertRejects(
    () => loadVideoDataset({ ...opts, task: "recon" }),
    DatasetError,
    "no frame labels for the test videos",
  );
  await Deno.remove(`${root}/ds/training`, { recursive: true });
  await assertRejects(() => loadVideoDataset(opts), DatasetError, "training/frames");
  await Deno.remove(root, { recursive: true });
});

Deno.test("label parsers accept the documented plain formats", () => {
  assertEquals(parseLabelValues("0 1,1\n0011 1.000000000000000000e+00", "f"), [
    0,
    1,
    1,
    0,
    0,
    1,
    1,
    1,
  ]);
  assertThrows(() => parseLabelValues("0 2", "f.txt"), DatasetError, "f.txt: '2' is not");
  const flat = parseLabelsText("# comment\n0 0 1\n1 0 # trailing\n", "l.txt");
  assertEquals(flat, { flat: [0, 0, 1, 1, 0] });
  const per = parseLabelsText("01: 0011\nTest002: 1 0\n", "l.txt");
  assert("perVideo" in per);
  assertEquals([...per.perVideo.entries()], [["01", [0, 0, 1, 1]], ["Test002", [1, 0]]]);
  assertThrows(() => parseLabelsText("01: 0 1\n0 1\n", "l.txt"), DatasetError, "mixes");
  assertEquals(parseLabelsJson("[[0, 1, 1]]", "l.json"), { flat: [0, 1, 1] }); // .npy's (1, N)
  assertThrows(() => parseLabelsJson("{", "l.json"), DatasetError, "l.json is not valid JSON");
  assertThrows(() => parseLabelsJson('{"01": [0, 3]}', "l.json"), DatasetError, "value 1 is 3");
  assertEquals(["10", "9", "Test002", "Test010", "Test001"].sort(compareNames), [
    "9",
    "10",
    "Test001",
    "Test002",
    "Test010",
  ]);
});
