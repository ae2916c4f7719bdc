import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  bundleOf,
  formatCell,
  html,
  image,
  isDisplayable,
  JUPYTER_DISPLAY,
  jupyterDisplayFn,
  type JupyterDisplayOptions,
  liveFigure,
  loadPlotly,
  paceMs,
  plot,
  PLOTLY_MIME,
  plotlyShippedThisSession,
  pngSize,
  resetPlotlySession,
  show,
  summarizeFigure,
  table,
} from "./display.ts";
import { barFigure, lossCurveFigure, rocFigure } from "./figures.ts";
import { rgbToPng } from "./images.ts";

function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const roc = rocFigure([{
  name: "DAAD",
  auroc: 0.9,
  points: [{ threshold: Infinity, fpr: 0, tpr: 0 }, { threshold: 0, fpr: 1, tpr: 1 }],
}]);

Deno.test("JUPYTER_DISPLAY is the symbol the Deno kernel looks for", () => {
  assert(JUPYTER_DISPLAY === Symbol.for("Jupyter.display"));
  assert(isDisplayable(plot(roc)));
  assert(!isDisplayable({}));
});

Deno.test("plot() gives the figure as plotly JSON, HTML that draws it, and a text summary", async () => {
  const b = await bundleOf(plot(roc, { title: "ROC of DAAD", height: 300 }));
  const fig = b[PLOTLY_MIME] as { data: unknown[]; layout: Record<string, unknown> };
  assertEquals(fig.data, roc.data);
  assertEquals(fig.layout.title, { text: "ROC of DAAD" });
  assertEquals(fig.layout.height, 300);
  const htmlText = b["text/html"] as string;
  assert(/<div id="daad-plot-[0-9a-f-]+" class="daad-plot"/.test(htmlText), htmlText);
  assert(htmlText.includes("window.Plotly.newPlot"), htmlText);
  assert(!htmlText.includes("__daadPlotlyParts"), "plotly.js shipped outside the kernel");
  assert(htmlText.length < 5000, `${htmlText.length} characters of HTML`);
  assertEquals(
    b["text/plain"],
    [
      `Plotly figure "ROC of DAAD": 2 traces`,
      `  scatter "DAAD (AUROC 0.900)": 2 points, last y=1`,
      `  scatter "chance": 2 points, last y=1`,
    ].join("\n"),
  );
});

/** A stand-in for `Deno.jupyter.display` that records what it is sent. */
function recorder() {
  const sent: { bundle: Record<string, unknown>; options?: JupyterDisplayOptions }[] = [];
  const display = (obj: unknown, options?: JupyterDisplayOptions) => {
    sent.push({ bundle: obj as Record<string, unknown>, options });
    return Promise.resolve();
  };
  return { sent, display };
}

const isPlotlyPart = (b: Record<string, unknown>) =>
  String(b["text/html"]).includes("__daadPlotlyParts");

Deno.test("plot() in the kernel sends plotly.js in parts before the first plot only", async () => {
  resetPlotlySession();
  assertEquals(plotlyShippedThisSession(), false);
  const { sent, display } = recorder();
  const first = await bundleOf(plot(roc, { display }));
  const parts = sent.length;
  // 10 MB of plotly.js: gzip + base64 in parts of at most 400,000 characters.
  assert(parts >= 3 && parts <= 12, `${parts} parts`);
  for (const s of sent) {
    assert(isPlotlyPart(s.bundle), "an output that is not a part of plotly.js");
    assertEquals(s.options, { raw: true });
    assert(String(s.bundle["text/html"]).length < 450_000, "a part is too large for the kernel");
  }
  assert(String(sent[0].bundle["text/plain"]).includes(`part 1 of ${parts}`));
  assertEquals(plotlyShippedThisSession(), true);
  // The plot's own bundle stays small.
  assert(!isPlotlyPart(first), "the plot carries plotly.js");
  await bundleOf(plot(roc, { display }));
  assertEquals(sent.length, parts, "the second plot sent plotly.js again");
  await bundleOf(plot(roc, { display, plotly: "always" }));
  assertEquals(sent.length, 2 * parts);
  await bundleOf(plot(roc, { display, plotly: "never" }));
  resetPlotlySession();
  await bundleOf(plot(roc, { display, plotly: "never" }));
  assertEquals(sent.length, 2 * parts);
  // loadPlotly() always sends it.
  const loaded = await bundleOf(loadPlotly({ display }));
  assertEquals(sent.length, 3 * parts);
  assertEquals(loaded["text/plain"], `plotly.js loaded (${parts} parts)`);
  const outside = await bundleOf(loadPlotly());
  assert(String(outside["text/plain"]).includes("only in the Jupyter kernel"));
});

