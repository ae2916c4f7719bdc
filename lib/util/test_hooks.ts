/**
 * Fault-injection knobs for the reliability tests, read from the environment. They
 * change nothing unless set. Documented in docs/reliability.md ("What happens when...").
 *
 * - `DAAD_TEST_PAUSE_IN_CHECKPOINT_MS=N`: after writing half of a checkpoint's temporary
 *   file, print "checkpoint: paused mid-write" on stderr and wait N ms (a test kills the
 *   process there).
 * - `DAAD_TEST_NAN_AT_STEP=N`: `deno task train` reports a NaN loss at optimisation step N
 *   (it passes the step to the trainer's `faults` option; the trainer reads no environment).
 * - `DAAD_TEST_HOLD_AFTER_EPOCH=N`: `deno task train` waits after epoch N's checkpoint
 *   until it is interrupted (Ctrl-C, SIGTERM), printing "test hook: holding after epoch N";
 *   with `DAAD_TEST_HOLD_RUN=TEXT`, only runs whose `--out` folder contains TEXT wait (the
 *   Slurm test stops one task of a job array at a known checkpoint this way).
 * @module
 */

function intEnv(name: string): number | null {
  try {
    const v = Deno.env.get(name);
    if (v == null || v === "") return null;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : null;
  } catch {
    return null; // no --allow-env: no hooks
  }
}

/** Milliseconds to pause in the middle of a checkpoint write, or null. */
export function checkpointPauseMs(): number | null {
  return intEnv("DAAD_TEST_PAUSE_IN_CHECKPOINT_MS");
}

/** The step at which to report a NaN loss, or null. */
export function nanAtStep(): number | null {
  return intEnv("DAAD_TEST_NAN_AT_STEP");
}

/**
 * The epoch after which a run with run folder `out` waits until interrupted, or null.
 *
 * @example
 * ```ts
 * import { holdAfterEpoch } from "./test_hooks.ts";
 * console.log(holdAfterEpoch("runs/x")); // null unless DAAD_TEST_HOLD_AFTER_EPOCH is set
 * ```
 */
export function holdAfterEpoch(out: string | null): number | null {
  const epoch = intEnv("DAAD_TEST_HOLD_AFTER_EPOCH");
  if (epoch == null) return null;
  let only: string | undefined;
  try {
    only = Deno.env.get("DAAD_TEST_HOLD_RUN");
  } catch {
    return null;
  }
  if (only != null && only !== "" && !(out ?? "").includes(only)) return null;
  return epoch;
}
