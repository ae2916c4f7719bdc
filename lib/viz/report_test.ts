import { assert, assertEquals } from "../../tests/assert.ts";
import { barFigure } from "./figures.ts";
import { rgbToPng } from "./images.ts";
import { renderReportHtml, type ReportContent, reportPlotlyHtml, writeReport } from "./report.ts";

const STUB_PLOTLY = "window.Plotly = { stub: true };";
const STUB_HEAD = `<script>${STUB_PLOTLY}</script>`;

function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function content(): Promise<ReportContent> {
  return {
    title: "DAAD <mnist> & co",
    subtitle: "normal digit 0",
    metrics: {
      image_auroc: 0.93,
      pixel_auroc: null,
      model: "daad",
      threshold: { value: 0.4, f1: 0.8 },
      roc: [
        { threshold: Infinity, fpr: 0, tpr: 0 },
        { threshold: 0.4, fpr: 0.1, tpr: 0.8 },
        { threshold: 0, fpr: 1, tpr: 1 },
      ],
    },
    history: [{ epoch: 1, losses: { total: 0.4 } }, { epoch: 2, losses: { total: 0.2 } }],
    scores: { normal: [0.1, 0.2, 0.3], anomalous: [0.5, 0.6] },
    grids: [{ caption: "inputs | reconstructions", png: await rgbToPng(new Uint8Array(12), 2, 2) }],
    extraFigures: [{ figure: barFigure({ labels: ["a"], values: [1], title: "Bars" }) }],
  };
}

Deno.test("renderReportHtml() inlines plotly.js once and a div per figure", async () => {
  const c = await content();
  const html = renderReportHtml(c, STUB_HEAD);
  assertEquals(html.split(STUB_PLOTLY).length - 1, 1);
  // plotly.js is in the head, before any figure.
  assert(html.indexOf(STUB_PLOTLY) < html.indexOf("</head>"));
  const ids = [...html.matchAll(/<div id="(fig-\d+)" class="daad-plot"/g)].map((m) => m[1]);
  assertEquals(ids, ["fig-1", "fig-2", "fig-3", "fig-4"]); // loss, ROC, scores, bars
  for (
    const heading of ["Metrics", "Training loss", "ROC (image level)", "Anomaly scores", "Bars"]
  ) {
    assert(html.includes(`<h2>${heading}</h2>`), `no section '${heading}'`);
  }
  assert(html.includes("<title>DAAD &lt;mnist&gt; &amp; co</title>"));
  // The ROC points come from metrics.roc, the AUROC from metrics.image_auroc.
  assert(html.includes("daad (AUROC 0.930)"), "ROC legend without the AUROC");
  // The threshold defaults to metrics.threshold.value.
  assert(html.includes('"x0":0.4'), "no threshold line");
  // Nested metrics are flattened; arrays are left out of the table.
  assert(html.includes("<td>threshold.value</td>"), "threshold.value missing");
  assert(!html.includes("<td>roc</td>"), "ROC points in the metrics table");
  assert(html.includes("<td>pixel_auroc</td><td>null</td>"), "null metric missing");
});

Deno.test("renderReportHtml() draws metrics.pro_curve and a per-defect table", async () => {
  const c = await content();
  c.metrics = {
    ...c.metrics,
    aupro: 0.625,
    aupro_fpr_limit: 0.3,
    pro_curve: [{ threshold: Infinity, fpr: 0, pro: 0 }, { threshold: 0.5, fpr: 0.3, pro: 0.9 }],
    per_defect: [
      { defect: "crack", n: 3, image_auroc: 0.875, pixel_auroc: 0.9, aupro: 0.7 },
      { defect: "dent", n: 2, image_auroc: 1, pixel_auroc: null, aupro: null },
    ],
  };
  const html = renderReportHtml(c, STUB_HEAD);
  assert(html.includes("<h2>PRO curve (pixel level)</h2>"), "no PRO section");
  assert(html.includes("daad (AUPRO 0.625)"), "PRO legend without the AUPRO");
  assert(html.includes("<h2>Per defect type</h2>"), "no per-defect section");
  assert(html.includes("<td>crack</td>") && html.includes("0.875"), "crack row missing");
  assert(!html.includes("<td>per_defect</td>"), "per-defect array in the metrics table");
  // Without a PRO curve (no masks) there is no PRO section.
  const plain = renderReportHtml(await content(), STUB_HEAD);
  assert(!plain.includes("PRO curve"));
  assert(!plain.includes("Per defect type"));
});

Deno.test("renderReportHtml() embeds grids as PNG data URIs and loads nothing remote", async () => {
  const c = await content();
  const html = renderReportHtml(c, STUB_HEAD);
  const srcs = [...html.matchAll(/<img [^>]*src="([^"]+)"/g)].map((m) => m[1]);
  assertEquals(srcs.length, 1);
  assert(srcs[0].startsWith("data:image/png;base64,"));
  assertEquals(fromBase64(srcs[0].slice("data:image/png;base64,".length)), c.grids![0].png);
  assert(!/(src|href)="(https?:)?\/\//.test(html), "the page references a remote resource");
});

Deno.test("renderReportHtml() leaves out the parts it is not given", () => {
  const html = renderReportHtml({ title: "empty" }, STUB_HEAD);
  assertEquals(html.match(/class="daad-plot"/g), null);
  assert(!html.includes("<h2>"), "sections without content");
});

Deno.test("reportPlotlyHtml() inlines plotly.js compressed by default, or as is", async () => {
  const inline = await reportPlotlyHtml({ plotly: "inline", plotlySource: STUB_PLOTLY });
  assert(inline.includes(STUB_PLOTLY), inline);
  const packed = await reportPlotlyHtml({ plotlySource: STUB_PLOTLY });
  assert(!packed.includes(STUB_PLOTLY), "the compressed script holds the plain source");
  assert(packed.includes("DecompressionStream"), packed);
  assertEquals(packed.match(/<script/g)?.length, 1);
});

Deno.test("writeReport() writes the page with the real plotly.js bundle", async () => {
  const dir = await Deno.makeTempDir({ prefix: "daad-report-" });
  try {
    const inlinePath = `${dir}/inline.html`, packedPath = `${dir}/report.html`;
    const n = await writeReport(inlinePath, await content(), { plotly: "inline" });
    const text = await Deno.readTextFile(inlinePath);
    assertEquals(new TextEncoder().encode(text).length, n);
    assertEquals(text.match(/\* plotly\.js v\d+/g)?.length, 1);
    assert(text.endsWith("</html>\n"));
    const packed = await writeReport(packedPath, await content());
    assert(packed < n / 3, `compressed report ${packed} bytes, inline ${n}`);
    // No temporary file is left beside them.
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), ["inline.html", "report.html"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
