/** `deno task bench` prints one JSON line per measurement with the contract's fields. */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { ONEDNN, testWith } from "./optional.ts";

Deno.test("bench prints JSON lines: train and score throughput, and a profile", async () => {
  const r = await runTask("bench", [
    "--backend",
    "wasm",
    "--config",
    "small",
    "--model",
    "daad",
    "--steps",
    "1",
    "--warmup",
    "1",
    "--threads",
    "1",
    "--profile",
  ]);
  assertEquals(r.code, 0, r.err);
  const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
  const train = lines.find((l) => l.kind === "train");
  for (const k of ["config", "backend", "step_ms", "images_per_s"]) {
    assert(k in train, `train line has ${k}`);
  }
  assertEquals([train.config, train.backend, train.batch], ["small", "wasm", 8]);
  assert(
    train.step_ms > 0 && Math.abs(train.images_per_s - 8000 / train.step_ms) < 0.2,
    JSON.stringify(train),
  );
  assertEquals(lines.filter((l) => l.kind === "score").map((l) => l.batch), [1, 32]);
  const profile = lines.filter((l) => l.kind === "profile");
  assert(profile.length > 5 && profile.some((p) => p.kernel === "Conv2D"), JSON.stringify(profile));
  assert(profile.find((p) => p.kernel === "Conv2DBackpropFilter")?.inclusive === true);
});

Deno.test("bench --ref takes turns with the reference and prints a ratio per model", async () => {
  // A stand-in for tools/daad_torch.py: prints its flags' batch and thread count in the
  // reference's line format (threads 2 "runs" twice as fast), so the test needs no torch.
  const dir = await Deno.makeTempDir();
  const fake = `${dir}/fake_ref.sh`;
  await Deno.writeTextFile(
    fake,
    `#!/bin/sh
threads=1; kind=train
while [ $# -gt 0 ]; do case "$1" in --threads) threads=$2;; --kind) kind=$2;; esac; shift; done
echo "FAKE ref $kind threads=$threads: $((400 / threads)).0 ms/step, $((80 * threads)).0 img/s, cpu 400.0 ms/step, blas $((5 * threads)).0 GFLOP/s"
`,
  );
  try {
    const r = await runTask("bench", [
      "--backend",
      "wasm",
      "--config",
      "mnist",
      "--steps",
      "1",
      "--warmup",
      "1",
      "--threads",
      "1",
      "--ref",
      fake,
      "--python",
      "sh",
      "--rounds",
      "2",
    ]);
    assertEquals(r.code, 0, r.err);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    // The stand-in's BLAS "runs" at 5 GFLOP/s per thread: slow enough to be named, once.
    assertEquals(r.err.match(/libblas\.so\.3 is not an optimised BLAS/g)?.length, 1, r.err);
    assertEquals(
      lines.filter((l) => l.backend === "pytorch-cpu" && l.model === "ae").map((l) =>
        l.blas_gflops
      ),
      [5, 5, 10, 10, 5, 10], // round 0: train, score at 1 thread, then at 2; round 1: train at 1, 2
    );
    for (const model of ["ae", "daad"]) {
      const mine = lines.filter((l) => l.model === model);
      // Two rounds: kit, reference at 1 then 2 threads; scoring in round 0 only.
      assertEquals(
        mine.filter((l) => l.kind === "train").map((l) => `${l.backend}:${l.threads ?? ""}`),
        ["wasm:", "pytorch-cpu:1", "pytorch-cpu:2", "wasm:", "pytorch-cpu:1", "pytorch-cpu:2"],
      );
      const kit = mine.filter((l) => l.kind === "train" && l.backend === "wasm");
      assertEquals([kit[0].config, kit[0].batch], ["mnist", 32]);
      const ratio = mine.find((l) => l.kind === "ratio");
      assertEquals([ratio.reference_threads, ratio.reference_images_per_s], [2, 160]);
      const best = Math.max(...kit.map((k) => k.images_per_s));
      assert(Math.abs(ratio.ratio - best / 160) < 1e-3, JSON.stringify(ratio));
      // The work ratio: PyTorch's CPU time per step at one thread over the kit's.
      const kitCpu = Math.min(...kit.map((k) => k.cpu_ms_per_step));
      assert(kitCpu > 0 && Math.abs(ratio.cpu_ratio - 400 / kitCpu) < 1e-3, JSON.stringify(ratio));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await testWith([ONEDNN], {
  name: "bench --backend onednn --config mnist measures AE and DAAD on oneDNN",
  async fn() {
    const r = await runTask("bench", [
      "--backend",
      "onednn",
      "--config",
      "mnist",
      "--steps",
      "1",
      "--warmup",
      "1",
      "--threads",
      "1",
    ]);
    assertEquals(r.code, 0, r.err);
    assert(/backend: onednn \(CPU, oneDNN 2\.\d+\.\d+/.test(r.err), r.err);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    const trains = lines.filter((l) => l.kind === "train");
    assertEquals(trains.map((l) => [l.model, l.backend, l.batch]), [
      ["ae", "onednn", 32],
      ["daad", "onednn", 32],
    ]);
  },
});

Deno.test("bench --ref names a missing script or Python in one line, before timing anything", async () => {
  for (
    const [args, message] of [
      [["--ref", "/nonexistent/ref.py"], "--ref /nonexistent/ref.py: no such file"],
      [
        ["--ref", "auto", "--python", "/nonexistent/python3"],
        "--python /nonexistent/python3: cannot run it",
      ],
    ] as const
  ) {
    const r = await runTask("bench", ["--backend", "cpu", "--model", "ae", ...args]);
    assertEquals(r.code, 2, r.err);
    assertEquals(r.out, ""); // no measurement line: refused before the kit was timed
    const last = r.err.trim().split("\n").at(-1)!;
    assert(last.startsWith("error: ") && last.includes(message), r.err);
    assert(!r.err.includes("    at "), r.err);
  }
});
