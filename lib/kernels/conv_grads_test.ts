import * as tf from "@tensorflow/tfjs";
import { assert, relativeError } from "../../tests/assert.ts";
import { initBackend } from "../backend.ts";
import { Rng } from "../util/rng.ts";
import { kitKernelNames } from "./mod.ts";
import { flipFilter } from "./conv2d_backprop_input.ts";

type Pad = "same" | "valid" | number | [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
];

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: number | [number, number];
  pad: Pad;
}

// Strides 1 and 2, 'same', 'valid' and explicit padding, odd spatial sizes, 1x1 to 5x5
// kernels, non-square inputs and kernels.
const CASES: Case[] = [
  { x: [2, 7, 7, 3], k: [3, 3], co: 4, stride: 1, pad: "same" },
  { x: [2, 7, 7, 3], k: [3, 3], co: 4, stride: 1, pad: "valid" },
  { x: [2, 9, 7, 5], k: [3, 3], co: 2, stride: 2, pad: "same" },
  { x: [2, 9, 7, 5], k: [3, 3], co: 2, stride: 2, pad: "valid" },
  { x: [1, 8, 8, 4], k: [4, 4], co: 3, stride: 2, pad: "same" },
  { x: [3, 10, 11, 2], k: [4, 4], co: 6, stride: 2, pad: 1 },
  { x: [2, 6, 6, 8], k: [1, 1], co: 5, stride: 1, pad: "valid" },
  { x: [2, 11, 9, 3], k: [5, 3], co: 4, stride: [2, 1], pad: "same" },
  { x: [1, 13, 13, 2], k: [5, 5], co: 3, stride: 2, pad: "valid" },
  { x: [2, 7, 9, 3], k: [3, 3], co: 2, stride: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [4, 16, 16, 16], k: [3, 3], co: 16, stride: 1, pad: "same" },
];

function outSize(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(c.x, [...c.k, c.x[3], c.co], c.stride, 1, c.pad);
  return info.outShape as [number, number, number, number];
}

function inputsFor(c: Case, seed: number) {
  const rng = new Rng(seed);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const dyShape = outSize(c);
  const w: [number, number, number, number] = [...c.k, c.x[3], c.co];
  return {
    x: rng.normalArray(size(c.x)),
    w: rng.normalArray(size(w)),
    dy: rng.normalArray(size(dyShape)),
    wShape: w,
    dyShape,
  };
}

async function runOn(backend: "cpu" | "wasm", fn: () => tf.Tensor): Promise<Float32Array> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const t = fn();
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

function label(c: Case): string {
  return `x${c.x.join("x")} k${c.k.join("x")} co${c.co} s${c.stride} pad ${JSON.stringify(c.pad)}`;
}

Deno.test("the kit registers both conv gradient kernels on wasm", () => {
  const names = kitKernelNames("wasm");
  assert(names.includes("Conv2DBackpropFilter") && names.includes("Conv2DBackpropInput"));
});

Deno.test("Conv2DBackpropFilter on wasm equals the cpu kernel (rel. error < 1e-4)", async () => {
  for (const [i, c] of CASES.entries()) {
    const d = inputsFor(c, 100 + i);
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", {
        x: tf.tensor4d(d.x, c.x),
        dy: tf.tensor4d(d.dy, d.dyShape),
      }, { strides: c.stride, pad: c.pad, dataFormat: "NHWC", filterShape: d.wShape }) as tf.Tensor;
    const ref = await runOn("cpu", run);
    const got = await runOn("wasm", run);
    const err = relativeError(got, ref);
    assert(err < 1e-4, `${label(c)}: relative error ${err}`);
  }
});

Deno.test("Conv2DBackpropInput on wasm equals the cpu kernel (rel. error < 1e-4)", async () => {
  for (const [i, c] of CASES.entries()) {
    const d = inputsFor(c, 200 + i);
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropInput", {
        dy: tf.tensor4d(d.dy, d.dyShape),
        filter: tf.tensor4d(d.w, d.wShape),
      }, { strides: c.stride, pad: c.pad, dataFormat: "NHWC", inputShape: c.x }) as tf.Tensor;
    const ref = await runOn("cpu", run);
    const got = await runOn("wasm", run);
    const err = relativeError(got, ref);
    assert(err < 1e-4, `${label(c)}: relative error ${err}`);
  }
});

