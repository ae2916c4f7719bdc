import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../../tests/tf_helpers.ts";
import type { ImageSet } from "../../data/image_set.ts";
import type { ScoreOutput } from "../kit_model.ts";
import { train } from "../../train/trainer.ts";
import { Rng } from "../../util/rng.ts";
import {
  combineScores,
  compactnessLoss,
  cosineLr,
  DEFAULT_MNAD_CONFIG,
  featureDistance,
  MNAD_VARIANT_READINGS,
  type MnadConfig,
  MnadConfigError,
  mnadConfigFromSamples,
  mnadDefaults,
  MnadModel,
  MnadNetwork,
  nearestItems,
  updateMemory,
  validateMnadConfig,
} from "./mod.ts";

await useBackend("cpu");

// The paper reading unless a test says otherwise: its expectations are written by hand.
const tiny = (task: "recon" | "pred", over: Partial<MnadConfig> = {}): MnadConfig => ({
  ...mnadDefaults(task, "paper"),
  size: 16,
  width: 2,
  items: 4,
  ...over,
});

const disposeScore = (o: ScoreOutput) =>
  tf.dispose([o.scores, o.maps, o.reconstruction ?? [], ...Object.values(o.components ?? {})]);

const sample = (seed: number, shape: [number, number, number, number]) =>
  tf.tensor4d(new Rng(seed).uniformArray(shape.reduce((a, b) => a * b), -1, 1), shape);

Deno.test("mnadDefaults() gives the paper's §4.1 values per task", () => {
  const r = mnadDefaults("recon"), p = mnadDefaults("pred");
  assertEquals(
    [r.lambdaCompact, r.lambdaSeparate, r.lambdaScore, r.margin, r.gamma, r.lr],
    [0.01, 0.01, 0.7, 1, 0.015, 2e-5],
  );
  assertEquals(
    [p.lambdaCompact, p.lambdaSeparate, p.lambdaScore, p.margin, p.gamma, p.lr],
    [0.1, 0.1, 0.6, 1, 0.01, 2e-4],
  );
  assertEquals([p.size, p.width, p.items, p.inputFrames], [256, 64, 10, 4]);
  assertEquals([DEFAULT_MNAD_CONFIG.task, DEFAULT_MNAD_CONFIG.variant], ["pred", "official"]);
  assertEquals([r.variant, r.compactness, mnadDefaults("recon", "paper").compactness], [
    "official",
    "mse",
    "distance",
  ]);
  validateMnadConfig(r);
  validateMnadConfig(p);
});

Deno.test("mnadConfigFromSamples() splits clip channels into frame channels", () => {
  const p = mnadConfigFromSamples("pred", 15, { size: 64, width: 8, lr: 1e-3 });
  assertEquals([p.channels, p.size, p.width, p.lr, p.lambdaCompact], [3, 64, 8, 1e-3, 0.1]);
  assertEquals(mnadConfigFromSamples("recon", 3).channels, 3);
  assertThrows(() => mnadConfigFromSamples("pred", 3), MnadConfigError, "has 3 channels");
  assertThrows(() => mnadConfigFromSamples("recon", 1, { size: 12 }), MnadConfigError, "12");
});

Deno.test("validateMnadConfig() names the bad field and value", () => {
  assertThrows(() => validateMnadConfig(tiny("recon", { size: 20 })), MnadConfigError, "got 20");
  assertThrows(() => validateMnadConfig(tiny("recon", { items: 1 })), MnadConfigError, "items");
  assertThrows(
    () => validateMnadConfig(tiny("recon", { lambdaScore: 2 })),
    MnadConfigError,
    "lambdaScore must be in [0, 1], got 2",
  );
  assertThrows(
    () => validateMnadConfig({ ...tiny("recon"), task: "flow" as "recon" }),
    MnadConfigError,
    "unknown MNAD task 'flow'",
  );
  assertThrows(
    () => validateMnadConfig({ ...tiny("recon"), testUpdate: "sometimes" as "gated" }),
    MnadConfigError,
    "'sometimes'",
  );
  assertThrows(
    () => validateMnadConfig({ ...tiny("recon"), variant: "code" as "paper" }),
    MnadConfigError,
    "unknown MNAD variant 'code' (paper, official)",
  );
  assertThrows(() => mnadDefaults("recon", "code" as "paper"), MnadConfigError, "'code'");
});

Deno.test("the query map is [B, s/8, s/8, 8w] and unit norm at every position", () => {
  const net = new MnadNetwork(tiny("recon", { size: 32, width: 4 }), 0);
  const enc = net.encode(sample(1, [2, 32, 32, 1]), { training: false });
  assertEquals(enc.query.shape, [2, 4, 4, 32]);
  const norms = values(tf.norm(enc.query, 2, 3));
  assertEquals(norms.length, 32);
  for (const n of norms) assertAlmostEquals(n, 1, 1e-5);
  net.dispose();
});

