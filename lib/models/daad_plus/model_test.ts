import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../../tests/tf_helpers.ts";
import type { ImageSet } from "../../data/image_set.ts";
import type { TensorData } from "../../nn/params.ts";
import { type Objective, train } from "../../train/trainer.ts";
import { Rng } from "../../util/rng.ts";
import { ConfigError } from "../../util/errors.ts";
import {
  type DaadPlusConfig,
  DaadPlusModel,
  DEFAULT_DAAD_PLUS_ADAM,
  DEFAULT_DAAD_PLUS_CONFIG,
  discriminatorLoss,
  fuseScores,
  TABLE5_ABLATIONS,
  TABLE5_ROWS,
  toFusionScale,
  validateDaadPlusConfig,
} from "./mod.ts";

await useBackend("cpu");

const tiny = (over: Partial<DaadPlusConfig> = {}): DaadPlusConfig => ({
  ...DEFAULT_DAAD_PLUS_CONFIG,
  size: 32,
  channels: 1,
  width: 2,
  memory: 6,
  division: [2, 2, 1],
  discriminatorWidth: 2,
  featureDim: 8,
  ...over,
});

const batch = (n: number, seed: number) =>
  tf.tensor4d(new Rng(seed).uniformArray(n * 32 * 32, -1, 1), [n, 32, 32, 1]);

/** One optimisation step of one objective, as the trainer runs it. */
function stepOnce(o: Objective, x: tf.Tensor4D): void {
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => o.loss(x).total, o.optimizer.variables);
    o.optimizer.apply(grads);
  });
}

/** Names whose values differ between two snapshots. */
function changed(a: Map<string, TensorData>, b: Map<string, TensorData>): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of a) {
    const w = b.get(k)!.values;
    if (v.values.some((x, i) => x !== w[i])) out.add(k);
  }
  return out;
}

Deno.test("DEFAULT_DAAD_PLUS_CONFIG holds the paper's settings (§4.1, supplement Table 3)", () => {
  const c = DEFAULT_DAAD_PLUS_CONFIG;
  assertEquals([c.lambdaRec, c.lambdaAdv, c.lambdaAli, c.gamma], [50, 0.5, 0.5, 0.9]);
  assertEquals([c.discriminatorWidth, c.featureDim, c.discriminatorBatch], [64, 100, "separate"]);
  assertEquals([c.variant, c.size, c.memory, c.division], ["daad", 256, 500, [8, 8, 1]]);
  assertEquals(
    [c.adversarial, c.alignment, c.reconstructionScore, c.alignmentScore],
    [true, true, true, true],
  );
  assertEquals(DEFAULT_DAAD_PLUS_ADAM.lr, 2e-4);
  validateDaadPlusConfig(c);
});

Deno.test("validateDaadPlusConfig() names bad weights, γ, switches and an empty score", () => {
  assertThrows(() => validateDaadPlusConfig(tiny({ lambdaAdv: -1 })), ConfigError, "lambdaAdv");
  assertThrows(() => validateDaadPlusConfig(tiny({ gamma: 1.2 })), ConfigError, "got 1.2");
  assertThrows(
    () => validateDaadPlusConfig(tiny({ alignment: "yes" as unknown as boolean })),
    ConfigError,
    "alignment must be true or false",
  );
  assertThrows(
    () => validateDaadPlusConfig(tiny({ reconstructionScore: false, alignmentScore: false })),
    ConfigError,
    "R(x), L(x) or both",
  );
  assertThrows(
    () => validateDaadPlusConfig(tiny({ discriminatorWidth: 0 })),
    ConfigError,
    "width",
  );
  assertThrows(() => validateDaadPlusConfig(tiny({ size: 40 })), ConfigError, "divisible by 16");
  assertThrows(
    () => validateDaadPlusConfig(tiny({ discriminatorBatch: "mixed" as "joint" })),
    ConfigError,
    `got "mixed"`,
  );
});

Deno.test("DaadPlusModel's generator cuts each scale by its own rate when scaleRates is set", () => {
  // 32 px, width 2: maps 16x16x2, 8x8x4, 4x4x8, 2x2x16; rates 1, 1, 2, 2 (rc 1) give blocks of
  // 16·16·2, 8·8·4, 2·2·8 and 1·1·16 values.
  const model = new DaadPlusModel(tiny({ scaleRates: [1, 1, 2, 2] }), 0);
  const dims = [1, 2, 3, 4].map((s) => model.network.generator.memories.get(s)!.dim);
  assertEquals(dims, [512, 256, 32, 16]);
  model.dispose();
});

