import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { assertNoLeak, useBackend, values } from "../../../tests/tf_helpers.ts";
import { BlockGeometryError } from "../../memory/block_memory.ts";
import { type DaadConfig, DEFAULT_DAAD_CONFIG, validateDaadConfig } from "./config.ts";
import { DaadModel } from "./mod.ts";
import { DaadNetwork } from "./model.ts";
import { train } from "../../train/trainer.ts";

await useBackend("cpu");

const tiny = (over: Partial<DaadConfig> = {}): DaadConfig => ({
  ...DEFAULT_DAAD_CONFIG,
  size: 32,
  width: 4,
  memory: 6,
  division: [2, 2, 1],
  channels: 1,
  ...over,
});

Deno.test("DaadNetwork has the reference's parameter count (supplement Table 2)", () => {
  // PyTorch reference (tools/daad_ref.py) totals, minus the biases of the convs that
  // batch norm follows, which this kit omits: 5,685,011 - 1,472 and 1,076,279 - 368.
  for (
    const [size, width, division, want] of [[64, 16, [2, 2, 1], 5_683_539], [
      32,
      4,
      [1, 1, 1],
      1_075_911,
    ]] as const
  ) {
    const net = new DaadNetwork(
      { ...DEFAULT_DAAD_CONFIG, size, width, division: [...division] },
      0,
    );
    assertEquals(net.params.numParams(), want, `size ${size} width ${width}`);
    net.dispose();
  }
});

Deno.test("every variant reconstructs to the input shape, with memory where it should be", () => {
  const x = tf.randomUniform([2, 32, 32, 1], -1, 1) as tf.Tensor4D;
  const expectScales: Record<string, number[]> = {
    ae: [],
    "ae-skip": [],
    memae: [4],
    daad: [1, 2, 3, 4],
  };
  for (const variant of ["ae", "ae-skip", "memae", "daad"] as const) {
    const net = new DaadNetwork(
      tiny({ variant, division: variant === "memae" ? null : [2, 2, 1] }),
      1,
    );
    const out = net.forward(x, { training: false });
    assertEquals(out.reconstruction.shape, [2, 32, 32, 1]);
    assertEquals([...out.memoryWeights.keys()], expectScales[variant], variant);
    tf.dispose([out.reconstruction, ...out.memoryWeights.values(), out.entropy ?? []]);
    net.dispose();
  }
  x.dispose();
});

Deno.test("memae is pixel-wise at 16x: one query per pixel of the 2x2x32 map", () => {
  const net = new DaadNetwork(tiny({ variant: "memae", division: null, addressing: "memae" }), 1);
  const bank = net.memories.get(4)!.bank;
  assertEquals(bank.shape, [6, 32]); // D = 1·1·(8·4) channels
  const out = net.forward(tf.zeros([3, 32, 32, 1]), { training: false });
  assertEquals(out.memoryWeights.get(4)!.shape, [3 * 2 * 2, 6]);
  assert(out.entropy != null);
  net.dispose();
});

Deno.test("DaadNetwork() cuts each scale by its own rate when scaleRates is set", () => {
  // 32 px, width 4: maps 16x16x4, 8x8x8, 4x4x16, 2x2x32. Rates 1, 1, 2, 2 (rc 1):
  // D = 256·4, 64·8, 4·16, 1·32 and 1, 1, 4, 4 queries per image.
  const net = new DaadNetwork(tiny({ scaleRates: [1, 1, 2, 2] }), 1);
  assertEquals([1, 2, 3, 4].map((s) => net.memories.get(s)!.dim), [1024, 512, 64, 32]);
  const out = net.forward(tf.zeros([3, 32, 32, 1]), { training: false });
  assertEquals(
    [1, 2, 3, 4].map((s) => out.memoryWeights.get(s)!.shape[0]),
    [3 * 1, 3 * 1, 3 * 4, 3 * 4],
  );
  assertEquals(out.reconstruction.shape, [3, 32, 32, 1]);
  // Without scaleRates every scale takes the division 2,2,1.
  const same = new DaadNetwork(tiny(), 1);
  assertEquals([1, 2, 3, 4].map((s) => same.memories.get(s)!.dim), [256, 128, 64, 32]);
  net.dispose();
  same.dispose();
});

Deno.test("the same seed gives the same weights, another seed others", () => {
  const a = new DaadNetwork(tiny(), 7),
    b = new DaadNetwork(tiny(), 7),
    c = new DaadNetwork(tiny(), 8);
  const wa = values(a.params.get("enc1.1.conv.w")), wb = values(b.params.get("enc1.1.conv.w"));
  assertEquals(wa, wb);
  assert(values(c.params.get("enc1.1.conv.w"))[0] !== wa[0]);
  [a, b, c].forEach((n) => n.dispose());
});

