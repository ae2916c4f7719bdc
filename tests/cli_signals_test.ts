/**
 * `deno task train` and the signals a cluster sends: SIGTERM (Slurm's cancel, preemption
 * and requeue) checkpoints and stops like Ctrl-C, also when it arrives twice at once (a
 * task runner forwards the copy its process group already got), and the run resumes.
 * The run is stopped at a known position by the `DAAD_TEST_HOLD_AFTER_EPOCH` hook.
 * @module
 */
import { assert, assertEquals } from "./assert.ts";
import { ROOT } from "./cli_helpers.ts";
import { readCheckpoint } from "../lib/train/checkpoint.ts";

const TINY = [
  "--data",
  "mnist",
  "--max-train",
  "48",
  "--max-test",
  "40",
  "--width",
  "4",
  "--memory",
  "10",
  "--backend",
  "wasm",
  "--epochs",
  "2",
  "--batch",
  "16",
];

/** Spawns train; once stderr contains `when`, sends `signals` (all at once). */
async function train(
  args: string[],
  env: Record<string, string>,
  signal?: { when: string; send: Deno.Signal[] },
): Promise<{ code: number; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}lib/cli/train.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DAAD_WASM_THREADS: "1", ...env },
  }).spawn();
  let err = "", sent = false;
  const dec = new TextDecoder();
  const out = new Response(child.stdout).text();
  for await (const chunk of child.stderr) {
    err += dec.decode(chunk);
    if (signal != null && !sent && err.includes(signal.when)) {
      sent = true;
      for (const s of signal.send) child.kill(s);
    }
  }
  const status = await child.status;
  return { code: status.code, err: err + (await out) };
}

Deno.test("train stops at a checkpoint on SIGTERM, sent twice at once, and resumes from it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "daad-signals-" });
  const run = `${tmp}/held`;
  try {
    const stopped = await train(["--out", run, ...TINY], {
      DAAD_TEST_HOLD_AFTER_EPOCH: "1",
    }, { when: "test hook: holding after epoch 1", send: ["SIGTERM", "SIGTERM"] });
    assertEquals(stopped.code, 130, stopped.err);
    assert(stopped.err.includes("interrupted after epoch 1; checkpoint saved"), stopped.err);
    assertEquals((await readCheckpoint(`${run}/checkpoint.ckpt`)).meta.position, {
      epoch: 1,
      batch: 0,
      step: 3,
    });
    const resumed = await train(["--out", run, "--resume", ...TINY], {});
    assertEquals(resumed.code, 0, resumed.err);
    assert(resumed.err.includes("resuming from epoch 1, batch 0 (step 3)"), resumed.err);
    const metrics = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
    assertEquals(metrics.epochs, 2);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("DAAD_TEST_HOLD_RUN limits the hold to runs whose folder names it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "daad-signals-" });
  try {
    const r = await train(["--out", `${tmp}/free`, ...TINY], {
      DAAD_TEST_HOLD_AFTER_EPOCH: "1",
      DAAD_TEST_HOLD_RUN: "held",
    });
    assertEquals(r.code, 0, r.err);
    assert(!r.err.includes("test hook"), r.err);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/**
 * Runs a script that takes `interruptSignal()` and, once it is raised, waits 1.5 s and
 * exits 0; sends SIGTERM, then again after `gapMs`.
 */
async function twoSignals(gapMs: number): Promise<{ code: number; out: string }> {
  const tmp = await Deno.makeTempDir({ prefix: "daad-signals-" });
  const script = `${tmp}/wait.ts`;
  await Deno.writeTextFile(
    script,
    `import { interruptSignal } from "${ROOT}lib/cli/_common.ts";
const signal = interruptSignal();
console.log("ready");
await new Promise((r) => signal.addEventListener("abort", r));
await new Promise((r) => setTimeout(r, 1500));
console.log("finished after the first signal");`,
  );
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", `${ROOT}deno.json`, script],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let out = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) {
      out += dec.decode(chunk);
      if (out === "ready\n") {
        child.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, gapMs));
        child.kill("SIGTERM");
      }
    }
    return { code: (await child.status).code, out };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("interruptSignal() takes a repeat within a second for a copy, a later one for quit", async () => {
  const copy = await twoSignals(100);
  assertEquals(copy, { code: 0, out: "ready\nfinished after the first signal\n" });
  const quit = await twoSignals(1200);
  assertEquals(quit, { code: 130, out: "ready\n" });
});
