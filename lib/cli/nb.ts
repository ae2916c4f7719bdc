/**
 * `deno task nb`: executes the notebooks headlessly with the Deno Jupyter kernel and
 * fails on any cell error.
 *
 * - installs the Deno kernel first when Jupyter does not list it;
 * - executes every `notebooks/*.ipynb` (or the ones named) with Jupyter's nbclient
 *   through `_nb_exec.py`, which works around the Deno kernel's late outputs, in quick mode (`DAAD_NB_QUICK=1`: fewer epochs, smaller data)
 *   unless `--full`;
 * - writes the executed copies to a scratch folder, or back into the notebooks with
 *   `--update` (how the committed outputs are regenerated), then slims them: every plot
 *   gets a static image rendered in headless Chromium and plotly.js is no longer stored
 *   (`lib/viz/nb_static.ts`);
 * - `--slim` does that last step alone, on notebooks already executed, running nothing.
 * @module
 */
import type { Browser } from "playwright-core";
import {
  chromiumMissing,
  ChromiumMissingError,
  chromiumPath,
  launchChromium,
} from "../viz/chromium.ts";
import { chromiumRenderer, type SlimFileReport, slimNotebookFile } from "../viz/nb_static.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { registerUserError, runCli } from "./_common.ts";

registerUserError(ChromiumMissingError);

const FLAGS: Record<string, FlagSpec> = {
  full: { type: "bool", help: "Run the notebooks at full size (default: quick mode)." },
  update: {
    type: "bool",
    help: "Write the outputs back into the notebooks (regenerate them), then slim them.",
  },
  slim: {
    type: "bool",
    help: "Only slim executed notebooks (static plot images, no stored plotly.js); runs nothing.",
  },
  timeout: { type: "int", min: 1, help: "Seconds a cell may run (default 1800)." },
  "out-dir": {
    type: "string",
    help: "Folder for the executed copies (default: a temporary folder).",
  },
};

const NOTEBOOKS = new URL("../../notebooks/", import.meta.url).pathname;

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; stdout: string; text: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
    const stdout = new TextDecoder().decode(r.stdout);
    return { ok: r.success, stdout, text: stdout + new TextDecoder().decode(r.stderr) };
  } catch (e) {
    return { ok: false, stdout: "", text: (e as Error).message };
  }
}

/** Makes sure Jupyter has the Deno kernel; installs it with `deno jupyter --install` if not. */
export async function ensureDenoKernel(): Promise<void> {
  const list = await run("jupyter", ["kernelspec", "list", "--json"]);
  if (!list.ok) {
    throw new ArgError(
      "Jupyter is not installed: on Debian/Ubuntu `apt-get install jupyter-nbconvert python3-ipykernel` " +
        `(${list.text.trim().split("\n")[0]})`,
    );
  }
  if (JSON.parse(list.stdout).kernelspecs?.deno != null) return;
  const install = await run(Deno.execPath(), ["jupyter", "--install"]);
  if (!install.ok) throw new Error(`deno jupyter --install failed: ${install.text}`);
}

/** The Python that runs Jupyter (its nbclient executes the notebooks). */
async function jupyterPython(): Promise<string> {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = await run(py, ["-c", "import nbclient, nbformat"]);
    if (r.ok) return py;
  }
  throw new ArgError(
    "no Python with nbclient found: on Debian/Ubuntu `apt-get install jupyter-nbconvert`",
  );
}

/** The notebooks to run: the names given, or every notebooks/*.ipynb in order. */
export function listNotebooks(names: string[]): string[] {
  if (names.length > 0) {
    return names.map((n) => {
      const path = n.includes("/") ? n : `${NOTEBOOKS}${n}`;
      try {
        Deno.statSync(path);
      } catch {
        throw new ArgError(`no notebook ${path}`);
      }
      return path;
    });
  }
  return [...Deno.readDirSync(NOTEBOOKS)].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => `${NOTEBOOKS}${e.name}`).sort();
}

/** Slims one notebook file with plots rendered in `browser`. */
function slim(path: string, browser: Browser): Promise<SlimFileReport> {
  return slimNotebookFile(path, chromiumRenderer({ browser }));
}

function kb(chars: number): string {
  return chars >= 1e6 ? `${(chars / 1e6).toFixed(2)} MB` : `${Math.round(chars / 1e3)} kB`;
}

/** One line saying what slimming did to a notebook. */
export function slimLine(r: SlimFileReport): string {
  const name = r.path.slice(r.path.lastIndexOf("/") + 1);
  const what = [
    `${r.plots} plot${r.plots === 1 ? "" : "s"} with a static image`,
    ...(r.loaders > 0 ? [`${r.loaders} plotly.js outputs removed`] : []),
    ...(r.images > 0 ? [`${r.images} duplicate image${r.images === 1 ? "" : "s"} dropped`] : []),
    ...(r.recompressed > 0 ? [`${r.recompressed} PNGs re-encoded smaller, losslessly`] : []),
  ];
  return `slim    ${name}: ${kb(r.before)} -> ${kb(r.after)} (${what.join(", ")})`;
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task nb [flags] [NOTEBOOK...]", FLAGS));
    return 0;
  }
  const notebooks = listNotebooks(positionals);
  if (notebooks.length === 0) throw new ArgError(`no notebooks in ${NOTEBOOKS}`);
  if (flags.slim) {
    if (flags.update || flags.full) throw new ArgError("--slim runs nothing: drop --update/--full");
    const browser = await launchChromium();
    try {
      for (const nb of notebooks) console.log(slimLine(await slim(nb, browser)));
    } finally {
      await browser.close();
    }
    return 0;
  }
  // Slimming after --update needs Chromium: say so before hours of execution, not after.
  if (flags.update && await chromiumMissing() != null) {
    throw new ChromiumMissingError(chromiumPath());
  }
  await ensureDenoKernel();
  const outDir = (flags.outDir as string | undefined) ??
    await Deno.makeTempDir({ prefix: "daad-nb-" });
  const env = { DAAD_NB_QUICK: flags.full ? "0" : "1", NO_COLOR: "1" };
  let failed = 0;
  const python = await jupyterPython();
  const exec = new URL("./_nb_exec.py", import.meta.url).pathname;
  const timeout = String((flags.timeout as number | undefined) ?? 1800);
  await Deno.mkdir(outDir, { recursive: true });
  for (const nb of notebooks) {
    const t0 = performance.now();
    const name = nb.slice(nb.lastIndexOf("/") + 1);
    const target = flags.update ? nb : `${outDir}/${name}`;
    const r = await run(python, [exec, nb, target, timeout], env);
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    if (r.ok) {
      console.log(`ok      ${name} (${s}s)`);
      if (flags.update) {
        const browser = await launchChromium();
        try {
          console.log(slimLine(await slim(nb, browser)));
        } finally {
          await browser.close();
        }
      }
    } else {
      failed++;
      console.log(`FAILED  ${name} (${s}s)\n${r.text.trim().split("\n").slice(-40).join("\n")}`);
    }
  }
  console.log(
    `${notebooks.length} notebooks: ${notebooks.length - failed} ok, ${failed} failed` +
      (flags.update ? "" : `; executed copies in ${outDir}`),
  );
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) await runCli(main);
