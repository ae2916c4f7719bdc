import { assertEquals, assertThrows } from "../../tests/assert.ts";
import type { RunConfig, RunFlags } from "../config.ts";
import { ConfigError } from "../util/errors.ts";
import { daadConfigFor, type DaadSettings } from "./daad.ts";
import { resolveRunConfig, runConfigFlags } from "./resolve.ts";

const daad = (c: RunConfig) => c as RunConfig<DaadSettings>;

Deno.test("--bottleneck, --init, --addressing and --commitment: checked, mapped, recorded", () => {
  // Absent by default: a run recorded before them keeps its identity on --resume.
  const plain = resolveRunConfig({ data: "mnist" });
  const flags = runConfigFlags(plain);
  for (const key of ["evalEvery", "bottleneck", "init", "addressing", "commitment"]) {
    assertEquals(flags[key] ?? null, null, key);
  }
  // The network configuration (config.json's model_config) records the defaults.
  const d = daadConfigFor(daad(plain), 1);
  assertEquals(
    [d.bottleneck, d.init, d.similarity, d.commitmentWeight],
    [256, "he", "cosine", 0.25],
  );
  const set = daadConfigFor(
    daad(resolveRunConfig({
      data: "mnist",
      bottleneck: 16,
      init: "torch",
      addressing: "vq",
      commitment: 0.5,
      evalEvery: 2,
    })),
    1,
  );
  assertEquals([set.bottleneck, set.init, set.similarity, set.commitmentWeight], [
    16,
    "torch",
    "vq",
    0.5,
  ]);
  // DAAD+'s generator takes them too.
  const plus = resolveRunConfig({ model: "daad-plus", bottleneck: 16, addressing: "dot" });
  assertEquals(daadConfigFor(daad({ ...plus, model: "daad" }), 1).similarity, "dot");
  const bad: [RunFlags, string][] = [
    [{ evalEvery: 0 }, "--eval-every expects a positive integer, got 0"],
    [{ bottleneck: 0 }, "--bottleneck expects a positive integer, got 0"],
    [{ init: "xavier" }, '--init expects he|torch, got "xavier"'],
    [{ addressing: "l1" }, '--addressing expects cosine|dot|vq, got "l1"'],
    [{ model: "mnad", bottleneck: 16 }, "--bottleneck is a setting of DAAD family"],
    [{ model: "mnad", init: "torch" }, "--init is a setting of DAAD family"],
    [{ model: "ae", addressing: "dot" }, "--model ae has no block memory"],
    [
      { model: "daad-plus", generator: "ae-skip", addressing: "vq" },
      "--model daad-plus --generator ae-skip has no block memory",
    ],
    [
      { addressing: "dot", eq1: true },
      "--eq1 addresses by cosine similarity; drop --addressing dot",
    ],
    [{ addressing: "vq", temperature: 0.1 }, "--temperature shapes the softmax"],
    [{ addressing: "vq", shrink: 0.01, model: "memae" }, "--shrink shapes the softmax"],
    [{ commitment: 0.5 }, "--commitment weighs the commitment loss of --addressing vq"],
    [{ addressing: "vq", commitment: -1 }, "--commitment expects a number >= 0, got -1"],
  ];
  for (const [given, message] of bad) {
    const e = assertThrows(
      () => resolveRunConfig({ data: "mnist", ...given }),
      ConfigError,
      message,
    );
    console.log(JSON.stringify(given), "->", (e as Error).message);
  }
  // MemAE* takes every addressing; the AE the bottleneck and init.
  resolveRunConfig({ model: "memae", addressing: "vq" });
  resolveRunConfig({ model: "ae", bottleneck: 4, init: "torch" });
});
