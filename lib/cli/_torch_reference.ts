/**
 * Runs the PyTorch reference of the DAAD network (`daad_ref.py`, shipped beside the kit
 * in `tools/`) and reads its throughput and, on CUDA, its peak allocated memory
 * (`torch.cuda.max_memory_allocated`). Without a Python that imports torch the result
 * is "skipped" with the reason, never an error: the reference is optional.
 *
 * @example
 * ```ts ignore
 * const r = await runTorchReference({ script: "tools/daad_ref.py", size: 64, width: 16,
 *   batch: 8, steps: 5, mode: "fp32" });
 * console.log(r.status === "ok" ? r.images_per_s : r.reason);
 * ```
 * @module
 */

/** Pythons tried in turn: the system's, Debian's, and the venv GPU machines have had. */
export const DEFAULT_PYTHONS: readonly string[] = [
  "python3",
  "/usr/bin/python3",
  "/opt/torch/.venv/bin/python3",
];

/** Options of {@linkcode runTorchReference}. */
export interface TorchReferenceOptions {
  script: string;
  size: number;
  width: number;
  batch: number;
  steps: number;
  /** fp32, tf32 or bf16 (daad_ref.py's --mode). */
  mode: string;
  /** Pythons to try, first that imports torch wins. Default {@linkcode DEFAULT_PYTHONS}. */
  pythons?: readonly string[];
  /** cuda or cpu; default cuda when torch sees a GPU. */
  device?: string;
  /** CPU threads for a cpu run (daad_ref.py's --threads). */
  threads?: number;
}

/** The reference's measurement, or why there is none. */
export type TorchReferenceResult =
  | {
    status: "ok";
    mode: string;
    device: string;
    step_ms: number;
    images_per_s: number;
    /** torch.cuda.max_memory_allocated, bytes (null on cpu). */
    peak_bytes: number | null;
    line: string;
  }
  | { status: "skipped"; mode: string; reason: string };

// Runs the script as __main__ and then prints the CUDA peak, which the script itself
// does not report.
const WRAPPER = `
import runpy, sys
script = sys.argv[1]
sys.argv = sys.argv[1:]
import torch
try:
    runpy.run_path(script, run_name="__main__")
finally:
    if torch.cuda.is_available():
        print("PEAK_BYTES %d" % torch.cuda.max_memory_allocated())
`;

async function output(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout).trim(), err: dec.decode(r.stderr).trim() };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

/** The first of `pythons` whose torch imports, and whether it sees CUDA; null if none. */
export async function findTorchPython(
  pythons: readonly string[] = DEFAULT_PYTHONS,
): Promise<{ python: string; cuda: boolean } | null> {
  for (const python of pythons) {
    const r = await output(python, ["-c", "import torch; print(torch.cuda.is_available())"]);
    if (r.ok) return { python, cuda: r.out.split("\n").at(-1) === "True" };
  }
  return null;
}

/** Runs daad_ref.py once (see the module notes). */
export async function runTorchReference(o: TorchReferenceOptions): Promise<TorchReferenceResult> {
  const pythons = o.pythons ?? DEFAULT_PYTHONS;
  const found = await findTorchPython(pythons);
  if (found == null) {
    return {
      status: "skipped",
      mode: o.mode,
      reason: `no Python with torch (tried ${pythons.join(", ")})`,
    };
  }
  try {
    await Deno.stat(o.script);
  } catch {
    return { status: "skipped", mode: o.mode, reason: `no reference script at ${o.script}` };
  }
  const device = o.device ?? (found.cuda ? "cuda" : "cpu");
  const args = [
    "-c",
    WRAPPER,
    o.script,
    "--device",
    device,
    "--mode",
    o.mode,
    "--size",
    String(o.size),
    "--width",
    String(o.width),
    "--batch",
    String(o.batch),
    "--steps",
    String(o.steps),
  ];
  if (device === "cpu" && o.threads != null) args.push("--threads", String(o.threads));
  const r = await output(found.python, args);
  if (!r.ok) {
    const last = r.err.split("\n").at(-1) ?? "";
    throw new Error(`daad_ref.py (${o.mode}, ${device}) failed: ${last}`);
  }
  const m = r.out.match(/([\d.]+) ms\/step, ([\d.]+) img\/s/);
  if (m == null) throw new Error(`cannot read daad_ref.py's output: ${r.out}`);
  const peak = r.out.match(/PEAK_BYTES (\d+)/);
  return {
    status: "ok",
    mode: o.mode,
    device,
    step_ms: Number(m[1]),
    images_per_s: Number(m[2]),
    peak_bytes: peak ? Number(peak[1]) : null,
    line: r.out.split("\n").find((l) => l.startsWith("DAAD ref")) ?? r.out,
  };
}
