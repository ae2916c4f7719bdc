/**
 * The official variant against the official code: `testdata/official_reference.json`
 * holds small fixed inputs and what the official MNAD code (github.com/cvlab-yonsei/MNAD,
 * run with PyTorch on a CPU in float32) gives for them: one training batch (read,
 * losses, their gradients, the memory update) and the test protocol of `Evaluate.py`
 * on two sequences of two videos x 8 frames, grey and colour. The paper variant is
 * checked to differ exactly where `docs/mnad-variants.md` says it does.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../../tests/tf_helpers.ts";
import {
  combineScores,
  compactnessLoss,
  distanceToItems,
  MNAD_VARIANT_READINGS,
  type MnadReading,
  type MnadTestSettings,
  nearestItems,
  psnr,
  readMemory,
  scoreFrame,
  separatenessLoss,
  updateMemory,
} from "./mod.ts";

await useBackend("cpu");

interface Sequence {
  channels: number;
  size: number;
  videos: string[];
  gamma: number;
  alpha: number;
  items: number[];
  queries: number[];
  targets: number[];
  outputs: number[];
  psnr: number[];
  distance: number[];
  regular: number[];
  updated: boolean[];
  finalItems: number[];
  anomaly: number[];
}

const ref = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/official_reference.json", import.meta.url)),
) as {
  train: Record<string, number[]> & { compactness: number; separateness: number };
  test: Sequence[];
};

const C = 8, M = 10;
const official = MNAD_VARIANT_READINGS.official, paper = MNAD_VARIANT_READINGS.paper;

/** |a_i − b_i| <= tol·max(1, |b_i|) for every i. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  assertEquals(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    assert(err <= tol, `${what}[${i}]: ${got[i]} vs official ${want[i]}`);
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const train = () => ({
  q: tf.tensor2d(ref.train.queries, [ref.train.queries.length / C, C]),
  items: tf.tensor2d(ref.train.items, [M, C]),
});

Deno.test("official: the read (eq. 1-2) and its detached gradient", () => {
  const { q, items } = train();
  const r = readMemory(q, items, official.readGradient);
  assertClose(values(r.weights), ref.train.readWeights, 1e-6, "weights");
  assertClose(values(r.read), ref.train.read, 1e-6, "read");
  const grad = (gradient: boolean) =>
    values(
      tf.grad((x: tf.Tensor) => tf.sum(readMemory(x as tf.Tensor2D, items, gradient).read))(q),
    );
  assertClose(grad(official.readGradient), ref.train.readGrad, 0, "read gradient");
  // The paper's read passes gradient to the queries through the weights.
  assert(maxDiff(grad(paper.readGradient), ref.train.readGrad) > 1e-3);
  tf.dispose([q, items, r.weights, r.read]);
});

Deno.test("official: the losses of Train.py and their gradients", () => {
  const { q, items } = train();
  const loss = (kind: MnadReading["compactness"]) => (x: tf.Tensor) =>
    compactnessLoss(x as tf.Tensor2D, items, kind);
  assertClose(
    [compactnessLoss(q, items, "mse").dataSync()[0]],
    [ref.train.compactness],
    1e-6,
    "L_c",
  );
  assertClose(
    values(tf.grad(loss(official.compactness))(q)),
    ref.train.compactnessGrad,
    1e-6,
    "dL_c",
  );
  const sep = (x: tf.Tensor) => separatenessLoss(x as tf.Tensor2D, items, 1);
  // PyTorch's triplet loss adds ε = 1e-6 to the differences: agreement to ~1e-6.
  assertClose([sep(q).dataSync()[0]], [ref.train.separateness], 1e-5, "L_s");
  assertClose(values(tf.grad(sep)(q)), ref.train.separatenessGrad, 1e-5, "dL_s");
  // The paper's compactness, mean ‖q − p‖, has a gradient C / (2‖q − p‖) times larger
  // (2.4x to 12x on these queries with C = 8; 64 times that at the paper's C = 512).
  const gPaper = values(tf.grad(loss(paper.compactness))(q));
  const d = values(distanceToItems(q, items, nearestItems(q, items).nearest));
  const want = ref.train.compactnessGrad.map((g, i) => g * C / (2 * d[Math.floor(i / C)]));
  assertClose(gPaper, want, 1e-5, "paper compactness gradient");
  tf.dispose([q, items]);
});

Deno.test("official: the training memory update normalises by the maximum over all queries", () => {
  const { q, items } = train();
  assertClose(values(updateMemory(q, items, official.updateMax)), ref.train.updated, 1e-6, "items");
  // Eq. 5 as printed (maximum over the item's own queries) gives other items.
  assert(maxDiff(values(updateMemory(q, items, paper.updateMax)), ref.train.updated) > 1e-2);
  tf.dispose([q, items]);
});

/** The kit's test protocol on a fixture sequence, read as `reading` says. */
function runSequence(s: Sequence, reading: MnadReading) {
  const n = s.videos.length, px = s.size * s.size * s.channels, k = s.queries.length / n / C;
  const settings: MnadTestSettings = { ...reading, testUpdate: "gated", gamma: s.gamma };
  const shape: [number, number, number, number] = [n, s.size, s.size, s.channels];
  const targets = tf.tensor4d(s.targets, shape), outputs = tf.tensor4d(s.outputs, shape);
  let items = tf.tensor2d(s.items, [M, C]);
  const distance: number[] = [], regular: number[] = [], updated: boolean[] = [];
  for (let t = 0; t < n; t++) {
    const q = tf.tensor2d(s.queries.slice(t * k * C, (t + 1) * k * C), [k, C]);
    const frame = (x: tf.Tensor4D) => tf.slice(x, [t, 0, 0, 0], [1, s.size, s.size, s.channels]);
    const [target, output] = [frame(targets), frame(outputs)];
    const f = scoreFrame(q, items, target, output, settings);
    distance.push(f.distance.dataSync()[0]);
    regular.push(f.regular.dataSync()[0]);
    updated.push(maxDiff(values(f.items), values(items)) > 0);
    tf.dispose([q, target, output, items, f.distance, f.regular]);
    items = f.items;
  }
  const p = psnr(targets, outputs);
  const out = {
    psnr: values(p),
    distance,
    regular,
    updated,
    finalItems: values(items),
    anomaly: Array.from(combineScores({ psnr: values(p), distance }, s.videos, s.alpha)),
  };
  tf.dispose([targets, outputs, items, p]);
  assertEquals(px * n, s.targets.length);
  return out;
}

