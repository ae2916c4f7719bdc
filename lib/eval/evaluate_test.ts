import { assertAlmostEquals, assertEquals } from "../../tests/assert.ts";
import { aupro, auroc } from "../metrics/mod.ts";
import { evaluateScores, quantile } from "./evaluate.ts";

// Four 2x2 test images: two good, one "crack", one "dent".
const S = 2, PX = S * S;
const labels = [0, 0, 1, 1];
const groups = ["good", "good", "crack", "dent"];
const scores = [0.2, 0.5, 0.4, 0.9];
const maps = Float32Array.of(
  ...[0.1, 0.2, 0.3, 0.1], // good
  ...[0.1, 0.6, 0.2, 0.1], // good
  ...[0.5, 0.1, 0.1, 0.1], // crack at pixel 0
  ...[0.1, 0.1, 0.7, 0.8], // dent at pixels 2, 3
);
const masks = Float32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1);
const image = (a: Float32Array, i: number) => a.subarray(i * PX, (i + 1) * PX);

Deno.test("evaluateScores() reports AUPRO as aupro() computes it, with its PRO curve", () => {
  const m = evaluateScores(scores, labels, maps, masks, { shape: [S, S], groups });
  const expected = aupro(
    [0, 1, 2, 3].map((i) => image(maps, i)),
    [0, 1, 2, 3].map((i) => Uint8Array.from(image(masks, i))),
    [S, S],
  );
  assertAlmostEquals(m.aupro!, expected, 1e-12);
  assertEquals(m.aupro_fpr_limit, 0.3);
  assertEquals(m.pro_curve[0], { threshold: Infinity, fpr: 0, pro: 0 });
  assertAlmostEquals(m.pro_curve.at(-1)!.fpr, 0.3, 1e-12);
  // By hand: regions {crack 0} scored 0.5 and {dent 2, 3} scored 0.7, 0.8; 13 normal
  // pixels, the highest 0.6 (then 0.3). t=0.8: PRO 1/4; 0.7: 1/2; 0.6: FPR 1/13;
  // 0.5: PRO 1; 0.3: FPR 2/13; the rest: FPR 1 (limit 0.3 interpolated on PRO 1).
  const byHand = (1 / 13 * 0.5 + (0.3 - 1 / 13) * 1) / 0.3;
  assertAlmostEquals(m.aupro!, byHand, 1e-12);
  assertEquals(m.image_auroc, 0.75); // 0.4 loses to 0.5 only
  assertEquals(m.threshold.method, "f1");
});

Deno.test("evaluateScores() scores each defect type against the good images only", () => {
  const m = evaluateScores(scores, labels, maps, masks, { shape: [S, S], groups });
  assertEquals(m.per_defect!.map((d) => [d.defect, d.n]), [["crack", 1], ["dent", 1]]);
  const crack = m.per_defect![0], dent = m.per_defect![1];
  assertEquals(crack.image_auroc, 0.5); // 0.4 against 0.2 (win) and 0.5 (loss)
  assertEquals(dent.image_auroc, 1);
  // crack: region scored 0.5 under the good image's 0.6 (FPR 1/11 before PRO rises).
  const goodAndCrack = [0, 1, 2];
  assertAlmostEquals(
    crack.aupro!,
    aupro(
      goodAndCrack.map((i) => image(maps, i)),
      goodAndCrack.map((i) => Uint8Array.from(image(masks, i))),
      [S, S],
    ),
    1e-12,
  );
  assertAlmostEquals(crack.aupro!, (0.3 - 1 / 11) / 0.3, 1e-12);
  assertEquals(dent.aupro, 1);
  assertEquals(
    dent.pixel_auroc,
    auroc([...image(maps, 0), ...image(maps, 1), ...image(maps, 3)], [
      ...image(masks, 0),
      ...image(masks, 1),
      ...image(masks, 3),
    ]),
  );
});

Deno.test("evaluateScores() leaves per_defect out when normal images are not 'good'", () => {
  const m = evaluateScores(scores, labels, undefined, undefined, { groups: ["0", "0", "1", "2"] });
  assertEquals(m.per_defect, null);
  assertEquals(m.aupro, null);
  assertEquals(m.pro_curve, []);
});

Deno.test("evaluateScores() without anomalies thresholds at a quantile of the normal scores", () => {
  const normal = [0.1, 0.4, 0.2, 0.3, 0.5];
  const m = evaluateScores(normal, [0, 0, 0, 0, 0], undefined, undefined, {
    normalQuantile: 0.9,
  });
  assertEquals(m.image_auroc, null);
  assertEquals(m.roc, []);
  assertEquals(m.threshold.method, "normal-quantile");
  assertEquals(m.threshold.quantile, 0.9);
  assertEquals(m.threshold.f1, null);
  // sorted 0.1..0.5, position 0.9 * 4 = 3.6: 0.4 + 0.6 * 0.1
  assertAlmostEquals(m.threshold.value, 0.46, 1e-12);
});

Deno.test("quantile() interpolates between order statistics", () => {
  assertEquals(quantile([3, 1, 2], 0), 1);
  assertEquals(quantile([3, 1, 2], 1), 3);
  assertEquals(quantile([3, 1, 2], 0.5), 2);
  assertAlmostEquals(quantile([0, 10], 0.25), 2.5, 1e-12);
});
