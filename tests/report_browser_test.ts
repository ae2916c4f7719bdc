/**
 * Opens what lib/viz produces in a real browser (Debian's Chromium, headless, driven by
 * playwright-core) and checks that every plot is drawn, every image decodes and nothing
 * logs an error or asks the network for anything. Needs /usr/bin/chromium (or
 * $CHROMIUM_PATH): `apt-get install -y chromium`; skipped with a line saying so where it
 * is missing.
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";
import {
  barFigure,
  bundleOf,
  heatTile,
  imageGridPng,
  imageTile,
  liveFigure,
  lossCurveFigure,
  memoryUsageFigure,
  plot,
  type ReportContent,
  resetPlotlySession,
  rocFigure,
  scatterFigure,
  writeReport,
} from "../lib/viz/mod.ts";
import { chromiumRenderer, plotlyCdn, staticFigureHtml } from "../lib/viz/nb_static.ts";
import { loadPlotlySource } from "../lib/viz/plotly_html.ts";
import { pngSize } from "../lib/viz/display.ts";
import { assert, assertEquals } from "./assert.ts";
import { CHROMIUM, CHROMIUM_PATH, testWith } from "./optional.ts";
import { CHROMIUM_ARGS } from "../lib/viz/chromium.ts";

async function launch(): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}

/** Records console errors, page errors and any request that is not file:, data: or about:. */
function watch(page: Page): { errors: string[]; remote: string[] } {
  const errors: string[] = [], remote: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  page.on("request", (r) => {
    if (!/^(file|data|about|blob):/.test(r.url())) remote.push(r.url());
  });
  return { errors, remote };
}

/** Waits until every `.daad-plot` holds a plotly `.main-svg`; returns each plot's trace count. */
async function drawnPlots(page: Page, expected: number): Promise<number[]> {
  await page.waitForFunction(
    (n: number) => {
      const doc = (globalThis as unknown as { document: PageDocument }).document;
      const divs = [...doc.querySelectorAll(".daad-plot")];
      return divs.length === n && divs.every((d) => d.querySelector(".main-svg") != null);
    },
    expected,
    { timeout: 60_000, polling: 100 },
  ).catch(async (e: Error) => {
    const state = await page.evaluate(() =>
      [...(globalThis as unknown as { document: PageDocument }).document.querySelectorAll(
        ".daad-plot",
      )].map((d) => `${d.id}: ${d.querySelector(".main-svg") ? "drawn" : d.textContent}`)
    );
    throw new Error(`plots not drawn (${e.message}): ${JSON.stringify(state)}`);
  });
  return await page.evaluate(() =>
    [...(globalThis as unknown as { document: PageDocument }).document.querySelectorAll(
      ".daad-plot",
    )].map((d) => (d.data ?? []).length)
  );
}

/**
 * The bits of the browser's DOM the page-side functions below use (this program has no
 * DOM types; the functions run in Chromium, where `globalThis.document` exists).
 */
interface PageElement {
  id: string;
  className: string;
  text: string;
  innerHTML: string;
  textContent: string | null;
  data?: unknown[];
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  appendChild(child: PageElement): void;
  replaceWith(other: PageElement): void;
}
interface PageImage {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
}
interface PageDocument {
  body: PageElement;
  images: Iterable<PageImage>;
  querySelectorAll(selector: string): Iterable<PageElement>;
  createElement(tag: string): PageElement;
}

const rocPoints = (k: number) =>
  Array.from({ length: 21 }, (_, i) => {
    const fpr = i / 20;
    return { threshold: 1 - fpr, fpr, tpr: Math.min(1, fpr ** (1 / k)) };
  });

