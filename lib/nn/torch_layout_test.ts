import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { useBackend, values } from "../../tests/tf_helpers.ts";
import { Rng } from "../util/rng.ts";
import { Conv2d, ConvBnRelu, ConvTranspose2x2 } from "./layers.ts";
import { ParamStore, type TensorData } from "./params.ts";
import { nchwToNhwc, nhwcToNchw, permute, torchStateDict } from "./torch_layout.ts";

await useBackend("cpu");

const data = (t: tf.Tensor): TensorData => ({ shape: [...t.shape], values: values(t) as never });

Deno.test("permute() moves axes as numpy.transpose does", () => {
  // [2, 3] -> [3, 2]
  const t = permute({ shape: [2, 3], values: Float32Array.of(0, 1, 2, 3, 4, 5) }, [1, 0]);
  assertEquals([t.shape, Array.from(t.values)], [[3, 2], [0, 3, 1, 4, 2, 5]]);
  const x = { shape: [2, 3, 4, 5], values: new Rng(1).normalArray(120) };
  assertEquals(Array.from(nchwToNhwc(nhwcToNchw(x)).values), Array.from(x.values));
  assertThrows(() => permute(x, [0, 1, 1, 2]), RangeError, "not a permutation");
});

Deno.test("a Conv2d's PyTorch weight [Cout, Cin, kh, kw] computes the layer's output by hand (NCHW)", () => {
  const store = new ParamStore("t");
  const rng = new Rng(2);
  const conv = new Conv2d(store, "c", rng, 2, 3, { init: "torch" });
  const [b, h, w, cin, cout] = [1, 4, 5, 2, 3];
  const x = tf.tensor4d(rng.normalArray(b * h * w * cin), [b, h, w, cin]);
  const y = nhwcToNchw(data(conv.apply(x)));
  const sd = torchStateDict(store);
  assertEquals([...sd.keys()], ["c.weight", "c.bias"]);
  const W = sd.get("c.weight")!, bias = sd.get("c.bias")!.values;
  assertEquals(W.shape, [cout, cin, 3, 3]);
  const xc = nhwcToNchw(data(x)).values;
  // y[co, i, j] = bias[co] + Σ W[co, ci, kh, kw]·x[ci, i + kh − 1, j + kw − 1] (zero padding 1)
  for (let co = 0; co < cout; co++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let acc = bias[co];
        for (let ci = 0; ci < cin; ci++) {
          for (let kh = 0; kh < 3; kh++) {
            for (let kw = 0; kw < 3; kw++) {
              const ii = i + kh - 1, jj = j + kw - 1;
              if (ii < 0 || jj < 0 || ii >= h || jj >= w) continue;
              acc += W.values[((co * cin + ci) * 3 + kh) * 3 + kw] * xc[(ci * h + ii) * w + jj];
            }
          }
        }
        assertAlmostEquals(y.values[(co * h + i) * w + j], acc, 1e-5);
      }
    }
  }
  x.dispose();
  store.dispose();
});

Deno.test("a ConvTranspose2x2's PyTorch weight [Cin, Cout, 2, 2] computes the layer's output by hand", () => {
  const store = new ParamStore("t");
  const rng = new Rng(3);
  const up = new ConvTranspose2x2(store, "up", rng, 3, 2, { init: "torch" });
  const [h, w, cin, cout] = [2, 3, 3, 2];
  const x = tf.tensor4d(rng.normalArray(h * w * cin), [1, h, w, cin]);
  const y = nhwcToNchw(data(up.apply(x)));
  const sd = torchStateDict(store);
  const W = sd.get("up.weight")!, bias = sd.get("up.bias")!.values;
  assertEquals(W.shape, [cin, cout, 2, 2]);
  const xc = nhwcToNchw(data(x)).values;
  // ConvTranspose2d(k = 2, s = 2): y[co, 2i + kh, 2j + kw] = bias[co] + Σ_ci x[ci, i, j]·W[ci, co, kh, kw]
  for (let co = 0; co < cout; co++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let kh = 0; kh < 2; kh++) {
          for (let kw = 0; kw < 2; kw++) {
            let acc = bias[co];
            for (let ci = 0; ci < cin; ci++) {
              acc += xc[(ci * h + i) * w + j] * W.values[((ci * cout + co) * 2 + kh) * 2 + kw];
            }
            const at = (co * 2 * h + 2 * i + kh) * 2 * w + 2 * j + kw;
            assertAlmostEquals(y.values[at], acc, 1e-5);
          }
        }
      }
    }
  }
  x.dispose();
  store.dispose();
});

Deno.test("torchStateDict() names batch norm as PyTorch does and keeps other variables as they are", () => {
  const store = new ParamStore("t");
  new ConvBnRelu(store, "enc1.1", new Rng(0), 1, 2, { init: "torch" });
  store.add("mem1.items", tf.ones([3, 4]), true);
  assertEquals([...torchStateDict(store).keys()], [
    "enc1.1.conv.weight",
    "enc1.1.conv.bias",
    "enc1.1.bn.weight",
    "enc1.1.bn.bias",
    "enc1.1.bn.running_mean",
    "enc1.1.bn.running_var",
    "mem1.items",
  ]);
  assertEquals(torchStateDict(store).get("mem1.items")!.shape, [3, 4]);
  store.dispose();
});
