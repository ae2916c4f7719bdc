/**
 * Fault-injection knobs for the reliability tests, read from the environment. They
 * change nothing unless set. Documented in docs/reliability.md ("What happens when...").
 *
 * - `DAAD_TEST_PAUSE_IN_CHECKPOINT_MS=N`: after writing half of a checkpoint's temporary
 *   file, print "checkpoint: paused mid-write" on stderr and wait N ms (a test kills the
 *   process there).
 * - `DAAD_TEST_NAN_AT_STEP=N`: `deno task train` reports a NaN loss at optimisation step N
 *   (it passes the step to the trainer's `faults` option; the trainer reads no environment).
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
