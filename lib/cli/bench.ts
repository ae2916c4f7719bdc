/**
 * `deno task bench`: training and scoring throughput of the AE and DAAD networks, one
 * JSON line per measurement on stdout (DESIGN's contract: config, backend, step_ms,
 * images_per_s).
 *
 * With `--ref auto`, the PyTorch twin of the network (`tools/daad_torch.py`: same layers,
 * channels, memory and input) is timed in the same invocation on the same machine, at 1
 * and 2 threads (`--ref-threads`). The machine may be shared, so the kit and PyTorch take
 * turns: `--rounds` rounds of (kit, PyTorch at each thread count), and a final `ratio`
 * line per config and model compares the kit's best round with PyTorch's best round at
 * its best thread count (medians of the rounds beside them).
 * @module
 */
import { type BackendInfo, defaultThreads, initBackend } from "../backend.ts";
import {
  BENCH_CONFIGS,
  BENCH_MODELS,
  type BenchConfig,
  benchDaad,
  type BenchModel,
  type BenchRecord,
  profileTrainStep,
} from "../bench.ts";
import { kitKernelNames } from "../kernels/mod.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, runCli } from "./_common.ts";
import { DEFAULT_PYTHONS, findTorchPython } from "./_torch_reference.ts";
import { pathExists } from "../util/fs.ts";

const FLAGS: Record<string, FlagSpec> = {
  backend: BACKEND_FLAG,
  config: {
    type: "enum",
    choices: [...Object.keys(BENCH_CONFIGS), "all"],
    help: "paper (256x256, width 64, batch 8, N 500, 8,8,1), small (64x64, width 16, batch 8) " +
      "or mnist (the mnist preset: 32x32 grey, width 16, batch 32, N 100, 2,2,1). Default small.",
  },
  model: {
    type: "enum",
    choices: [...BENCH_MODELS, "all"],
    help: "ae, daad or all (default all).",
  },
  steps: { type: "int", min: 1, help: "Timed training steps (default 10; scoring uses half)." },
  warmup: { type: "int", min: 0, help: "Untimed steps first (default 2)." },
  threads: {
    type: "int",
    min: 1,
    help: "The kit's threads: oneDNN's on onednn, XNNPACK's on wasm (default: the idle cores).",
  },
  ref: {
    type: "string",
    help: "Also time PyTorch: 'auto' = tools/daad_torch.py, or a script taking its flags.",
  },
  "ref-threads": {
    type: "string",
    help: "PyTorch thread counts to time, comma-separated (default 1,2).",
  },
  "ref-device": {
    type: "enum",
    choices: ["cpu", "cuda"],
    help: "Device of the reference (default cpu, or cuda on webgpu).",
  },
  rounds: {
    type: "int",
    min: 1,
    help: "Rounds of (kit, PyTorch at each thread count) with --ref (default 3).",
  },
  profile: {
    type: "bool",
    help: "Also print the time per kernel of one training step (kind: profile).",
  },
  python: {
    type: "string",
    help:
      "Interpreter for --ref (default: the first of python3, /usr/bin/python3 that imports torch).",
  },
};

/** The 1-minute load average, so results taken on a busy machine are recognisable. */
function loadAverage(): number | null {
  try {
    return Math.round(Deno.loadavg()[0] * 100) / 100;
  } catch {
    return null;
  }
}

/** `given` as it is (the user chose it), else the first Python that imports torch. */
/**
 * The interpreter that runs the reference: `given` as it is (any program that runs the
 * script; refused only when it cannot be started), or the first Python that imports torch.
 */
async function findPython(given?: string): Promise<string> {
  if (given != null) {
    try {
      await new Deno.Command(given, { args: ["-c", ""], stdout: "null", stderr: "null" })
        .output();
    } catch (e) {
      throw new ArgError(`--python ${given}: cannot run it (${(e as Error).message})`);
    }
    return given;
  }
  const found = await findTorchPython(DEFAULT_PYTHONS);
  if (found == null) {
    throw new ArgError(
      `--ref needs a Python with torch; tried ${DEFAULT_PYTHONS.join(", ")} (pass --python)`,
    );
  }
  return found.python;
}