await testWith([CHROMIUM], {
  name: "writeReport() pages draw every plot and image in headless Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daad-report-browser-" });
    const browser = await launch();
    try {
      const h = 16, w = 16;
      const input = Float32Array.from({ length: h * w }, (_, i) => Math.sin(i / 7));
      const error = Float32Array.from({ length: h * w }, (_, i) => (i % w) / w);
      const grid = await imageGridPng([
        { label: "good/000", tiles: [imageTile(input, h, w, 1), heatTile(error, h, w)] },
        {
          label: "cut/001",
          tiles: [imageTile(input, h, w, 1), heatTile(error, h, w, { colormap: "inferno" })],
        },
      ], { tileSize: 64, captions: ["input", "error map"] });
      const content: ReportContent = {
        title: "Browser check",
        metrics: { image_auroc: 0.9, model: "daad", threshold: { value: 0.5 } },
        history: [1, 2, 3, 4].map((e) => ({
          epoch: e,
          losses: { total: 1 / e, recon: 0.8 / e, entropy: 0.01 },
        })),
        roc: [
          { name: "DAAD", points: rocPoints(4), auroc: 0.9 },
          { name: "AE", points: rocPoints(2), auroc: 0.8 },
        ],
        scores: {
          normal: Array.from({ length: 50 }, (_, i) => 0.2 + 0.3 * Math.sin(i) ** 2),
          anomalous: Array.from({ length: 20 }, (_, i) => 0.6 + 0.3 * Math.cos(i) ** 2),
        },
        grids: [{ caption: "input | error map", png: grid }],
        extraFigures: [
          {
            caption: "AUROC per division rate",
            figure: barFigure({
              labels: ["1,1,1", "4,4,1", "8,8,1"],
              values: [0.8, 0.85, 0.9],
              reference: { name: "paper", values: [0.79, 0.86, 0.91] },
            }),
          },
          {
            figure: scatterFigure({
              series: [{ name: "DAAD", x: [0, 0.01, 0.2], y: [0.1, 0.5, 0.9] }],
              title: "Score vs area",
            }),
          },
          { figure: memoryUsageFigure([5, 3, 1, 0, 0, 1]) },
        ],
      };
      for (const mode of ["compressed", "inline"] as const) {
        const path = `${dir}/report-${mode}.html`;
        await writeReport(path, content, { plotly: mode });
        const page = await browser.newPage();
        const seen = watch(page);
        await page.goto(`file://${path}`, { waitUntil: "load", timeout: 60_000 });
        const traces = await drawnPlots(page, 6);
        // loss (3 terms), ROC (2 curves + chance), scores (2), bars (kit + paper), scatter, memory.
        assertEquals(traces, [3, 3, 2, 2, 1, 1], `${mode}: traces per plot`);
        const images = await page.evaluate(() =>
          [...(globalThis as unknown as { document: PageDocument }).document.images].map((i) => ({
            ok: i.complete,
            w: i.naturalWidth,
            h: i.naturalHeight,
          }))
        );
        assertEquals(images.length, 1, `${mode}: images`);
        assert(
          images.every((i) => i.ok && i.w > 0 && i.h > 0),
          `${mode}: ${JSON.stringify(images)}`,
        );
        assertEquals(seen.errors, [], `${mode}: errors`);
        assertEquals(seen.remote, [], `${mode}: remote requests`);
        await page.close();
      }
    } finally {
      await browser.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Attaches `html` the way JupyterLab does: innerHTML, then each script re-created to run. */
function attachOutput(page: Page, html: string): Promise<void> {
  return page.evaluate((source: string) => {
    const document = (globalThis as unknown as { document: PageDocument }).document;
    const out = document.createElement("div");
    out.className = "output";
    out.innerHTML = source;
    document.body.appendChild(out);
    for (const old of [...out.querySelectorAll("script")]) {
      const s = document.createElement("script");
      s.text = old.text;
      old.replaceWith(s);
    }
  }, html);
}

await testWith([CHROMIUM], {
  name: "plot() outputs of a kernel session all draw from the one copy of plotly.js",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // What the kernel would send: plotly.js's parts, then the plots (as Deno.jupyter.display
    // calls), recorded instead of sent.
    resetPlotlySession();
    const outputs: string[] = [];
    const display = (obj: unknown) => {
      outputs.push((obj as Record<string, string>)["text/html"]);
      return Promise.resolve();
    };
    const first = await bundleOf(
      plot(lossCurveFigure([{ epoch: 1, losses: { total: 1 } }]), { display }),
    );
    const parts = [...outputs];
    assert(parts.length > 1, `${parts.length} parts`);
    const second = await bundleOf(
      plot(rocFigure([{ name: "m", points: rocPoints(3) }]), { display }),
    );
    assertEquals(outputs.length, parts.length, "plotly.js was sent twice");
    const live = liveFigure({ display });
    await live.push({ epoch: 1, losses: { total: 0.5 } });
    await live.push({ epoch: 2, losses: { total: 0.25 } });
    const update = outputs.at(-1)!;
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const seen = watch(page);
      // A page with require.js's global AMD `define`, as in classic Notebook: plotly.js must
      // still end up as window.Plotly.
      await page.setContent(
        `<!DOCTYPE html><html><head><script>window.define = function () {` +
          ` throw new Error("AMD define called"); }; window.define.amd = {};</script>` +
          `</head><body></body></html>`,
      );
      // The plots first and plotly.js's parts last, in reverse order: a front-end may
      // attach outputs in any order; the plots wait and the parts assemble in any order.
      await attachOutput(page, second["text/html"] as string);
      await attachOutput(page, update);
      await attachOutput(page, first["text/html"] as string);
      await new Promise((r) => setTimeout(r, 300));
      for (const part of parts.toReversed()) await attachOutput(page, part);
      const traces = await drawnPlots(page, 3);
      assertEquals(traces, [2, 1, 1]);
      assertEquals(seen.errors, []);
      assertEquals(seen.remote, []);
    } finally {
      await browser.close();
    }
  },
});