Deno.test("both conv gradient kernels on wasm run NCHW through the cpu kernel, exactly", async () => {
  // [B, C, H, W] in, as tfjs passes NCHW; the kit's conv form is NHWC only.
  type Shape = [number, number, number, number];
  const x: Shape = [2, 3, 7, 6], w: Shape = [3, 3, 3, 4];
  const dyShape: Shape = [2, 4, 4, 3]; // stride 2, 'same'
  const rng = new Rng(5);
  const xs = rng.normalArray(2 * 3 * 7 * 6), ws = rng.normalArray(3 * 3 * 3 * 4);
  const dys = rng.normalArray(2 * 4 * 4 * 3);
  const attrs = { strides: 2, pad: "same", dataFormat: "NCHW" };
  for (
    const run of [
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", {
          x: tf.tensor4d(xs, x),
          dy: tf.tensor4d(dys, dyShape),
        }, { ...attrs, filterShape: w }) as tf.Tensor,
      () =>
        tf.engine().runKernel("Conv2DBackpropInput", {
          dy: tf.tensor4d(dys, dyShape),
          filter: tf.tensor4d(ws, w),
        }, { ...attrs, inputShape: x }) as tf.Tensor,
    ]
  ) {
    const ref = await runOn("cpu", run);
    const got = await runOn("wasm", run);
    assert(ref.length > 0 && ref.some((v) => v !== 0));
    assert(relativeError(got, ref) === 0, `NCHW: relative error ${relativeError(got, ref)}`);
  }
});

Deno.test("tf.grads of conv2d on wasm equals cpu through the registered kernels", async () => {
  for (const [i, c] of CASES.entries()) {
    if (typeof c.pad !== "string") continue; // tf.conv2d takes explicit pads only in NHWC arrays
    const d = inputsFor(c, 300 + i);
    for (const which of [0, 1]) {
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(d.x, c.x), w = tf.tensor4d(d.w, d.wShape);
          const dy = tf.tensor4d(d.dy, d.dyShape);
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad as "same"), dy),
            );
          return tf.grads(f)([x, w])[which];
        });
      const ref = await runOn("cpu", run);
      const got = await runOn("wasm", run);
      const err = relativeError(got, ref);
      assert(err < 1e-4, `${label(c)} grad ${which}: relative error ${err}`);
    }
  }
});

Deno.test("the conv gradient kernels leave no tensor behind", async () => {
  await initBackend("wasm", { quiet: true, threads: 1 });
  const c = CASES[2];
  const d = inputsFor(c, 7);
  const x = tf.tensor4d(d.x, c.x),
    w = tf.tensor4d(d.w, d.wShape),
    dy = tf.tensor4d(d.dy, d.dyShape);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same"), dy))
    )([x, w]);
    gx.dispose();
    gw.dispose();
  }
  const after = tf.memory().numTensors;
  assert(after === before, `tensors before ${before}, after ${after}`);
  tf.dispose([x, w, dy]);
});

Deno.test("flipFilter() rotates the filter 180° and swaps its channel axes, on wasm and cpu", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await initBackend(backend, { quiet: true, threads: 1 });
    const [kh, kw, ci, co] = [3, 2, 4, 5];
    const values = Array.from({ length: kh * kw * ci * co }, (_, i) => i);
    const f = tf.tensor4d(values, [kh, kw, ci, co]);
    const got = flipFilter(f).arraySync() as number[][][][];
    const src = f.arraySync() as number[][][][];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) {
            if (got[a][b][o][i] !== src[kh - 1 - a][kw - 1 - b][i][o]) {
              throw new Error(`${backend}: [${a},${b},${o},${i}] is ${got[a][b][o][i]}`);
            }
          }
        }
      }
    }
    f.dispose();
  }
});
