import { assert, assertEquals } from "../../tests/assert.ts";
import {
  comparisonRow,
  comparisonToMarkdown,
  curvesToMarkdown,
  describeMemory,
  describeNetwork,
} from "./compare.ts";

const bank = (name: string, read: number, ratio: number, cos: number) => ({
  bank: name,
  items: 100,
  items_for_90: 50,
  mean_items_read: read,
  entropy_ratio: 0.5,
  max_weight_ratio: ratio,
  moved: 0.1,
  cosine_to_start: cos,
  collapsed: false,
  queries: 512,
});

Deno.test("describeMemory() names the memory settings in flag words", () => {
  assertEquals(describeMemory({ variant: "ae" }), "-");
  assertEquals(describeMemory({ variant: "daad" }), "eq. 1 as printed");
  assertEquals(
    describeMemory({
      variant: "daad",
      temperature: 0.05,
      memoryInit: "queries",
      renormalize: true,
      compactnessWeight: 0.1,
      addressing: "daad",
    }),
    "τ 0.05, items queries, renorm, compactness 0.1",
  );
  assertEquals(
    describeMemory({
      variant: "daad",
      temperature: 1,
      memoryInit: "random",
      division: [2, 2, 1],
      scaleRates: [1, 1, 2, 2],
      addressing: "daad",
    }),
    "τ 1, items random, division 2,2,1, rates 1/1/2/2",
  );
  assertEquals(
    describeMemory({
      variant: "daad",
      temperature: 1,
      memoryInit: "random",
      division: [1, 1, 1],
      addressing: "daad",
    }),
    "τ 1, items random, division 1,1,1",
  );
});

Deno.test("comparisonRow() and comparisonToMarkdown() carry AUROC and each bank's figures", () => {
  const row = comparisonRow(
    "d8-x",
    {
      config: { model: "daad", normal: 8, seed: 1 },
      model_config: { variant: "daad", temperature: 1, memoryInit: "random" },
      n_train: 5851,
      n_test: 10000,
    },
    {
      image_auroc: 0.91234,
      pixel_auroc: null,
      epochs: 8,
      train_seconds: 600,
      memory: [bank("scale 1", 58, 2.1, 0.3), bank("scale 2", 12.25, 30, 0.9)],
    },
    [100.2, 200.4],
  );
  assertEquals(row.train_seconds, 301);
  assertEquals([row.which, row.seed, row.items_read, row.cosine_to_start], ["8", 1, [58, 12.25], [
    0.3,
    0.9,
  ]]);
  const md = comparisonToMarkdown([row]);
  assert(
    md.includes("| d8-x | daad | 8 | 1 | 8 | τ 1, items random | - | 5851 / 10000 | 0.9123 |"),
    md,
  );
  assert(md.includes("58.0 / 12.3"), md);
});

Deno.test("describeMemory() and describeNetwork() name the addressing, bottleneck and init", () => {
  const base = { variant: "daad", temperature: 1, memoryInit: "random", addressing: "daad" };
  assertEquals(describeMemory({ ...base, similarity: "cosine" }), "τ 1, items random");
  assertEquals(describeMemory({ ...base, similarity: "dot" }), "dot, τ 1, items random");
  assertEquals(
    describeMemory({ ...base, similarity: "vq", commitmentWeight: 0.25, memoryUpdate: "ema" }),
    "vq β 0.25, items random, ema items",
  );
  assertEquals(describeNetwork({ variant: "ae", width: 16, bottleneck: 256, init: "he" }), "-");
  assertEquals(describeNetwork({ variant: "ae" }), "-"); // recorded before the options
  assertEquals(
    describeNetwork({ variant: "ae", width: 16, bottleneck: 16, init: "torch" }),
    "bottleneck 16, init torch",
  );
});

Deno.test("curvesToMarkdown() tables AUROC by epoch with each run's peak; '' without curves", () => {
  const md = curvesToMarkdown([
    { run: "a", curve: [{ epoch: 1, image_auroc: 0.5 }, { epoch: 3, image_auroc: 0.75 }] },
    { run: "b", curve: [{ epoch: 3, image_auroc: null }] },
    { run: "c" },
  ]);
  assertEquals(
    md,
    "| run | epoch 1 | epoch 3 | peak (epoch) |\n| --- | --- | --- | --- |\n" +
      "| a | 0.5000 | 0.7500 | 0.7500 (3) |\n| b | - | - | - |\n",
  );
  assertEquals(curvesToMarkdown([{ run: "c" }]), "");
});