await testWith([CHROMIUM], {
  name:
    "slim notebook plots: rendered by plotly.js, shown as images, interactive once plotly.js loads",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fig = rocFigure([{ name: "m", points: rocPoints(3) }]);
    const browser = await launch();
    try {
      const [png] = await chromiumRenderer({ browser, scale: 1 })([
        { figure: fig, width: 640, height: 360 },
      ]);
      assertEquals(pngSize(png), { width: 640, height: 360 });
      const cdn = await plotlyCdn();
      const source = await loadPlotlySource();
      const html = (id: string) =>
        staticFigureHtml(fig, png, { id, width: 640, height: 360, alt: "ROC", cdn });
      const state = (page: Page) =>
        page.evaluate(() =>
          [...(globalThis as unknown as { document: PageDocument }).document.querySelectorAll(
            ".daad-plot",
          )].map((d) =>
            d.querySelector(".main-svg") ? "plot" : d.querySelector("img") ? "image" : "empty"
          )
        );
      // jsDelivr serves plotly.js (the same bytes), is unreachable, or serves other bytes.
      for (const cdnAnswer of ["same", "offline", "tampered"] as const) {
        const page = await browser.newPage();
        let fetched = 0;
        await page.route(cdn.url, (route) => {
          fetched++;
          if (cdnAnswer === "offline") return route.abort();
          return route.fulfill({
            body: cdnAnswer === "same" ? source : source + "\n// changed",
            headers: { "access-control-allow-origin": "*", "content-type": "text/javascript" },
          });
        });
        await page.setContent("<!DOCTYPE html><html><head></head><body></body></html>");
        await attachOutput(page, html("s1"));
        await attachOutput(page, html("s2"));
        if (cdnAnswer === "same") {
          assertEquals(await drawnPlots(page, 2), [2, 2]);
        } else {
          await new Promise((r) => setTimeout(r, 1500));
          assertEquals(await state(page), ["image", "image"], cdnAnswer);
        }
        assertEquals(fetched, 1, `${cdnAnswer}: plotly.js fetched once per page`);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  },
});
