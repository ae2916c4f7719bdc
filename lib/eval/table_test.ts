import { assertEquals } from "../../tests/assert.ts";
import { makeTable, tableToCsv, tableToMarkdown } from "./table.ts";

Deno.test("makeTable() averages every numeric column, skipping missing values", () => {
  const t = makeTable("MNIST", "daad", [
    { name: "0", image_auroc: 0.9, pixel_auroc: null },
    { name: "1", image_auroc: 0.8, pixel_auroc: 0.5 },
  ]);
  assertEquals(t.mean.image_auroc!.toFixed(10), (0.85).toFixed(10));
  assertEquals(t.mean.pixel_auroc, 0.5);
});

Deno.test("tableToMarkdown() and tableToCsv() write rows and the mean", () => {
  const t = makeTable("T", "ae", [{ name: "a,b", image_auroc: 0.91234, pixel_auroc: null }]);
  assertEquals(
    tableToMarkdown(t),
    "**T** (ae)\n\n| name | image_auroc | pixel_auroc |\n| --- | ---: | ---: |\n| a,b | 0.912 | - |\n| Mean | 0.912 | - |\n",
  );
  assertEquals(tableToCsv(t), 'name,image_auroc,pixel_auroc\n"a,b",0.91234,\nMean,0.91234,\n');
});