Deno.test("DaadPlusModel's generator takes the bottleneck, init and vq addressing; g's loss the VQ terms", () => {
  const model = new DaadPlusModel(
    tiny({ bottleneck: 4, init: "torch", similarity: "vq", commitmentWeight: 0.5 }),
    0,
  );
  const p = model.params;
  assertEquals(p.get("bottleneck.2.conv.w").shape, [3, 3, 4, 4]);
  assert(p.has("enc1.1.conv.b"), "PyTorch's conv bias before batch norm");
  const x = batch(2, 3);
  const parts = tf.tidy(() =>
    Object.keys(model.objectives.find((o) => o.name === "g")!.loss(x).parts).sort()
  );
  assert(parts.includes("commitment") && parts.includes("codebook"), parts.join(", "));
  x.dispose();
  model.dispose();
});

Deno.test("DaadPlusModel steps d then g, each over its own network's weights", () => {
  const model = new DaadPlusModel(tiny(), 0);
  assertEquals(model.objectives.map((o) => o.name), ["d", "g"]);
  const p = model.params;
  const [d, g] = model.objectives.map((o) => o.optimizer.variables.map((v) => p.nameOf(v)));
  assert(d.length > 0 && d.every((n) => n.startsWith("disc.")), "d holds D's weights only");
  assert(g.length > 0 && g.every((n) => !n.startsWith("disc.")), "g holds G's weights only");
  assertEquals(new Set([...d, ...g]).size, d.length + g.length, "disjoint");
  assertEquals(d.length + g.length, p.trainableVariables().length, "together all weights");
  assertEquals(model.objectives.map((o) => o.optimizer.config.lr), [2e-4, 2e-4]);
  model.dispose();
});

Deno.test("a d step changes only D's weights and statistics, a g step only G's", () => {
  const model = new DaadPlusModel(tiny(), 1, { lr: 1e-3 });
  const x = batch(4, 1);
  const isD = (n: string) => n.startsWith("disc.");
  const s0 = model.params.snapshotSync();
  stepOnce(model.objectives[0], x);
  const s1 = model.params.snapshotSync();
  const afterD = changed(s0, s1);
  const dNames = model.params.names().filter(isD),
    gNames = model.params.names().filter((n) => !isD(n));
  assertEquals([...afterD].filter((n) => !isD(n)), [], "the d step leaves G untouched");
  for (const n of dNames) assert(afterD.has(n), `the d step updates ${n}`);
  stepOnce(model.objectives[1], x);
  const afterG = changed(s1, model.params.snapshotSync());
  assertEquals([...afterG].filter(isD), [], "the g step leaves D (and its statistics) untouched");
  // Every G weight and statistic moves, except memory items no query addressed.
  const moved = gNames.filter((n) => afterG.has(n));
  assert(moved.length >= gNames.length - 4, `g step moved ${moved.length}/${gNames.length}`);
  assert(afterG.has("enc1.1.bn.running_mean"), "G's running statistics move in the g step");
  x.dispose();
  model.dispose();
});

Deno.test("the d step updates G's running statistics not at all, the g step exactly once", () => {
  // A second g step on the same batch: G's running mean moves by the same rule again,
  // which it would not if the d step had also updated it (momentum 0.1 each).
  const model = new DaadPlusModel(tiny(), 2, { lr: 1e-12 });
  const x = batch(4, 2);
  const rm = () => values(model.params.get("enc1.1.bn.running_mean"));
  const m0 = rm();
  stepOnce(model.objectives[0], x);
  assertEquals(rm(), m0, "d step");
  stepOnce(model.objectives[1], x);
  const m1 = rm();
  // With a negligible lr the batch mean is the same both times: m1 = 0.9·m0 + 0.1·μ.
  const mu = m1.map((v, i) => (v - 0.9 * m0[i]) / 0.1);
  stepOnce(model.objectives[0], x);
  stepOnce(model.objectives[1], x);
  const m2 = rm();
  m2.forEach((v, i) => assertAlmostEquals(v, 0.9 * m1[i] + 0.1 * mu[i], 1e-5, `channel ${i}`));
  x.dispose();
  model.dispose();
});

