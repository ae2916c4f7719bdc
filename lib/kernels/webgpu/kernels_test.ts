/**
 * The kit's WGSL kernels on webgpu against the cpu backend, for every tile candidate:
 * odd sizes, strides 1 and 2, 'same' and 'valid' padding, batches 1 and 8. Where Deno
 * sees no WebGPU adapter the tests are reported as ignored (the software adapter CI
 * machines have is enough: these check results, not speed). Each runs in a child process
 * (`webgpuTest()`: WebGPU on deno test's threads can crash the test process at exit).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, relativeError } from "../../../tests/assert.ts";
import { initBackend } from "../../backend.ts";
import { webgpuProbe, webgpuTest } from "../../../tests/webgpu_child.ts";
import { Rng } from "../../util/rng.ts";
import { kitKernelNames } from "../mod.ts";
import {
  pendingTunes,
  resetAutotune,
  setAutotuneCacheDir,
  setKernelMode,
  tuneDecisions,
  tuneWebGpuKernels,
} from "./autotune.ts";
import {
  type GpuBackend,
  LARGE_TILE_CANDIDATES,
  runGemm,
  TILE_CANDIDATES,
  tileName,
} from "./gemm_program.ts";
import { matMulShape, matMulSpec } from "./matmul_gemm.ts";

const gpu = await webgpuProbe();
const TOLERANCE = 1e-4;

interface KernelCase {
  label: string;
  kernel: string;
  inputs: Record<string, { shape: number[]; values: Float32Array }>;
  attrs: Record<string, unknown>;
}

async function runOn(backend: "cpu" | "webgpu", c: KernelCase): Promise<Float32Array> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const inputs = Object.fromEntries(
    Object.entries(c.inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]),
  );
  const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
  const v = await out.data() as Float32Array;
  tf.dispose([out, ...Object.values(inputs)]);
  return v;
}

/**
 * Runs every case on cpu, then on webgpu with each tile forced, and checks the relative
 * error and that no tensor or GPU buffer outlives the calls. Returns the largest error.
 */
async function checkAllTiles(cases: KernelCase[], tiles = TILE_CANDIDATES): Promise<number> {
  let worst = 0;
  try {
    for (const c of cases) {
      const want = await runOn("cpu", c);
      await initBackend("webgpu", { quiet: true });
      const before = tf.memory();
      for (const tile of tiles) {
        setKernelMode(tileName(tile));
        const err = relativeError(await runOn("webgpu", c), want);
        worst = Math.max(worst, err);
        assert(err < TOLERANCE, `${c.label}, ${tileName(tile)}: relative error ${err}`);
      }
      const after = tf.memory();
      assertEquals(after.numTensors, before.numTensors, `${c.label}: tensors leaked`);
      assertEquals(after.numDataBuffers, before.numDataBuffers, `${c.label}: buffers leaked`);
    }
  } finally {
    setKernelMode(null);
  }
  return worst;
}

interface ConvCase {
  x: [number, number, number, number];
  co: number;
  k: number;
  s: number;
  pad: "same" | "valid";
}

// Odd sides, both paddings, strides 1 and 2 (with an even kernel: asymmetric 'same'
// padding), batches 1 and 8.
const CONV_CASES: ConvCase[] = [
  { x: [1, 7, 5, 3], co: 5, k: 3, s: 1, pad: "same" },
  { x: [8, 5, 6, 2], co: 3, k: 3, s: 2, pad: "same" },
  { x: [1, 9, 7, 3], co: 4, k: 3, s: 2, pad: "valid" },
  { x: [8, 6, 5, 2], co: 3, k: 1, s: 1, pad: "valid" },
  { x: [1, 8, 9, 2], co: 3, k: 4, s: 2, pad: "same" },
];

function convCases(kernel: string, rng: Rng): KernelCase[] {
  return CONV_CASES.map((c): KernelCase => {
    const filterShape = [c.k, c.k, c.x[3], c.co];
    const info = tf.backend_util.computeConv2DInfo(
      c.x,
      filterShape as [number, number, number, number],
      c.s,
      1,
      c.pad,
    );
    const arr = (shape: number[]) => ({
      shape,
      values: rng.normalArray(shape.reduce((a, b) => a * b, 1)),
    });
    const attrs = { strides: c.s, pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined };
    const label = `${kernel} ${JSON.stringify(c)}`;
    if (kernel === tf.Conv2D) {
      return {
        label,
        kernel,
        inputs: { x: arr(c.x), filter: arr(filterShape) },
        attrs: { ...attrs, dilations: 1 },
      };
    }
    if (kernel === tf.Conv2DBackpropInput) {
      return {
        label,
        kernel,
        inputs: { dy: arr(info.outShape), filter: arr(filterShape) },
        attrs: { ...attrs, inputShape: c.x },
      };
    }
    return {
      label,
      kernel,
      inputs: { x: arr(c.x), dy: arr(info.outShape) },
      attrs: { ...attrs, filterShape },
    };
  });
}

