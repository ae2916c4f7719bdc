import * as tf from "@tensorflow/tfjs";
import { assert, relativeError } from "../../../tests/assert.ts";
import { ONEDNN, testWith } from "../../../tests/optional.ts";
import { initBackend } from "../../backend.ts";
import { Rng } from "../../util/rng.ts";
import { convGeometry } from "./conv2d.ts";
import { oneDnnRunCount } from "./runtime.ts";

type Pad = "same" | "valid" | number;

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: number | [number, number];
  pad: Pad;
  dilation?: number;
}

// Batch 1 and 32, 1 and 3 input channels, odd sizes, strides 1 and 2, 'same', 'valid' and
// explicit padding, 1x1 to 5x5 kernels, the shapes of the networks (16 to 256 channels).
const CASES: Case[] = [
  { x: [1, 7, 7, 1], k: [3, 3], co: 4, stride: 1, pad: "same" },
  { x: [32, 9, 9, 3], k: [3, 3], co: 5, stride: 1, pad: "same" },
  { x: [32, 7, 7, 1], k: [3, 3], co: 16, stride: 1, pad: "valid" },
  { x: [1, 9, 7, 3], k: [3, 3], co: 2, stride: 2, pad: "same" },
  { x: [2, 9, 7, 5], k: [3, 3], co: 2, stride: 2, pad: "valid" },
  { x: [3, 10, 11, 2], k: [4, 4], co: 6, stride: 2, pad: 1 },
  { x: [2, 6, 6, 8], k: [1, 1], co: 5, stride: 1, pad: "valid" },
  { x: [2, 11, 9, 3], k: [5, 3], co: 4, stride: [2, 1], pad: "same" },
  { x: [2, 8, 8, 16], k: [3, 3], co: 1, stride: 1, pad: "same" },
  { x: [32, 8, 8, 16], k: [1, 1], co: 1, stride: 1, pad: "same" },
  { x: [4, 16, 16, 16], k: [3, 3], co: 32, stride: 1, pad: "same" },
  { x: [3, 4, 4, 128], k: [3, 3], co: 256, stride: 1, pad: "same" },
];

const DILATED: Case[] = [
  { x: [2, 11, 11, 3], k: [3, 3], co: 4, stride: 1, pad: "same", dilation: 2 },
  { x: [1, 9, 10, 2], k: [2, 3], co: 3, stride: 1, pad: "valid", dilation: 2 },
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function label(c: Case): string {
  return `x${c.x.join("x")} k${c.k.join("x")} co${c.co} s${c.stride} pad ${c.pad}` +
    (c.dilation ? ` d${c.dilation}` : "");
}

async function on(backend: "cpu" | "onednn", fn: () => tf.Tensor): Promise<Float32Array> {
  await initBackend(backend, { quiet: true, threads: 1 });
  const before = tf.memory().numTensors;
  const t = tf.tidy(fn);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  assert(tf.memory().numTensors === before, `${backend}: tensors leaked`);
  return values;
}

function data(c: Case, seed: number) {
  const rng = new Rng(seed);
  const w: [number, number, number, number] = [...c.k, c.x[3], c.co];
  const g = convGeometry(c.x, w, c.stride, c.pad, c.dilation ?? 1);
  const dyShape: [number, number, number, number] = [g.batch, g.outH, g.outW, g.outC];
  return {
    x: rng.normalArray(size(c.x)),
    w: rng.normalArray(size(w)),
    dy: rng.normalArray(size(dyShape)),
    wShape: w,
    dyShape,
  };
}

async function compare(what: string, c: Case, fn: () => tf.Tensor): Promise<void> {
  const want = await on("cpu", fn);
  const runs = oneDnnRunCount();
  const got = await on("onednn", fn);
  assert(oneDnnRunCount() > runs, `${what} ${label(c)}: oneDNN did not run`);
  const err = relativeError(got, want);
  assert(err <= 1e-5, `${what} ${label(c)}: relative error ${err}`);
}

await testWith([ONEDNN], {
  name: "Conv2D on onednn equals the cpu kernel (rel. error <= 1e-5)",
  async fn() {
    for (const [i, c] of [...CASES, ...DILATED].entries()) {
      const d = data(c, 10 + i);
      await compare("Conv2D", c, () =>
        tf.conv2d(
          tf.tensor4d(d.x, c.x),
          tf.tensor4d(d.w, d.wShape),
          c.stride as [number, number],
          c.pad as "same",
          "NHWC",
          c.dilation ?? 1,
        ));
    }
  },
});

await testWith([ONEDNN], {
  name: "Conv2DBackpropInput on onednn equals the cpu kernel (rel. error <= 1e-5)",
  async fn() {
    for (const [i, c] of CASES.entries()) {
      const d = data(c, 100 + i);
      await compare("Conv2DBackpropInput", c, () =>
        tf.engine().runKernel("Conv2DBackpropInput", {
          dy: tf.tensor4d(d.dy, d.dyShape),
          filter: tf.tensor4d(d.w, d.wShape),
        }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: "NHWC",
          inputShape: c.x,
        }) as tf.Tensor);
    }
  },
});

await testWith([ONEDNN], {
  name: "Conv2DBackpropFilter on onednn equals the cpu kernel (rel. error <= 1e-5)",
  async fn() {
    for (const [i, c] of CASES.entries()) {
      const d = data(c, 200 + i);
      await compare("Conv2DBackpropFilter", c, () =>
        tf.engine().runKernel("Conv2DBackpropFilter", {
          x: tf.tensor4d(d.x, c.x),
          dy: tf.tensor4d(d.dy, d.dyShape),
        }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: "NHWC",
          filterShape: d.wShape,
        }) as tf.Tensor);
    }
  },
});
