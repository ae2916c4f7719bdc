import { assertEquals, assertThrows } from "../tests/assert.ts";
import { daadConfigFor, resolveRunConfig } from "./config.ts";
import { ConfigError } from "./models/daad/config.ts";

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
  assertEquals([d.addressing, d.entropyWeight, d.shrinkThreshold], ["memae", 0.0002, 0.0025]);
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
