/**
 * `deno task bench`: training and scoring throughput of the DAAD network, one JSON line
 * per measurement on stdout (DESIGN's contract: config, backend, step_ms, images_per_s).
 *
 * With `--ref`, the PyTorch reference (tools/daad_ref.py) runs in the same invocation on
 * the same machine and a final line gives the ratio kit / PyTorch.
 * @module
 */
import { initBackend } from "../backend.ts";
import { BENCH_CONFIGS, benchDaad, profileTrainStep } from "../bench.ts";
import { kitKernelNames } from "../kernels/mod.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { BACKEND_FLAG, runCli } from "./_common.ts";

const FLAGS: Record<string, FlagSpec> = {
  backend: BACKEND_FLAG,
  config: {
    type: "enum",
    choices: [...Object.keys(BENCH_CONFIGS), "all"],
    help:
      "paper (256x256, width 64, batch 8, N 500, 8,8,1) or small (64x64, width 16, batch 8). Default small.",
  },
  steps: { type: "int", min: 1, help: "Timed training steps (default 10; scoring uses half)." },
  warmup: { type: "int", min: 0, help: "Untimed steps first (default 2)." },
  threads: { type: "int", min: 1, help: "wasm threads (default: all cores)." },
  ref: {
    type: "string",
    help: "Also time the PyTorch reference: path to daad_ref.py ('auto' = ../shared/tools).",
  },
  "ref-device": {
    type: "enum",
    choices: ["cpu", "cuda"],
    help: "Device of the reference (default cpu, or cuda on webgpu).",
  },
  profile: {
    type: "bool",
    help: "Also print the time per kernel of one training step (kind: profile).",
  },
  python: {
    type: "string",
    help:
      "Python with torch for --ref (default: first of python3, /usr/bin/python3 that imports torch).",
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

async function findPython(given?: string): Promise<string> {
  const candidates = given
    ? [given]
    : ["python3", "/usr/bin/python3", "/opt/torch/.venv/bin/python3"];
  for (const py of candidates) {
    try {
      const r = await new Deno.Command(py, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (r.success) return py;
    } catch {
      // not installed
    }
  }
  throw new ArgError(
    `--ref needs a Python with torch; tried ${candidates.join(", ")} (pass --python)`,
  );
}

interface RefResult {
  images_per_s: number;
  step_ms: number;
  line: string;
}

async function runReference(
  script: string,
  python: string,
  device: string,
  config: { size: number; width: number; batch: number },
  steps: number,
  threads: number,
): Promise<RefResult> {
  const args = [
    script,
    "--device",
    device,
    "--size",
    String(config.size),
    "--width",
    String(config.width),
    "--batch",
    String(config.batch),
    "--steps",
    String(steps),
  ];
  if (device === "cpu") args.push("--threads", String(threads));
  const r = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(r.stdout).trim();
  if (!r.success) throw new Error(`reference failed: ${new TextDecoder().decode(r.stderr)}`);
  const m = out.match(/([\d.]+) ms\/step, ([\d.]+) img\/s/);
  if (m == null) throw new Error(`cannot read the reference's output: ${out}`);
  return { step_ms: Number(m[1]), images_per_s: Number(m[2]), line: out };
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
  const threads = (flags.threads as number | undefined) ?? navigator.hardwareConcurrency ?? 1;
  const backend = await initBackend((flags.backend as "auto") ?? "auto", { threads });
  const which = (flags.config as string | undefined) ?? "small";
  const names = which === "all" ? Object.keys(BENCH_CONFIGS) : [which];
  const steps = (flags.steps as number | undefined) ?? 10;
  for (const name of names) {
    const config = BENCH_CONFIGS[name];
    const records = await benchDaad(config, backend, {
      steps,
      warmup: (flags.warmup as number | undefined) ?? 2,
      onRecord: (r) => console.log(JSON.stringify({ ...r, load_avg_1m: loadAverage() })),
    });
    if (flags.profile) {
      for (const k of (await profileTrainStep(config, kitKernelNames(backend.name))).slice(0, 15)) {
        console.log(JSON.stringify({ config: name, backend: backend.name, kind: "profile", ...k }));
      }
    }
    if (flags.ref != null) {
      let script = flags.ref as string;
      if (script === "auto") {
        script = new URL("../../../shared/tools/daad_ref.py", import.meta.url).pathname;
      }
      const python = await findPython(flags.python as string | undefined);
      const device = (flags.refDevice as string | undefined) ??
        (backend.name === "webgpu" ? "cuda" : "cpu");
      const ref = await runReference(script, python, device, config, Math.max(steps, 5), threads);
      const train = records.find((r) => r.kind === "train")!;
      console.log(JSON.stringify({
        config: name,
        backend: `pytorch-${device}`,
        device: ref.line,
        kind: "train",
        batch: config.batch,
        step_ms: ref.step_ms,
        images_per_s: ref.images_per_s,
      }));
      console.log(JSON.stringify({
        config: name,
        kind: "ratio",
        backend: backend.name,
        reference: `pytorch-${device}`,
        ratio: Math.round((train.images_per_s / ref.images_per_s) * 1000) / 1000,
      }));
    }
  }
  return 0;
}

if (import.meta.main) await runCli(main);