Deno.test("the d step passes x and x̂ through D separately by default, or jointly", () => {
  const x = batch(3, 9);
  const train = { training: true };
  for (const mode of ["joint", "separate"] as const) {
    const model = new DaadPlusModel(tiny({ discriminatorBatch: mode }), 9);
    const d = model.network.discriminator!;
    const [got, joint, separate] = tf.tidy(() => {
      const fake = model.network.generator.forward(x, train).reconstruction;
      const both = d.apply(tf.concat([x, fake], 0), train).logits;
      return [
        model.objectives[0].loss(x).total,
        discriminatorLoss(both.slice([0, 0], [3, -1]), both.slice([3, 0], [3, -1])).total,
        discriminatorLoss(d.apply(x, train).logits, d.apply(fake, train).logits).total,
      ].map((t) => t.dataSync()[0]);
    });
    const want = mode === "joint" ? joint : separate;
    assertAlmostEquals(got, want, 1e-5, `${mode}: ${got} vs ${want}`);
    assert(Math.abs(joint - separate) > 1e-4, "the two batchings differ, so the test can fail");
    model.dispose();
  }
  x.dispose();
});

Deno.test("Table 5 switches drop loss terms, objectives and score components", () => {
  const x = batch(3, 3);
  const expect: Record<string, { objectives: string[]; parts: string[]; comps: string[] }> = {
    "R": { objectives: ["g"], parts: ["rec"], comps: ["rec"] },
    "adv+R": { objectives: ["d", "g"], parts: ["adv", "rec"], comps: ["rec"] },
    "adv+ali+R": { objectives: ["d", "g"], parts: ["adv", "ali", "rec"], comps: ["rec"] },
    "adv+ali+L": { objectives: ["d", "g"], parts: ["adv", "ali", "rec"], comps: ["ali", "rec"] },
    "adv+ali+L+R": {
      objectives: ["d", "g"],
      parts: ["adv", "ali", "rec"],
      comps: ["ali", "rec"],
    },
  };
  for (const row of TABLE5_ROWS) {
    for (const variant of ["ae", "memae", "daad"] as const) {
      const model = new DaadPlusModel(
        tiny({
          variant,
          division: variant === "memae" ? null : [2, 2, 1],
          addressing: variant === "memae" ? "memae" : "daad",
          entropyWeight: 0,
          ...TABLE5_ABLATIONS[row],
        }),
        3,
      );
      const want = expect[row];
      const label = `${variant} ${row}`;
      assertEquals(model.objectives.map((o) => o.name), want.objectives, label);
      assertEquals(model.network.discriminator == null, row === "R", `${label}: D built`);
      const parts = tf.tidy(() => Object.keys(model.objectives.at(-1)!.loss(x).parts).sort());
      assertEquals(parts, want.parts, `${label}: g parts`);
      const out = model.score(x);
      const comps = Object.fromEntries(
        Object.entries(out.components!).map(([k, v]) => [k, v.dataSync() as Float32Array]),
      );
      assertEquals(Object.keys(comps).sort(), want.comps, `${label}: components`);
      const set = { n: 3 } as ImageSet;
      const final = model.finalizeScores(comps, set);
      if (!TABLE5_ABLATIONS[row].alignmentScore) {
        assertEquals([...final], [...comps.rec], `${label}: score = R(x)`);
        assertEquals(values(out.scores), [...comps.rec], `${label}: batch score = R(x)`);
      } else if (!TABLE5_ABLATIONS[row].reconstructionScore) {
        assertEquals([...final], [...comps.ali], `${label}: score = L(x)`);
      } else {
        assertEquals([...final], [
          ...fuseScores(
            toFusionScale(comps.rec, "distance"),
            toFusionScale(comps.ali, "distance"),
            {
              gamma: 0.9,
              reconstruction: true,
              alignment: true,
            },
          ),
        ]);
      }
      tf.dispose([out.scores, out.maps, out.reconstruction!, ...Object.values(out.components!)]);
      model.dispose();
    }
  }
  x.dispose();
});