Deno.test("recon has no skips, pred concatenates them (and takes four frames)", () => {
  const r = new MnadNetwork(tiny("recon"), 0), p = new MnadNetwork(tiny("pred"), 0);
  // Decoder stage 3 (4w = 8 channels): 8 in for recon, 8 + 8 skip channels for pred.
  assertEquals(r.params.get("dec3.1.conv.w").shape, [3, 3, 8, 8]);
  assertEquals(p.params.get("dec3.1.conv.w").shape, [3, 3, 16, 8]);
  assertEquals(r.params.get("enc1.1.conv.w").shape[2], 1);
  assertEquals(p.params.get("enc1.1.conv.w").shape[2], 4);
  // The decoder reads [q, p̂]: 2 · 8w channels.
  assertEquals(r.params.get("dec4.1.conv.w").shape[2], 32);
  r.dispose();
  p.dispose();
});

Deno.test("score() gives per-frame outputs and components of the right shapes", () => {
  for (const [task, c] of [["recon", 1], ["pred", 5]] as const) {
    const model = new MnadModel(tiny(task), 0);
    assertEquals(model.sampleChannels, c);
    const out = model.score(sample(2, [3, 16, 16, c]));
    assertEquals(out.scores.shape, [3], task);
    assertEquals(out.maps.shape, [3, 16, 16]);
    assertEquals(out.reconstruction!.shape, [3, 16, 16, 1]);
    assertEquals(Object.keys(out.components!).sort(), ["distance", "psnr", "regular"]);
    for (const t of Object.values(out.components!)) assertEquals(t.shape, [3]);
    assertEquals(values(out.scores), values(out.components!.psnr).map((v) => -v));
    const r = values(out.reconstruction!);
    assert(r.every((v) => v > -1 && v < 1), "tanh output");
    disposeScore(out);
    assertThrows(
      () => model.score(sample(2, [1, 16, 16, c + 1])),
      RangeError,
      `[B, 16, 16, ${c}]`,
    );
    model.dispose();
  }
});

Deno.test("pred predicts the last frame of the clip from the four before it", () => {
  const model = new MnadModel(tiny("pred"), 0);
  const clip = sample(3, [1, 16, 16, 5]);
  const { input, target } = model.split(clip);
  assertEquals(input.shape, [1, 16, 16, 4]);
  assertEquals(values(target), values(tf.slice(clip, [0, 0, 0, 4], [1, 16, 16, 1])));
  // Changing the target frame changes neither the prediction nor the queries.
  const other = tf.concat([input, tf.zeros([1, 16, 16, 1])], 3) as tf.Tensor4D;
  const a = model.score(clip), b = model.score(other);
  assertEquals(values(a.reconstruction!), values(b.reconstruction!));
  assertEquals(values(a.components!.distance), values(b.components!.distance));
  model.dispose();
});

Deno.test("gradients reach encoder and decoder, never the memory items", () => {
  for (const task of ["recon", "pred"] as const) {
    const model = new MnadModel(tiny(task), 1);
    const obj = model.objectives[0];
    const x = sample(4, [2, 16, 16, model.sampleChannels]);
    assert(!obj.optimizer.variables.includes(model.network.memory.items));
    const { grads } = tf.variableGrads(() => obj.loss(x).total, obj.optimizer.variables);
    for (const name of ["enc1.1.conv.w", "enc4.2.w", "dec4.1.conv.w", "dec1.2.conv.w", "out.w"]) {
      const g = values(grads[model.params.get(name).name]);
      assert(g.some((v) => v !== 0), `${task}: ${name} gets a gradient`);
    }
    tf.dispose(Object.values(grads));
    model.dispose();
  }
});

for (const variant of ["paper", "official"] as const) {
  Deno.test(`${variant}: training steps and scoring leak no tensor, items stay unit norm`, async () => {
    const model = new MnadModel({ ...tiny("pred"), ...MNAD_VARIANT_READINGS[variant] }, 2, {
      lr: 1e-3,
    });
    const obj = model.objectives[0];
    const x = sample(5, [2, 16, 16, 5]);
    const step = () => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => obj.loss(x).total, obj.optimizer.variables);
        obj.optimizer.apply(grads);
      });
      model.afterStep(x);
    };
    const before = values(model.items);
    step(); // warm-up
    await assertNoLeak("5 training steps", () => {
      for (let i = 0; i < 5; i++) step();
    });
    await assertNoLeak("3 scoring calls", () => {
      for (let i = 0; i < 3; i++) disposeScore(model.score(x));
    });
    assert(values(model.items).some((v, i) => v !== before[i]), "afterStep updates the items");
    for (const n of values(tf.norm(model.items, 2, 1))) assertAlmostEquals(n, 1, 1e-5);
    x.dispose();
    model.dispose();
  });
}

