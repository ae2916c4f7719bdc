import { assertEquals, assertThrows } from "../tests/assert.ts";
import { KIT_MEMORY_DEFAULTS, resolveRunConfig } from "./config.ts";
import { ConfigError } from "./util/errors.ts";
import { daadConfigFor, mnadConfigFor } from "./adapters.ts";
import { readRunRecord } from "./run.ts";

Deno.test("resolveRunConfig() takes the paper's settings for mvtec (§4.1, supplement Table 2)", () => {
  const c = resolveRunConfig({ data: "mvtec", category: "bottle" });
  assertEquals(
    [c.size, c.width, c.memory, c.division, c.batch, c.epochs, c.lr, c.augment, c.recLoss],
    [256, 64, 500, [8, 8, 1], 8, 1000, 1e-4, "flip", "l2"],
  );
});

Deno.test("resolveRunConfig() lets any flag override the preset, and memae is pixel-wise", () => {
  const c = resolveRunConfig({ data: "mvtec", width: 16, epochs: 3 });
  assertEquals([c.width, c.epochs, c.size], [16, 3, 256]);
  const m = resolveRunConfig({ data: "mnist", model: "memae" });
  assertEquals(m.division, null);
  const d = daadConfigFor(m, 1);
  // MemAE's λ scales with N (MemAE: λ in [1/N, 3/N]): 1/N.
  assertEquals([d.addressing, d.entropyWeight, d.shrinkThreshold], ["memae", 0.0002, 1 / m.memory]);
  assertEquals(daadConfigFor({ ...m, memory: 500 }, 1).shrinkThreshold, 1 / 500);
  assertEquals(daadConfigFor({ ...m, shrink: 0.006 }, 1).shrinkThreshold, 0.006);
  assertEquals(resolveRunConfig({ data: "mnist", model: "memae", division: [2, 2, 1] }).division, [
    2,
    2,
    1,
  ]);
});

Deno.test("resolveRunConfig() with no flags is the quick MNIST default", () => {
  const c = resolveRunConfig({});
  assertEquals([c.model, c.data, c.normal, c.size], ["daad", "mnist", 0, 32]);
});

Deno.test("validateRunConfig() names the flag and the value", () => {
  assertThrows(
    () => resolveRunConfig({ size: 40 }),
    ConfigError,
    "--size expects a multiple of 16",
  );
  assertThrows(
    () => resolveRunConfig({ memory: 0 }),
    ConfigError,
    "--memory expects a positive integer, got 0",
  );
  assertThrows(
    () => resolveRunConfig({ normal: 11 }),
    ConfigError,
    "--normal expects a class 0..9",
  );
  assertThrows(() => resolveRunConfig({ lr: -1 }), ConfigError, "--lr");
  assertThrows(() => resolveRunConfig({ division: [8, 0, 1] }), ConfigError, "--division");
});

Deno.test("resolveRunConfig() takes --scale-rates for DAAD only, and daadConfigFor() passes them", () => {
  const c = resolveRunConfig({ data: "mnist", scaleRates: [1, 1, 2, 2] });
  assertEquals(daadConfigFor(c, 1).scaleRates, [1, 1, 2, 2]);
  assertEquals(daadConfigFor(resolveRunConfig({ data: "mnist" }), 1).scaleRates, undefined);
  assertThrows(
    () => resolveRunConfig({ scaleRates: [1, 1, 2] }),
    ConfigError,
    '--scale-rates expects four positive integers R2x,R4x,R8x,R16x, got "1,1,2"',
  );
  for (const model of ["ae", "ae-skip", "memae", "mnad"] as const) {
    assertThrows(
      () => resolveRunConfig({ model, scaleRates: [1, 1, 2, 2] }),
      ConfigError,
      `--model ${model} has no such memories`,
    );
  }
  assertThrows(
    () => resolveRunConfig({ model: "daad-plus", generator: "memae", scaleRates: [1, 1, 2, 2] }),
    ConfigError,
    "--generator memae",
  );
  resolveRunConfig({ model: "daad-plus", scaleRates: [1, 1, 2, 2] });
});

