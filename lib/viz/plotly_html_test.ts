import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import {
  escapeHtml,
  escapeScriptSource,
  figureDivHtml,
  jsonForScript,
  loadPlotlySource,
  plotlyLoaderParts,
  plotlyScriptTag,
  toBase64,
} from "./plotly_html.ts";

/** The JavaScript inside the first `<script>` element of `html`. */
function scriptBody(html: string, index = 0): string {
  const bodies = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert(bodies.length > index, `no script #${index} in ${html.slice(0, 200)}`);
  return bodies[index];
}

/** Polls `cond` every 10 ms for up to `ms` (timers may run late on a loaded machine). */
async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

/** The parts of a DOM element the drawing script uses. */
function fakeElement(text: string) {
  return {
    textContent: text,
    attrs: {} as Record<string, string>,
    getAttribute(k: string) {
      return this.attrs[k] ?? null;
    },
    setAttribute(k: string, v: string) {
      this.attrs[k] = v;
    },
    removeAttribute(k: string) {
      delete this.attrs[k];
    },
  };
}

Deno.test("escapeHtml() escapes the five HTML specials", () => {
  assertEquals(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("jsonForScript() cannot end a script element and reads back the same value", () => {
  const value = { text: "</script><!-- x \u2028 y", n: [1, 2] };
  const s = jsonForScript(value);
  assert(!s.includes("</"), s);
  assert(!s.includes("<!--"), s);
  assert(!s.includes("\u2028"), s);
  assertEquals(JSON.parse(s), value);
  // deno-lint-ignore no-eval
  assertEquals((0, eval)(`(${s})`), value);
});

Deno.test("escapeScriptSource() neutralises </script and <!-- without changing strings", () => {
  const src = `var a = "</script>", b = '<!--', c = /<\\/SCRIPT>/i.test("</SCRIPT>");`;
  const out = escapeScriptSource(src);
  assert(!/<\/script/i.test(out), out);
  assert(!out.includes("<!--"), out);
  const run = (code: string) => new Function(`${code}; return [a, b, c];`)();
  assertEquals(run(out), run(src));
});

Deno.test("plotlyScriptTag() defines window.Plotly even when require.js's define is global", () => {
  // A UMD bundle registers itself with AMD when `define.amd` is there (classic Notebook);
  // the tag must shadow it so that the global is set.
  const umd = `(function (root, factory) {
    if (typeof module === "object" && module.exports) module.exports = factory();
    else if (typeof define === "function" && define.amd) define([], factory);
    else root.Plotly = factory();
  })(window, function () { return { version: "stub" }; });`;
  const body = scriptBody(plotlyScriptTag(umd));
  const win: Record<string, unknown> = {};
  let amdCalls = 0;
  const define = Object.assign(() => amdCalls++, { amd: {} });
  new Function("window", "define", body)(win, define);
  assertEquals(win.Plotly, { version: "stub" });
  assertEquals(amdCalls, 0);
  // A page that already has plotly.js keeps it.
  const existing = { Plotly: "already" } as Record<string, unknown>;
  new Function("window", "define", body)(existing, define);
  assertEquals(existing.Plotly, "already");
});

Deno.test("figureDivHtml() draws the figure into its div once window.Plotly exists", async () => {
  const fig = { data: [{ type: "bar", x: ["a"], y: [1] }], layout: { title: { text: "t" } } };
  const html = figureDivHtml(fig, { id: "fig-7", height: 321, waitMs: 1000 });
  assert(html.startsWith(`<div id="fig-7" class="daad-plot" style="width:100%;min-height:321px">`));
  // Run the drawing script against a fake DOM where plotly.js arrives 120 ms late.
  const el = fakeElement("initial");
  const calls: unknown[][] = [];
  const win: Record<string, unknown> = {};
  const doc = { getElementById: (id: string) => (id === "fig-7" ? el : null) };
  new Function("window", "document", scriptBody(html))(win, doc);
  assertEquals(calls.length, 0);
  await new Promise((r) => setTimeout(r, 120));
  win.Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
  await waitFor(() => calls.length > 0);
  await new Promise((r) => setTimeout(r, 60));
  assertEquals(calls.length, 1);
  const [target, data, layout, config] = calls[0] as [
    unknown,
    unknown,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  assert(target === el);
  assertEquals(el.textContent, "");
  assertEquals(data, fig.data);
  assertEquals(layout.height, 321);
  assertEquals(layout.title, { text: "t" });
  assertEquals(config.responsive, true);
});

Deno.test("figureDivHtml() says plotly.js is missing, then draws once it is loaded", async () => {
  const el = fakeElement("");
  const win: Record<string, unknown> = {};
  const html = figureDivHtml({ data: [], layout: {} }, { id: "x1", waitMs: 100 });
  new Function("window", "document", scriptBody(html))(win, { getElementById: () => el });
  await waitFor(() => el.textContent !== "");
  assert(el.textContent.includes("plotly.js is not loaded"), el.textContent);
  // It keeps checking (once a second): loading plotly.js later draws the plot.
  let drawn = 0;
  win.Plotly = { newPlot: () => drawn++ };
  await waitFor(() => drawn > 0, 5000);
  assertEquals(drawn, 1);
  assertEquals(el.textContent, "");
  assertEquals(el.attrs, {});
});

Deno.test("figureDivHtml() rejects ids and heights that would break the page", () => {
  assertThrows(
    () => figureDivHtml({ data: [], layout: {} }, { id: 'a" onload="x' }),
    RangeError,
    "figure div id",
  );
  assertThrows(() => figureDivHtml({ data: [], layout: {} }, { id: "a", height: 0 }), RangeError);
});

Deno.test("loadPlotlySource() returns the plotly.js bundle, once", async () => {
  const a = await loadPlotlySource();
  const b = await loadPlotlySource();
  assert(a === b, "loaded twice");
  assert(a.length > 1_000_000, `only ${a.length} characters`);
  assert(/plotly\.js v\d+\.\d+/.test(a.slice(0, 200)), a.slice(0, 200));
});

/** Runs loader parts in the given order against a fake page; returns the page's window. */
async function runLoader(parts: string[], order: number[]): Promise<Record<string, unknown>> {
  const win: Record<string, unknown> = {};
  const injected: string[] = [];
  const doc = {
    createElement: () => ({ text: "" }),
    head: { appendChild: (s: { text: string }) => injected.push(s.text) },
  };
  for (const i of order) new Function("window", "document", scriptBody(parts[i]))(win, doc);
  await waitFor(() => injected.length > 0);
  assertEquals(injected.length, 1);
  // The page runs the injected script with `window` as its global.
  new Function("window", "define", injected[0])(win, Object.assign(() => {}, { amd: {} }));
  return win;
}

Deno.test("plotlyLoaderParts() splits gzip+base64 plotly.js into parts that load in any order", async () => {
  // A stub "plotly.js" that is big and incompressible enough to need several parts.
  const noise = toBase64(crypto.getRandomValues(new Uint8Array(30_000)));
  const source = `var junk = "${noise}"; window.Plotly = { version: "stub", size: junk.length };`;
  const parts = await plotlyLoaderParts(source, { partChars: 8000, loadId: "t1" });
  assert(parts.length >= 4, `${parts.length} parts`);
  for (const p of parts) assert(p.length < 8000 + 2000, `a part has ${p.length} characters`);
  const win = await runLoader(parts, parts.map((_, i) => parts.length - 1 - i));
  assertEquals(win.Plotly, { version: "stub", size: noise.length });
  // The parts are dropped from the page once plotly.js ran.
  assertEquals(win.__daadPlotlyParts, {});
});

Deno.test("plotlyLoaderParts() waits for every part before loading", async () => {
  const noise = toBase64(crypto.getRandomValues(new Uint8Array(3000)));
  const parts = await plotlyLoaderParts(`window.Plotly = "${noise}";`, {
    partChars: 1000,
    loadId: "t2",
  });
  assert(parts.length >= 2, `${parts.length} parts`);
  const win: Record<string, unknown> = {};
  let injected = 0;
  const doc = { createElement: () => ({}), head: { appendChild: () => injected++ } };
  for (const p of parts.slice(1)) new Function("window", "document", scriptBody(p))(win, doc);
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(injected, 0);
  await assertRejects(
    () => plotlyLoaderParts("x", { partChars: 1001 }),
    RangeError,
    "multiple of 4",
  );
});