Deno.test("a DAAD training step reaches all four memory banks and leaks no tensor", async () => {
  const model = new DaadModel(tiny({ width: 2 }), 2, { lr: 1e-3 });
  const x = tf.randomUniform([2, 32, 32, 1], -1, 1) as tf.Tensor4D;
  const vars = model.objectives[0].optimizer.variables;
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => model.objectives[0].loss(x).total, vars);
      model.objectives[0].optimizer.apply(grads);
    });
  const first = tf.tidy(() =>
    tf.variableGrads(() => model.objectives[0].loss(x).total, vars).grads
  );
  for (let s = 1; s <= 4; s++) {
    const g = values(first[model.network.memories.get(s)!.bank.name]);
    assert(g.some((v) => v !== 0), `memory at scale ${s} gets a gradient`);
  }
  tf.dispose(Object.values(first));
  step(); // warm-up
  await assertNoLeak("5 training steps", () => {
    for (let i = 0; i < 5; i++) step();
  });
  x.dispose();
  model.dispose();
});

Deno.test("training lowers the reconstruction loss on a fixed batch", () => {
  const model = new DaadModel(
    tiny({ variant: "ae-skip", size: 16, width: 2, division: [1, 1, 1] }),
    3,
    { lr: 3e-3 },
  );
  const x = tf.randomUniform([4, 16, 16, 1], -1, 1) as tf.Tensor4D;
  const obj = model.objectives[0];
  const loss = () => tf.tidy(() => obj.loss(x).total.dataSync()[0]);
  const before = loss();
  for (let i = 0; i < 15; i++) {
    tf.tidy(() =>
      obj.optimizer.apply(tf.variableGrads(() => obj.loss(x).total, obj.optimizer.variables).grads)
    );
  }
  const after = loss();
  assert(after < before * 0.7, `loss ${before} -> ${after}`);
  x.dispose();
  model.dispose();
});

Deno.test("validateDaadConfig() refuses sizes not divisible by 16 and impossible divisions", () => {
  assertThrows(() => validateDaadConfig(tiny({ size: 40 })), Error, "divisible by 16");
  const e = assertThrows(
    () => validateDaadConfig(tiny({ size: 32, division: [3, 3, 1] })),
    BlockGeometryError,
  );
  assert(
    e.message.includes("scale 1") && e.message.includes("16x16x4") && e.message.includes("3,3,1"),
    e.message,
  );
  assertThrows(
    () => validateDaadConfig(tiny({ division: [4, 4, 1] })),
    BlockGeometryError,
    "scale 4",
  );
  assertThrows(() => validateDaadConfig(tiny({ memory: 0 })), Error, "memory");
  // Per-scale rates: four of them, each dividing its own scale's map (2x2 at 16x).
  assertThrows(
    () => validateDaadConfig(tiny({ scaleRates: [2, 2, 2] })),
    Error,
    "four positive integers (2x, 4x, 8x, 16x), got 2,2,2",
  );
  const r = assertThrows(
    () => validateDaadConfig(tiny({ scaleRates: [8, 4, 2, 4] })),
    BlockGeometryError,
  );
  assert(r.message.includes("scale 4") && r.message.includes("4,4,1"), r.message);
  validateDaadConfig(tiny({ scaleRates: [8, 4, 2, 2] }));
});

Deno.test("recLoss 'l2' trains on eq. 4's per-image norm, 'mse' on the mean squared error", () => {
  const x = tf.randomUniform([2, 16, 16, 1], -1, 1) as tf.Tensor4D;
  for (const recLoss of ["mse", "l2"] as const) {
    const model = new DaadModel(tiny({ size: 16, width: 2, division: [1, 1, 1], recLoss }), 4);
    tf.tidy(() => {
      const rec = model.objectives[0].loss(x).parts.rec.dataSync()[0];
      // Training-mode output depends only on the batch, so a second pass gives the same x̂.
      const out = model.network.forward(x, { training: true }).reconstruction;
      const diff = Array.from(tf.sub(x, out).dataSync());
      const mse = diff.reduce((a, d) => a + d * d, 0) / diff.length;
      const per = diff.length / 2;
      const norm = [0, 1].map((b) =>
        Math.sqrt(diff.slice(b * per, (b + 1) * per).reduce((a, d) => a + d * d, 0))
      );
      const want = recLoss === "mse" ? mse : (norm[0] + norm[1]) / 2;
      assert(Math.abs(rec - want) <= 1e-4 * Math.max(1, want), `${recLoss}: ${rec} vs ${want}`);
    });
    model.dispose();
  }
  x.dispose();
});

Deno.test("explicit defaults (he init, bottleneck 16 x width, cosine) build the very same network", () => {
  const a = new DaadNetwork(tiny(), 7);
  const b = new DaadNetwork(tiny({ init: "he", bottleneck: 64, similarity: "cosine" }), 7);
  assertEquals(a.params.names(), b.params.names());
  for (const name of a.params.names()) {
    assertEquals(values(a.params.get(name)), values(b.params.get(name)), name);
  }
  a.dispose();
  b.dispose();
});

