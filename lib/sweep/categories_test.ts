import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { useBackend } from "../../tests/tf_helpers.ts";
import { initBackend } from "../backend.ts";
import { resolveRunConfig } from "../families/resolve.ts";
import { registerClassLister, trainSweep } from "./categories.ts";
import { RunDirError } from "../train/run_dir.ts";

await useBackend("wasm");
const backend = await initBackend("wasm", { quiet: true, threads: 1 });
registerClassLister("mnist", () => Promise.resolve(["3", "7"]));

const tiny = (out: string, resume = false) =>
  resolveRunConfig({
    data: "mnist",
    normal: "all",
    epochs: 1,
    width: 2,
    memory: 5,
    maxTest: 60,
    out,
    resume,
    backend: "wasm",
  });

Deno.test("trainSweep() trains each class in its own folder and writes the table with the mean", async () => {
  const out = `${await Deno.makeTempDir()}/sweep`;
  const s = await trainSweep(tiny(out), { backend });
  assertEquals(s.runs.map((r) => r.name), ["3", "7"]);
  const table = JSON.parse(await Deno.readTextFile(`${out}/table.json`));
  assertEquals(table.rows.map((r: { name: string }) => r.name), ["3", "7"]);
  const mean = (table.rows[0].image_auroc + table.rows[1].image_auroc) / 2;
  assert(Math.abs(table.mean.image_auroc - mean) < 1e-12);
  for (const f of ["table.md", "table.csv", "3/metrics.json", "7/metrics.json"]) {
    await Deno.stat(`${out}/${f}`);
  }
  // Resuming a finished sweep keeps the finished classes and rewrites the same table.
  const again = await trainSweep(tiny(out, true), { backend });
  assertEquals(again.table!.mean.image_auroc, table.mean.image_auroc);
  // Starting a new sweep into the same folder is refused.
  await assertRejects(
    () => trainSweep(tiny(out), { backend }),
    RunDirError,
    "already holds a sweep",
  );
  await Deno.remove(out.replace(/\/sweep$/, ""), { recursive: true });
});