for (const kernel of [tf.Conv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter]) {
  webgpuTest(import.meta, {
    name: `${kernel} kit kernel on webgpu equals the cpu kernel for every tile (rel. error < 1e-4)`,
    ignore: !gpu.available,
    fn: async () => {
      // The convolutions also try the large tiles (on hardware adapters).
      const worst = await checkAllTiles(convCases(kernel, new Rng(3)), [
        ...TILE_CANDIDATES,
        ...LARGE_TILE_CANDIDATES,
      ]);
      console.log(`${kernel}: largest relative error ${worst.toExponential(2)}`);
    },
  });
}

function matMulCase(
  rng: Rng,
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): KernelCase {
  const arr = (shape: number[]) => ({
    shape,
    values: rng.normalArray(shape.reduce((a, b) => a * b, 1)),
  });
  return {
    label: `BatchMatMul [${aShape}]${transposeA ? "ᵀ" : ""}·[${bShape}]${transposeB ? "ᵀ" : ""}`,
    kernel: tf.BatchMatMul,
    inputs: { a: arr(aShape), b: arr(bShape) },
    attrs: { transposeA, transposeB },
  };
}

webgpuTest(import.meta, {
  name: "BatchMatMul kit kernel on webgpu equals the cpu kernel for every tile (rel. error < 1e-4)",
  ignore: !gpu.available,
  fn: async () => {
    const rng = new Rng(5);
    // The memory module's products and their gradients: Q·Mᵀ, W·M, Gᵀ·Q.
    const worst = await checkAllTiles([
      matMulCase(rng, [17, 33], [9, 33], false, true),
      matMulCase(rng, [8, 17, 9], [8, 9, 33], false, false),
      matMulCase(rng, [33, 17], [33, 9], true, false),
      matMulCase(rng, [1, 5, 7], [3, 7, 6], false, false),
    ]);
    // Both transposed, and a batch broadcast on the other side: one tile suffices.
    const w2 = await checkAllTiles([
      matMulCase(rng, [2, 7, 5], [6, 7], true, true),
    ], [TILE_CANDIDATES[0]]);
    console.log(`BatchMatMul: largest relative error ${Math.max(worst, w2).toExponential(2)}`);
  },
});

webgpuTest(import.meta, {
  name: "runGemm() folds row tiles past the dispatch limit into z groups, on webgpu",
  ignore: !gpu.available,
  fn: async () => {
    const rng = new Rng(11);
    const c = matMulCase(rng, [3, 37, 5], [3, 5, 6], false, false);
    const want = await runOn("cpu", c);
    await initBackend("webgpu", { quiet: true });
    const backend = tf.backend() as unknown as GpuBackend;
    const [a, b] = [c.inputs.a, c.inputs.b].map((v) => tf.tensor(v.values, v.shape));
    for (const tile of [TILE_CANDIDATES[0], TILE_CANDIDATES[4]]) {
      const s = matMulShape(a.shape, b.shape, false, false)!;
      // 37 rows in tiles of 16: 3 row tiles, 2 per dispatch column, so 2 z groups each.
      const spec = { ...matMulSpec(s, false, false, tile), maxRowTiles: 2 };
      const out = tf.engine().makeTensorFromTensorInfo(
        runGemm(backend, spec, [a, b], [s.aStride, s.bStride], s.outShape),
      );
      const err = relativeError(await out.data(), want);
      assert(err < TOLERANCE, `${tileName(tile)}: relative error ${err}`);
      out.dispose();
    }
    tf.dispose([a, b]);
  },
});

webgpuTest(import.meta, {
  name: "tuneWebGpuKernels() times the candidates on webgpu and caches the winner in a file",
  ignore: !gpu.available,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const rng = new Rng(9);
    const c = convCases(tf.Conv2D, rng)[0];
    const want = await runOn("cpu", c);
    await initBackend("webgpu", { quiet: true });
    resetAutotune();
    setAutotuneCacheDir(dir);
    setKernelMode("auto");
    try {
      const before = tf.memory().numTensors;
      // Untuned: tfjs's kernel runs and the shape is recorded.
      assert(relativeError(await runOn("webgpu", c), want) < TOLERANCE);
      assertEquals(pendingTunes().map((p) => p.op), [tf.Conv2D]);
      const picked = await tuneWebGpuKernels({
        reps: 1,
        candidates: ["tfjs", tileName(TILE_CANDIDATES[0]), tileName(TILE_CANDIDATES[4])],
      });
      assertEquals(picked.length, 1);
      assertEquals(Object.keys(picked[0].ms).length, 3);
      assertEquals(pendingTunes(), []);
      assertEquals(tf.memory().numTensors, before, "tuning leaked tensors");
      // Tuned: the winner runs, with the same result.
      assert(relativeError(await runOn("webgpu", c), want) < TOLERANCE);
      assertEquals(pendingTunes(), []);
      // A new process (here: a reset) reads the decision from the file.
      resetAutotune();
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/webgpu_autotune.json`));
      assertEquals(saved.decisions[0].winner, picked[0].winner);
      assertEquals(tuneDecisions().length, 1);
      await runOn("webgpu", c);
      assertEquals(pendingTunes(), []);
    } finally {
      setKernelMode(null);
      setAutotuneCacheDir(undefined);
      resetAutotune();
      await Deno.remove(dir, { recursive: true });
    }
    assert(kitKernelNames("webgpu").includes(tf.Conv2D));
  },
});
