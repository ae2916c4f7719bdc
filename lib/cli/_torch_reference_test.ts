import { assertEquals } from "../../tests/assert.ts";
import { findTorchPython, runTorchReference } from "./_torch_reference.ts";

Deno.test("runTorchReference() reports the reference as skipped when no Python has torch", async () => {
  const r = await runTorchReference({
    script: "missing.py",
    size: 32,
    width: 4,
    batch: 2,
    steps: 1,
    mode: "fp32",
    pythons: ["no-such-python-here"],
  });
  assertEquals(r, {
    status: "skipped",
    mode: "fp32",
    reason: "no Python with torch (tried no-such-python-here)",
  });
  assertEquals(await findTorchPython(["no-such-python-here"]), null);
});

Deno.test("runTorchReference() reads a script's throughput and CUDA peak", async () => {
  // A Python whose 'torch' is a stub module: exercises the parsing without PyTorch.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/torch.py`,
      "class cuda:\n  @staticmethod\n  def is_available(): return True\n" +
        "  @staticmethod\n  def max_memory_allocated(): return 1234\n",
    );
    await Deno.writeTextFile(
      `${dir}/ref.py`,
      "print('DAAD ref size=32 mode=fp32 device=cuda: 12.5 ms/step, 160.0 img/s, params=1.0M')\n",
    );
    const python = `${dir}/py.sh`;
    await Deno.writeTextFile(python, `#!/bin/sh\nPYTHONPATH=${dir} exec python3 "$@"\n`);
    await Deno.chmod(python, 0o755);
    const r = await runTorchReference({
      script: `${dir}/ref.py`,
      size: 32,
      width: 4,
      batch: 2,
      steps: 1,
      mode: "fp32",
      pythons: [python],
    });
    assertEquals(r.status === "ok" && [r.device, r.step_ms, r.images_per_s, r.peak_bytes], [
      "cuda",
      12.5,
      160,
      1234,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
