/**
 * A model family added from outside the kit (tests/testdata/toy_family: a one-layer AE and
 * its family module, registered by its own entry point) trains, evaluates, predicts and
 * resumes through the CLI's code, and `train --help` lists its flag under its heading:
 * adding a model needs its own files and one registry line, nothing else.
 */
import { assert, assertEquals } from "./assert.ts";
import { ROOT, runTask } from "./cli_helpers.ts";

const ENTRY = `${ROOT}tests/testdata/toy_family/cli.ts`;

async function toy(task: string, args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY, task, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DAAD_WASM_THREADS: "1" },
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

const TINY = ["--data", "stripes", "--max-train", "32", "--max-test", "8", "--backend", "wasm"];

Deno.test("a family registered from outside lib/ trains, evaluates, predicts and resumes through the CLI", async () => {
  const dir = await Deno.makeTempDir({ prefix: "toy-family-" });
  const run = `${dir}/run`;
  const trained = await toy("train", [
    "--model",
    "toy-ae",
    "--code",
    "3",
    "--epochs",
    "1",
    "--out",
    run,
    ...TINY,
  ]);
  assertEquals(trained.code, 0, trained.err);
  const record = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
  assertEquals(record.family, "toy");
  assertEquals(record.model_config, { size: 64, channels: 1, code: 3 });
  assertEquals([record.config.model, record.config.code, record.config.lr], ["toy-ae", 3, 1e-2]);
  const metrics = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  assertEquals([metrics.model, metrics.n_test, metrics.epochs], ["toy-ae", 8, 1]);

  // eval rebuilds the toy from config.json's model_config and scores as training did.
  const evaluated = await toy("eval", ["--run", run, "--backend", "wasm"]);
  assertEquals(evaluated.code, 0, evaluated.err);
  const again = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  assertEquals(again.image_auroc, metrics.image_auroc);
  assertEquals(again.pixel_auroc, metrics.pixel_auroc);

  const image = `${run}/grid_best.png`;
  const predicted = await toy("predict", ["--run", run, "--json", "--backend", "wasm", image]);
  assertEquals(predicted.code, 0, predicted.err);
  const line = JSON.parse(predicted.out.trim().split("\n")[0]);
  assert(Number.isFinite(line.score) && line.score > 0, predicted.out);

  const resumed = await toy("train", [
    "--resume",
    "--out",
    run,
    "--epochs",
    "2",
    "--backend",
    "wasm",
  ]);
  assertEquals(resumed.code, 0, resumed.err);
  assert(resumed.err.includes("resuming from epoch 1"), resumed.err);
  const after = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  assertEquals(after.epochs, 2);
  // The record follows the run it now describes; the model configuration is the one it had.
  const resumedRecord = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
  assertEquals([resumedRecord.config.epochs, resumedRecord.model_config], [2, record.model_config]);
  const log = (await Deno.readTextFile(`${run}/log.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assertEquals(log.filter((e) => e.type === "epoch").map((e) => e.epoch), [1, 2]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train --help lists the registered family's flag under its heading; its checks speak flags", async () => {
  const help = await toy("train", ["--help"]);
  assertEquals(help.code, 0, help.err);
  const headings = help.out.split("\n").filter((l) => /^\S.*\(--model .*\):$/.test(l));
  assertEquals(headings, [
    "DAAD family (--model ae|ae-skip|memae|daad):",
    "DAAD+ (--model daad-plus):",
    "MNAD (--model mnad):",
    "Toy AE (a test's family) (--model toy-ae):",
  ]);
  const toyGroup = help.out.slice(help.out.indexOf("Toy AE (a test's family)"));
  assert(toyGroup.includes("--code <value>\n      Channels of the one-layer code"), toyGroup);
  assert(help.out.includes("--model <ae|ae-skip|memae|daad|daad-plus|mnad|toy-ae>"), help.out);

  const tooWide = await toy("train", ["--model", "toy-ae", "--code", "100"]);
  assertEquals(tooWide.code, 1, tooWide.err);
  assert(tooWide.err.includes("--code expects at most 64 channels, got 100"), tooWide.err);
  const elsewhere = await toy("train", ["--model", "daad", "--code", "3"]);
  assertEquals(elsewhere.code, 1, elsewhere.err);
  assert(
    elsewhere.err.includes(
      "--code is a setting of Toy AE (a test's family) (--model toy-ae); --model daad has none",
    ),
    elsewhere.err,
  );
  // The kit's own CLI knows nothing of it.
  const plain = await runTask("train", ["--model", "toy-ae"]);
  assertEquals(plain.code, 2, plain.err);
  assert(
    plain.err.includes("--model expects ae|ae-skip|memae|daad|daad-plus|mnad, got 'toy-ae'"),
    plain.err,
  );
});
