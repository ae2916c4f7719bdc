/**
 * `deno task nb` as CI runs it: a notebook whose cells all succeed passes with every
 * output captured; a cell that throws fails the run and is named. Needs Jupyter
 * (Debian's jupyter-nbconvert and python3-ipykernel, which .ci/run installs); skipped
 * with a line saying so where it is missing.
 */
import { assert, assertEquals } from "./assert.ts";
import { notebookScratch, runTask } from "./cli_helpers.ts";
import { CHROMIUM, JUPYTER, testWith } from "./optional.ts";
import { barFigure, figureBundle, plotlyLoaderParts } from "../lib/viz/mod.ts";
import { pngSize } from "../lib/viz/display.ts";

function notebook(cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

await testWith([JUPYTER], {
  name: "nb runs a notebook headlessly, keeps every output, and fails on a cell error",
  async fn() {
    const dir = await notebookScratch();
    try {
      const mod = new URL("../lib/mod.ts", import.meta.url).href;
      await Deno.writeTextFile(
        `${dir}/ok.ipynb`,
        notebook([
          `import { auroc, table, show } from "${mod}";\nconsole.log("auroc", auroc([1, 2, 3], [0, 1, 1]));`,
          "1 + 1",
          `await show(table([{ a: 1, b: "x" }]));\nconsole.log("after the table");`,
        ]),
      );
      await Deno.writeTextFile(
        `${dir}/bad.ipynb`,
        notebook(["const x = 1;", "throw new Error('boom in cell 2')"]),
      );
      const ok = await runTask("nb", ["--out-dir", `${dir}/out`, `${dir}/ok.ipynb`]);
      assertEquals(ok.code, 0, ok.out + ok.err);
      const executed = JSON.parse(await Deno.readTextFile(`${dir}/out/ok.ipynb`));
      const texts = executed.cells.map((
        c: { outputs: { text?: string[]; data?: Record<string, string[]> }[] },
      ) => c.outputs.map((o) => (o.text ?? o.data?.["text/plain"] ?? []).join("")).join("|"));
      assert(texts[0].includes("auroc 1"), texts[0]);
      assert(texts[1].includes("2"), texts[1]);
      assert(texts[2].includes("a") && texts[2].includes("after the table"), texts[2]);
      const bad = await runTask("nb", ["--out-dir", `${dir}/out`, `${dir}/bad.ipynb`]);
      assertEquals(bad.code, 1);
      assert(bad.out.includes("FAILED  bad.ipynb") && bad.out.includes("boom in cell 2"), bad.out);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

await testWith([CHROMIUM], {
  name: "nb --slim gives every plot a static image and drops plotly.js, running nothing",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daad-nb-slim-" });
    try {
      const [part] = await plotlyLoaderParts("window.Plotly = {};");
      const fig = barFigure({ labels: ["a", "b"], values: [0.5, 0.75] });
      const nb = JSON.parse(notebook(["await show(plot(fig))"]));
      nb.cells[0].outputs = [
        {
          output_type: "display_data",
          data: { "text/html": part, "text/plain": "" },
          metadata: {},
        },
        { output_type: "display_data", data: figureBundle(fig), metadata: {} },
      ];
      const path = `${dir}/plots.ipynb`;
      await Deno.writeTextFile(path, JSON.stringify(nb));
      const r = await runTask("nb", ["--slim", path]);
      assertEquals(r.code, 0, r.out + r.err);
      assert(/^slim {4}plots\.ipynb: .* -> .*1 plot with a static image/m.test(r.out), r.out);
      const outputs = JSON.parse(await Deno.readTextFile(path)).cells[0].outputs;
      assertEquals(outputs.length, 1);
      const png = Uint8Array.from(atob(outputs[0].data["image/png"]), (c) => c.charCodeAt(0));
      assertEquals(pngSize(png), { width: 1600, height: 840 });
      assert(outputs[0].data["application/vnd.plotly.v1+json"] != null);
      const refused = await runTask("nb", ["--slim", "--update", path]);
      assertEquals(refused.code, 2, refused.err);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

await testWith([JUPYTER, CHROMIUM], {
  name: "nb --update executes a notebook, writes its outputs back and slims them",
  async fn() {
    const dir = await notebookScratch();
    try {
      const mod = new URL("../lib/mod.ts", import.meta.url).href;
      const path = `${dir}/plots.ipynb`;
      await Deno.writeTextFile(
        path,
        notebook([
          `import { barFigure, plot, show } from "${mod}";\n` +
          `await show(plot(barFigure({ labels: ["a", "b"], values: [0.5, 0.75] })));`,
        ]),
      );
      const r = await runTask("nb", ["--update", path]);
      assertEquals(r.code, 0, r.out + r.err);
      assert(r.out.includes("ok      plots.ipynb") && r.out.includes("slim    plots.ipynb"), r.out);
      const outputs = JSON.parse(await Deno.readTextFile(path)).cells[0].outputs;
      assertEquals(outputs.length, 1, JSON.stringify(outputs).slice(0, 500));
      assertEquals(
        Object.keys(outputs[0].data).sort(),
        ["application/vnd.plotly.v1+json", "image/png", "text/html", "text/plain"],
      );
      assert(!outputs[0].data["text/html"].join("").includes("__daadPlotlyParts"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