interface RefResult {
  images_per_s: number;
  step_ms: number;
  /** CPU time per step, when the script reports it ("cpu <ms> ms/step"). */
  cpu_ms_per_step: number | null;
  /** GFLOP/s of the reference's BLAS on the memory's product size ("blas <x> GFLOP/s"). */
  blas_gflops: number | null;
  line: string;
}

/** Runs the PyTorch twin once; its last line gives "<ms> ms/step, <img/s> img/s". */
async function runReference(
  script: string,
  python: string,
  device: string,
  config: BenchConfig,
  model: BenchModel,
  kind: "train" | "score",
  steps: number,
  threads: number,
): Promise<RefResult> {
  const args = [
    script,
    "--model",
    model,
    "--kind",
    kind,
    "--device",
    device,
    "--size",
    String(config.size),
    "--width",
    String(config.width),
    "--channels",
    String(config.channels ?? 3),
    "--memory",
    String(config.memory),
    "--division",
    config.division.join(","),
    "--batch",
    String(kind === "train" ? config.batch : 32),
    "--steps",
    String(steps),
    "--threads",
    String(threads),
  ];
  const r = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(r.stdout).trim();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").at(-1);
    throw new Error(`reference ${script} failed: ${err}`);
  }
  const m = out.match(/([\d.]+) ms\/step, ([\d.]+) img\/s/);
  if (m == null) throw new Error(`cannot read the reference's output: ${out}`);
  const cpu = out.match(/cpu ([\d.]+) ms\/step/);
  const blas = out.match(/blas ([\d.]+) GFLOP\/s/);
  return {
    step_ms: Number(m[1]),
    images_per_s: Number(m[2]),
    cpu_ms_per_step: cpu ? Number(cpu[1]) : null,
    blas_gflops: blas ? Number(blas[1]) : null,
    line: out.split("\n").at(-1)!,
  };
}

/**
 * Below this, the reference's matrix products run on the reference BLAS (Debian's PyTorch calls
 * the system's libblas.so.3: 3.2 GFLOP/s measured there, 87 with OpenBLAS on the same 2-core
 * machine), which makes PyTorch look several times slower than it is (docs/performance.md).
 */
const SLOW_BLAS_GFLOPS = 20;
let blasWarned = false;