Deno.test("daadConfigFor() uses the kit's memory defaults, and --eq1 gives eq. 1 as printed", () => {
  const c = resolveRunConfig({ data: "mnist" });
  const kit = daadConfigFor(c, 1);
  assertEquals(
    [kit.temperature, kit.renormalize, kit.memoryInit],
    [
      KIT_MEMORY_DEFAULTS.temperature,
      KIT_MEMORY_DEFAULTS.renormalize,
      KIT_MEMORY_DEFAULTS.memoryInit,
    ],
  );
  const printed = daadConfigFor(resolveRunConfig({ data: "mnist", eq1: true }), 1);
  assertEquals([printed.temperature, printed.renormalize, printed.memoryInit], [
    1,
    false,
    "random",
  ]);
  const flags = daadConfigFor(
    resolveRunConfig({ data: "mnist", temperature: 0.2, renorm: true, memInit: "queries" }),
    1,
  );
  assertEquals([flags.temperature, flags.renormalize, flags.memoryInit], [0.2, true, "queries"]);
  assertEquals(daadConfigFor({ ...c, compactness: 0.5 }, 1).compactnessWeight, 0.5);
  assertEquals(printed.compactnessWeight, 0);
  assertThrows(
    () => resolveRunConfig({ data: "mnist", eq1: true, temperature: 0.5 }),
    ConfigError,
    "--eq1 fixes",
  );
  assertThrows(() => resolveRunConfig({ temperature: 0 }), ConfigError, "--temperature expects");
  assertEquals(printed.memoryUpdate, "gradient");
  const ema = daadConfigFor(resolveRunConfig({ data: "mnist", memUpdate: "ema" }), 1);
  assertEquals(ema.memoryUpdate, "ema");
  assertThrows(
    () => resolveRunConfig({ data: "mnist", eq1: true, memUpdate: "ema" }),
    ConfigError,
    "--mem-update",
  );
  assertEquals(resolveRunConfig({ model: "daad-plus", realLabel: 0.9 }).realLabel, 0.9);
  assertThrows(
    () => resolveRunConfig({ model: "daad-plus", realLabel: 0.4 }),
    ConfigError,
    "--real-label expects",
  );
  assertThrows(() => resolveRunConfig({ model: "ae", realLabel: 0.9 }), ConfigError, "DAAD+'s");
  assertThrows(
    () => resolveRunConfig({ data: "mnist", memUpdate: "kmeans" as "ema" }),
    ConfigError,
    "--mem-update expects",
  );
});

Deno.test("resolveRunConfig() records MNAD's variant, and only MNAD takes one", () => {
  const byDefault = resolveRunConfig({ model: "mnad", data: "video" });
  assertEquals(byDefault.mnadVariant, "official");
  const paper = resolveRunConfig({ model: "mnad", data: "video", mnadVariant: "paper" });
  assertEquals(mnadConfigFor(paper, 5).compactness, "distance");
  const official = resolveRunConfig({ model: "mnad", data: "video", mnadVariant: "official" });
  assertEquals(official.mnadVariant, "official");
  const m = mnadConfigFor(official, 5);
  assertEquals(
    [m.variant, m.updateMax, m.compactness, m.featureDistance, m.readGradient, m.itemInit],
    ["official", "all", "mse", "mse", false, "uniform"],
  );
  assertEquals(m.regularError, "channel-squared");
  // A run recorded before the flag existed has no field: it was trained as the paper reads.
  const { mnadVariant: _, ...old } = paper;
  assertEquals(mnadConfigFor(old as typeof paper, 5).variant, "paper");
  assertEquals(resolveRunConfig({ model: "daad" }).mnadVariant, null);
  assertThrows(
    () => resolveRunConfig({ model: "daad", mnadVariant: "official" }),
    ConfigError,
    "--mnad-variant selects MNAD's reading; --model daad has none",
  );
  assertThrows(
    () => resolveRunConfig({ model: "mnad", mnadVariant: "code" as "paper" }),
    ConfigError,
    "--mnad-variant expects paper|official",
  );
});

