/**
 * Runs the kit's command-line tasks as a user does, for the end-to-end tests.
 * @module
 */

/** The project root. */
export const ROOT = new URL("..", import.meta.url).pathname;

/** Exit code and output of one task run. */
export interface TaskResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `lib/cli/<script>.ts` with `args` from the project root, without colours and with
 * one wasm thread (test files run in parallel), plus any `env`.
 */
export async function runTask(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<TaskResult> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}lib/cli/${script}.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DAAD_WASM_THREADS: "1", ...env },
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

/** A tiny DAAD run on the quick default's data (256 images, one epoch, width 4, N 10, wasm). */
export const TINY_TRAIN_ARGS: readonly string[] = [
  "--max-train",
  "256",
  "--epochs",
  "1",
  "--width",
  "4",
  "--memory",
  "10",
  "--backend",
  "wasm",
];

/**
 * A temporary folder outside the checkout with a deno.json holding the project's import
 * map, so that the kernel (started in the notebook's folder) resolves the kit's imports.
 */
export async function notebookScratch(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "daad-nb-test-" });
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({
      imports: config.imports,
      compilerOptions: config.compilerOptions,
      lock: false,
    }),
  );
  return dir;
}
