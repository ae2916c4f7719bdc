import { assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { ConfigError } from "../util/errors.ts";
import { parseSweepSpec, readSweepFile, withOverrides } from "./spec.ts";

Deno.test("parseSweepSpec() keeps the axes in file order and names the sweep after its file", () => {
  const spec = parseSweepSpec(
    { base: { data: "mnist", epochs: 5 }, axes: { model: ["ae", "daad"], normal: "all" } },
    "sweeps/t2.json",
  );
  assertEquals(spec, {
    name: "t2",
    out: "runs/t2",
    base: { data: "mnist", epochs: 5 },
    axes: [{ name: "model", values: ["ae", "daad"] }, { name: "normal", values: "all" }],
  });
  const named = parseSweepSpec({ name: "x", out: "o", description: "d", axes: { seed: [1] } }, "f");
  assertEquals([named.name, named.out, named.description], ["x", "o", "d"]);
});

Deno.test("parseSweepSpec() names the file and the key of every shape error", () => {
  const bad: [unknown, string][] = [
    [[1], `f.json: a sweep file is a JSON object`],
    [{ axes: { seed: [0] }, extra: 1 }, `f.json: unknown key "extra"`],
    [{ base: {} }, `f.json: "axes" must be an object`],
    [{ axes: {} }, `f.json: "axes" is empty`],
    [{ axes: { seed: [] } }, `f.json: axis "seed": values must be a non-empty list`],
    [{ axes: { seed: [0, 0] } }, `axis "seed": value 0 is listed twice`],
    [{ axes: { seed: "all" } }, `axis "seed": "all" lists the classes of a data set`],
    [{ axes: { normal: [0, "all"] } }, `"all" stands alone`],
    [{ axes: { lr: [{ x: 1 }] } }, `axis "lr": {"x":1} is not a flag value`],
    [{ base: { seed: 0 }, axes: { seed: [1, 2] } }, `"seed" is both in "base" and an axis`],
    [{ base: { data: null }, axes: { seed: [1] } }, `base "data": null is not a flag value`],
    [{ name: "a b", axes: { seed: [1] } }, `"name" must be letters, digits`],
  ];
  for (const [value, message] of bad) {
    assertThrows(() => parseSweepSpec(value, "f.json"), ConfigError, message);
  }
});

Deno.test("withOverrides() replaces an axis in place, adds new ones, and a base flag drops its axis", () => {
  const spec = parseSweepSpec(
    { base: { data: "mnist" }, axes: { model: ["ae"], seed: [0, 1], normal: "all" } },
    "t.json",
  );
  const tiny = withOverrides(spec, {
    axes: [{ name: "normal", values: [0, 1] }, { name: "lr", values: [0.001] }],
    base: { seed: 0, epochs: 1 },
    out: "/tmp/x",
  });
  assertEquals(tiny.axes, [
    { name: "model", values: ["ae"] },
    { name: "normal", values: [0, 1] },
    { name: "lr", values: [0.001] },
  ]);
  assertEquals(tiny.base, { data: "mnist", seed: 0, epochs: 1 });
  assertEquals([tiny.out, tiny.name], ["/tmp/x", "t"]);
  // The file's spec is unchanged.
  assertEquals(spec.axes.length, 3);
  assertThrows(() => withOverrides(spec, { name: "my sweep" }), ConfigError, "--name must be");
  assertThrows(
    () => withOverrides(parseSweepSpec({ axes: { seed: [0] } }, "t"), { base: { seed: 1 } }),
    ConfigError,
    "no axis left",
  );
});

Deno.test("readSweepFile() names a missing file, broken JSON and a YAML file", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => readSweepFile(`${dir}/none.json`), ConfigError, "does not exist");
  await Deno.writeTextFile(`${dir}/broken.json`, "{ axes: ");
  await assertRejects(() => readSweepFile(`${dir}/broken.json`), ConfigError, "is not valid JSON");
  await assertRejects(() => readSweepFile(`${dir}/s.yaml`), ConfigError, "sweep files are JSON");
  await Deno.writeTextFile(`${dir}/ok.json`, JSON.stringify({ axes: { seed: [3] } }));
  assertEquals((await readSweepFile(`${dir}/ok.json`)).axes, [{ name: "seed", values: [3] }]);
  await Deno.remove(dir, { recursive: true });
});