Deno.test("init 'torch' adds PyTorch's conv biases: the reference's full parameter count", () => {
  // tools/daad_ref.py's totals (nn.Conv2d with its default bias before every batch norm).
  for (
    const [size, width, division, want] of [[64, 16, [2, 2, 1], 5_685_011], [
      32,
      4,
      [1, 1, 1],
      1_076_279,
    ]] as const
  ) {
    const net = new DaadNetwork(
      { ...DEFAULT_DAAD_CONFIG, size, width, division: [...division], init: "torch" },
      0,
    );
    assertEquals(net.params.numParams(), want, `size ${size} width ${width}`);
    net.dispose();
  }
});

Deno.test("bottleneck C sets the 16x stage's channels; the parameter count follows by hand", () => {
  // Width 4: ch3 = 32. The 16x stage touches bottleneck.1 (9·32·C + 2C), bottleneck.2
  // (9·C² + 2C) and up4 (C·4·32 weights + 32 bias).
  const count = (c: number) => 9 * 32 * c + 2 * c + 9 * c * c + 2 * c + 4 * 32 * c;
  for (const variant of ["ae", "daad"] as const) {
    const wide = new DaadNetwork(tiny({ variant }), 0);
    const narrow = new DaadNetwork(tiny({ variant, bottleneck: 8 }), 0);
    assertEquals(
      wide.params.numParams() - narrow.params.numParams(),
      count(64) - count(8),
      variant,
    );
    assertEquals(narrow.params.get("bottleneck.2.conv.w").shape, [3, 3, 8, 8]);
    assertEquals(narrow.params.get("up4.w").shape, [8, 4 * 32]);
    const out = narrow.forward(tf.zeros([2, 32, 32, 1]), { training: false });
    assertEquals(out.reconstruction.shape, [2, 32, 32, 1]);
    tf.dispose([out.reconstruction, ...out.memoryWeights.values()]);
    wide.dispose();
    narrow.dispose();
  }
  assertThrows(() => validateDaadConfig(tiny({ bottleneck: 0 })), Error, "bottleneck must be");
  assertThrows(() => validateDaadConfig(tiny({ init: "xavier" as "he" })), Error, "'xavier'");
  assertThrows(
    () => validateDaadConfig(tiny({ similarity: "l1" as "vq" })),
    Error,
    "similarity must be cosine, dot, vq, got 'l1'",
  );
  assertThrows(
    () => validateDaadConfig(tiny({ commitmentWeight: -1 })),
    Error,
    "commitment weight must be >= 0, got -1",
  );
});

Deno.test("'vq' addressing trains on commitment and codebook losses and reads one item per query", async () => {
  const model = new DaadModel(tiny({ similarity: "vq", commitmentWeight: 0.5 }), 3, { lr: 1e-3 });
  const x = tf.randomUniform([4, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const terms = tf.tidy(() => {
    const t = model.objectives[0].loss(x);
    const v = Object.fromEntries(
      Object.entries({ total: t.total, ...t.parts }).map(([k, s]) => [k, s.dataSync()[0]]),
    );
    return v;
  });
  assertEquals(Object.keys(terms).sort(), ["codebook", "commitment", "rec", "total"]);
  // total = rec + β·commitment + codebook (β = 0.5).
  assert(
    Math.abs(terms.total - (terms.rec + 0.5 * terms.commitment + terms.codebook)) < 1e-5,
    JSON.stringify(terms),
  );
  // The codebook loss is the items' only gradient, and it reaches every bank.
  const banks = [1, 2, 3, 4].map((s) => model.params.get(`mem${s}.items`));
  const grads = tf.variableGrads(() => model.objectives[0].loss(x).total, banks).grads;
  for (const b of banks) assert(values(grads[b.name]).some((v) => v !== 0), b.name);
  tf.dispose(Object.values(grads));
  const report = model.memoryReport(x);
  assertEquals(report.map((r) => r.mean_items_read), [1, 1, 1, 1]);
  assertEquals(report.map((r) => r.entropy_ratio), [0, 0, 0, 0]);
  await assertNoLeak("vq training steps", async () => {
    await train(model, {
      n: 4,
      height: 32,
      width: 32,
      channels: 1,
      data: x.dataSync() as Float32Array,
    }, {
      epochs: 1,
      batchSize: 4,
      seed: 0,
      augment: "none",
    });
  });
  x.dispose();
  model.dispose();
});

Deno.test("'dot' addressing reads through the softmax of raw inner products (MemAE's code)", () => {
  for (const variant of ["daad", "memae"] as const) {
    const net = new DaadNetwork(
      tiny({ variant, similarity: "dot", division: variant === "memae" ? null : [2, 2, 1] }),
      1,
    );
    const x = tf.randomUniform([2, 32, 32, 1], 0, 1, "float32", 2) as tf.Tensor4D;
    const out = net.forward(x, { training: false });
    for (const w of out.memoryWeights.values()) {
      // Rows sum to at most 1 after the drop / shrink, and no row is empty.
      const rows = tf.sum(w, 1).dataSync();
      assert(rows.every((r) => r > 0 && r <= 1 + 1e-5), `${variant}: ${rows}`);
    }
    tf.dispose([x, out.reconstruction, ...out.memoryWeights.values(), out.entropy ?? []]);
    net.dispose();
  }
});
