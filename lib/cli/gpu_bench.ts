/**
 * `deno task gpu-bench`: the one device run. On WebGPU it measures the DAAD network's
 * training and scoring throughput with tfjs's kernels and with the kit's (autotuned:
 * each kit kernel runs only where it measured faster), the PyTorch reference
 * (`daad_ref.py`) in fp32 and tf32 on the same machine, and peak GPU memory for both
 * (nvidia-smi sampling for the kit, torch.cuda.max_memory_allocated for PyTorch). It
 * prints one JSON line per measurement and a short table last.
 *
 * `--tiny` runs a 32x32, width-4 network for two steps: the end-to-end check done on a
 * machine with only a software WebGPU adapter. `scripts/gpu_bench.sh` prepares and runs
 * this on a GPU machine (see docs/performance.md).
 * @module
 */
import { initBackend } from "../backend.ts";
import {
  BENCH_CONFIGS,
  type BenchConfig,
  benchDaad,
  benchDaadConfig,
  type BenchRecord,
} from "../bench.ts";
import { daadFlops } from "../models/daad/flops.ts";
import { startVramSampler, type VramPeak } from "./_gpu_vram.ts";
import {
  checkKernelMode,
  setAutotuneCacheDir,
  setKernelMode,
  tuneDecisions,
  tuneWebGpuKernels,
} from "../kernels/webgpu/autotune.ts";
import { runTorchReference, type TorchReferenceResult } from "./_torch_reference.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { runCli } from "./_common.ts";

const TINY: BenchConfig = {
  name: "tiny",
  size: 32,
  width: 4,
  batch: 2,
  memory: 20,
  division: [2, 2, 1],
};

