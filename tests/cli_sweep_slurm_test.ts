/**
 * `deno task sweep slurm` against a real Slurm: a one-node cluster (tests/slurm_cluster.ts)
 * runs a tiny version of the committed Table 2 sweep (sweeps/table2-mnist.json cut to
 * AE and DAAD on digits 0 and 1, seed 0: a 2x2 grid of runs on 48 training images, two
 * epochs) as one job array with its table job after it.
 *
 * One run is stopped at a known position: the test hook DAAD_TEST_HOLD_AFTER_EPOCH makes
 * it wait after epoch 1's checkpoint, and the test cancels its task with `scancel` there.
 * The table job (afterany) then writes the table of the three runs that finished, names
 * the missing one and fails; resubmitting the sweep puts only that run in a new array, it
 * resumes from its checkpoint, and the new table job writes the whole table.
 *
 * Skipped (with a SKIPPED line) where Slurm and munge are not installed; `.ci/run`
 * installs them.
 * @module
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask, type TaskResult } from "./cli_helpers.ts";
import { SLURM, testWith } from "./optional.ts";
import { type JobRecord, startTestCluster, type TestCluster, waitFor } from "./slurm_cluster.ts";
import { readCheckpoint } from "../lib/train/checkpoint.ts";

const HELD = "model-daad_seed-0_normal-1";

function sweepArgs(out: string): string[] {
  return [
    "slurm",
    "sweeps/table2-mnist.json",
    "--out",
    out,
    "--deno",
    Deno.execPath(),
    "--axis",
    "model=ae,daad",
    "--axis",
    "seed=0",
    "--axis",
    "normal=0,1",
    "--",
    "--max-train",
    "48",
    "--max-test",
    "64",
    "--epochs",
    "2",
    "--batch",
    "16",
    "--width",
    "4",
    "--memory",
    "10",
    "--backend",
    "wasm",
  ];
}

function jobIds(r: TaskResult): { array: string; table: string } {
  const array = /^array job: (\d+)$/m.exec(r.out)?.[1];
  const table = /^table job: (\d+)$/m.exec(r.out)?.[1];
  assert(array != null && table != null, `no job ids in:\n${r.out}\n${r.err}`);
  return { array, table };
}

/** The finished array tasks of `arrayJob` by task id, and the job `id`'s record. */
function tasksOf(records: JobRecord[], arrayJob: string): Map<string, JobRecord> {
  return new Map(
    records.filter((r) => r.ArrayJobId === arrayJob).map((r) => [r.ArrayTaskId, r]),
  );
}

const jobOf = (records: JobRecord[], id: string) => records.find((r) => r.JobId === id);

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

