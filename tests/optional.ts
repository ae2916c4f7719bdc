/**
 * Tests that need an optional system program (Chromium for the browser checks, Jupyter
 * for the notebooks, Slurm for the job-array test, PyTorch for the twin, oneDNN for the `onednn`
 * backend). On a machine without it (a new user's: `npx -y deno@2 task test`
 * with only Node/npm) such a test is skipped, never failed and never passed in silence:
 * it shows as "ignored" in Deno's report, and a line starting `SKIPPED` names the test
 * and what to install. With `DAAD_TEST_REQUIRE_OPTIONAL=1` (set by `.ci/run`, which
 * installs them) a missing program fails the test instead, so CI always runs them.
 * @module
 */

/** An optional program: how to find it and how to install it. */
export interface OptionalProgram {
  /** What it is, e.g. "Chromium". */
  name: string;
  /** How to install it, e.g. "apt-get install -y chromium". */
  install: string;
  /** Why it is missing (a short reason), or null when it is there. */
  missing(): Promise<string | null>;
}

import { CHROMIUM_INSTALL, chromiumPath } from "../lib/viz/chromium.ts";
import { ONEDNN_INSTALL, openOneDnn } from "../lib/kernels/onednn/ffi.ts";

/** The Chromium the browser tests drive: `$CHROMIUM_PATH` or /usr/bin/chromium. */
export const CHROMIUM_PATH: string = chromiumPath();

async function runs(cmd: string, args: string[]): Promise<string | null> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    if (r.success) return null;
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").at(-1) ?? "";
    return `'${cmd} ${args.join(" ")}' failed${err ? `: ${err}` : ""}`;
  } catch (e) {
    return e instanceof Deno.errors.NotFound
      ? `${cmd} is not installed`
      : `'${cmd}' cannot run: ${(e as Error).message}`;
  }
}

/** Headless Chromium (Debian's package), driven by playwright-core. */
export const CHROMIUM: OptionalProgram = {
  name: "Chromium",
  install: CHROMIUM_INSTALL,
  async missing() {
    try {
      const info = await Deno.stat(CHROMIUM_PATH);
      if (!info.isFile) return `${CHROMIUM_PATH} is not a file`;
    } catch {
      return `no Chromium at ${CHROMIUM_PATH}`;
    }
    return await runs(CHROMIUM_PATH, ["--version"]);
  },
};

/** Jupyter with nbclient (Debian's jupyter-nbconvert and python3-ipykernel). */
export const JUPYTER: OptionalProgram = {
  name: "Jupyter",
  install: "apt-get install -y jupyter-nbconvert python3-ipykernel",
  async missing() {
    const jupyter = await runs("jupyter", ["kernelspec", "list"]);
    if (jupyter != null) return jupyter;
    for (const python of ["/usr/bin/python3", "python3"]) {
      if (await runs(python, ["-c", "import nbclient, nbformat, ipykernel"]) == null) return null;
    }
    return "no Python with nbclient, nbformat and ipykernel";
  },
};

/** A program on the PATH or in the system folders (root's daemons live in /usr/sbin). */
export async function findProgram(name: string): Promise<string | null> {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin"];
  for (const dir of dirs.filter((d) => d !== "")) {
    try {
      const info = await Deno.stat(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // not there
    }
  }
  return null;
}

/**
 * Slurm and munge (Debian's slurm-wlm and munge), for the test that starts a one-node
 * cluster of its own (tests/slurm_cluster.ts).
 */
export const SLURM: OptionalProgram = {
  name: "Slurm",
  install: "apt-get install -y slurm-wlm munge",
  async missing() {
    for (const p of ["slurmctld", "slurmd", "munged", "sbatch", "squeue", "scancel", "sinfo"]) {
      if (await findProgram(p) == null) return `${p} is not installed`;
    }
    return null;
  },
};

/** The Debian Python, /usr/bin/python3 (the one python3-torch installs into). */
export const PYTHON3: OptionalProgram = {
  name: "Python 3",
  install: "apt-get install -y python3",
  missing: () => runs("/usr/bin/python3", ["--version"]),
};

/** PyTorch for /usr/bin/python3 (Debian's python3-torch), for the PyTorch twin. */
export const PYTHON_TORCH: OptionalProgram = {
  name: "PyTorch (python3-torch)",
  install: "apt-get install -y python3-torch",
  missing: () => runs("/usr/bin/python3", ["-c", "import torch"]),
};

/** oneDNN 2.x, the library of the `onednn` backend (Debian's libdnnl2). */
export const ONEDNN: OptionalProgram = {
  name: "oneDNN 2.x",
  install: ONEDNN_INSTALL,
  missing() {
    const r = openOneDnn();
    return Promise.resolve(r.ok ? null : r.reason);
  },
};

/** Each program is looked for once per test file. */
const checked = new Map<OptionalProgram, Promise<string | null>>();

/** True when `.ci/run` (or anyone) asks that no optional test be skipped. */
export function optionalRequired(): boolean {
  return Deno.env.get("DAAD_TEST_REQUIRE_OPTIONAL") === "1";
}

/** The line printed for a skipped test. */
export function skipLine(test: string, program: OptionalProgram, reason: string): string {
  return `SKIPPED "${test}": needs ${program.name} (${reason}); install it with: ${program.install}`;
}

/**
 * Registers a test that needs `programs`: run as usual when they are all there, else
 * skipped with a visible line (or failed, when `DAAD_TEST_REQUIRE_OPTIONAL=1`).
 */
export async function testWith(
  programs: OptionalProgram[],
  definition: Deno.TestDefinition,
): Promise<void> {
  for (const program of programs) {
    let check = checked.get(program);
    if (check == null) checked.set(program, check = program.missing());
    const reason = await check;
    if (reason == null) continue;
    const line = skipLine(definition.name, program, reason);
    if (optionalRequired()) {
      Deno.test({
        ...definition,
        fn() {
          throw new Error(`${line} (DAAD_TEST_REQUIRE_OPTIONAL=1 forbids skipping)`);
        },
      });
    } else {
      console.warn(line);
      Deno.test({ ...definition, ignore: true });
    }
    return;
  }
  Deno.test(definition);
}
