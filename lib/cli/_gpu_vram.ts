/**
 * Peak video memory (VRAM) over a stretch of work, read from `nvidia-smi` sampling in the
 * background (the WebGPU API reports no memory use). Absent `nvidia-smi` (no NVIDIA GPU,
 * or a software adapter) the sampler is null and figures are reported as unavailable.
 *
 * @example
 * ```ts
 * import { startVramSampler } from "./_gpu_vram.ts";
 * const sampler = await startVramSampler();
 * // ... run GPU work ...
 * console.log(sampler == null ? "no nvidia-smi" : await sampler.stop());
 * ```
 * @module
 */

/** What a sampler saw, in MiB as nvidia-smi reports (all processes on GPU 0). */
export interface VramPeak {
  /** The first sample, taken as the work started. */
  base_mib: number;
  peak_mib: number;
  samples: number;
}

/** A running sampler: stop it to get the peak. */
export interface VramSampler {
  stop(): Promise<VramPeak>;
}

/** nvidia-smi's query of GPU 0's used memory every `intervalMs`. */
export function nvidiaSmiCommand(intervalMs = 100): string[] {
  return [
    "nvidia-smi",
    "--id=0",
    "--query-gpu=memory.used",
    "--format=csv,noheader,nounits",
    `-lms`,
    String(intervalMs),
  ];
}

/**
 * Starts `command` (default {@linkcode nvidiaSmiCommand}), which prints one number per
 * line, and keeps the largest; null when the command cannot start or prints nothing
 * numeric in its first second.
 */
export async function startVramSampler(
  command: string[] = nvidiaSmiCommand(),
): Promise<VramSampler | null> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command[0], {
      args: command.slice(1),
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return null;
  }
  const values: number[] = [];
  let first: () => void = () => {};
  const gotFirst = new Promise<void>((resolve) => first = resolve);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    let rest = "";
    while (true) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        const v = Number(line.trim());
        if (line.trim() !== "" && Number.isFinite(v)) {
          values.push(v);
          first();
        }
      }
    }
    first();
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([gotFirst, new Promise((r) => timer = setTimeout(r, 1000))]);
  clearTimeout(timer);
  const stopChild = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already ended
    }
    await reader.cancel().catch(() => {});
    await reading.catch(() => {});
    await child.status;
  };
  if (values.length === 0) {
    await stopChild();
    return null;
  }
  return {
    async stop() {
      await stopChild();
      return { base_mib: values[0], peak_mib: Math.max(...values), samples: values.length };
    },
  };
}
