import { assertAlmostEquals, assertEquals, assertThrows } from "../../tests/assert.ts";
import { Rng } from "../util/rng.ts";
import { auroc, bestF1Threshold, MetricInputError, rocArea, rocCurve } from "./mod.ts";

// Brute force over all (anomaly, normal) pairs: the definition of the statistic.
function pairwise(scores: number[], labels: number[]): number {
  let wins = 0, pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (labels[i] === 1 && labels[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
  }
  return wins / pairs;
}

Deno.test("auroc() matches a hand computation with a tie", () => {
  // anomalies 0.35, 0.8; normals 0.1, 0.4: pairs (0.35>0.1), (0.35<0.4), (0.8>0.1), (0.8>0.4)
  assertAlmostEquals(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75, 1e-12);
  // tie between an anomaly and a normal counts one half: pairs 1, 0.5, 1, 1 -> 3.5/4
  assertAlmostEquals(auroc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1]), 0.875, 1e-12);
});

Deno.test("auroc() is 1 for perfect, 0 for inverted and 0.5 for constant scores", () => {
  assertEquals(auroc([1, 2, 3, 4], [0, 0, 1, 1]), 1);
  assertEquals(auroc([4, 3, 2, 1], [0, 0, 1, 1]), 0);
  assertEquals(auroc([5, 5, 5, 5], [0, 1, 0, 1]), 0.5);
});

Deno.test("auroc() equals the pairwise Mann-Whitney statistic on random data with ties", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + rng.int(60);
    const scores = Array.from({ length: n }, () => rng.int(8) / 4); // many ties
    const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : rng.int(2)));
    assertAlmostEquals(auroc(scores, labels), pairwise(scores, labels), 1e-12);
    assertAlmostEquals(rocArea(rocCurve(scores, labels)), pairwise(scores, labels), 1e-12);
  }
});

Deno.test("rocCurve() runs from (0,0) to (1,1) with one point per distinct score", () => {
  const pts = rocCurve([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1]);
  assertEquals(pts.map((p) => [p.fpr, p.tpr]), [[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
});

Deno.test("bestF1Threshold() picks the threshold separating the classes", () => {
  const best = bestF1Threshold([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1]);
  assertEquals(best.threshold, 0.7);
  assertEquals(best.f1, 1);
});

Deno.test("auroc() rejects one class, NaN scores, bad labels and length mismatch", () => {
  assertThrows(() => auroc([1, 2], [1, 1]), MetricInputError, "both classes");
  assertThrows(() => auroc([1, NaN], [0, 1]), MetricInputError, "finite");
  assertThrows(() => auroc([1, 2], [0, 2]), MetricInputError, "0 or 1");
  assertThrows(() => auroc([1, 2, 3], [0, 1]), MetricInputError, "3 scores but 2 labels");
});