/** Frame pairs within a video that two scorings order differently. */
function reordered(a: number[], b: number[], videos: string[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      if (videos[i] === videos[j] && Math.sign(a[i] - a[j]) !== Math.sign(b[i] - b[j])) n++;
    }
  }
  return n;
}

for (const [index, name] of [[0, "grey"], [1, "colour"]] as const) {
  Deno.test(`official: Evaluate.py's test protocol on ${name} frames, frame by frame`, async () => {
    const s = ref.test[index];
    let got!: ReturnType<typeof runSequence>;
    await assertNoLeak("a test sequence", () => {
      got = runSequence(s, official);
    });
    assertClose(got.psnr, s.psnr, 1e-5, "PSNR");
    assertClose(got.regular, s.regular, 1e-5, "regular score");
    assertEquals(got.updated, s.updated, "gates (E_t < γ)");
    assertClose(got.distance, s.distance, 1e-5, "D");
    assertClose(got.finalItems, s.finalItems, 1e-5, "items after the sequence");
    assertClose(got.anomaly, s.anomaly, 1e-4, "anomaly score");

    // The paper reading on the same frames: distances as norms, so other D values and
    // (after min-max) other rankings; on colour frames some gates flip.
    const p = runSequence(s, paper);
    assert(maxDiff(p.distance, s.distance) > 0.1);
    const flips = p.updated.filter((u, i) => u !== s.updated[i]).length;
    if (s.channels === 1) {
      assertClose(p.regular, s.regular, 1e-5, "grey regular score, paper reading");
    } else {
      assert(flips > 0, "colour frames: the channel-averaged error flips some gates");
    }
    assert(reordered(p.anomaly, got.anomaly, s.videos) > 0, "the rankings differ");
  });
}