await testWith([SLURM], {
  name: "sweep slurm: a 2x2 job array trains, its table job writes the table, a cancelled " +
    "task resumes from its checkpoint when resubmitted",
  async fn() {
    let cluster: TestCluster | null = null;
    try {
      cluster = await startTestCluster();

      // The whole Table 2 sweep: 60 runs as one array, written (--dry-run) and checked by
      // this cluster's controller (sbatch --test-only), as too long to train here.
      const full = `${cluster.dir}/table2`;
      const dry = await runTask("sweep", [
        "slurm",
        "sweeps/table2-mnist.json",
        "--out",
        full,
        "--dry-run",
        "--partition",
        "debug",
        "--time",
        "2:00:00",
        "--array-limit",
        "8",
      ], cluster.env);
      assertEquals(dry.code, 0, dry.out + dry.err);
      assert(dry.out.includes("(60 task(s))"), dry.out);
      const fullScript = await Deno.readTextFile(`${full}/slurm/array.sbatch`);
      assert(fullScript.includes("#SBATCH --array=0-59%8\n"), fullScript);
      const accepted = await cluster.exec("sbatch", ["--test-only", `${full}/slurm/array.sbatch`]);
      assert(
        accepted.ok && /Job \d+ to start at .* in partition debug/.test(accepted.err),
        accepted.err,
      );

      const out = `${cluster.dir}/table2-tiny`;
      const held = `${out}/${HELD}`;

      // First submission: every run in one array; HELD waits after epoch 1's checkpoint.
      const first = await runTask("sweep", sweepArgs(out), {
        ...cluster.env,
        DAAD_TEST_HOLD_AFTER_EPOCH: "1",
        DAAD_TEST_HOLD_RUN: HELD,
      });
      assertEquals(first.code, 0, first.out + first.err);
      const ids1 = jobIds(first);
      assert(first.out.includes("(4 task(s))"), first.out);
      const script = await Deno.readTextFile(`${out}/slurm/array.sbatch`);
      assert(script.includes("#SBATCH --array=0-3\n"), script);
      assert(script.includes("#SBATCH --requeue\n"), script);
      const plan = await readJson<{ plan: { runs: { name: string }[] } }>(`${out}/plan.json`);
      const heldTask = plan.plan.runs.findIndex((r) => r.name === HELD);
      assertEquals(heldTask, 3);

      // A second submission while the first one's jobs are queued is refused.
      const twice = await runTask("sweep", sweepArgs(out), cluster.env);
      assertEquals(twice.code, 1, twice.out + twice.err);
      assert(twice.err.includes(`job(s) ${ids1.array} of an earlier submission`), twice.err);

      await waitFor(
        async () =>
          (await Deno.readTextFile(`${held}/train.log`).catch(() => "")).includes(
            "test hook: holding after epoch 1",
          ),
        120_000,
        `${HELD} to hold after epoch 1`,
      );
      await cluster.run("scancel", [`${ids1.array}_${heldTask}`]);
      await cluster.waitIdle(120_000);

      const records1 = await cluster.finishedJobs();
      const tasks1 = tasksOf(records1, ids1.array);
      assertEquals([...tasks1.keys()].sort(), ["0", "1", "2", "3"]);
      for (const t of ["0", "1", "2"]) {
        assertEquals(tasks1.get(t)!.JobState, "COMPLETED", JSON.stringify(tasks1.get(t)));
        assertEquals(tasks1.get(t)!.ExitCode, "0:0");
      }
      assertEquals(tasks1.get("3")!.JobState, "CANCELLED");
      // The task got SIGTERM and checkpointed (the position after epoch 1) before it ended.
      const heldLog = await Deno.readTextFile(`${held}/train.log`);
      assert(heldLog.includes("interrupted after epoch 1; checkpoint saved"), heldLog);
      assertEquals((await readCheckpoint(`${held}/checkpoint.ckpt`)).meta.position, {
        epoch: 1,
        batch: 0,
        step: 3,
      });
      // afterany: the table job ran without the cancelled run, named it and failed.
      const table1 = jobOf(records1, ids1.table);
      assertEquals(table1?.JobState, "FAILED", JSON.stringify(table1));
      const partial = await readJson<{ complete: boolean; runs: unknown[]; missing: string[] }>(
        `${out}/table.json`,
      );
      assertEquals([partial.complete, partial.runs.length, partial.missing], [false, 3, [HELD]]);

      // Resubmission: only the cancelled run goes into the new array, and it resumes.
      const second = await runTask("sweep", sweepArgs(out), cluster.env);
      assertEquals(second.code, 0, second.out + second.err);
      assert(second.out.includes("(1 task(s); 3 finished run(s) left out)"), second.out);
      const ids2 = jobIds(second);
      await cluster.waitIdle(120_000);
      const records2 = await cluster.finishedJobs();
      const tasks2 = tasksOf(records2, ids2.array);
      assertEquals([...tasks2.keys()], ["0"]);
      assertEquals(tasks2.get("0")!.JobState, "COMPLETED", JSON.stringify(tasks2.get("0")));
      assertEquals(jobOf(records2, ids2.table)?.JobState, "COMPLETED");
      const resumedLog = await Deno.readTextFile(`${held}/train.log`);
      assert(resumedLog.includes("resuming from epoch 1, batch 0 (step 3)"), resumedLog);
      assertEquals((await readJson<{ epochs: number }>(`${held}/metrics.json`)).epochs, 2);

      const table = await readJson<{
        complete: boolean;
        runs: { run: string; image_auroc: number }[];
        by_class: { classes: string[]; models: { model: string; classes_measured: number }[] };
      }>(`${out}/table.json`);
      assert(table.complete);
      assertEquals(table.runs.map((r) => r.run).sort(), [
        "model-ae_seed-0_normal-0",
        "model-ae_seed-0_normal-1",
        "model-daad_seed-0_normal-0",
        HELD,
      ]);
      for (const r of table.runs) assert(r.image_auroc >= 0 && r.image_auroc <= 1);
      assertEquals(table.by_class.classes, ["0", "1"]);
      assertEquals(
        table.by_class.models.map((m) => [m.model, m.classes_measured]),
        [["ae", 2], ["daad", 2]],
      );
      const md = await Deno.readTextFile(`${out}/table.md`);
      assert(md.includes("All 4 runs finished."), md);
    } catch (e) {
      if (cluster != null) (e as Error).message += `\n${await cluster.logs()}`;
      throw e;
    } finally {
      await cluster?.stop();
    }
  },
});
