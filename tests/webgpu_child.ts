/**
 * WebGPU tests run in a child process (`deno run`), never on `deno test`'s own threads.
 *
 * Why: `deno test` runs each test module on a thread of its own, and those threads end at
 * the very moment the process exits. Deno's WebGPU on Linux without Vulkan opens its
 * adapter through EGL (wgpu's GL backend, Mesa's llvmpipe on CI), and libglvnd's
 * `libEGL.so.1` keeps a state per thread that called it: at exit its destructor frees
 * every thread's state while such a thread, ending, frees its own again. The heap is
 * corrupted and the process aborts after every test passed ("corrupted size vs.
 * prev_size in fastbins", "corrupted double-linked list", or a segfault in libEGL).
 * Under `deno run` the script runs on the main thread, whose state libEGL frees once;
 * no other thread calls EGL. docs/webgpu-tests.md has the evidence.
 *
 * In a test file, {@linkcode webgpuTest} replaces `Deno.test` for a test that touches
 * WebGPU, and {@linkcode webgpuProbe} replaces `probeWebGpu()` where the test file
 * decides whether to run. The parent test spawns `tests/_webgpu_child_main.ts` with the
 * test file's URL and the test's name; the child imports the test file (its `Deno.test` calls are
 * no-ops under `deno run`), runs that one body, and exits. Its output is shown in the
 * parent test's output, and a failure or an unclean exit of the child fails the test.
 * `deno task test` preloads `tests/webgpu_guard.ts`, which makes any other use of
 * WebGPU in the test process fail, naming this module.
 *
 * @example
 * ```ts
 * import { webgpuProbe, webgpuTest } from "../../tests/webgpu_child.ts";
 * const gpu = await webgpuProbe();
 * webgpuTest(import.meta, {
 *   name: "the kernel on webgpu equals cpu",
 *   ignore: !gpu.available,
 *   fn: async () => {
 *     // initBackend("webgpu"), compare with the cpu backend, assert...
 *   },
 * });
 * ```
 * @module
 */
import { probeWebGpu } from "../lib/backend.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CHILD_MAIN = new URL("./_webgpu_child_main.ts", import.meta.url).pathname;

/** What {@linkcode webgpuProbe} reports, as `probeWebGpu()` does. */
export interface WebGpuProbe {
  available: boolean;
  fallback: boolean;
  description: string;
}

/** A WebGPU test: its name, whether to skip it, and its body (run in the child). */
export interface WebGpuTestDefinition {
  name: string;
  ignore?: boolean;
  fn: () => void | Promise<void>;
}

/** Exit code, signal and output of one child. */
export interface WebGpuChildResult {
  code: number;
  signal: string | null;
  out: string;
  err: string;
}

// Set in the child (by webgpuChildMain()) before it imports the test file:
// the name of the test to run, and the body once the test file has registered it.
const child: { name: string | null; fn: WebGpuTestDefinition["fn"] | null } = {
  name: null,
  fn: null,
};

async function spawnChild(args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${ROOT}deno.json`, CHILD_MAIN, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: r.code,
    signal: r.signal,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

let probe: Promise<WebGpuProbe> | null = null;

/**
 * `probeWebGpu()` asked in a child process (in the child itself: asked directly), once
 * per test module. A probe that fails to run throws with the child's error output.
 */
export function webgpuProbe(): Promise<WebGpuProbe> {
  if (child.name != null) return probeWebGpu();
  probe ??= spawnChild(["probe"]).then((r) => {
    const line = r.out.trim().split("\n").at(-1) ?? "";
    if (r.code !== 0 || !line.startsWith("{")) {
      throw new Error(`the WebGPU probe process failed (code ${r.code}, ${r.signal}): ${r.err}`);
    }
    return JSON.parse(line) as WebGpuProbe;
  });
  return probe;
}

/**
 * Runs the {@linkcode webgpuTest} named `name` of the test file at `moduleUrl` in a child
 * process and returns how it ended (`env` is added to the child's environment).
 */
export function runWebGpuChild(
  moduleUrl: string,
  name: string,
  env: Record<string, string> = {},
): Promise<WebGpuChildResult> {
  return spawnChild(["run", moduleUrl, name], env);
}

/**
 * Registers a test whose body runs in a child process: `Deno.test` for WebGPU. Pass the
 * test file's `import.meta`. The test fails when the body throws or the child does not
 * exit with code 0 (a crash at exit included).
 */
export function webgpuTest(meta: ImportMeta, def: WebGpuTestDefinition): void {
  if (child.name != null) {
    if (def.name === child.name) child.fn = def.fn;
    return;
  }
  Deno.test({
    name: def.name,
    ignore: def.ignore,
    fn: async () => {
      const r = await runWebGpuChild(meta.url, def.name);
      if (r.out.trim() !== "") console.log(r.out.trimEnd());
      if (r.code !== 0 || r.signal != null) {
        const how = r.signal != null ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
        throw new Error(`the child running '${def.name}' ${how}:\n${r.err.trimEnd()}`);
      }
      if (r.err.trim() !== "") console.error(r.err.trimEnd());
    },
  });
}

/**
 * The child's side (`tests/_webgpu_child_main.ts` calls it with its arguments): `probe`
 * prints `probeWebGpu()` as JSON; `run <test module URL> <test name>` imports the test
 * file and runs that {@linkcode webgpuTest}'s body, which throws on failure.
 */
export async function webgpuChildMain(args: string[]): Promise<void> {
  const [mode, url, name] = args;
  if (mode === "probe") {
    console.log(JSON.stringify(await probeWebGpu()));
  } else if (mode === "run" && url != null && name != null) {
    child.name = name;
    await import(url);
    if (child.fn == null) throw new Error(`${url} has no webgpuTest() named '${name}'`);
    await child.fn();
  } else {
    throw new Error(`usage: _webgpu_child_main.ts probe | run <test module URL> <test name>`);
  }
}
