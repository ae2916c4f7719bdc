import { assertEquals, assertThrows } from "../../tests/assert.ts";
import type { RunConfig, RunFlags } from "../config.ts";
import { ConfigError } from "../util/errors.ts";
import { daadConfigFor, type DaadSettings, KIT_MEMORY_DEFAULTS } from "./daad.ts";
import type { DaadPlusSettings } from "./daad_plus.ts";
import { mnadConfigFor, type MnadSettings } from "./mnad.ts";
import {
  resolveRunConfig,
  runConfigFlags,
  runConfigFromSaved,
  validateRunConfig,
  withSettings,
} from "./resolve.ts";

/** A resolved configuration of the DAAD family, typed. */
const daad = (flags: Record<string, unknown>) => resolveRunConfig(flags) as RunConfig<DaadSettings>;
/** ... of DAAD+. */
const plus = (flags: Record<string, unknown>) =>
  resolveRunConfig({ model: "daad-plus", ...flags }) as RunConfig<DaadPlusSettings>;
/** ... of MNAD. */
const mnad = (flags: Record<string, unknown>) =>
  resolveRunConfig({ model: "mnad", ...flags }) as RunConfig<MnadSettings>;
/** A DAAD-family configuration with some settings changed, unchecked (as code may build it). */
const set = (c: RunConfig<DaadSettings>, s: Partial<DaadSettings>): RunConfig<DaadSettings> => ({
  ...c,
  settings: { ...c.settings, ...s },
});

Deno.test("resolveRunConfig() takes the paper's settings for mvtec (§4.1, supplement Table 2)", () => {
  const c = daad({ data: "mvtec", category: "bottle" });
  assertEquals(
    [
      c.size,
      c.width,
      c.settings.memory,
      c.settings.division,
      c.batch,
      c.epochs,
      c.lr,
      c.augment,
      c.settings.recLoss,
    ],
    [256, 64, 500, [8, 8, 1], 8, 1000, 1e-4, "flip", "l2"],
  );
});

