/**
 * The oneDNN path's memory: no tfjs tensor, cached plan or native allocation grows over
 * 200 training steps, and a bad call (wrong shape, a disposed tensor, a freed plan) is an
 * error, never a crash. `.ci/run` runs this file also under glibc's malloc checks
 * (MALLOC_CHECK_=3 with libc_malloc_debug, MALLOC_PERTURB_).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../../tests/assert.ts";
import { ONEDNN, testWith } from "../../../tests/optional.ts";
import { initBackend } from "../../backend.ts";
import { batchNormTrain } from "./batch_norm.ts";
import { convTranspose2x2 } from "./conv_transpose.ts";
import { Plan } from "./primitive.ts";
import { cachedPlan, clearOneDnnPlans, oneDnnRunCount } from "./runtime.ts";
import { matMulPlan } from "./mat_mul.ts";

interface Sample {
  tensors: number;
  plans: number;
  wasmHeap: number;
  rss: number;
  malloc: number | null;
  runs: number;
}

await testWith([ONEDNN], {
  name: "200 training steps on onednn keep tensors, plans and native memory flat",
  async fn() {
    // In a process of its own: test files share one under `deno test --parallel`.
    const probe = new URL("../../../tests/onednn_leak_probe.ts", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", probe, "200"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert(r.success, `probe failed: ${dec.decode(r.stderr)}`);
    const { before, after, again } = JSON.parse(
      dec.decode(r.stdout).trim().split("\n").at(-1)!,
    ) as {
      before: Sample;
      after: Sample;
      again: Sample;
    };
    assert(after.runs - before.runs > 200 * 50, "the steps did not run on oneDNN");
    for (const s of [after, again]) {
      assertEquals(s.tensors, before.tensors, "tfjs tensors");
      assertEquals(s.plans, before.plans, "cached oneDNN plans");
      assertEquals(s.wasmHeap, before.wasmHeap, "wasm heap bytes");
    }
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    // A descriptor or memory object leaked per kernel call would be >= 200 steps x ~140
    // calls x ~1 KB = 28 MB; garbage JavaScript buffers move malloc's figure by ~3 MB.
    if (before.malloc != null) {
      const grew = Math.max(after.malloc!, again.malloc!) - before.malloc;
      assert(grew < 8 * 2 ** 20, `malloc'd bytes grew by ${mib(grew)} MiB`);
    }
    // RSS moves with V8's heap (by ~100 MiB over 200 steps on wasm as much as here, and
    // unevenly with the other tests' load): bounded loosely, against a leak of megabytes per
    // step; native memory is what malloc's figure above measures.
    const grewAgain = again.rss - after.rss;
    assert(grewAgain < 256 * 2 ** 20, `RSS grew by ${mib(grewAgain)} MiB over steps 200-400`);
    const malloc = before.malloc == null
      ? "malloc not measurable here"
      : `malloc ${mib(before.malloc)} -> ${mib(after.malloc!)} -> ${mib(again.malloc!)} MiB`;
    console.log(
      `400 steps: ${malloc}, RSS ${mib(before.rss)} -> ${mib(after.rss)} -> ` +
        `${mib(again.rss)} MiB, ${before.plans} plans, ${before.tensors} tensors`,
    );
  },
});

await testWith([ONEDNN], {
  name: "bad calls on onednn are errors, never crashes: shapes, disposed tensors, freed plans",
  async fn() {
    await initBackend("onednn", { quiet: true, threads: 1 });
    const before = tf.memory().numTensors;
    // A plan refuses buffers of another size before any native call.
    const plan = cachedPlan(
      "test matmul 1x3x4x5",
      (ctx) =>
        matMulPlan(ctx, {
          batchA: 1,
          batchB: 1,
          m: 3,
          k: 4,
          n: 5,
          transposeA: false,
          transposeB: false,
        }),
    )!;
    const a = tf.zeros([3, 4]), b = tf.zeros([4, 5]);
    assertThrows(
      () =>
        plan.run([{ address: 4096, bytes: 48 }, { address: 4096, bytes: 79 }, {
          address: 4096,
          bytes: 60,
        }]),
      RangeError,
      "argument 33 has 79 bytes",
    );
    assertThrows(() => plan.run([]), RangeError, "takes 3 buffers");
    // Wrong shapes reaching the kernels directly (tfjs's ops would check first).
    assertThrows(
      () => tf.engine().runKernel("BatchMatMul", { a, b: tf.zeros([5, 5]) }, {}),
      RangeError,
      "inner dimensions",
    );
    assertThrows(
      () =>
        batchNormTrain(
          tf.zeros([2, 3, 3, 4]) as tf.Tensor4D,
          tf.ones([3]) as tf.Tensor1D,
          tf.zeros([4]) as tf.Tensor1D,
          1e-5,
          true,
        ),
      RangeError,
      "gamma must have shape [4]",
    );
    assertThrows(
      () =>
        convTranspose2x2(
          tf.zeros([1, 2, 2, 3]) as tf.Tensor4D,
          tf.zeros([4, 8]) as tf.Tensor2D,
          tf.zeros([2]) as tf.Tensor1D,
        ),
      RangeError,
      "x has 3 channels",
    );
    assertThrows(
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", {
          x: tf.zeros([1, 5, 5, 2]),
          dy: tf.zeros([1, 4, 4, 3]),
        }, { strides: 1, pad: "same", dataFormat: "NHWC", filterShape: [3, 3, 2, 3] }),
      RangeError,
      "dy has shape [1,4,4,3]",
    );
    assertThrows(
      () =>
        tf.engine().runKernel("MaxPoolGrad", {
          dy: tf.zeros([1, 3, 3, 2]),
          input: tf.zeros([1, 4, 4, 2]),
          output: tf.zeros([1, 2, 2, 2]),
        }, { filterSize: 2, strides: 2, pad: "valid" }),
      RangeError,
      "MaxPoolGrad: dy has shape [1,3,3,2]",
    );
    // A disposed tensor reaching a kernel.
    const gone = tf.ones([1, 4, 4, 2]);
    gone.dispose();
    assertThrows(
      () =>
        tf.engine().runKernel("Conv2D", { x: gone, filter: tf.ones([3, 3, 2, 1]) }, {
          strides: 1,
          pad: "same",
          dataFormat: "NHWC",
        }),
      Error,
      "disposed",
    );
    // A freed plan (the cache cleared under a kernel that kept it) is an error.
    clearOneDnnPlans();
    assertThrows(
      () =>
        plan.run([{ address: 4096, bytes: 48 }, { address: 4096, bytes: 80 }, {
          address: 4096,
          bytes: 60,
        }]),
      Error,
      "used after it was freed",
    );
    // After all that, a good call still gives the right numbers.
    const y = tf.matMul(tf.ones([3, 4]), tf.fill([4, 5], 2));
    assertEquals(Array.from(y.dataSync()), Array(15).fill(8));
    assert(Plan.runs > 0 && oneDnnRunCount() === Plan.runs);
    // Every tensor made above (also those the throwing calls made) is accounted for.
    tf.dispose([a, b, y]);
    assert(tf.memory().numTensors - before < 20, "tensors left behind by the bad calls");
  },
});