Deno.test("paceMs() waits longer after larger outputs", () => {
  assertEquals(paceMs(0), 20);
  assertEquals(paceMs(400_000), 200);
});

Deno.test("summarizeFigure() lists bar values", () => {
  const text = summarizeFigure(barFigure({ labels: ["a", "b"], values: [0.91234, 0.5] }));
  assertEquals(text, `Plotly figure: 1 trace\n  bar "this kit": a=0.9123, b=0.5`);
});

Deno.test("image() shows PNG bytes as base64 with their size and caption", async () => {
  const png = await rgbToPng(new Uint8Array(3 * 2 * 5).fill(200), 2, 5);
  assertEquals(pngSize(png), { width: 5, height: 2 });
  const b = await bundleOf(image(png, { caption: "inputs <& maps>" }));
  assertEquals(fromBase64(b["image/png"] as string), png);
  assertEquals(b["text/plain"], "PNG image 5x2: inputs <& maps>");
  const h = b["text/html"] as string;
  assert(h.includes(`src="data:image/png;base64,${b["image/png"]}"`), h.slice(0, 100));
  assert(h.includes("<figcaption>inputs &lt;&amp; maps&gt;</figcaption>"), h);
  const plain = await bundleOf(image(png));
  assertEquals(Object.keys(plain).sort(), ["image/png", "text/plain"]);
});

Deno.test("image() rejects bytes that are not a PNG, naming the first bytes", () => {
  assertThrows(
    () => image(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])),
    TypeError,
    "starting ff d8 ff e0",
  );
});

Deno.test("html() passes HTML through and gives its text as text/plain", async () => {
  const b = await bundleOf(
    html(`<h3>AUROC</h3><p>0.91 &amp; <b>0.87</b></p><script>alert(1)</script>`),
  );
  assertEquals(
    b["text/html"],
    `<h3>AUROC</h3><p>0.91 &amp; <b>0.87</b></p><script>alert(1)</script>`,
  );
  assertEquals(b["text/plain"], "AUROC\n0.91 & 0.87");
});

Deno.test("table() aligns text columns, right-aligning numbers", async () => {
  const t = table([
    { model: "daad", auroc: 0.912345, epochs: 15 },
    { model: "memae", auroc: 0.8, note: "a|b" },
  ], { caption: "MNIST" });
  const b = await bundleOf(t);
  assertEquals(
    b["text/plain"],
    [
      "MNIST",
      "model   auroc  epochs  note",
      "-----  ------  ------  ----",
      "daad   0.9123      15",
      "memae     0.8          a|b",
    ].join("\n"),
  );
  assertEquals(
    b["text/markdown"],
    [
      "**MNIST**",
      "",
      "| model | auroc | epochs | note |",
      "| :--- | ---: | ---: | :--- |",
      "| daad | 0.9123 | 15 |  |",
      "| memae | 0.8 |  | a\\|b |",
    ].join("\n"),
  );
  const h = b["text/html"] as string;
  assert(h.startsWith(`<table class="daad-table"><caption>MNIST</caption>`), h);
  assert(h.includes(`<td style="text-align:right">0.9123</td>`), h);
  assert(h.includes(`<td>a|b</td>`), h);
});

