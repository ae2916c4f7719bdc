/**
 * Run records: config.json of runs saved by the kit before its model families (one
 * fixture per model, written by a one-epoch run of that version) still loads, with the
 * run configuration and the model configuration the model was built with; records
 * written now keep every field those had.
 */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { useBackend } from "../tests/tf_helpers.ts";
import { rebuildModel } from "./families/registry.ts";
import { resolveRunConfig, runConfigFlags } from "./families/resolve.ts";
import type { BackendInfo } from "./backend.ts";
import { stripesDataset } from "./data/stripes.ts";
import { loadRunModel, readRunRecord, RECORD_VERSION, type RunRecord, trainRun } from "./run.ts";
import { readCheckpoint, writeCheckpoint } from "./train/checkpoint.ts";
import { RunDirError } from "./train/run_dir.ts";
import { ResumeError } from "./train/errors.ts";

await useBackend("cpu");

const FIXTURES = new URL("../tests/testdata/records_v1/", import.meta.url);

/** The settings a model never read, which records of that version held as defaults. */
const DAAD_PLUS_ONLY = ["generator", "table5", "realLabel"];
const DAAD_ONLY = [
  "division",
  "recLoss",
  "temperature",
  "renorm",
  "memInit",
  "memUpdate",
  "shrink",
  "compactness",
  "eq1",
];
const UNUSED: Record<string, string[]> = {
  ae: [...DAAD_PLUS_ONLY, "mnadVariant"],
  "ae-skip": [...DAAD_PLUS_ONLY, "mnadVariant"],
  memae: [...DAAD_PLUS_ONLY, "mnadVariant"],
  daad: [...DAAD_PLUS_ONLY, "mnadVariant"],
  "daad-plus": ["mnadVariant"],
  mnad: [...DAAD_ONLY, ...DAAD_PLUS_ONLY],
  "mnad-pred": [...DAAD_ONLY, ...DAAD_PLUS_ONLY],
};

async function fixture(name: string): Promise<{ saved: RunRecord; dir: string }> {
  const saved = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, FIXTURES)));
  const dir = await Deno.makeTempDir({ prefix: "record-" });
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(saved));
  return { saved, dir };
}

