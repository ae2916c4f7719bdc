import { assert, assertEquals } from "../../tests/assert.ts";
import { trainFlags } from "../cli/sweep.ts";
import { RECORD_VERSION } from "../run.ts";
import { runConfigFlags } from "../families/resolve.ts";

import { runSweepLocal } from "./local.ts";
import { expandSweep, type SweepPlan } from "./plan.ts";
import { parseSweepSpec } from "./spec.ts";

const flags = trainFlags();

/**
 * A stand-in for `deno task train`: logs its start and end with the time, holds 0.3 s,
 * fails for seed 3, waits for SIGTERM with FAKE_HOLD, else writes metrics.json.
 */
const FAKE_TRAIN = `#!/bin/bash
while [ $# -gt 0 ]; do
  case "$1" in --out) out=$2 ;; --seed) seed=$2 ;; --resume) resume=1 ;; esac; shift
done
echo "start $seed \${resume:-0} $(date +%s.%N)" >> "$FAKE_LOG"
if [ -n "$FAKE_HOLD" ]; then
  trap 'echo "seed $seed stopped"; exit 130' TERM
  echo "seed $seed holds"
  while true; do sleep 0.05; done
fi
sleep 0.3
echo "end $seed $(date +%s.%N)" >> "$FAKE_LOG"
if [ "$seed" = 3 ]; then echo "error: something broke"; exit 1; fi
echo "{\\"image_auroc\\": 0.$seed}" > "$out/metrics.json"
`;

async function setup(): Promise<{ dir: string; plan: SweepPlan; command: string[] }> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/train`, FAKE_TRAIN, { mode: 0o755 });
  const spec = parseSweepSpec({
    out: "sw",
    base: { data: "stripes" },
    axes: { seed: [1, 2, 3, 4, 5] },
  }, "s");
  return { dir, plan: await expandSweep(spec, flags, { cwd: dir }), command: [`${dir}/train`] };
}

Deno.test("runSweepLocal() trains N at a time, skips finished runs, reports a failure", async () => {
  const { dir, plan, command } = await setup();
  const log = `${dir}/calls.log`;
  // seed 5 finished before.
  await Deno.mkdir(plan.runs[4].dir, { recursive: true });
  await Deno.writeTextFile(`${plan.runs[4].dir}/metrics.json`, '{"image_auroc": 0.5}');
  const lines: string[] = [];
  const outcome = await runSweepLocal(plan, {
    jobs: 2,
    command,
    env: { FAKE_LOG: log },
    progress: { update() {}, end() {}, line: (t) => lines.push(t) },
  });
  assertEquals(outcome.skipped, ["seed-5"]);
  assertEquals(outcome.notStarted, []);
  assertEquals(outcome.interrupted, false);
  const by = Object.fromEntries(outcome.results.map((r) => [r.name, r]));
  assertEquals(Object.keys(by).sort(), ["seed-1", "seed-2", "seed-3", "seed-4"]);
  assertEquals([by["seed-2"].outcome, by["seed-2"].imageAuroc], ["finished", 0.2]);
  assertEquals([by["seed-3"].outcome, by["seed-3"].code], ["failed", 1]);
  assertEquals(by["seed-3"].lastLine, "error: something broke");
  assert(
    lines[0].includes(
      "5 runs: 1 finished, 0 started (they resume), 4 new; 4 to train, 2 at a time",
    ),
  );
  assert(
    lines.some((l) => /^\[\d\/4\] FAILED seed-3 \(exit 1\): error: something broke/.test(l)),
    lines.join("\n"),
  );
  // Never more than two at once: the runs' [start, end] intervals overlap at most pairwise.
  const events = (await Deno.readTextFile(log)).trim().split("\n").map((l) => l.split(" "));
  let running = 0, most = 0;
  for (const e of events.sort((a, b) => Number(a.at(-1)) - Number(b.at(-1)))) {
    running += e[0] === "start" ? 1 : -1;
    most = Math.max(most, running);
  }
  assertEquals(most, 2);
  // Each run's output went to its train.log, after a header naming the command.
  const trainLog = await Deno.readTextFile(`${plan.runs[2].dir}/train.log`);
  assert(trainLog.includes(`${command[0]} --data stripes --seed 3 --out ${plan.runs[2].dir}\n`));
  assert(trainLog.includes("error: something broke"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runSweepLocal() resumes started runs, starts none after its signal, stops runs on terminate", async () => {
  const { dir, plan, command } = await setup();
  const log = `${dir}/calls.log`;
  // seed 1 started before: its folder holds config.json.
  await Deno.mkdir(plan.runs[0].dir, { recursive: true });
  await Deno.writeTextFile(
    `${plan.runs[0].dir}/config.json`,
    JSON.stringify({
      record_version: RECORD_VERSION,
      config: runConfigFlags(plan.runs[0].config),
    }),
  );
  const stop = new AbortController(), terminate = new AbortController();
  const done = runSweepLocal(plan, {
    jobs: 2,
    command,
    env: { FAKE_LOG: log, FAKE_HOLD: "1" },
    signal: stop.signal,
    terminate: terminate.signal,
  });
  const starts = async () =>
    (await Deno.readTextFile(log).catch(() => "")).split("\n").filter((l) => l.startsWith("start"));
  // Each run's output reaches its train.log while it runs, not when it ends.
  const holding = async (i: number) =>
    (await Deno.readTextFile(`${plan.runs[i].dir}/train.log`).catch(() => "")).includes(
      `seed ${i + 1} holds`,
    );
  const until = Date.now() + 30_000;
  while (!(await holding(0)) || !(await holding(1))) {
    assert(Date.now() < until, "the runs' output did not reach train.log while they ran");
    await new Promise((r) => setTimeout(r, 20));
  }
  stop.abort();
  terminate.abort();
  const outcome = await done;
  assertEquals(outcome.interrupted, true);
  assertEquals(outcome.results.map((r) => [r.name, r.outcome, r.code]).sort(), [
    ["seed-1", "stopped", 130],
    ["seed-2", "stopped", 130],
  ]);
  assertEquals(outcome.notStarted, ["seed-3", "seed-4", "seed-5"]);
  // seed 1 was given --resume, seed 2 not.
  assertEquals((await starts()).map((l) => l.split(" ").slice(0, 3).join(" ")).sort(), [
    "start 1 1",
    "start 2 0",
  ]);
  await Deno.remove(dir, { recursive: true });
});