Deno.test("table() escapes HTML in cells and headers", () => {
  const t = table([{ "<k>": "<script>x</script>" }]);
  assert(!t.html.includes("<script>"), t.html);
  assert(t.html.includes("&lt;k&gt;"), t.html);
});

Deno.test("formatCell() writes numbers, nulls and objects", () => {
  assertEquals(formatCell(1 / 3), "0.3333");
  assertEquals(formatCell(1 / 3, 2), "0.33");
  assertEquals(formatCell(12), "12");
  assertEquals(formatCell(NaN), "NaN");
  assertEquals(formatCell(null), "");
  assertEquals(formatCell({ a: 1 }), `{"a":1}`);
});

Deno.test("jupyterDisplayFn() is null outside the Jupyter kernel", () => {
  assertEquals(jupyterDisplayFn(), null);
});

Deno.test("liveFigure() displays once with a display id, then updates that display", async () => {
  resetPlotlySession();
  const { sent, display } = recorder();
  const live = liveFigure({ logY: true, display });
  assert(live.live);
  await live.push({ epoch: 1, losses: { total: 0.5, recon: 0.4 } });
  await live.push({ epoch: 2, losses: { total: 0.3, recon: 0.2 } });
  // plotly.js's parts (no display id), the display, one update.
  const own = sent.filter((s) => !isPlotlyPart(s.bundle));
  assert(sent.length > own.length, "plotly.js was not sent first");
  assert(sent.slice(0, sent.length - own.length).every((s) => isPlotlyPart(s.bundle)));
  assertEquals(own.length, 2);
  assertEquals(own[0].options, { raw: true, display_id: live.displayId });
  assertEquals(own[1].options, { raw: true, update: true, display_id: live.displayId });
  const fig = own[1].bundle[PLOTLY_MIME] as { data: { y: number[] }[]; layout: unknown };
  assertEquals(fig.data.map((t) => t.y), [[0.5, 0.3], [0.4, 0.2]]);
  assertEquals((fig.layout as { yaxis: { type: string } }).yaxis.type, "log");
  assertEquals(live.updates, 2);
  assertEquals(live.history.length, 2);
  // A second live figure in the same session does not send plotly.js again.
  const before = sent.length;
  const again = liveFigure({ display });
  await again.push({ epoch: 1, losses: { total: 1 } });
  assertEquals(sent.length, before + 1);
  assertEquals(sent.at(-1)!.options?.display_id, again.displayId);
  assert(again.displayId !== live.displayId);
});

Deno.test("liveFigure() outside the kernel displays nothing and logs one line per epoch", async () => {
  const lines: string[] = [];
  const live = liveFigure({ log: (l) => lines.push(l) });
  assertEquals(live.live, false);
  await live.show();
  await live.push({ epoch: 1, losses: { total: 0.123456, recon: 0.1 } });
  assertEquals(lines, ["epoch 1: total 0.1235, recon 0.1"]);
  assertEquals(live.updates, 0);
  // The figure is still there to show or save later.
  assertEquals(live.figure().data.length, 2);
  const b = await bundleOf(live);
  assert((b["text/plain"] as string).startsWith(`Plotly figure "Training loss": 2 traces`));
  // The same figure as the builder gives, plus the height.
  const expected = lossCurveFigure(live.history);
  assertEquals(live.figure().data, expected.data);
  assertEquals(liveFigure().live, false);
});

Deno.test("show() sends the bundle as a raw display in the kernel, nothing outside", async () => {
  const { sent, display } = recorder();
  const t = table([{ a: 1 }]);
  assertEquals(await show(t, { display }), undefined);
  assertEquals(sent, [{ bundle: await bundleOf(t), options: { raw: true } }]);
  await show(t);
  assertEquals(sent.length, 1);
});
