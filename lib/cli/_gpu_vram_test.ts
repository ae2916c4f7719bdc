import { assertEquals } from "../../tests/assert.ts";
import { nvidiaSmiCommand, startVramSampler } from "./_gpu_vram.ts";

Deno.test("startVramSampler() keeps the first and the largest sample", async () => {
  const s = await startVramSampler([
    "sh",
    "-c",
    "echo 100; echo 350; echo 'n/a'; echo 200; exec sleep 30",
  ]);
  if (s == null) throw new Error("sampler did not start");
  await new Promise((r) => setTimeout(r, 100));
  assertEquals(await s.stop(), { base_mib: 100, peak_mib: 350, samples: 3 });
});

Deno.test("startVramSampler() is null when the command is missing or prints no number", async () => {
  assertEquals(await startVramSampler(["no-such-command-for-sampling"]), null);
  assertEquals(await startVramSampler(["sh", "-c", "echo none"]), null);
  assertEquals(nvidiaSmiCommand(50).at(-1), "50");
});
