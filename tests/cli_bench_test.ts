/** `deno task bench` prints one JSON line per measurement with the contract's fields. */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";

Deno.test("bench prints JSON lines: train and score throughput, and a profile", async () => {
  const r = await runTask("bench", [
    "--backend",
    "wasm",
    "--config",
    "small",
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
