/**
 * The autotune's choices, with a fake op on the cpu backend (no GPU needed): modes,
 * recording of untuned shapes, the timed pick and the cache file.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { initBackend } from "../../backend.ts";
import {
  BASELINE,
  chooseKernel,
  DEFAULT_TILE,
  kernelMode,
  pendingTunes,
  resetAutotune,
  setAutotuneCacheDir,
  setKernelMode,
  type TunableOp,
  tuneDecisions,
  tuneWebGpuKernels,
} from "./autotune.ts";
import { TILE_CANDIDATES, tileName } from "./gemm_program.ts";

await initBackend("cpu", { quiet: true });

/** A fake op whose kit tiles are slow except `fast`, and whose baseline is slower still. */
function fakeOp(fast: string, baselineMs: number): TunableOp {
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* spin */ }
  };
  return {
    kernelName: "FakeOp",
    runKit: (_b, inputs, _a, tile) => {
      busy(tileName(tile) === fast ? 0 : 4);
      return tf.clone(inputs.x as tf.Tensor);
    },
    baseline: ({ inputs }) => {
      busy(baselineMs);
      return tf.clone((inputs as Record<string, tf.Tensor>).x);
    },
  };
}

Deno.test("setKernelMode() rejects a mode that names no candidate", () => {
  assertThrows(() => setKernelMode("t1x1x1r1x1s1"), Error, "t1x1x1r1x1s1");
  setKernelMode("kit");
  assertEquals(kernelMode(), "kit");
  setKernelMode(null);
  assertEquals(kernelMode(), "auto");
});

Deno.test("chooseKernel() runs tfjs's kernel until a shape is tuned, then the fastest", async () => {
  resetAutotune();
  setAutotuneCacheDir(null);
  const fast = tileName(TILE_CANDIDATES[2]);
  const op = fakeOp(fast, 8);
  const x = tf.ones([2, 3]);
  const backend = tf.backend();
  try {
    assertEquals(chooseKernel(op, backend, { x }, {}), BASELINE);
    assertEquals(chooseKernel(op, backend, { x }, {}), BASELINE);
    assertEquals(pendingTunes().length, 1, "one shape, recorded once");
    setKernelMode("kit");
    assertEquals(chooseKernel(op, backend, { x }, {}), DEFAULT_TILE);
    setKernelMode(tileName(TILE_CANDIDATES[5]));
    assertEquals(chooseKernel(op, backend, { x }, {}), TILE_CANDIDATES[5]);
    setKernelMode("tfjs");
    assertEquals(chooseKernel(op, backend, { x }, {}), BASELINE);
    setKernelMode(null);
    const before = tf.memory().numTensors;
    const [d] = await tuneWebGpuKernels({ reps: 2 });
    assertEquals(tf.memory().numTensors, before, "tuning leaked tensors");
    assertEquals(d.winner, fast);
    assertEquals(Object.keys(d.ms).length, TILE_CANDIDATES.length + 1);
    assertEquals(chooseKernel(op, backend, { x }, {}), TILE_CANDIDATES[2]);
    // Another shape is a separate decision.
    const y = tf.ones([3, 3]);
    assertEquals(chooseKernel(op, backend, { x: y }, {}), BASELINE);
    y.dispose();
  } finally {
    x.dispose();
    resetAutotune();
  }
});

Deno.test("tuneWebGpuKernels() keeps tfjs's kernel where it measured faster", async () => {
  resetAutotune();
  setAutotuneCacheDir(null);
  const op = fakeOp("none", 0);
  const x = tf.ones([4]);
  try {
    chooseKernel(op, tf.backend(), { x }, {});
    const [d] = await tuneWebGpuKernels({
      reps: 1,
      candidates: [BASELINE, tileName(DEFAULT_TILE)],
    });
    assertEquals(d.winner, BASELINE);
    assertEquals(chooseKernel(op, tf.backend(), { x }, {}), BASELINE);
    setKernelMode("kit"); // the best kit tile measured, even where tfjs's won
    assertEquals(chooseKernel(op, tf.backend(), { x }, {}), DEFAULT_TILE);
  } finally {
    setKernelMode(null);
    x.dispose();
    resetAutotune();
  }
});

Deno.test("tuneWebGpuKernels() writes decisions a later process reads back", async () => {
  const dir = await Deno.makeTempDir();
  resetAutotune();
  setAutotuneCacheDir(`${dir}/sub`);
  const fast = tileName(TILE_CANDIDATES[1]);
  const op = fakeOp(fast, 8);
  const x = tf.ones([2]);
  try {
    chooseKernel(op, tf.backend(), { x }, {});
    await tuneWebGpuKernels({ reps: 1 });
    resetAutotune(); // forgets what is in memory, as a new process would
    assertEquals(tuneDecisions().length, 1);
    assertEquals(chooseKernel(op, tf.backend(), { x }, {}), TILE_CANDIDATES[1]);
    assertEquals(pendingTunes(), []);
    await Deno.writeTextFile(`${dir}/sub/webgpu_autotune.json`, "{}");
    resetAutotune();
    assertThrows(() => tuneDecisions(), Error, "webgpu_autotune.json");
  } finally {
    x.dispose();
    setAutotuneCacheDir(undefined);
    resetAutotune();
    await Deno.remove(dir, { recursive: true });
  }
  assert(true);
});

Deno.test("tuneWebGpuKernels() rejects a fast candidate whose result differs or that fails", async () => {
  resetAutotune();
  setAutotuneCacheDir(null);
  const wrong = tileName(TILE_CANDIDATES[0]), broken = tileName(TILE_CANDIDATES[1]);
  const slow = fakeOp("none", 8);
  const op: TunableOp = {
    ...slow,
    runKit: (b, inputs, a, tile) => {
      if (tileName(tile) === wrong) return tf.mul(inputs.x as tf.Tensor, 1.01); // fast, off by 1%
      if (tileName(tile) === broken) throw new Error("pipeline failed");
      return slow.runKit(b, inputs, a, tile);
    },
  };
  const x = tf.randomNormal([16]);
  try {
    chooseKernel(op, tf.backend(), { x }, {});
    const before = tf.memory().numTensors;
    const [d] = await tuneWebGpuKernels({
      reps: 1,
      candidates: [BASELINE, wrong, broken, tileName(TILE_CANDIDATES[2])],
    });
    assertEquals(tf.memory().numTensors, before, "tuning leaked tensors");
    assertEquals(Object.keys(d.ms).sort(), [BASELINE, tileName(TILE_CANDIDATES[2])].sort());
    assert(d.rejected?.[wrong]?.startsWith("result differs"), JSON.stringify(d.rejected));
    assertEquals(d.rejected?.[broken], "failed: pipeline failed");
  } finally {
    x.dispose();
    resetAutotune();
  }
});
