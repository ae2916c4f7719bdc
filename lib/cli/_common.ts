/**
 * What every CLI task shares: one clear line for a user error (no stack trace), exit
 * codes, and Ctrl-C handling that lets training checkpoint before it stops.
 * @module
 */
import { BackendUnavailableError } from "../backend.ts";
import { RUN_FLAGS } from "../config.ts";
import { WasmHeapFullError } from "../_wasm_heap.ts";
import { DatasetError } from "../data/errors.ts";
import { BlockGeometryError } from "../memory/block_memory.ts";
import { MetricInputError } from "../metrics/mod.ts";
import { MnadConfigError } from "../models/mnad/config.ts";
import { StateMismatchError } from "../nn/params.ts";
import { CheckpointError } from "../train/checkpoint.ts";
import { describeIoError, RunDirError } from "../train/run_dir.ts";
import { NonFiniteLossError, ResumeError } from "../train/trainer.ts";
import { ConfigError } from "../util/errors.ts";
import { ArgError, type FlagSpec } from "./args.ts";

/** Errors caused by input or environment, reported as one line without a stack. */
const USER_ERRORS = [
  ArgError,
  ConfigError,
  BlockGeometryError,
  DatasetError,
  RunDirError,
  CheckpointError,
  ResumeError,
  NonFiniteLossError,
  BackendUnavailableError,
  MetricInputError,
  StateMismatchError,
  MnadConfigError,
  WasmHeapFullError,
];

/** Registers additional user-facing error classes (datasets added later use this). */
export function registerUserError(cls: new (...args: never[]) => Error): void {
  USER_ERRORS.push(cls as unknown as typeof ArgError);
}

/** `--backend`, as every task that runs a model takes it (train's run flag). */
export const BACKEND_FLAG: FlagSpec = RUN_FLAGS.backend;

/** `--threads` for train, eval and predict. */
export const THREADS_FLAG: FlagSpec = {
  type: "int",
  min: 1,
  help: "CPU threads: oneDNN's on onednn, XNNPACK's on wasm (default: the idle cores, or " +
    "DAAD_WASM_THREADS).",
};

/** Why a path could not be written, in words (the system's message names a temporary file). */
function whyNotWritten(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "its folder does not exist";
  if (e instanceof Deno.errors.NotADirectory) return "a part of the path is a file, not a folder";
  if (e instanceof Deno.errors.IsADirectory) return "it is a folder";
  if (e instanceof Deno.errors.AlreadyExists) return "a file of that name is in the way";
  return describeIoError(e);
}

/**
 * Runs `write`, which writes what a task was asked for at `path` (a file or a folder,
 * named by `--<flag>` or its default); an error of the operating system becomes one line,
 * `--<flag> <path>: cannot write it (<why>)`, instead of a stack trace.
 */
export async function writeOutput<T>(
  flag: string,
  path: string,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (e) {
    // The operating system's refusals (no folder, no permission, full disk...); a bug
    // keeps its stack trace.
    if (!(e instanceof Error && /\(os error \d+\)/.test(e.message))) throw e;
    throw new ArgError(`--${flag} ${path}: cannot write it (${whyNotWritten(e)})`);
  }
}

/** Exit code for bad arguments. */
export const EXIT_USAGE = 2;
/** Exit code for other failures. */
export const EXIT_FAILURE = 1;
/** Exit code after Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** Runs a CLI main function and exits with its code; user errors print one line. */
export async function runCli(main: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main();
  } catch (e) {
    if (USER_ERRORS.some((cls) => e instanceof cls)) {
      console.error(`error: ${(e as Error).message}`);
      code = e instanceof ArgError ? EXIT_USAGE : EXIT_FAILURE;
    } else {
      console.error(e);
      code = EXIT_FAILURE;
    }
  }
  Deno.exit(code);
}

/** A second signal this many milliseconds after the first is taken for a copy of it. */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * An AbortSignal raised by the first Ctrl-C or SIGTERM (training then checkpoints and
 * stops); a second one, more than a second later, exits at once. SIGTERM is what Slurm
 * sends before it kills a cancelled, preempted or requeued job, so a batch run keeps its
 * exact position too.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  let first = 0;
  const listen = (signal: "SIGINT" | "SIGTERM", what: string, again: string) => {
    try {
      Deno.addSignalListener(signal, () => {
        if (controller.signal.aborted) {
          // `deno task` forwards the signal its process group already delivered, and Slurm
          // signals every process of a job: a repeat this soon is that copy, not a second
          // Ctrl-C.
          if (performance.now() - first < DUPLICATE_SIGNAL_MS) return;
          Deno.exit(EXIT_INTERRUPTED);
        }
        first = performance.now();
        console.error(
          `\n${what}: finishing the current step and saving a checkpoint (${again} again to quit now)`,
        );
        controller.abort();
      });
    } catch {
      // signals unsupported (e.g. Windows without SIGTERM): the signal just ends the process
    }
  };
  listen("SIGINT", "interrupt", "Ctrl-C");
  listen("SIGTERM", "SIGTERM", "SIGTERM");
  return controller.signal;
}
