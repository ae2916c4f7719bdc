import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { useBackend } from "../../tests/tf_helpers.ts";
import { ConfigError } from "../util/errors.ts";
import { DaadModel } from "../models/daad/kit_model.ts";
import type { MnadModel } from "../models/mnad/kit_model.ts";
import { daadFamily } from "./daad.ts";
import { defineFamily } from "./family.ts";
import {
  buildRunModel,
  configureModel,
  familyOf,
  listTrainFlags,
  modelNames,
  rebuildModel,
  registerFamily,
} from "./registry.ts";
import { resolveRunConfig } from "./resolve.ts";

await useBackend("cpu");

Deno.test("modelNames() and familyOf() map every --model to its family", () => {
  assertEquals(modelNames(), ["ae", "ae-skip", "memae", "daad", "daad-plus", "mnad"]);
  assertEquals(
    modelNames().map((m) => familyOf(m).name),
    ["daad", "daad", "daad", "daad", "daad-plus", "mnad"],
  );
  assertThrows(
    () => familyOf("vae"),
    ConfigError,
    '--model expects ae|ae-skip|memae|daad|daad-plus|mnad, got "vae"',
  );
});

Deno.test("listTrainFlags() lists every flag train took before families, each once", () => {
  const flags = listTrainFlags();
  const names = flags.map((f) => f.flag);
  assertEquals(new Set(names).size, names.length);
  // The flags of `deno task train` before the family modules existed (less --threads,
  // which is the CLI's): every one is still there.
  const before = [
    "model",
    "data",
    "root",
    "category",
    "normal",
    "size",
    "width",
    "memory",
    "division",
    "scale-rates",
    "epochs",
    "batch",
    "lr",
    "backend",
    "seed",
    "out",
    "resume",
    "augment",
    "max-test",
    "rec-loss",
    "generator",
    "table5",
    "real-label",
    "task",
    "max-train",
    "temperature",
    "renorm",
    "mem-init",
    "mem-update",
    "shrink",
    "compactness",
    "eq1",
    "mnad-variant",
    "normal-dir",
    "abnormal-dir",
    "mask-dir",
    "normal-test-dir",
    "test-split",
  ];
  // ... and the flags added since: the evaluation curve, the network's capacity and
  // initialisation, the memory's addressing.
  const added = ["eval-every", "bottleneck", "init", "addressing", "commitment"];
  assertEquals([...names].sort(), [...before, ...added].sort());
  const byName = Object.fromEntries(flags.map((f) => [f.flag, f]));
  assertEquals(byName.memory.families, ["daad", "daad-plus", "mnad"]);
  assertEquals(byName["scale-rates"].key, "scaleRates");
  assertEquals(byName.generator.families, ["daad-plus"]);
  assertEquals(byName.epochs.families, null);
  const model = byName.model.spec;
  assert(model.type === "enum" && model.choices.includes("mnad"));
});

Deno.test("registerFamily() refuses a taken model, a run flag and a flag typed unlike another family's", () => {
  const toy = (name: string, models: string[], flags: Record<string, unknown>) =>
    defineFamily({
      name,
      title: name,
      models,
      flags: flags as never,
      defaults: () => ({ settings: {} }),
      modelConfig: () => ({}),
      build: () => {
        throw new Error("not built");
      },
    });
  assertThrows(
    () => registerFamily(toy("x", ["daad"], {})),
    Error,
    "--model daad is already registered",
  );
  assertThrows(() => registerFamily(toy("daad", ["y"], {})), Error, "already registered");
  assertThrows(
    () => registerFamily(toy("x", ["x"], { epochs: { type: "int", help: "" } })),
    Error,
    "--epochs is a run flag",
  );
  assertThrows(
    () => registerFamily(toy("x", ["x"], { memory: { type: "float", help: "" } })),
    Error,
    "--memory is typed float here but int in family 'daad'",
  );
  assertEquals(modelNames().length, 6, "nothing was registered");
});

Deno.test("buildRunModel() returns the model with the configuration it was built with", () => {
  const run = resolveRunConfig({ model: "memae", data: "stripes", size: 32, width: 2 });
  const { model, modelConfig } = buildRunModel(run, { channels: 1, nTrain: 10 });
  assert(model instanceof DaadModel);
  assertEquals(model.config, modelConfig);
  assertEquals(configureModel(run, { channels: 1, nTrain: 10 }), modelConfig);
  const again = rebuildModel(run, modelConfig);
  assertEquals((again as DaadModel).config, modelConfig);
  model.dispose();
  again.dispose();
  // MNAD's cosine schedule spans the run: epochs x floor(nTrain / batch) steps.
  const mnad = resolveRunConfig({
    model: "mnad",
    data: "stripes",
    size: 32,
    width: 2,
    epochs: 3,
    batch: 4,
  });
  const built = buildRunModel(mnad, { channels: 1, nTrain: 10 });
  assertEquals((built.modelConfig as { cosineSteps: number }).cosineSteps, 3 * 2);
  assertEquals((built.model as MnadModel).config.cosineSteps, 6);
  built.model.dispose();
  // A division that does not divide a feature map is refused before building.
  const bad = resolveRunConfig({
    model: "daad",
    data: "stripes",
    size: 32,
    width: 2,
    division: [3, 3, 1],
  });
  assertThrows(() => configureModel(bad, { channels: 1, nTrain: 10 }), Error, "does not divide");
  assertEquals(daadFamily.models, ["ae", "ae-skip", "memae", "daad"]);
});
