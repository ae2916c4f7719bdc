import { assert, assertEquals } from "../../tests/assert.ts";
import { MVTEC_CATEGORIES } from "../data/mvtec.ts";
import {
  DAAD_TABLE3,
  DAAD_TABLE5,
  paperTable4Auroc,
  paperValue,
  table2Quotes,
} from "./paper_tables.ts";

Deno.test("DAAD_TABLE3's quoted means agree with its 15 categories (transcription check)", () => {
  const cats = DAAD_TABLE3.rows.filter((r) => r.name !== "mean");
  assertEquals(cats.map((r) => r.name), [...MVTEC_CATEGORIES]);
  const mean = DAAD_TABLE3.rows.find((r) => r.name === "mean")!;
  DAAD_TABLE3.columns.forEach((col, c) => {
    const avg = cats.reduce((a, r) => a + r.values[c]!, 0) / cats.length;
    assert(
      Math.abs(avg - mean.values[c]!) <= 0.0015,
      `${col}: mean of rows ${avg.toFixed(4)} vs quoted ${mean.values[c]}`,
    );
  });
});

Deno.test("paperValue() reads a quoted number by row and column", () => {
  assertEquals(paperValue(DAAD_TABLE3, "bottle", "DAAD"), 0.975);
  assertEquals(paperValue(DAAD_TABLE3, "Mean", "DAAD+"), 0.895);
  assertEquals(paperValue(DAAD_TABLE5, "nope", "AUROC"), null);
});

Deno.test("DAAD_TABLE5 holds the paper's five rows per generator", () => {
  assertEquals(DAAD_TABLE5.rows.length, 15);
  assertEquals(DAAD_TABLE5.rows.map((r) => r.values[4]), [
    0.794,
    0.812,
    0.817,
    0.819,
    0.835, // AE
    0.802,
    0.825,
    0.835,
    0.841,
    0.853, // MemAE*
    0.845,
    0.847,
    0.855,
    0.874,
    0.895, // DAAD (the last: DAAD+)
  ]);
  assertEquals(paperValue(DAAD_TABLE5, "DAAD adv+ali+L", "AUROC"), 0.874);
  assertEquals(paperValue(DAAD_TABLE5, "DAAD adv+ali+L", "R(x)"), 0);
  assertEquals(paperValue(DAAD_TABLE5, "MemAE* adv+R", "L_adv"), 1);
});

Deno.test("paperTable4Auroc() quotes Table 4", () => {
  assertEquals([1, 2, 4, 8, 16].map(paperTable4Auroc), [0.716, 0.784, 0.821, 0.845, 0.813]);
  assertEquals(paperTable4Auroc(32), null);
});

Deno.test("table2Quotes() maps DAAD Table 2's means to the kit's model names", () => {
  assertEquals(table2Quotes("mnist"), { memae: 0.975, daad: 0.990 });
  assertEquals(table2Quotes("cifar10"), { memae: 0.609, daad: 0.753 });
});