Deno.test("resolveRunConfig() lets any flag override the preset, and memae is pixel-wise", () => {
  const c = resolveRunConfig({ data: "mvtec", width: 16, epochs: 3 });
  assertEquals([c.width, c.epochs, c.size], [16, 3, 256]);
  const m = daad({ data: "mnist", model: "memae" });
  assertEquals(m.settings.division, null);
  const d = daadConfigFor(m, 1);
  // MemAE's λ scales with N (MemAE: λ in [1/N, 3/N]): 1/N.
  assertEquals([d.addressing, d.entropyWeight, d.shrinkThreshold], [
    "memae",
    0.0002,
    1 / m.settings.memory,
  ]);
  assertEquals(daadConfigFor(set(m, { memory: 500 }), 1).shrinkThreshold, 1 / 500);
  assertEquals(daadConfigFor(set(m, { shrink: 0.006 }), 1).shrinkThreshold, 0.006);
  assertEquals(daad({ data: "mnist", model: "memae", division: [2, 2, 1] }).settings.division, [
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
  const c = daad({ data: "mnist", scaleRates: [1, 1, 2, 2] });
  assertEquals(daadConfigFor(c, 1).scaleRates, [1, 1, 2, 2]);
  assertEquals(daadConfigFor(daad({ data: "mnist" }), 1).scaleRates, undefined);
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
  const c = daad({ data: "mnist" });
  const kit = daadConfigFor(c, 1);
  assertEquals(
    [kit.temperature, kit.renormalize, kit.memoryInit],
    [
      KIT_MEMORY_DEFAULTS.temperature,
      KIT_MEMORY_DEFAULTS.renormalize,
      KIT_MEMORY_DEFAULTS.memoryInit,
    ],
  );
  const printed = daadConfigFor(daad({ data: "mnist", eq1: true }), 1);
  assertEquals([printed.temperature, printed.renormalize, printed.memoryInit], [
    1,
    false,
    "random",
  ]);
  const flags = daadConfigFor(
    daad({ data: "mnist", temperature: 0.2, renorm: true, memInit: "queries" }),
    1,
  );
  assertEquals([flags.temperature, flags.renormalize, flags.memoryInit], [0.2, true, "queries"]);
  assertEquals(daadConfigFor(set(c, { compactness: 0.5 }), 1).compactnessWeight, 0.5);
  assertEquals(printed.compactnessWeight, 0);
  assertThrows(
    () => resolveRunConfig({ data: "mnist", eq1: true, temperature: 0.5 }),
    ConfigError,
    "--eq1 fixes",
  );
  assertThrows(() => resolveRunConfig({ temperature: 0 }), ConfigError, "--temperature expects");
  assertEquals(printed.memoryUpdate, "gradient");
  const ema = daadConfigFor(daad({ data: "mnist", memUpdate: "ema" }), 1);
  assertEquals(ema.memoryUpdate, "ema");
  assertThrows(
    () => resolveRunConfig({ data: "mnist", eq1: true, memUpdate: "ema" }),
    ConfigError,
    "--mem-update",
  );
  assertEquals(plus({ realLabel: 0.9 }).settings.realLabel, 0.9);
  assertThrows(
    () => resolveRunConfig({ model: "daad-plus", realLabel: 0.4 }),
    ConfigError,
    "--real-label expects",
  );
  assertThrows(() => resolveRunConfig({ model: "ae", realLabel: 0.9 }), ConfigError, "DAAD+'s");
  assertThrows(
    () => resolveRunConfig({ data: "mnist", memUpdate: "kmeans" }),
    ConfigError,
    "--mem-update expects",
  );
});

Deno.test("resolveRunConfig() records MNAD's variant, and only MNAD takes one", () => {
  const byDefault = mnad({ data: "video" });
  assertEquals(byDefault.settings.mnadVariant, "official");
  const paper = mnad({ data: "video", mnadVariant: "paper" });
  assertEquals(mnadConfigFor(paper, 5).compactness, "distance");
  const official = mnad({ data: "video", mnadVariant: "official" });
  assertEquals(official.settings.mnadVariant, "official");
  const m = mnadConfigFor(official, 5);
  assertEquals(
    [m.variant, m.updateMax, m.compactness, m.featureDistance, m.readGradient, m.itemInit],
    ["official", "all", "mse", "mse", false, "uniform"],
  );
  assertEquals(m.regularError, "channel-squared");
  // A run recorded before the flag existed has no field: it was trained as the paper reads.
  const { mnadVariant: _, ...old } = runConfigFlags(official);
  assertEquals((runConfigFromSaved(old) as RunConfig<MnadSettings>).settings.mnadVariant, "paper");
  assertEquals(resolveRunConfig({ model: "daad" }).settings.mnadVariant, undefined);
  assertThrows(
    () => resolveRunConfig({ model: "daad", mnadVariant: "official" }),
    ConfigError,
    "--mnad-variant selects MNAD's reading; --model daad has none",
  );
  assertThrows(
    () => resolveRunConfig({ model: "mnad", mnadVariant: "code" }),
    ConfigError,
    "--mnad-variant expects paper|official",
  );
});

Deno.test("resolveRunConfig() takes --data folder's flags and refuses them elsewhere", () => {
  const c = resolveRunConfig({
    data: "folder",
    normalDir: "ok",
    abnormalDir: "bad",
    testSplit: 0.3,
  });
  assertEquals([c.size, c.normalDir, c.abnormalDir, c.testSplit], [256, "ok", "bad", 0.3]);
  assertEquals(resolveRunConfig({ data: "visa", category: "candle" }).settings.memory, 500);
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

Deno.test("runConfigFlags() gives flags that resolveRunConfig() turns back into the same configuration", () => {
  const cases: RunFlags[] = [
    {},
    { model: "ae", data: "stripes" },
    { model: "memae", data: "mvtec", category: "bottle", shrink: 0.004 },
    { model: "daad", data: "mnist", scaleRates: [1, 1, 2, 2], temperature: 0.5 },
    { model: "daad-plus", generator: "memae", table5: "adv+R", realLabel: 0.9 },
    { model: "mnad", data: "video", root: "/v", category: "ped2", mnadVariant: "paper" },
    { data: "folder", normalDir: "ok", testSplit: 0.3 },
  ];
  for (const flags of cases) {
    const c = resolveRunConfig(flags);
    const flat = runConfigFlags(c);
    assertEquals(resolveRunConfig(flat), c, JSON.stringify(flags));
    // Flat: the family's settings sit beside the run's, as config.json has always had them.
    assertEquals(Object.keys(flat).filter((k) => k === "settings"), []);
    for (const [k, v] of Object.entries(c.settings)) assertEquals(flat[k], v);
  }
});

Deno.test("resolveRunConfig() refuses a setting of another family, but not one given as null", () => {
  assertThrows(
    () => resolveRunConfig({ model: "mnad", division: [2, 2, 1] }),
    ConfigError,
    "--division is a setting of DAAD family (--model ae|ae-skip|memae|daad), DAAD+ (--model " +
      "daad-plus); --model mnad has none",
  );
  assertThrows(
    () => resolveRunConfig({ model: "daad", table5: "R" }),
    ConfigError,
    "--table5 selects DAAD+'s terms; --model daad has none",
  );
  assertThrows(
    () => resolveRunConfig({ model: "daad", realLabel: 0.9 }),
    ConfigError,
    "--real-label is DAAD+'s; --model daad has no discriminator",
  );
  assertThrows(
    () => resolveRunConfig({ frobnicate: 1 }),
    ConfigError,
    "unknown setting 'frobnicate'",
  );
  assertThrows(() => resolveRunConfig({ model: "vae" }), ConfigError, "--model expects ae|");
  // Null is "not given" (earlier versions recorded every model's settings, unused ones null).
  const c = resolveRunConfig({ model: "daad", generator: null, mnadVariant: null });
  assertEquals(c.settings.generator, undefined);
  // A configuration built in code is checked the same way.
  const bad = { ...c, settings: { ...c.settings, table5: "R" } };
  assertThrows(() => validateRunConfig(bad), ConfigError, "--table5 selects DAAD+'s terms");
});

Deno.test("resolveRunConfig() takes each family's run settings: DAAD+'s lr and loss, MNAD's task and lr", () => {
  const p = plus({ data: "mnist" });
  assertEquals([p.lr, p.settings.recLoss, p.settings.memory], [2e-4, "l2", 100]);
  assertEquals(plus({ data: "mnist", lr: 1e-3 }).lr, 1e-3);
  assertEquals(plus({ generator: "memae" }).settings.division, null);
  assertEquals(plus({ generator: "ae" }).settings.division, [2, 2, 1]);
  // MNAD §4.1: prediction on video, its learning rate per task on real video, M = 10.
  const pred = mnad({ data: "video", root: "/v", category: "ped2" });
  assertEquals([pred.task, pred.lr, pred.augment, pred.settings.memory], [
    "pred",
    2e-4,
    "none",
    10,
  ]);
  assertEquals(mnad({ data: "video", root: "/v", category: "ped2", task: "recon" }).lr, 2e-5);
  // The synthetic video keeps its small preset's rate.
  assertEquals([mnad({ data: "video" }).lr, mnad({ data: "video" }).size], [1e-3, 64]);
  assertEquals(mnad({ data: "stripes" }).task, null);
  assertThrows(
    () => resolveRunConfig({ model: "daad", data: "video", task: "pred" }),
    ConfigError,
    "--task pred is future-frame prediction (MNAD's); --model daad reconstructs",
  );
  // The DAAD family's presets per data set.
  assertEquals(daad({ data: "video" }).settings.division, [4, 4, 1]);
  assertEquals(daad({ data: "video", root: "/v" }).settings.memory, 2000);
  assertEquals(daad({ data: "stripes" }).settings.recLoss, "mse");
});

Deno.test("runConfigFromSaved() reads configurations recorded by earlier versions", () => {
  // Before the memory options: eq. 1 as printed, MemAE*'s threshold 0.0025, and (before
  // --rec-loss) the mean squared error.
  const old = runConfigFromSaved({
    model: "memae",
    data: "mnist",
    normal: 3,
    size: 32,
    width: 16,
    memory: 100,
    division: null,
    epochs: 8,
    batch: 32,
    lr: 1e-3,
    seed: 0,
    augment: "none",
    generator: null,
    table5: null,
  }) as RunConfig<DaadSettings>;
  assertEquals(
    [old.settings.eq1, old.settings.shrink, old.settings.temperature, old.settings.recLoss],
    [true, 0.0025, null, "mse"],
  );
  // Earlier versions recorded every model's settings: an MNAD run had a division and a
  // reconstruction loss it never used. They are dropped, not refused.
  const m = runConfigFromSaved({
    model: "mnad",
    data: "stripes",
    memory: 10,
    division: [4, 4, 1],
    recLoss: "mse",
    temperature: null,
    mnadVariant: "official",
  }) as RunConfig<MnadSettings>;
  assertEquals(m.settings, { memory: 10, mnadVariant: "official" });
  assertThrows(() => runConfigFromSaved({ model: "gan" }), ConfigError, "--model expects");
});

Deno.test("withSettings() changes a family's settings and checks them", () => {
  const c = daad({ data: "mnist" });
  // A resolved configuration spread into flags resolves again, a flag beside it winning.
  assertEquals(resolveRunConfig({ ...c, epochs: 3, memory: 9 }), {
    ...c,
    epochs: 3,
    settings: { ...c.settings, memory: 9 },
  });
  assertEquals(withSettings(c, { memory: 7 }).settings.memory, 7);
  assertEquals(c.settings.memory, 100);
  assertThrows(() => withSettings(c, { memory: 0 }), ConfigError, "--memory expects");
});
