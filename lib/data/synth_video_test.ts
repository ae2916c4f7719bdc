import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DatasetError } from "./errors.ts";
import { ensureSynthVideo, writeSynthVideo } from "./synth_video.ts";
import { loadVideoDataset } from "./video.ts";

async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...await filesUnder(`${dir}/${e.name}`, `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("writeSynthVideo() writes a set that loadVideoDataset() reads, labels included", async () => {
  const root = await Deno.makeTempDir();
  const s = await writeSynthVideo({ root, size: 32, trainVideos: 2, testVideos: 3, frames: 24 });
  assertEquals([s.trainFrames, s.testFrames], [48, 72]);
  assertEquals(s.anomalies.map((a) => a.kind), ["shape", "direction", "speed"]);
  const d = await loadVideoDataset({ root, dataset: "synth", size: 32, task: "recon" });
  assertEquals([d.train.n, d.test.n, d.test.channels], [48, 72, 1]);
  assertEquals(Array.from(d.test.labels!), [
    ...s.labels["01"],
    ...s.labels["02"],
    ...s.labels["03"],
  ]);
  assertEquals(d.test.groups!.slice(23, 25), ["01", "02"]);
  assert(d.test.names![0].endsWith("synth/testing/frames/01/000.png"), d.test.names![0]);
  assert(d.train.data.every((v) => v >= -1 && v <= 1));
  const p = await loadVideoDataset({ root, dataset: "synth", size: 32, task: "pred" });
  assertEquals([p.train.n, p.test.n, p.test.channels], [40, 60, 5]);
  await Deno.remove(root, { recursive: true });
});

// Lane 0 is the band of rows around 0.3·size, lane 1 around 0.72·size (64 px: ±7 rows).
function laneStats(frame: Float32Array, size: number, lane: number) {
  const cy = Math.round(size * (lane === 0 ? 0.3 : 0.72));
  const columns = new Float32Array(size);
  let mass = 0;
  for (let y = cy - 8; y <= cy + 8; y++) {
    for (let x = 0; x < size; x++) {
      const on = Math.max(0, frame[y * size + x] - -0.5); // background ≈ −0.7
      columns[x] += on;
      mass += on;
    }
  }
  // Circular centroid: the lanes wrap around.
  let sx = 0, sy = 0;
  for (let x = 0; x < size; x++) {
    sx += columns[x] * Math.cos((2 * Math.PI * x) / size);
    sy += columns[x] * Math.sin((2 * Math.PI * x) / size);
  }
  const x = ((Math.atan2(sy, sx) / (2 * Math.PI)) * size + size) % size;
  return { x, mass };
}

Deno.test("synthetic anomalies happen exactly in the labelled spans", async () => {
  const root = await Deno.makeTempDir();
  const size = 64;
  const s = await writeSynthVideo({ root, testVideos: 3, seed: 5 });
  const d = await loadVideoDataset({ root, dataset: "synth", size, task: "recon" });
  const frames = 40, px = size * size;
  for (const [vi, a] of s.anomalies.entries()) {
    const stats = Array.from({ length: frames }, (_, t) => {
      const i = vi * frames + t;
      return laneStats(d.test.data.subarray(i * px, (i + 1) * px), size, a.lane);
    });
    for (let t = 1; t < frames; t++) {
      const inSpan = t >= a.start && t < a.end;
      assertEquals(s.labels[a.video][t], inSpan ? 1 : 0);
      // Displacement from frame t−1, wrapped to (−size/2, size/2].
      const dx = ((stats[t].x - stats[t - 1].x + 1.5 * size) % size) - size / 2;
      const normalDir = a.lane === 0 ? 1 : -1;
      const speed = size / (a.lane === 0 ? 32 : 24);
      const where = `video ${a.video} (${a.kind}) frame ${t}: dx ${dx.toFixed(2)}`;
      const mass0 = stats[0].mass, massRatio = stats[t].mass / mass0;
      if (a.kind === "direction") {
        assert(Math.sign(dx) === (inSpan ? -normalDir : normalDir), where);
      } else if (a.kind === "speed") {
        const fast = Math.abs(dx) > 2 * speed;
        assert(fast === inSpan && Math.sign(dx) === normalDir, where);
      } else {
        // A cross covers about 2.2h² against πh² (circle) or 4h² (square).
        assert((massRatio < 0.85) === inSpan, `${where}, mass ratio ${massRatio.toFixed(2)}`);
      }
    }
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSynthVideo() writes the same bytes for the same seed, others for another", async () => {
  const [a, b, c] = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
  const opts = { size: 32, trainVideos: 1, testVideos: 2, frames: 24 };
  await writeSynthVideo({ root: a, seed: 3, ...opts });
  await writeSynthVideo({ root: b, seed: 3, ...opts });
  await writeSynthVideo({ root: c, seed: 4, ...opts });
  const files = await filesUnder(a);
  assertEquals(files, await filesUnder(b));
  assertEquals(files.length, 24 * 3 + 2);
  let differ = 0;
  for (const f of files) {
    const [x, y, z] = await Promise.all([a, b, c].map((r) => Deno.readFile(`${r}/${f}`)));
    assertEquals(x, y, f);
    if (x.length !== z.length || x.some((v, i) => v !== z[i])) differ++;
  }
  assert(differ > 24 * 3 - 5, `only ${differ} files differ for another seed`);
  for (const r of [a, b, c]) await Deno.remove(r, { recursive: true });
});

Deno.test("ensureSynthVideo() writes once and rewrites when the options change", async () => {
  const root = await Deno.makeTempDir();
  const opts = { root, size: 32, trainVideos: 1, testVideos: 1, frames: 24 };
  const first = await ensureSynthVideo(opts);
  const frame = `${first.path}/training/frames/01/000.png`;
  await Deno.remove(frame);
  const again = await ensureSynthVideo(opts);
  assertEquals(again.anomalies, first.anomalies);
  assertEquals(again.labels, first.labels);
  await assertRejects(() => Deno.stat(frame), Deno.errors.NotFound);
  await ensureSynthVideo({ ...opts, seed: 1 });
  assert((await Deno.stat(frame)).isFile);
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSynthVideo() refuses options it cannot honour", async () => {
  await assertRejects(() => writeSynthVideo({ root: "/tmp", frames: 10 }), DatasetError, "got 10");
  await assertRejects(
    () => writeSynthVideo({ root: "/tmp", dataset: "a/b" }),
    DatasetError,
    "'a/b'",
  );
});