const FLAGS: Record<string, FlagSpec> = {
  tiny: { type: "bool", help: "32x32, width 4, batch 2, 2 steps: the end-to-end check." },
  config: {
    type: "enum",
    choices: Object.keys(BENCH_CONFIGS),
    help: "paper (256x256, width 64, batch 8; default) or small.",
  },
  steps: { type: "int", min: 1, help: "Timed training steps (default 5, tiny 2)." },
  warmup: {
    type: "int",
    min: 1,
    help: "Untimed steps first; autotune runs after the first (default 2, tiny 1).",
  },
  modes: {
    type: "string",
    help: "Kernel modes to measure, comma-separated: tfjs, auto (the kit's where faster), " +
      "kit, or a tile name (default tfjs,auto).",
  },
  ref: {
    type: "string",
    help: "daad_ref.py, or 'none' (default: .gpu/daad_ref.py, ../shared/tools, shared/tools).",
  },
  "ref-modes": { type: "string", help: "daad_ref.py precisions (default fp32,tf32)." },
  python: { type: "string", help: "Python with torch (default: python3, /usr/bin/python3)." },
  cache: { type: "string", help: "Directory for the autotune decisions (webgpu_autotune.json)." },
  "budget-s": {
    type: "int",
    min: 1,
    help: "Skip phases that would start after this many seconds (default 420).",
  },
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function findRefScript(given?: string): Promise<string | null> {
  if (given === "none") return null;
  if (given != null) return given;
  for (const p of [".gpu/daad_ref.py", "../shared/tools/daad_ref.py", "shared/tools/daad_ref.py"]) {
    if (await exists(p)) return p;
  }
  return null;
}

/** One row of the closing table. */
export interface Row {
  what: string;
  kind: string;
  batch: number;
  images_per_s: number | null;
  step_ms: number | null;
  tflops: number | null;
  peak_gpu_mib: number | null;
  note?: string;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The closing table: one line per row, columns aligned. */
export function formatTable(rows: Row[]): string {
  const head = ["what", "kind", "batch", "img/s", "ms/step", "TFLOP/s", "peak GPU MiB", "note"];
  const cells = rows.map((r) => [
    r.what,
    r.kind,
    String(r.batch),
    r.images_per_s == null ? "-" : String(r.images_per_s),
    r.step_ms == null ? "-" : String(r.step_ms),
    r.tflops == null ? "-" : r.tflops.toPrecision(3),
    r.peak_gpu_mib == null ? "n/a" : String(r.peak_gpu_mib),
    r.note ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

async function main(): Promise<number> {
  const started = performance.now();
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task gpu-bench [flags]", FLAGS));
    return 0;
  }
  if (positionals.length > 0) {
    throw new ArgError(`gpu-bench takes no positional arguments, got '${positionals[0]}'`);
  }
  const tiny = flags.tiny === true;
  const config = tiny ? TINY : BENCH_CONFIGS[(flags.config as string | undefined) ?? "paper"];
  const steps = (flags.steps as number | undefined) ?? (tiny ? 2 : 5);
  const warmup = (flags.warmup as number | undefined) ?? (tiny ? 1 : 2);
  const budgetMs = ((flags.budgetS as number | undefined) ?? 420) * 1000;
  const modes = ((flags.modes as string | undefined) ?? "tfjs,auto").split(",");
  for (const m of modes) {
    try {
      checkKernelMode(m);
    } catch (e) {
      throw new ArgError(`--modes: ${(e as Error).message}`);
    }
  }
  const refModes = ((flags.refModes as string | undefined) ?? "fp32,tf32").split(",");
  if (flags.cache != null) setAutotuneCacheDir(flags.cache as string);
  const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
  const overBudget = () => performance.now() - started > budgetMs;

  const backend = await initBackend("webgpu");
  const flops = daadFlops(benchDaadConfig(config));
  print({
    kind: "setup",
    config: config.name,
    size: config.size,
    width: config.width,
    batch: config.batch,
    backend: backend.name,
    device: backend.device,
    deno: Deno.version.deno,
    train_gflop_per_image: round(flops.trainStepPerImage / 1e9, 3),
    forward_gflop_per_image: round(flops.forwardPerImage / 1e9, 3),
  });

  const rows: Row[] = [];
  // The reference first: it is quick, and the anchor every other figure is read against.
  const script = await findRefScript(flags.ref as string | undefined);
  const refs: TorchReferenceResult[] = [];
  for (const mode of refModes) {
    let r: TorchReferenceResult;
    if (script == null) r = { status: "skipped", mode, reason: "no daad_ref.py found" };
    else if (overBudget()) r = { status: "skipped", mode, reason: "time budget spent" };
    else {
      r = await runTorchReference({
        script,
        size: config.size,
        width: config.width,
        batch: config.batch,
        steps: Math.max(steps, 5),
        mode,
        pythons: flags.python != null ? [flags.python as string] : undefined,
      });
    }
    refs.push(r);
    print({ kind: "reference", config: config.name, ...r });
    rows.push(
      r.status === "ok"
        ? {
          what: `pytorch ${r.mode} (${r.device})`,
          kind: "train",
          batch: config.batch,
          images_per_s: r.images_per_s,
          step_ms: r.step_ms,
          tflops: Number(((r.images_per_s * flops.trainStepPerImage) / 1e12).toPrecision(3)),
          peak_gpu_mib: r.peak_bytes == null ? null : Math.round(r.peak_bytes / 2 ** 20),
        }
        : {
          what: `pytorch ${r.mode}`,
          kind: "train",
          batch: config.batch,
          images_per_s: null,
          step_ms: null,
          tflops: null,
          peak_gpu_mib: null,
          note: `skipped: ${r.reason}`,
        },
    );
  }
  const trainRate = new Map<string, number>();
  for (const mode of modes) {
    if (overBudget()) {
      print({ kind: "skipped", what: `kit ${mode}`, reason: "time budget spent" });
      rows.push({
        what: `tfjs-webgpu kernels=${mode}`,
        kind: "-",
        batch: config.batch,
        images_per_s: null,
        step_ms: null,
        tflops: null,
        peak_gpu_mib: null,
        note: "skipped: budget",
      });
      continue;
    }
    setKernelMode(mode);
    const sampler = await startVramSampler();
    let records: BenchRecord[];
    try {
      records = await benchDaad(config, backend, {
        steps,
        warmup,
        scoreBatches: tiny ? [config.batch] : [1, 32],
        // Tuning may take a third of what is left of the budget per call.
        tune: mode === "auto"
          ? () => tuneWebGpuKernels({ budgetMs: (budgetMs - (performance.now() - started)) / 3 })
          : async () => {},
      });
    } finally {
      setKernelMode(null);
    }
    const peak: VramPeak | null = sampler ? await sampler.stop() : null;
    for (const r of records) {
      const perImage = r.kind === "train" ? flops.trainStepPerImage : flops.forwardPerImage;
      const tflops = Number(((r.images_per_s * perImage) / 1e12).toPrecision(3));
      print({ ...r, kernels: mode, tflops, gpu_memory: peak });
      if (r.kind === "train") trainRate.set(mode, r.images_per_s);
      rows.push({
        what: `kit, kernels=${mode}`,
        kind: r.kind,
        batch: r.batch,
        images_per_s: r.images_per_s,
        step_ms: r.step_ms,
        tflops,
        peak_gpu_mib: peak?.peak_mib ?? null,
      });
    }
  }
  const decisions = tuneDecisions();
  for (const d of decisions) print({ kind: "autotune", ...d });
  const kitWins = decisions.filter((d) => d.winner !== "tfjs").length;

  const fp32 = refs.find((r) => r.status === "ok" && r.mode === "fp32");
  for (const [mode, rate] of trainRate) {
    if (fp32?.status === "ok") {
      print({
        kind: "ratio",
        config: config.name,
        kernels: mode,
        reference: "pytorch fp32",
        ratio: round(rate / fp32.images_per_s, 3),
      });
    }
  }
  console.log(
    `\n${config.name} config (${config.size}x${config.size}, width ${config.width}, ` +
      `batch ${config.batch}) on ${backend.device}; ${
        (flops.trainStepPerImage / 1e9).toPrecision(4)
      } GFLOP per image per training step; the kit's kernels won ${kitWins} of ` +
      `${decisions.length} tuned shapes; ${round((performance.now() - started) / 1000, 1)} s`,
  );
  console.log(formatTable(rows));
  return 0;
}

if (import.meta.main) await runCli(main);
