import { assert, assertEquals } from "../../tests/assert.ts";
import { MVTEC_CATEGORIES } from "../data/mvtec.ts";
import { DAAD_TABLE3, DAAD_TABLE5, paperValue } from "./paper_tables.ts";

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