Deno.test("gradients of L_adv and of L_ali each reach all four memory banks of DAAD", () => {
  const model = new DaadPlusModel(tiny(), 4);
  const x = batch(2, 4);
  const g = model.objectives[1];
  for (const term of ["adv", "ali"]) {
    const grads = tf.tidy(() =>
      tf.variableGrads(() => g.loss(x).parts[term], g.optimizer.variables).grads
    );
    for (let s = 1; s <= 4; s++) {
      const bank = model.network.generator.memories.get(s)!.bank;
      const v = grads[bank.name];
      assert(v != null && values(v).some((e) => e !== 0), `${term} reaches memory ${s}`);
    }
    tf.dispose(Object.values(grads));
  }
  x.dispose();
  model.dispose();
});

Deno.test("score() reports R(x) and L(x); finalizeScores() fuses them by eq. 7 over the set", () => {
  const model = new DaadPlusModel(tiny(), 5);
  const x = batch(4, 5);
  const out = model.score(x);
  assertEquals(out.maps.shape, [4, 32, 32]);
  assertEquals(out.reconstruction!.shape, [4, 32, 32, 1]);
  const rec = out.components!.rec.dataSync() as Float32Array;
  const ali = out.components!.ali.dataSync() as Float32Array;
  // R(x) by hand from the reconstruction.
  const xr = values(x), rr = values(out.reconstruction!);
  for (let i = 0; i < 4; i++) {
    let s = 0;
    for (let j = 0; j < 1024; j++) s += (xr[i * 1024 + j] - rr[i * 1024 + j]) ** 2;
    assertAlmostEquals(rec[i], s / 1024, 1e-5, `R(x${i})`);
  }
  const final = model.finalizeScores({ rec, ali }, { n: 4 } as ImageSet);
  const lo = (a: Float32Array) => Math.min(...a), hi = (a: Float32Array) => Math.max(...a);
  // Eq. 7 fuses distances: the square roots of the per-image mean squares.
  const dRec = rec.map(Math.sqrt), dAli = ali.map(Math.sqrt);
  for (let i = 0; i < 4; i++) {
    const want = 0.9 * (dRec[i] - lo(dRec)) / (hi(dRec) - lo(dRec)) +
      0.1 * (dAli[i] - lo(dAli)) / (hi(dAli) - lo(dAli));
    assertAlmostEquals(final[i], want, 1e-6, `A(x${i})`);
  }
  assertEquals(model.lastScoreRanges, {
    scale: "distance",
    rec: { lo: lo(dRec), hi: hi(dRec) },
    ali: { lo: lo(dAli), hi: hi(dAli) },
  });
  // Fused as squares, on request.
  const squares = new DaadPlusModel(tiny({ fusionScale: "square" }), 5);
  const sq = squares.finalizeScores({ rec, ali }, { n: 4 } as ImageSet);
  for (let i = 0; i < 4; i++) {
    const want = 0.9 * (rec[i] - lo(rec)) / (hi(rec) - lo(rec)) +
      0.1 * (ali[i] - lo(ali)) / (hi(ali) - lo(ali));
    assertAlmostEquals(sq[i], want, 1e-6, `A(x${i}) on squares`);
  }
  // A calibration saved on squares (runs written before the scale was recorded) is
  // carried over to distances: image 2 alone scores as within the whole batch.
  model.calibrate({ rec: squares.lastScoreRanges!.rec, ali: squares.lastScoreRanges!.ali });
  const carried = model.finalizeScores({ rec: rec.slice(2, 3), ali: ali.slice(2, 3) }, {
    n: 1,
  } as ImageSet);
  assertAlmostEquals(carried[0], final[2], 1e-6, "squares' bounds on the distance scale");
  model.calibrate(null);
  squares.dispose();
  // One of the images scored alone, on the whole batch's scale, keeps its score.
  model.scoreRanges = model.lastScoreRanges;
  const one = model.finalizeScores({ rec: rec.slice(2, 3), ali: ali.slice(2, 3) }, {
    n: 1,
  } as ImageSet);
  assertAlmostEquals(one[0], final[2], 1e-6, "calibrated single image");
  model.scoreRanges = null;
  assertThrows(() => model.finalizeScores({ rec }, { n: 4 } as ImageSet), Error, "'ali'");
  assertThrows(
    () => model.finalizeScores({ rec, ali }, { n: 5 } as ImageSet),
    Error,
    "4 values for 5 images",
  );
  tf.dispose([out.scores, out.maps, out.reconstruction!, ...Object.values(out.components!)]);
  x.dispose();
  model.dispose();
});

