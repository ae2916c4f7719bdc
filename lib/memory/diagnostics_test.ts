import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { useBackend } from "../../tests/tf_helpers.ts";
import { DaadModel } from "../models/daad/mod.ts";
import { DEFAULT_DAAD_CONFIG } from "../models/daad/config.ts";
import {
  bankDrift,
  collapseWarning,
  diagnoseWeights,
  memoryBankReport,
  summarizeMemoryUsage,
  uniformWarning,
} from "./diagnostics.ts";

await useBackend("cpu");

Deno.test("summarizeMemoryUsage() counts unused items and the items carrying 90%", () => {
  assertEquals(summarizeMemoryUsage([5, 3, 1, 1, 0]), { items: 5, unused: 1, itemsFor90: 3 });
  assertEquals(summarizeMemoryUsage([1, 1, 1, 1]), { items: 4, unused: 0, itemsFor90: 4 });
  assertThrows(() => summarizeMemoryUsage([1, -1]), RangeError, "usage[1] is -1");
});

Deno.test("diagnoseWeights() computes usage shares, entropy and active items by hand", () => {
  // Query 1 uses items 0 and 1 half-half (entropy ln 2); query 2 only item 0 (entropy 0).
  const d = diagnoseWeights("t", tf.tensor2d([[0.5, 0.5, 0, 0], [0.8, 0, 0, 0]]));
  assertAlmostEquals(d.meanEntropy, Math.log(2) / 2, 1e-6);
  assertEquals(d.meanActiveItems, 1.5);
  assertAlmostEquals(d.usage[0], 1.3 / 1.8, 1e-6);
  assertAlmostEquals(d.usage[1], 0.5 / 1.8, 1e-6);
  assertEquals([d.unused, d.itemsFor90, d.queries], [2, 2, 2]);
  assertAlmostEquals(d.maxEntropy, Math.log(4), 1e-12);
  // Largest share per query: 0.5 and 1, times N = 4.
  assertAlmostEquals(d.meanMaxWeightRatio, ((0.5 + 1) / 2) * 4, 1e-6);
});

Deno.test("bankDrift() measures the relative change and each item's cosine to its start", () => {
  const start = tf.tensor2d([[1, 0], [0, 2]]);
  const bank = tf.tensor2d([[1, 1], [0, 2]]);
  const d = bankDrift(bank, start);
  // ‖M − M₀‖ = 1, ‖M₀‖ = √5; cosines 1/√2 and 1.
  assertAlmostEquals(d.relativeChange, 1 / Math.sqrt(5), 1e-6);
  assertAlmostEquals(d.meanCosineToStart, (Math.SQRT1_2 + 1) / 2, 1e-6);
  assertEquals(bankDrift(start, start), { relativeChange: 0, meanCosineToStart: 1 });
  assertThrows(() => bankDrift(bank, tf.zeros([3, 2])), RangeError, "[2,2]");
});

Deno.test("uniformWarning() fires for near-uniform addressing, not for sparse reads", () => {
  const n = 40;
  const uniform = diagnoseWeights("scale 1", tf.tensor2d([Array.from({ length: n }, () => 1 / n)]));
  const r = memoryBankReport(uniform, { relativeChange: 0.01, meanCosineToStart: 0.99 });
  assertEquals([r.mean_items_read, r.entropy_ratio, r.max_weight_ratio], [40, 1, 1]);
  assert(uniformWarning(r)!.includes("near-uniform addressing (40.0 of 40 items"));
  const sparse = diagnoseWeights("scale 1", tf.tensor2d([[0.7, 0.3, ...new Array(n - 2).fill(0)]]));
  assertEquals(
    uniformWarning(memoryBankReport(sparse, { relativeChange: 1, meanCosineToStart: 0.2 })),
    null,
  );
});

Deno.test("collapseWarning() fires when at most 5% of the items carry 90% of the weight", () => {
  const n = 40;
  const one = Array.from(
    { length: 3 },
    () => Array.from({ length: n }, (_, j) => (j === 7 ? 1 : 0)),
  );
  const collapsed = diagnoseWeights("scale 2", tf.tensor2d(one));
  assert(collapsed.collapsed);
  assert(collapseWarning(collapsed)!.includes("1 of 40 items carry 90%"));
  const spread = diagnoseWeights("scale 2", tf.tensor2d([Array.from({ length: n }, () => 1 / n)]));
  assertEquals([spread.collapsed, collapseWarning(spread)], [false, null]);
});

Deno.test("DaadModel.memoryDiagnostics() reports each of the four banks", () => {
  const model = new DaadModel({
    ...DEFAULT_DAAD_CONFIG,
    size: 32,
    width: 2,
    memory: 8,
    division: [2, 2, 1],
    channels: 1,
  }, 0);
  const x = tf.randomUniform([3, 32, 32, 1], -1, 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const ds = model.memoryDiagnostics(x);
  assertEquals(tf.memory().numTensors, before);
  assertEquals(ds.map((d) => d.name), [
    "scale 1 (2x)",
    "scale 2 (4x)",
    "scale 3 (8x)",
    "scale 4 (16x)",
  ]);
  for (const d of ds) {
    assertEquals(d.queries, 3 * 4);
    assertAlmostEquals(d.usage.reduce((a, b) => a + b, 0), 1, 1e-5);
    assert(d.meanActiveItems >= 1 && d.meanActiveItems <= 8);
  }
  x.dispose();
  model.dispose();
});
