import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { trainFlags } from "../cli/sweep.ts";

import { ConfigError } from "../util/errors.ts";
import { expandSweep, type SweepPlan } from "./plan.ts";
import {
  activeJobs,
  arrayScript,
  parseJobId,
  sbatchCommands,
  shellQuote,
  type SlurmCommand,
  SlurmError,
  submitSlurmFiles,
  tableScript,
  writeSlurmFiles,
} from "./slurm.ts";
import { parseSweepSpec } from "./spec.ts";

const flags = trainFlags();

async function plan(dir: string): Promise<SweepPlan> {
  const spec = parseSweepSpec(
    {
      name: "demo",
      out: "sw",
      base: { data: "stripes", "max-test": 40 },
      axes: { seed: [0, 1, 2] },
    },
    "demo.json",
  );
  return await expandSweep(spec, flags, { cwd: dir });
}

Deno.test("arrayScript() asks for one task per run, requeue, and the resources given", async () => {
  const dir = await Deno.makeTempDir();
  const p = await plan(dir);
  const s = arrayScript(p, p.runs, {
    root: "/home/me/daad kit",
    deno: "deno",
    partition: "gpu",
    account: "lab",
    gpusPerTask: 1,
    cpusPerTask: 4,
    mem: "16G",
    time: "1-02:00:00",
    arrayLimit: 2,
    extra: ["--qos=long"],
  });
  for (
    const line of [
      "#SBATCH --job-name=demo",
      "#SBATCH --array=0-2%2",
      `#SBATCH --output=${dir}/sw/slurm/logs/%A_%a.out`,
      "#SBATCH --requeue",
      "#SBATCH --partition=gpu",
      "#SBATCH --account=lab",
      "#SBATCH --gpus-per-task=1",
      "#SBATCH --cpus-per-task=4",
      "#SBATCH --mem=16G",
      "#SBATCH --time=1-02:00:00",
      "#SBATCH --qos=long",
      `  2) # seed-2\n    out=${dir}/sw/seed-2\n    args=(--data stripes --max-test 40 --seed 2) ;;`,
      "cd '/home/me/daad kit' || exit 1",
      `deno task train "\${args[@]}" --out "$out" $resume >> "$out/train.log" 2>&1 &`,
    ]
  ) {
    assert(s.includes(line + "\n"), `missing ${JSON.stringify(line)} in\n${s}`);
  }
  // Every #SBATCH line comes before the first command (sbatch stops reading them there).
  const lines = s.split("\n");
  const firstCommand = lines.findIndex((l) => l !== "" && !l.startsWith("#"));
  assert(lines.slice(firstCommand).every((l) => !l.startsWith("#SBATCH")), s);
  const t = tableScript(p, { root: "/kit", deno: "/opt/deno", partition: "gpu", gpusPerTask: 1 });
  assert(t.includes(`exec /opt/deno task sweep table ${dir}/sw\n`), t);
  assert(t.includes("#SBATCH --partition=gpu\n"), t);
  assert(!t.includes("--gpus-per-task"), "the table job needs no GPU");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("arrayScript() refuses resources Slurm would not read", async () => {
  const dir = await Deno.makeTempDir();
  const p = await plan(dir);
  const base = { root: "/kit", deno: "deno" };
  assertThrows(() => arrayScript(p, p.runs, { ...base, time: "2 hours" }), ConfigError, "--time");
  assertThrows(
    () => arrayScript(p, p.runs, { ...base, arrayLimit: 0 }),
    ConfigError,
    "array-limit",
  );
  assertThrows(
    () => arrayScript(p, p.runs, { ...base, extra: ["qos=long"] }),
    ConfigError,
    "--sbatch",
  );
  assertThrows(() => arrayScript(p, [], base), ConfigError, "no run to put in an array");
  await Deno.remove(dir, { recursive: true });
});

/**
 * A stand-in for deno: records its arguments; then, like train, writes config.json and
 * metrics.json into --out, or (FAKE_HOLD=1) waits for SIGTERM and exits 130 after 0.3 s.
 */
const FAKE_DENO = `#!/bin/bash
echo "args: $*" >> "$FAKE_LOG"
while [ $# -gt 0 ]; do if [ "$1" = --out ]; then out=$2; fi; shift; done
if [ -n "$FAKE_HOLD" ]; then
  trap 'echo "got TERM" >> "$FAKE_LOG"; sleep 0.3; echo "exiting 130" >> "$FAKE_LOG"; exit 130' TERM
  echo held >> "$FAKE_LOG"
  while true; do sleep 0.05; done
fi
echo '{}' > "$out/config.json"
echo '{"image_auroc": 0.5}' > "$out/metrics.json"
`;

async function runTask(
  script: string,
  task: number,
  env: Record<string, string>,
  onStart?: (child: Deno.ChildProcess) => Promise<void>,
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("bash", {
    args: [script],
    env: { SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_JOB_ID: "77", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = new Response(child.stdout).text();
  const err = new Response(child.stderr).text();
  await onStart?.(child);
  const status = await child.status;
  return { code: status.code, out: (await out) + (await err) };
}

Deno.test("the array script trains, resumes a started run, skips a finished one, waits on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const p = await plan(dir);
  await Deno.writeTextFile(`${dir}/deno`, FAKE_DENO, { mode: 0o755 });
  const files = await writeSlurmFiles(p, p.runs, { root: dir, deno: `${dir}/deno` });
  const log = `${dir}/calls.log`;
  const env = { FAKE_LOG: log };
  const calls = async () => (await Deno.readTextFile(log).catch(() => "")).trim().split("\n");

  const first = await runTask(files.arrayScript, 0, env);
  assertEquals(first.code, 0, first.out);
  assertEquals(await calls(), [
    `args: task train --data stripes --max-test 40 --seed 0 --out ${dir}/sw/seed-0`,
  ]);
  assert(first.out.includes("task 77_0 on "), first.out);
  // A requeued task finds its run finished: nothing runs.
  const again = await runTask(files.arrayScript, 0, env);
  assertEquals(again.code, 0);
  assert(again.out.includes(`${dir}/sw/seed-0 finished before (metrics.json); nothing to do`));
  assertEquals((await calls()).length, 1);
  // A started run (config.json, no metrics) resumes.
  await Deno.mkdir(`${dir}/sw/seed-1`);
  await Deno.writeTextFile(`${dir}/sw/seed-1/config.json`, "{}");
  assertEquals((await runTask(files.arrayScript, 1, env)).code, 0);
  assertEquals(
    (await calls()).at(-1),
    `args: task train --data stripes --max-test 40 --seed 1 --out ${dir}/sw/seed-1 --resume`,
  );
  assertEquals((await runTask(files.arrayScript, 3, env)).code, 2);
  // SIGTERM to the task's shell reaches the run, and the shell waits for it to end.
  const stopped = await runTask(files.arrayScript, 2, { ...env, FAKE_HOLD: "1" }, async (child) => {
    while (!(await calls()).includes("held")) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGTERM");
  });
  assertEquals(stopped.code, 130, stopped.out);
  assert(stopped.out.includes(": exit 130"), stopped.out);
  assertEquals((await calls()).slice(-2), ["got TERM", "exiting 130"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("submitSlurmFiles() submits the array, then the table job after any end of it", async () => {
  const dir = await Deno.makeTempDir();
  const p = await plan(dir);
  const files = await writeSlurmFiles(p, p.runs.slice(1), { root: dir, deno: "deno" });
  const calls: string[] = [];
  let next = 41;
  const fake: SlurmCommand = (program, args) => {
    calls.push(`${program} ${args.join(" ")}`);
    if (program === "squeue") return Promise.resolve(args.at(-1) === "42" ? "42_1 RUNNING\n" : "");
    return Promise.resolve(`${++next};cluster\n`);
  };
  assertEquals(await submitSlurmFiles(files, fake), { arrayJob: "42", tableJob: "43" });
  assertEquals(calls, [
    `sbatch --parsable ${files.arrayScript}`,
    `sbatch --parsable --dependency=afterany:42 ${files.tableScript}`,
  ]);
  const record = JSON.parse(await Deno.readTextFile(`${files.dir}/submissions.jsonl`));
  assertEquals([record.array_job, record.table_job, record.runs], ["42", "43", [
    "seed-1",
    "seed-2",
  ]]);
  assertEquals(await activeJobs(files.dir, fake), ["42"]);
  await submitSlurmFiles(files, fake);
  assertEquals(await activeJobs(files.dir, fake), ["42"], "job 44 has ended");
  assertEquals(sbatchCommands(files), [
    `jid=$(sbatch --parsable ${files.arrayScript})`,
    `sbatch --dependency=afterany:\${jid%;*} ${files.tableScript}`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseJobId() and shellQuote() read sbatch and write bash", async () => {
  assertEquals(parseJobId("123\n"), "123");
  assertEquals(parseJobId("124;big"), "124");
  assertThrows(() => parseJobId("Submitted batch job 5"), SlurmError, "not a job id");
  assertEquals(shellQuote("--normal"), "--normal");
  assertEquals(shellQuote("/a b/c"), "'/a b/c'");
  assertEquals(shellQuote("it's"), `'it'\\''s'`);
  const r = await new Deno.Command("bash", {
    args: ["-c", `printf '%s|' ${["it's", "a b", "$HOME", "x"].map(shellQuote).join(" ")}`],
    stdout: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(r.stdout), "it's|a b|$HOME|x|");
  assertThrows(() => parseJobId(""), SlurmError);
});

Deno.test("the scripts double-quote a sweep folder with spaces in #SBATCH lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "daad sweep " });
  const p = await plan(dir);
  const s = arrayScript(p, p.runs, { root: "/kit", deno: "deno" });
  assert(s.includes(`#SBATCH --output="${dir}/sw/slurm/logs/%A_%a.out"\n`), s);
  assert(s.includes(`    out='${dir}/sw/seed-0'\n`), s);
  assert(
    tableScript(p, { root: "/kit", deno: "deno" }).includes(
      `exec deno task sweep table '${dir}/sw'\n`,
    ),
  );
  await Deno.remove(dir, { recursive: true });
});