function warnSlowBlas(gflops: number | null, threads: number): void {
  if (gflops == null || gflops >= SLOW_BLAS_GFLOPS || blasWarned) return;
  blasWarned = true;
  console.error(
    `warning: the PyTorch reference's matrix products run at ${gflops} GFLOP/s (${threads} ` +
      "thread(s)): its libblas.so.3 is not an optimised BLAS, so the ratios below flatter the " +
      "kit; install one (Debian/Ubuntu: apt-get install libopenblas0-pthread) and measure again",
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round1 = (x: number) => Math.round(x * 10) / 10;

function print(line: Record<string, unknown>): void {
  console.log(JSON.stringify({ ...line, load_avg_1m: loadAverage() }));
}

interface RefPlan {
  script: string;
  python: string;
  device: string;
  threads: number[];
  rounds: number;
}

async function benchOne(
  config: BenchConfig,
  model: BenchModel,
  backend: BackendInfo,
  opts: { steps: number; warmup: number; profile: boolean; ref: RefPlan | null },
): Promise<void> {
  const kitRounds: number[] = [];
  const refRounds = new Map<number, number[]>();
  const kitCpu: number[] = [], refCpu1: number[] = [];
  const rounds = opts.ref?.rounds ?? 1;
  for (let round = 0; round < rounds; round++) {
    // Scoring and the reference's scoring once (round 0); training every round.
    const records: BenchRecord[] = await benchDaad(config, backend, {
      model,
      steps: opts.steps,
      warmup: opts.warmup,
      trainOnly: round > 0,
      onRecord: (r) => print(rounds > 1 ? { ...r, round } : { ...r }),
    });
    const train = records.find((r) => r.kind === "train")!;
    kitRounds.push(train.images_per_s);
    if (train.cpu_ms_per_step != null) kitCpu.push(train.cpu_ms_per_step);
    for (const t of opts.ref?.threads ?? []) {
      const ref = opts.ref!;
      for (const kind of round === 0 ? ["train", "score"] as const : ["train"] as const) {
        const r = await runReference(
          ref.script,
          ref.python,
          ref.device,
          config,
          model,
          kind,
          Math.max(opts.steps, 5),
          t,
        );
        print({
          config: config.name,
          model,
          backend: `pytorch-${ref.device}`,
          device: r.line,
          kind,
          batch: kind === "train" ? config.batch : 32,
          threads: t,
          step_ms: r.step_ms,
          images_per_s: r.images_per_s,
          cpu_ms_per_step: r.cpu_ms_per_step,
          blas_gflops: r.blas_gflops,
          ...(rounds > 1 ? { round } : {}),
        });
        warnSlowBlas(r.blas_gflops, t);
        if (kind === "train") refRounds.set(t, [...(refRounds.get(t) ?? []), r.images_per_s]);
        if (kind === "train" && t === 1 && r.cpu_ms_per_step != null) {
          refCpu1.push(r.cpu_ms_per_step);
        }
      }
    }
  }
  if (opts.profile) {
    const kernels = await profileTrainStep(config, kitKernelNames(backend.name), 2, model);
    for (const k of kernels.slice(0, 20)) {
      print({ config: config.name, model, backend: backend.name, kind: "profile", ...k });
    }
  }
  if (opts.ref != null) {
    const best = (xs: number[]) => Math.max(...xs);
    const [bestThreads, refBest] = [...refRounds].map(([t, xs]) => [t, best(xs)] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a));
    const refMedian = Math.max(...[...refRounds.values()].map(median));
    print({
      config: config.name,
      model,
      kind: "ratio",
      backend: backend.name,
      reference: `pytorch-${opts.ref.device}`,
      reference_threads: bestThreads,
      images_per_s: round1(best(kitRounds)),
      reference_images_per_s: round1(refBest),
      ratio: round3(best(kitRounds) / refBest),
      images_per_s_median: round1(median(kitRounds)),
      reference_images_per_s_median: round1(refMedian),
      ratio_median: round3(median(kitRounds) / refMedian),
      // The work per step instead of the time: PyTorch's least CPU time per step at one
      // thread over the kit's least, each summed over its threads (a shared machine
      // stretches wall time far more than work).
      cpu_ratio: kitCpu.length > 0 && refCpu1.length > 0
        ? round3(Math.min(...refCpu1) / Math.min(...kitCpu))
        : null,
      rounds,
    });
  }
}

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task bench [flags]", FLAGS));
    return 0;
  }
  if (positionals.length > 0) {
    throw new ArgError(`bench takes no positional arguments, got '${positionals[0]}'`);
  }
  const threads = (flags.threads as number | undefined) ?? defaultThreads();
  const backend = await initBackend((flags.backend as "auto") ?? "auto", { threads });
  const which = (flags.config as string | undefined) ?? "small";
  const names = which === "all" ? Object.keys(BENCH_CONFIGS) : [which];
  const modelFlag = (flags.model as string | undefined) ?? "all";
  const models = modelFlag === "all" ? BENCH_MODELS : [modelFlag as BenchModel];
  const steps = (flags.steps as number | undefined) ?? 10;
  let ref: RefPlan | null = null;
  if (flags.ref != null && flags.ref !== "none") {
    let script = flags.ref as string;
    if (script === "auto") script = new URL("../../tools/daad_torch.py", import.meta.url).pathname;
    if (!(await pathExists(script))) throw new ArgError(`--ref ${script}: no such file`);
    const refThreads = ((flags.refThreads as string | undefined) ?? "1,2").split(",").map(Number);
    if (refThreads.some((t) => !Number.isInteger(t) || t < 1)) {
      throw new ArgError(`--ref-threads takes positive integers, got '${flags.refThreads}'`);
    }
    ref = {
      script,
      python: await findPython(flags.python as string | undefined),
      device: (flags.refDevice as string | undefined) ??
        (backend.name === "webgpu" ? "cuda" : "cpu"),
      threads: refThreads,
      rounds: (flags.rounds as number | undefined) ?? 3,
    };
  }
  for (const name of names) {
    for (const model of models) {
      await benchOne(BENCH_CONFIGS[name], model, backend, {
        steps,
        warmup: (flags.warmup as number | undefined) ?? 2,
        profile: flags.profile === true,
        ref,
      });
    }
  }
  return 0;
}

if (import.meta.main) await runCli(main);
