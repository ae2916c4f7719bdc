import { assert, assertEquals } from "../../tests/assert.ts";
import { bundleOf, figureBundle, image, PLOTLY_MIME } from "./display.ts";
import { barFigure, lossCurveFigure } from "./figures.ts";
import { rgbToPng } from "./images.ts";
import {
  figureSize,
  type FigureToRender,
  isPlotlyLoader,
  type NotebookJson,
  notebookText,
  plotlyCdn,
  slimNotebook,
  slimNotebookFile,
  staticFigureHtml,
  storedMimeValue,
} from "./nb_static.ts";
import { plotlyLoaderParts, toBase64 } from "./plotly_html.ts";

const png = await rgbToPng(new Uint8Array(4 * 6 * 3).fill(200), 4, 6);
const fakeRender = (calls: FigureToRender[][]) => (figs: FigureToRender[]) => {
  calls.push(figs);
  return Promise.resolve(figs.map(() => png));
};

/** A notebook as the kernel leaves it: plotly.js parts, a plot, a captioned image, text. */
async function executedNotebook(): Promise<NotebookJson> {
  // Random text does not compress: 2,000 hex digits make two parts of 1,000 characters.
  const random = Array.from(crypto.getRandomValues(new Uint8Array(1000)), (b) => b.toString(16))
    .join("");
  const parts = await plotlyLoaderParts(`window.Plotly = "${random}";`, {
    partChars: 1000,
    loadId: "x",
  });
  assertEquals(parts.length, 2);
  const outputs = (bundles: Record<string, unknown>[]) =>
    bundles.map((data) => ({
      output_type: "display_data",
      data: Object.fromEntries(
        Object.entries(data).map((
          [k, v],
        ) => [k, typeof v === "string" ? storedMimeValue(k, v) : v]),
      ),
      metadata: {},
    }));
  const bars = barFigure({ labels: ["a", "b"], values: [0.5, 0.75] });
  const fig = { ...bars, layout: { ...bars.layout, height: 300 } };
  return {
    cells: [
      { cell_type: "markdown", id: "m", metadata: {}, source: ["# title\n"] },
      {
        cell_type: "code",
        id: "p",
        metadata: {},
        source: ["await show(plot(fig))"],
        execution_count: 1,
        outputs: [
          ...outputs(parts.map((p) => ({ "text/html": p, "text/plain": "(plotly.js part)" }))),
          ...outputs([figureBundle(fig, 300)]),
          { output_type: "stream", name: "stdout", text: ["done\n"] },
        ],
      },
      {
        cell_type: "code",
        id: "i",
        metadata: {},
        source: ["await show(image(png, { caption: 'grid' }))"],
        execution_count: 2,
        outputs: outputs([await bundleOf(image(png, { caption: "grid" }))]),
      },
    ],
    metadata: { kernelspec: { name: "deno" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

Deno.test("slimNotebook drops plotly.js, gives each plot a static image and keeps its figure", async () => {
  const nb = await executedNotebook();
  const calls: FigureToRender[][] = [];
  const report = await slimNotebook(nb, fakeRender(calls), {
    name: "t.ipynb",
    cdn: { url: "https://cdn.example/plotly.js", integrity: "sha384-abc" },
    recompress: null,
  });
  assertEquals(report, { plots: 1, loaders: 2, images: 1, recompressed: 0 });
  assertEquals(calls.length, 1);
  assertEquals(calls[0].map((f) => [f.width, f.height]), [[800, 300]]);
  const [plotOut, stream] = nb.cells[1].outputs!;
  assertEquals(stream.output_type, "stream");
  const data = plotOut.data!;
  assertEquals(Object.keys(data).sort(), [PLOTLY_MIME, "image/png", "text/html", "text/plain"]);
  assertEquals(data["image/png"], toBase64(png));
  assertEquals(plotOut.metadata, { "image/png": { height: 300, width: 800 } });
  const html = (data["text/html"] as string[]).join("");
  assert(html.includes(`<img src="data:image/png;base64,${toBase64(png)}"`), html.slice(0, 300));
  assert(html.includes("https://cdn.example/plotly.js") && html.includes("sha384-abc"));
  assert(!html.includes("__daadPlotlyParts"));
  // The captioned image keeps its HTML (image and caption) only.
  assertEquals(Object.keys(nb.cells[2].outputs![0].data!).sort(), ["text/html", "text/plain"]);
  // Slimming again changes nothing.
  const once = notebookText(nb);
  const again = await slimNotebook(nb, fakeRender(calls), {
    name: "t.ipynb",
    cdn: { url: "https://cdn.example/plotly.js", integrity: "sha384-abc" },
    recompress: null,
  });
  assertEquals(again, { plots: 1, loaders: 0, images: 0, recompressed: 0 });
  assertEquals(notebookText(nb), once);
});

Deno.test("slimNotebookFile rewrites a file as nbformat does and reports its sizes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "daad-slim-" });
  try {
    const path = `${dir}/n.ipynb`;
    await Deno.writeTextFile(path, notebookText(await executedNotebook()));
    const r = await slimNotebookFile(path, fakeRender([]), { cdn: null });
    assertEquals([r.plots, r.loaders, r.images], [1, 2, 1]);
    assert(r.after < r.before, `${r.after} < ${r.before}`);
    const text = await Deno.readTextFile(path);
    assertEquals(new TextEncoder().encode(text).length, r.after);
    assert(text.startsWith('{\n "cells": [\n') && text.endsWith("}\n"), text.slice(0, 40));
    assertEquals(notebookText(JSON.parse(text)), text);
    const same = await slimNotebookFile(path, fakeRender([]), { cdn: null });
    assertEquals(same.after, same.before);
    assertEquals(await Deno.readTextFile(path), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("helpers: loader detection, figure size, nbformat's line splitting, jsDelivr's copy", async () => {
  const [part] = await plotlyLoaderParts("x", { partChars: 1000 });
  assert(isPlotlyLoader({ output_type: "display_data", data: { "text/html": [part] } }));
  assert(!isPlotlyLoader({ output_type: "display_data", data: { "text/html": "<b>x</b>" } }));
  const loss = lossCurveFigure([{ epoch: 1, losses: { total: 1 } }]);
  assertEquals(figureSize(loss), { width: 800, height: 420 });
  assertEquals(figureSize({ ...loss, layout: { width: 500, height: 200 } }), {
    width: 500,
    height: 200,
  });
  assertEquals(storedMimeValue("text/html", "a\nb\n"), ["a\n", "b\n"]);
  assertEquals(storedMimeValue("text/html", "a\nb"), ["a\n", "b"]);
  assertEquals(storedMimeValue("image/png", "QUJD\n"), "QUJD\n");
  const cdn = await plotlyCdn();
  assert(
    /^https:\/\/cdn\.jsdelivr\.net\/npm\/plotly\.js-dist@\d+\.\d+\.\d+\/plotly\.js$/.test(cdn.url),
  );
  assert(/^sha384-[A-Za-z0-9+/]{64}$/.test(cdn.integrity), cdn.integrity);
  const html = staticFigureHtml(loss, png, {
    id: "f1",
    width: 6,
    height: 4,
    alt: 'a "b"',
    cdn: null,
  });
  assert(html.includes('alt="a &quot;b&quot;"') && html.includes("cdn = null"), html);
});