Deno.test("afterStep() applies eq. 3-5 with the queries of the training forward", () => {
  const model = new MnadModel(tiny("recon"), 3);
  const x = sample(6, [2, 16, 16, 1]);
  const items0 = tf.clone(model.items);
  // The training forward's queries (batch statistics), as the loss sees them.
  const queries = tf.tidy(() => {
    const f = model.forward(x, true);
    return tf.clone(f.queries);
  });
  tf.tidy(() => {
    model.objectives[0].loss(x);
  });
  model.afterStep(x);
  const want = updateMemory(queries, items0);
  const got = values(model.items), w = values(want);
  for (let i = 0; i < w.length; i++) assertAlmostEquals(got[i], w[i], 1e-5);
  model.dispose();
});

Deno.test("the official variant reaches the items, the update, the loss and the score", () => {
  const config = { ...mnadDefaults("recon", "official"), size: 16, width: 2, items: 4 };
  assertEquals(config.variant, "official");
  const model = new MnadModel(config, 3);
  const paper = new MnadModel(tiny("recon"), 3);
  assert(values(model.items).every((v) => v >= 0), "items start in the positive orthant");
  // Same seed, same network weights: the item draws keep the random stream aligned.
  assertEquals(values(model.params.get("out.w")), values(paper.params.get("out.w")));
  const x = sample(6, [2, 16, 16, 1]);
  const items0 = tf.clone(model.items);
  const queries = tf.tidy(() => tf.clone(model.forward(x, true).queries));
  const terms = tf.tidy(() => {
    const t = model.objectives[0].loss(x);
    return [t.parts.compact.dataSync()[0], t.parts.rec.dataSync()[0]];
  });
  assertAlmostEquals(terms[0], values(compactnessLoss(queries, items0, "mse"))[0], 1e-6);
  model.afterStep(x);
  const want = values(updateMemory(queries, items0, "all")), got = values(model.items);
  for (let i = 0; i < want.length; i++) assertAlmostEquals(got[i], want[i], 1e-5);
  // D is the mean squared error to the nearest test-time item, frame by frame.
  const out = model.score(tf.slice(x, [0, 0, 0, 0], [1, 16, 16, 1]) as tf.Tensor4D);
  const q0 = tf.tidy(() =>
    model.network.encode(tf.slice(x, [0, 0, 0, 0], [1, 16, 16, 1]) as tf.Tensor4D, {
      training: false,
    }).query.reshape([4, 16])
  ) as tf.Tensor2D;
  assertAlmostEquals(
    values(out.components!.distance)[0],
    values(featureDistance(q0, model.items, 1, "mse"))[0],
    1e-6,
  );
  disposeScore(out);
  [model, paper].forEach((m) => m.dispose());
});

Deno.test("test-time update: γ = 0 keeps the memory, γ = 1e9 updates frame after frame", () => {
  const x = sample(7, [3, 16, 16, 1]);
  const frozen = new MnadModel(tiny("recon", { gamma: 0 }), 4);
  const items0 = values(frozen.items);
  const a = frozen.score(x);
  assertEquals(values(frozen.testItems), items0, "no frame has E_t < 0");
  assert(values(a.components!.regular).every((e) => e > 0));

  const open = new MnadModel(tiny("recon", { gamma: 1e9 }), 4);
  const always = new MnadModel(tiny("recon", { testUpdate: "always" }), 4);
  const off = new MnadModel(tiny("recon", { testUpdate: "off" }), 4);
  const b = open.score(x), c = always.score(x), d = off.score(x);
  // Expected: items_{t+1} = update(items_t, queries of frame t), frame by frame.
  const q = tf.tidy(() => {
    const enc = open.network.encode(x, { training: false });
    return enc.query.reshape([3, 16 / 8 * 16 / 8, 16]);
  });
  let items = tf.clone(open.items) as tf.Tensor2D;
  const dist: number[] = [];
  for (let t = 0; t < 3; t++) {
    const qt = q.slice([t, 0, 0], [1, 4, 16]).reshape([4, 16]) as tf.Tensor2D;
    const { nearest } = nearestItems(qt, items);
    const p = tf.gather(items, nearest);
    dist.push(values(tf.mean(tf.norm(tf.sub(qt, p), 2, 1)))[0]);
    items = updateMemory(qt, items);
  }
  const want = values(items);
  for (const m of [open, always]) {
    const got = values(m.testItems);
    for (let i = 0; i < want.length; i++) assertAlmostEquals(got[i], want[i], 1e-5);
  }
  // Frame t's distance (eq. 14) is measured against the memory before its own update.
  for (let t = 0; t < 3; t++) {
    assertAlmostEquals(values(b.components!.distance)[t], dist[t], 1e-5, `frame ${t}`);
  }
  assertEquals(values(c.components!.distance), values(b.components!.distance));
  // Frame 0 sees the trained memory in every mode; later frames differ once it moved.
  assertAlmostEquals(values(d.components!.distance)[0], dist[0], 1e-5);
  assertEquals(values(off.testItems), values(off.items));
  // The trained items are untouched by scoring.
  assertEquals(values(open.items), items0);
  [frozen, open, always, off].forEach((m) => m.dispose());
});