Deno.test("readRunRecord() reads an MNAD run recorded before --mnad-variant as the paper's", async () => {
  const dir = await Deno.makeTempDir();
  const { mnadVariant: _, ...config } = resolveRunConfig({ model: "mnad", data: "video" });
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ config }));
  assertEquals((await readRunRecord(dir)).config.mnadVariant, "paper");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveRunConfig() takes --data folder's flags and refuses them elsewhere", () => {
  const c = resolveRunConfig({
    data: "folder",
    normalDir: "ok",
    abnormalDir: "bad",
    testSplit: 0.3,
  });
  assertEquals([c.size, c.normalDir, c.abnormalDir, c.testSplit], [256, "ok", "bad", 0.3]);
  assertEquals(resolveRunConfig({ data: "visa", category: "candle" }).memory, 500);
  assertThrows(() => resolveRunConfig({ data: "folder" }), ConfigError, "needs --normal-dir");
  assertThrows(
    () => resolveRunConfig({ data: "mvtec", maskDir: "m" }),
    ConfigError,
    "--mask-dir is for --data folder, not --data mvtec",
  );
  assertThrows(
    () => resolveRunConfig({ data: "folder", normalDir: "ok", testSplit: 1 }),
    ConfigError,
    "--test-split expects a share between 0 and 1 (exclusive), got 1",
  );
  assertThrows(
    () => resolveRunConfig({ data: "folder", normalDir: "ok", normalTestDir: "t", testSplit: 0.2 }),
    ConfigError,
    "give one of them",
  );
  assertThrows(
    () => resolveRunConfig({ data: "folder", normalDir: "ok", maskDir: "m" }),
    ConfigError,
    "--mask-dir needs --abnormal-dir",
  );
});

Deno.test("--eval-every, --bottleneck, --init, --addressing and --commitment: checked, mapped, recorded", () => {
  // Absent by default: a run recorded before them keeps its identity on --resume.
  const plain = resolveRunConfig({ data: "mnist" });
  for (const key of ["evalEvery", "bottleneck", "init", "addressing", "commitment"]) {
    assertEquals(key in plain, false, key);
  }
  // The network configuration (config.json's model_config) records the defaults.
  const d = daadConfigFor(plain, 1);
  assertEquals(
    [d.bottleneck, d.init, d.similarity, d.commitmentWeight],
    [256, "he", "cosine", 0.25],
  );
  const set = daadConfigFor(
    resolveRunConfig({
      data: "mnist",
      bottleneck: 16,
      init: "torch",
      addressing: "vq",
      commitment: 0.5,
      evalEvery: 2,
    }),
    1,
  );
  assertEquals([set.bottleneck, set.init, set.similarity, set.commitmentWeight], [
    16,
    "torch",
    "vq",
    0.5,
  ]);
  // DAAD+'s generator takes them too.
  const plus = resolveRunConfig({ model: "daad-plus", bottleneck: 16, addressing: "dot" });
  assertEquals(daadConfigFor({ ...plus, model: "daad" }, 1).similarity, "dot");
  const bad: [Partial<Parameters<typeof resolveRunConfig>[0]>, string][] = [
    [
      { evalEvery: 0 },
      "--eval-every expects a positive integer (epochs between evaluations), got 0",
    ],
    [{ bottleneck: 0 }, "--bottleneck expects a positive integer (channels), got 0"],
    [{ init: "xavier" as "he" }, '--init expects he|torch, got "xavier"'],
    [{ addressing: "l1" as "vq" }, '--addressing expects cosine|dot|vq, got "l1"'],
    [{ model: "mnad", bottleneck: 16 }, "--bottleneck is for the DAAD family; --model mnad"],
    [{ model: "mnad", init: "torch" }, "--init is for the DAAD family; --model mnad"],
    [{ model: "ae", addressing: "dot" }, "--model ae has no block memory"],
    [
      { model: "daad-plus", generator: "ae-skip", addressing: "vq" },
      "--model daad-plus --generator ae-skip has no block memory",
    ],
    [
      { addressing: "dot", eq1: true },
      "--eq1 addresses by cosine similarity; drop --addressing dot",
    ],
    [{ addressing: "vq", temperature: 0.1 }, "--temperature shapes the softmax"],
    [{ addressing: "vq", shrink: 0.01, model: "memae" }, "--shrink shapes the softmax"],
    [{ commitment: 0.5 }, "--commitment weighs the commitment loss of --addressing vq"],
    [{ addressing: "vq", commitment: -1 }, "--commitment expects a weight >= 0, got -1"],
  ];
  for (const [flags, message] of bad) {
    assertThrows(() => resolveRunConfig({ data: "mnist", ...flags }), ConfigError, message);
  }
  // MemAE* takes every addressing; the AE the bottleneck and init.
  resolveRunConfig({ model: "memae", addressing: "vq" });
  resolveRunConfig({ model: "ae", bottleneck: 4, init: "torch" });
});
