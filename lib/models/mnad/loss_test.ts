import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals } from "../../../tests/assert.ts";
import { useBackend, values } from "../../../tests/tf_helpers.ts";
import { compactnessLoss, intensityLoss, mnadLoss, separatenessLoss } from "./loss.ts";

await useBackend("cpu");

// Items p0 = (1, 0), p1 = (0, 1), p2 = (−1, 0).
// q_a = (0.8, 0.6): q·p = 0.8, 0.6, −0.8 → nearest p0 (d² = 0.4), second p1 (d² = 0.8);
//   its farthest item p2 (d² = 3.2) must not be the negative.
// q_b = (−0.6, −0.8): q·p = −0.6, −0.8, 0.6 → nearest p2 (d² = 0.8), second p0 (d² = 3.2).
const items = () => tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
const queries = () => tf.tensor2d([[0.8, 0.6], [-0.6, -0.8]]);
const s = Math.sqrt;

Deno.test("compactnessLoss() is the mean distance to the nearest item (eq. 10)", () => {
  const got = compactnessLoss(queries(), items()).dataSync()[0];
  assertAlmostEquals(got, (s(0.4) + s(0.8)) / 2, 1e-6);
});

Deno.test("compactnessLoss(…, 'mse') is the official mean squared error, ‖q − p‖² / C", () => {
  const got = compactnessLoss(queries(), items(), "mse").dataSync()[0];
  assertAlmostEquals(got, (0.4 / 2 + 0.8 / 2) / 2, 1e-6);
  // Its gradient is 2(q − p)/(C·K); the distance's is (q − p)/(‖q − p‖·K).
  const q = tf.variable(queries());
  const g = (kind: "distance" | "mse") =>
    values(
      tf.variableGrads(() => compactnessLoss(q as tf.Tensor2D, items(), kind), [q])
        .grads[q.name],
    );
  const [gd, gm] = [g("distance"), g("mse")];
  assertAlmostEquals(gm[0], 2 * (0.8 - 1) / (2 * 2), 1e-6);
  assertAlmostEquals(gd[0] / gm[0], 2 / (2 * s(0.4)), 1e-5); // C / (2‖q − p‖)
  q.dispose();
});

Deno.test("separatenessLoss() uses the second-nearest item as negative (eq. 12)", () => {
  const got = separatenessLoss(queries(), items(), 1).dataSync()[0];
  // [d_p − d_n + α]₊ per query, α = 1: both hinges are active.
  const a = s(0.4) - s(0.8) + 1, b = s(0.8) - s(3.2) + 1;
  assert(a > 0 && b > 0);
  assertAlmostEquals(got, (a + b) / 2, 1e-6);
  // α = 0.5 clips q_b's term to 0.
  const half = separatenessLoss(queries(), items(), 0.5).dataSync()[0];
  assertAlmostEquals(half, (s(0.4) - s(0.8) + 0.5) / 2, 1e-6);
  // With the farthest item as negative q_a's term would be 1 + √0.4 − √3.2, not this.
  assert(Math.abs(got - (s(0.4) - s(3.2) + 1 + b) / 2) > 0.1);
});

Deno.test("separatenessLoss() pushes a query from its second-nearest item", () => {
  const q = tf.variable(queries());
  const { grads } = tf.variableGrads(() => separatenessLoss(q as tf.Tensor2D, items(), 1), [q]);
  const g = values(grads[q.name]);
  // d/dq (‖q − p0‖ − ‖q − p1‖) / 2 for q_a: ((q − p0)/‖q − p0‖ − (q − p1)/‖q − p1‖) / 2.
  const qa = [0.8, 0.6];
  const want = [0, 1].map((c) => ((qa[c] - [1, 0][c]) / s(0.4) - (qa[c] - [0, 1][c]) / s(0.8)) / 2);
  assertAlmostEquals(g[0], want[0], 1e-5);
  assertAlmostEquals(g[1], want[1], 1e-5);
  q.dispose();
});

Deno.test("intensityLoss() is the mean squared difference", () => {
  const t = tf.tensor4d([0, 0, 0, 0], [1, 2, 2, 1]);
  const o = tf.tensor4d([1, -1, 0.5, 0], [1, 2, 2, 1]);
  assertAlmostEquals(intensityLoss(t, o).dataSync()[0], (1 + 1 + 0.25) / 4, 1e-7);
});

Deno.test("mnadLoss() is L_rec + λ_c·L_compact + λ_s·L_separate (eq. 8)", () => {
  const t = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
  const o = tf.fill([1, 2, 2, 1], 0.5) as tf.Tensor4D;
  const terms = mnadLoss(t, o, queries(), items(), {
    lambdaCompact: 0.1,
    lambdaSeparate: 0.01,
    margin: 1,
  });
  const rec = 0.25, compact = (s(0.4) + s(0.8)) / 2;
  const separate = (s(0.4) - s(0.8) + 1 + s(0.8) - s(3.2) + 1) / 2;
  assertAlmostEquals(terms.parts.rec.dataSync()[0], rec, 1e-6);
  assertAlmostEquals(terms.parts.compact.dataSync()[0], compact, 1e-6);
  assertAlmostEquals(terms.parts.separate.dataSync()[0], separate, 1e-6);
  assertAlmostEquals(terms.total.dataSync()[0], rec + 0.1 * compact + 0.01 * separate, 1e-6);
});
