/**
 * `deno task sweep` as a user runs it: the committed Table 2 sweep plans its 60 runs and
 * writes its Slurm array without Slurm (`--dry-run`), bad sweeps fail naming the axis, and
 * `sweep local` trains a tiny grid two at a time, stops on SIGTERM with checkpoints, and
 * resumes. The array on a real Slurm is tests/cli_sweep_slurm_test.ts.
 * @module
 */
import { assert, assertEquals } from "./assert.ts";
import { ROOT, runTask } from "./cli_helpers.ts";

const TABLE2 = "sweeps/table2-mnist.json";

Deno.test("sweep plan lists the 60 runs of the committed Table 2 sweep", async () => {
  const r = await runTask("sweep", ["plan", TABLE2, "--out", "/tmp/daad-never-written"]);
  assertEquals(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assertEquals(
    lines[0],
    "sweep table2-mnist: 60 runs (model 3 x seed 2 x normal 10) in /tmp/daad-never-written",
  );
  assertEquals(lines.length, 62);
  assertEquals(lines.at(-1), "60 runs: 0 finished, 0 started (they resume), 60 new");
  const names = lines.slice(1, 61).map((l) => l.trim().split(/\s+/)[2]);
  assertEquals(new Set(names).size, 60);
  for (const model of ["ae", "memae", "daad"]) {
    for (const seed of [0, 1]) {
      for (let d = 0; d < 10; d++) {
        assert(names.includes(`model-${model}_seed-${seed}_normal-${d}`));
      }
    }
  }
  assert(
    lines[1].endsWith(
      "deno task train --data mnist --epochs 5 --model ae --seed 0 --normal 0 " +
        "--out /tmp/daad-never-written/model-ae_seed-0_normal-0",
    ),
    lines[1],
  );
  const json = await runTask("sweep", ["plan", TABLE2, "--json"]);
  const plan = JSON.parse(json.out);
  assertEquals(plan.runs.length, 60);
  assertEquals(plan.runs[59].config.model, "daad");
  assertEquals(plan.runs[59].state, "new");
});

Deno.test("sweep slurm --dry-run writes the Table 2 array of 60 tasks and submits nothing", async () => {
  const out = await Deno.makeTempDir({ prefix: "daad-sweep-" });
  try {
    const r = await runTask("sweep", [
      "slurm",
      TABLE2,
      "--out",
      out,
      "--dry-run",
      "--partition",
      "gpu",
      "--gpus-per-task",
      "1",
      "--time",
      "4:00:00",
      "--array-limit",
      "8",
      "--sbatch",
      "--qos=normal",
      "--deno",
      "deno",
    ]);
    assertEquals(r.code, 0, r.err);
    assert(r.out.includes(`wrote ${out}/slurm/array.sbatch (60 task(s)) and`), r.out);
    assert(r.out.includes("dry run: nothing submitted. To submit:"), r.out);
    assert(r.out.includes(`jid=$(sbatch --parsable ${out}/slurm/array.sbatch)`), r.out);
    assert(
      r.out.includes(`sbatch --dependency=afterany:\${jid%;*} ${out}/slurm/table.sbatch`),
      r.out,
    );
    const script = await Deno.readTextFile(`${out}/slurm/array.sbatch`);
    for (
      const line of [
        "#SBATCH --array=0-59%8",
        "#SBATCH --partition=gpu",
        "#SBATCH --gpus-per-task=1",
        "#SBATCH --time=4:00:00",
        "#SBATCH --qos=normal",
        "#SBATCH --requeue",
        `cd ${ROOT.replace(/\/$/, "")} || exit 1`,
      ]
    ) {
      assert(script.includes(`${line}\n`), `missing ${line}`);
    }
    assertEquals(script.match(/^ {2}\d+\) # model-/gm)?.length, 60);
    const check = await new Deno.Command("bash", { args: ["-n", `${out}/slurm/array.sbatch`] })
      .output();
    assert(check.success, "bash -n array.sbatch");
    const table = await Deno.readTextFile(`${out}/slurm/table.sbatch`);
    assert(table.includes(`exec deno task sweep table ${out}\n`), table);
    assertEquals(JSON.parse(await Deno.readTextFile(`${out}/plan.json`)).plan.runs.length, 60);
    const submitted = await Deno.stat(`${out}/slurm/submissions.jsonl`).catch(() => null);
    assertEquals(submitted, null);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("sweep refuses a bad sweep naming the axis, value or flag, and writes nothing", async () => {
  const never = `/tmp/daad-sweep-never-${crypto.randomUUID()}`;
  const cases: [string[], number, string][] = [
    [["plan", "--axis", "modle=ae", "--", "--data", "stripes"], 1, `"modle" is not a flag`],
    [["plan", "--axis", "model=ae,aee"], 1, `axis "model", value aee: --model expects`],
    [["plan", TABLE2, "--axis", "normal=0,11"], 1, `--normal expects 0..9 or 'all', got '11'`],
    [["plan", TABLE2, "--", "--epochs", "0"], 1, `base "epochs": --epochs expects an integer >= 1`],
    [["plan", "no-such.json"], 1, "sweep file no-such.json does not exist"],
    [["plan", "sweeps"], 1, "sweeps is a folder, not a sweep file"],
    [["plan", TABLE2, "--jobs", "2"], 2, "--jobs is for 'sweep local'"],
    [["launch", TABLE2], 2, "unknown sweep command 'launch'"],
    [[], 2, "sweep needs a command"],
    [["plan"], 2, "give a sweep file, or --axis"],
    [
      ["slurm", TABLE2, "--out", never, "--dry-run", "--time", "soon"],
      1,
      "--time expects a Slurm time limit",
    ],
    [["slurm", TABLE2, "--out", never, "--name", "a b"], 1, "--name must be letters"],
  ];
  for (const [args, code, message] of cases) {
    const r = await runTask("sweep", args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert(r.err.includes(message), `${args.join(" ")}: ${r.err}`);
    assertEquals(r.err.trim().split("\n").length, 1, r.err);
  }
  assertEquals(await Deno.stat(never).catch(() => null), null);
});

const TINY = [
  "--data",
  "mnist",
  "--model",
  "ae",
  "--max-train",
  "48",
  "--max-test",
  "40",
  "--epochs",
  "2",
  "--batch",
  "16",
  "--width",
  "4",
  "--backend",
  "wasm",
];

Deno.test("sweep local trains two at a time, stops on SIGTERM with checkpoints, resumes, writes the table", async () => {
  const out = await Deno.makeTempDir({ prefix: "daad-sweep-" });
  const args = ["local", "--out", out, "--jobs", "2", "--axis", "normal=0,1,2", "--", ...TINY];
  const held = `${out}/normal-2`;
  let child: Deno.ChildProcess | null = null;
  try {
    // The third run holds after epoch 1; SIGTERM to the sweep then stops it.
    child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}lib/cli/sweep.ts`, ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: {
        NO_COLOR: "1",
        DAAD_WASM_THREADS: "1",
        DAAD_TEST_HOLD_AFTER_EPOCH: "1",
        DAAD_TEST_HOLD_RUN: "normal-2",
      },
    }).spawn();
    const stdout = new Response(child.stdout).text();
    const stderr = new Response(child.stderr).text();
    const deadline = Date.now() + 120_000;
    while (
      !(await Deno.readTextFile(`${held}/train.log`).catch(() => "")).includes(
        "test hook: holding after epoch 1",
      )
    ) {
      assert(Date.now() < deadline, "the held run never reached its hold");
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill("SIGTERM");
    const code = (await child.status).code;
    child = null;
    const first = await stdout;
    assertEquals(code, 130, first + (await stderr));
    assert(
      first.includes("3 runs: 0 finished, 0 started (they resume), 3 new; 3 to train, 2 at a time"),
    );
    assert(/\[\d\/3\] stopped normal-2 with a checkpoint/.test(first), first);
    assert(first.includes("interrupted: run the same command again to continue"), first);
    assert((await Deno.readTextFile(`${held}/train.log`)).includes("checkpoint saved"));

    const second = await runTask("sweep", args);
    assertEquals(second.code, 0, second.out + second.err);
    assert(
      second.out.includes("3 runs: 2 finished, 1 started (they resume), 0 new; 1 to train"),
      second.out,
    );
    assert(/\[1\/1\] finished normal-2: image AUROC 0\.\d{4}/.test(second.out), second.out);
    assert(
      (await Deno.readTextFile(`${held}/train.log`)).includes("resuming from epoch 1, batch 0"),
    );
    const table = JSON.parse(await Deno.readTextFile(`${out}/table.json`));
    assertEquals([table.complete, table.runs.length], [true, 3]);
    assertEquals(table.by_class.classes, ["0", "1", "2"]);

    const third = await runTask("sweep", args);
    assertEquals(third.code, 0, third.err);
    assert(
      third.out.includes("3 runs: 3 finished, 0 started (they resume), 0 new; nothing to train"),
    );
  } finally {
    // On a failure, SIGTERM stops the sweep and (passed on) its trainings.
    try {
      child?.kill("SIGTERM");
      await child?.status;
    } catch {
      // it had ended
    }
    await Deno.remove(out, { recursive: true });
  }
});