Deno.test("alternating d and g steps through train() log every term and leak no tensor", async () => {
  const model = new DaadPlusModel(tiny(), 6, { lr: 1e-3 });
  const rng = new Rng(6);
  const set: ImageSet = {
    n: 6,
    height: 32,
    width: 32,
    channels: 1,
    data: rng.uniformArray(6 * 1024, -1, 1),
  };
  const opts = { epochs: 1, batchSize: 2, seed: 0, augment: "none" as const };
  const first = await train(model, set, opts); // warm-up: kernels, Adam moments exist already
  assertEquals(
    Object.keys(first.history[0].losses).sort(),
    [
      "d.acc_fake",
      "d.acc_real",
      "d.fake",
      "d.real",
      "d.total",
      "g.adv",
      "g.ali",
      "g.rec",
      "g.total",
    ],
  );
  await assertNoLeak("3 alternating d/g steps", () => train(model, set, opts));
  await assertNoLeak("scoring", () => {
    const x = batch(2, 7);
    const out = model.score(x);
    tf.dispose([x, out.scores, out.maps, out.reconstruction!, ...Object.values(out.components!)]);
  });
  model.dispose();
});

Deno.test("d steps alone teach D to tell inputs from reconstructions", () => {
  const model = new DaadPlusModel(tiny(), 7, { lr: 2e-3 });
  const x = batch(8, 8);
  const d = model.objectives[0];
  const loss = () => tf.tidy(() => d.loss(x).total.dataSync()[0]);
  const before = loss();
  for (let i = 0; i < 15; i++) stepOnce(d, x);
  const after = loss();
  assert(after < before * 0.8, `D loss ${before} -> ${after}`);
  x.dispose();
  model.dispose();
});

Deno.test("recLoss selects eq. 4 as per-image norms ('l2') or mean squares ('mse'), by hand", () => {
  const x = batch(2, 11);
  // Same seed, same weights: the g step's training-mode reconstruction is the same in
  // every model built alike, so a third model gives it for the hand computation.
  const probe = new DaadPlusModel(tiny(), 11);
  const r = tf.tidy(() =>
    values(probe.network.generator.forward(x, { training: true }).reconstruction)
  );
  probe.dispose();
  const xs = values(x);
  let norms = 0, squares = 0;
  for (let i = 0; i < 2; i++) {
    let s = 0;
    for (let j = 0; j < 1024; j++) s += (xs[i * 1024 + j] - r[i * 1024 + j]) ** 2;
    norms += Math.sqrt(s + 1e-12) / 2;
    squares += s / 2048;
  }
  for (const [recLoss, want] of [["l2", norms], ["mse", squares]] as const) {
    const model = new DaadPlusModel(tiny({ recLoss }), 11);
    const g = model.objectives.find((o) => o.name === "g")!;
    const got = tf.tidy(() => g.loss(x).parts.rec.dataSync()[0]);
    assertAlmostEquals(got, want, want * 1e-4, `${recLoss} reading`);
    model.dispose();
  }
  x.dispose();
});

Deno.test("the d step logs D's accuracy on real and on reconstructed images", () => {
  const model = new DaadPlusModel(tiny(), 12);
  const x = batch(4, 12);
  const d = model.objectives[0];
  tf.tidy(() => {
    const t = d.loss(x);
    const real = t.parts.acc_real.dataSync()[0], fake = t.parts.acc_fake.dataSync()[0];
    // Four images each: accuracies are multiples of 1/4 in [0, 1].
    for (const a of [real, fake]) assert(a >= 0 && a <= 1 && Number.isInteger(a * 4), `${a}`);
  });
  // A probe of L(x) exists with a discriminator and not without.
  const ali = model.alignmentProbe(x)!;
  assertEquals(ali.length, 4);
  assert(ali.every((v) => v >= 0));
  const none = new DaadPlusModel(tiny(TABLE5_ABLATIONS["R"]), 12);
  assertEquals(none.alignmentProbe(x), null);
  none.dispose();
  x.dispose();
  model.dispose();
});