for (const name of Object.keys(UNUSED)) {
  Deno.test(`readRunRecord() loads the ${name} run saved before model families, with its model configuration`, async () => {
    const { saved, dir } = await fixture(name);
    const record = await readRunRecord(dir);
    // The run settings: every one the model read, with the value it had.
    const flags = runConfigFlags(record.config);
    for (const [key, value] of Object.entries(saved.config)) {
      if (UNUSED[name].includes(key)) {
        assertEquals(key in flags, false, `${key} is not a setting of ${saved.config.model}`);
        continue;
      }
      assertEquals(flags[key], value, key);
    }
    // The model configuration the model was built with. The DAAD family and DAAD+ recorded
    // it as built, before the network options of later versions (which it ran at their
    // defaults: a 16 x width bottleneck, He-normal weights, eq. 1's cosine addressing);
    // MNAD recorded a cosine schedule of 0 steps while its model annealed over the run:
    // epochs x floor(n_train / batch) = 1 x floor(8 / 4) = 2 steps.
    const expected = name.startsWith("mnad") ? { ...saved.model_config, cosineSteps: 2 } : {
      ...saved.model_config,
      bottleneck: 16 * Number(saved.config.width),
      init: "he",
      similarity: "cosine",
      commitmentWeight: 0.25,
    };
    assertEquals(
      Number(saved.config.epochs) * Math.floor(saved.n_train / Number(saved.config.batch)),
      2,
    );
    assertEquals(record.model_config, expected);
    // ... and the model is rebuilt from it.
    const model = rebuildModel(record.config, record.model_config);
    assertEquals((model as unknown as { config: unknown }).config, expected);
    model.dispose();
    // A record written now keeps every field the old one had, the unused ones aside.
    const now = runConfigFlags(resolveRunConfig(flags));
    const kept = Object.keys(saved.config).filter((k) => !UNUSED[name].includes(k));
    assertEquals(kept.filter((k) => !(k in now)), []);
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("readRunRecord() reads an MNAD run recorded before --mnad-variant as the paper's", async () => {
  const { saved, dir } = await fixture("mnad");
  delete saved.config.mnadVariant;
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(saved));
  const record = await readRunRecord(dir);
  assertEquals(record.config.settings.mnadVariant, "paper");
  assertEquals(record.model_config.variant, "paper");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readRunRecord() keeps the model configuration of a current record as written", async () => {
  const { saved, dir } = await fixture("mnad");
  // A current record is believed: whatever its model was built with is what it says.
  const current = {
    ...saved,
    record_version: RECORD_VERSION,
    model_config: { ...saved.model_config, cosineSteps: 7 },
  };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(current));
  assertEquals((await readRunRecord(dir)).model_config.cosineSteps, 7);
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ ...saved, config: { model: "gan" } }),
  );
  await assertRejects(
    () => readRunRecord(dir),
    RunDirError,
    "config.json holds a configuration this kit cannot run: --model expects",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainRun() records the model configuration it built and resumes from it, following --epochs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "run-" });
  const backend: BackendInfo = { name: "cpu", device: "test", reason: "test" };
  const data = stripesDataset({ size: 16, nTrain: 8, nTest: 4, seed: 0 });
  const flags = {
    model: "mnad",
    data: "stripes",
    size: 16,
    width: 2,
    memory: 3,
    batch: 4,
    backend: "cpu",
    out: `${dir}/run`,
  } as const;
  await trainRun(resolveRunConfig({ ...flags, epochs: 1 }), { backend, data });
  const first = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
  assertEquals([first.record_version, first.family], [RECORD_VERSION, "mnad"]);
  // The cosine schedule the model was built with: 1 epoch x floor(8 / 4) steps.
  assertEquals(first.model_config.cosineSteps, 2);
  assertEquals((await loadRunModelConfig(`${dir}/run`)).cosineSteps, 2);
  // Resumed for a second epoch, the schedule spans the run's new length, and the record says so.
  await trainRun(resolveRunConfig({ ...flags, epochs: 2, resume: true }), { backend, data });
  const second = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
  assertEquals([second.config.epochs, second.model_config.cosineSteps], [2, 4]);
  assertEquals(second.created, first.created);
  // A checkpoint of an earlier version recorded every model's settings beside the run's
  // (unused ones as defaults): it still resumes; one of another run does not.
  const path = `${dir}/run/checkpoint.ckpt`;
  const ckpt = await readCheckpoint(path);
  const saved = ckpt.meta.config as Record<string, unknown>;
  const old = { ...saved, division: [4, 4, 1], recLoss: "mse", generator: null, eq1: false };
  await writeCheckpoint(path, { ...ckpt, meta: { ...ckpt.meta, config: old } });
  await trainRun(resolveRunConfig({ ...flags, epochs: 3, resume: true }), { backend, data });
  const other = { ...saved, width: 4 };
  await writeCheckpoint(path, { ...ckpt, meta: { ...ckpt.meta, config: other } });
  await assertRejects(
    () => trainRun(resolveRunConfig({ ...flags, epochs: 4, resume: true }), { backend, data }),
    ResumeError,
    "another configuration",
  );
  // ... and leaves the record as it was.
  const third = JSON.parse(await Deno.readTextFile(`${dir}/run/config.json`));
  assertEquals([third.config.epochs, third.model_config.cosineSteps], [3, 6]);
  await Deno.remove(dir, { recursive: true });
});

async function loadRunModelConfig(path: string): Promise<Record<string, unknown>> {
  const { model, modelConfig } = await loadRunModel(path);
  model.dispose();
  return modelConfig;
}
