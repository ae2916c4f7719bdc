import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows, relativeError } from "../../../tests/assert.ts";
import { useBackend, values } from "../../../tests/tf_helpers.ts";
import { ParamStore } from "../../nn/params.ts";
import { Rng } from "../../util/rng.ts";
import { ConfigError } from "../../util/errors.ts";
import {
  Discriminator,
  type DiscriminatorConfig,
  discriminatorLayout,
  LEAKY_SLOPE,
} from "./discriminator.ts";

await useBackend("cpu");

const cfg = (over: Partial<DiscriminatorConfig> = {}): DiscriminatorConfig => ({
  size: 32,
  channels: 1,
  width: 2,
  featureDim: 100,
  ...over,
});

Deno.test("discriminatorLayout() keeps halving to 4x4: 3, 4, 5 and 6 stages at 32 to 256", () => {
  const at = (size: number) => discriminatorLayout(cfg({ size, width: 64, channels: 3 }));
  assertEquals(at(32).stages.map((s) => s.side), [16, 8, 4]);
  assertEquals(at(64).stages.map((s) => s.side), [32, 16, 8, 4]);
  // 128 is exactly supplement Table 3: five stride-2 convolutions, 64 to 1024 channels.
  assertEquals(at(128).stages.map((s) => s.channels), [64, 128, 256, 512, 1024]);
  // 256 needs a sixth stage, kept at Table 3's widest 1024 channels.
  assertEquals(at(256).stages.map((s) => s.channels), [64, 128, 256, 512, 1024, 1024]);
  assertEquals(at(256).stages.map((s) => s.batchNorm), [false, true, true, true, true, true]);
  for (const size of [32, 64, 128, 256]) {
    assertEquals(at(size).featureSide, 1, `size ${size}`);
    assertEquals(at(size).featureDim, 100, `f_D length at size ${size}`);
  }
  // 48: 24, 12, 6 (6 / 2 = 3 < 4 stops), a 3x3 f_D map of 100 channels.
  const odd = at(48);
  assertEquals(odd.stages.map((s) => s.side), [24, 12, 6]);
  assertEquals([odd.featureSide, odd.featureDim], [3, 900]);
});

Deno.test("Discriminator gives a 100-value f_D and one logit at 32, 64 and 256", () => {
  for (const size of [32, 64, 256]) {
    const store = new ParamStore("t");
    const d = new Discriminator(store, "disc", new Rng(1), cfg({ size, width: 2 }));
    const x = tf.randomUniform([2, size, size, 1], -1, 1) as tf.Tensor4D;
    for (const training of [true, false]) {
      const out = d.apply(x, { training });
      assertEquals(out.features.shape, [2, 100], `f_D at ${size}`);
      assertEquals(out.logits.shape, [2, 1], `logits at ${size}`);
      const f = d.features(x, { training });
      assertEquals(values(f), values(out.features), "features() = apply().features");
      tf.dispose([out.features, out.logits, f]);
    }
    x.dispose();
    store.dispose();
  }
});

Deno.test("Discriminator has the hand-counted parameters and keeps its own variable list", () => {
  const store = new ParamStore("t");
  store.add("other", tf.zeros([3]));
  const d = new Discriminator(store, "disc", new Rng(0), cfg({ width: 2, featureDim: 5 }));
  // conv1 4·4·1·2 + 2 bias; conv2 4·4·2·4 + BN 2·4; conv3 4·4·4·8 + BN 2·8;
  // feature 4·4·8·5 + 5; classifier 3·3·5·1 + 1.
  const want = 34 + 128 + 8 + 512 + 16 + 645 + 46;
  assertEquals(store.numParams(), want + 3);
  assertEquals(d.trainableVariables.reduce((n, v) => n + v.size, 0), want);
  assert(d.trainableVariables.every((v) => store.nameOf(v).startsWith("disc.")));
  store.dispose();
});

Deno.test("Discriminator computes conv 4x4 s2 p1, LeakyReLU 0.2, conv 4x4, conv 3x3 (by hand)", () => {
  // Size 8: one stride-2 stage (8 -> 4), the f_D conv (4 -> 1), the classifier on 1x1.
  const store = new ParamStore("t");
  const c = cfg({ size: 8, channels: 2, width: 3, featureDim: 2 });
  const d = new Discriminator(store, "disc", new Rng(3), c);
  const rng = new Rng(4);
  for (const name of store.names()) {
    const v = store.get(name);
    v.assign(tf.tensor(rng.normalArray(v.size, 0, 0.5), v.shape));
  }
  const xv = rng.normalArray(8 * 8 * 2);
  const w1 = values(store.get("disc.conv1.w")), b1 = values(store.get("disc.conv1.b"));
  const wf = values(store.get("disc.feature.w")), bf = values(store.get("disc.feature.b"));
  const wc = values(store.get("disc.classifier.w")), bc = values(store.get("disc.classifier.b"));
  // Stage 1: h[oy, ox, co] with input rows oy·2 − 1 + ky (padding 1 on every side).
  const h = new Float64Array(4 * 4 * 3);
  for (let oy = 0; oy < 4; oy++) {
    for (let ox = 0; ox < 4; ox++) {
      for (let co = 0; co < 3; co++) {
        let s = b1[co];
        for (let ky = 0; ky < 4; ky++) {
          for (let kx = 0; kx < 4; kx++) {
            const iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
            if (iy < 0 || iy >= 8 || ix < 0 || ix >= 8) continue;
            for (let ci = 0; ci < 2; ci++) {
              s += xv[(iy * 8 + ix) * 2 + ci] * w1[((ky * 4 + kx) * 2 + ci) * 3 + co];
            }
          }
        }
        h[(oy * 4 + ox) * 3 + co] = s > 0 ? s : LEAKY_SLOPE * s;
      }
    }
  }
  const f = [0, 1].map((co) => {
    let s = bf[co];
    for (let i = 0; i < 4 * 4 * 3; i++) s += h[i] * wf[i * 2 + co];
    return s;
  });
  // A 3x3 'same' convolution on a 1x1 map sees only its centre tap (ky = kx = 1).
  const logit = bc[0] + f[0] * wc[(1 * 3 + 1) * 2 + 0] + f[1] * wc[(1 * 3 + 1) * 2 + 1];
  const out = d.apply(tf.tensor4d(xv, [1, 8, 8, 2]), { training: false });
  assert(relativeError(values(out.features), f) < 1e-5, `f_D ${values(out.features)} vs ${f}`);
  assert(relativeError(values(out.logits), [logit]) < 1e-5, `logit ${values(out.logits)}`);
  store.dispose();
});

Deno.test("Discriminator refuses sizes below 8 and inputs of another shape", () => {
  assertThrows(
    () => new Discriminator(new ParamStore("t"), "d", new Rng(0), cfg({ size: 4 })),
    ConfigError,
    "size must be an integer >= 8, got 4",
  );
  assertThrows(() => discriminatorLayout(cfg({ featureDim: 0 })), ConfigError, "featureDim");
  const store = new ParamStore("t");
  const d = new Discriminator(store, "disc", new Rng(0), cfg());
  assertThrows(
    () => d.apply(tf.zeros([1, 32, 32, 3]), { training: false }),
    Error,
    "[B, 32, 32, 1]",
  );
  store.dispose();
});