Deno.test("finalizeScores() normalises per video and restarts the test-time memory", () => {
  const model = new MnadModel(tiny("recon", { gamma: 1e9, lambdaScore: 0.7 }), 5);
  const x = sample(8, [4, 16, 16, 1]);
  const out = model.score(x);
  assert(values(model.testItems).some((v, i) => v !== values(model.items)[i]));
  const components = {
    psnr: out.components!.psnr.dataSync() as Float32Array,
    distance: out.components!.distance.dataSync() as Float32Array,
  };
  const set = { n: 4, height: 16, width: 16, channels: 1, data: new Float32Array(4 * 256) };
  const groups = ["01", "01", "02", "02"];
  const s = model.finalizeScores(components, { ...set, groups } as ImageSet);
  assertEquals(Array.from(s), Array.from(combineScores(components, groups, 0.7)));
  // Within a two-frame video min-max gives 0/1 per component: scores are sums of λ's.
  for (const v of s) assert([0, 0.3, 0.7, 1].some((k) => Math.abs(v - k) < 1e-6), `${v}`);
  assertEquals(values(model.testItems), values(model.items));
  assertThrows(
    () => model.finalizeScores({ psnr: components.psnr }, set as ImageSet),
    Error,
    "'psnr' and 'distance'",
  );
  assertThrows(
    () => model.finalizeScores(components, { ...set, n: 5 } as ImageSet),
    RangeError,
    "4 frames but the set has 5",
  );
  model.dispose();
});

Deno.test("cosineLr() anneals from lr to 0 over the given steps", () => {
  assertEquals(cosineLr(2e-4, 0, 100), 2e-4);
  assertAlmostEquals(cosineLr(2e-4, 50, 100), 1e-4, 1e-12);
  assertAlmostEquals(cosineLr(2e-4, 100, 100), 0, 1e-12);
  assertEquals(cosineLr(2e-4, 500, 0), 2e-4);
  const model = new MnadModel(tiny("recon", { cosineSteps: 4, lr: 1e-3 }), 0);
  const obj = model.objectives[0];
  const x = sample(9, [2, 16, 16, 1]);
  const lrs: number[] = [];
  for (let i = 0; i < 3; i++) {
    tf.tidy(() =>
      obj.optimizer.apply(tf.variableGrads(() => obj.loss(x).total, obj.optimizer.variables).grads)
    );
    lrs.push(obj.optimizer.config.lr);
  }
  assertAlmostEquals(lrs[0], 1e-3, 1e-12);
  assertAlmostEquals(lrs[1], 0.5e-3 * (1 + Math.cos(Math.PI / 4)), 1e-12);
  assertAlmostEquals(lrs[2], 0.5e-3, 1e-12);
  model.dispose();
});

Deno.test("train() runs MNAD with its afterStep memory update and lowers the loss", async () => {
  const rng = new Rng(10);
  const n = 8;
  const set: ImageSet = {
    n,
    height: 16,
    width: 16,
    channels: 1,
    data: rng.uniformArray(n * 256, -0.2, 0.2),
  };
  const model = new MnadModel(tiny("recon", { lr: 3e-3 }), 6);
  const items0 = values(model.items);
  const r = await train(model, set, { epochs: 6, batchSize: 4, seed: 0, augment: "none" });
  assertEquals(r.steps, 12);
  const first = r.history[0].losses.total, last = r.history.at(-1)!.losses.total;
  assert(last < first, `loss ${first} -> ${last}`);
  assert(["rec", "compact", "separate"].every((k) => k in r.history[0].losses));
  assert(values(model.items).some((v, i) => v !== items0[i]));
  model.dispose();
});
