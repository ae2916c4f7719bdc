/**
 * The exported web page in a real browser: a tiny one-class MNIST run (digit 8) exported
 * with `deno task export --format web`, served by the kit's server on 127.0.0.1 and
 * opened in headless Chromium (Debian's `chromium`, driven by playwright-core). Five
 * digits and a corrupt file go in through the file picker, one more digit (at 28x28, so
 * the page resizes it) by a drop event; the page's scores must equal `deno task predict`'s
 * within 1e-4, each card must
 * show its verdict and heat-map, and the corrupt file its message while the others score.
 * A screenshot of the page is kept in runs/test-artifacts/ (its path is printed).
 * Skipped, with the install line, where Chromium is missing.
 * @module
 */
import { chromium } from "playwright-core";
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { CHROMIUM, CHROMIUM_PATH, testWith } from "./optional.ts";
import { CHROMIUM_ARGS } from "../lib/viz/chromium.ts";
import { encodePng } from "../lib/data/image_io.ts";
import { oneClassMnist } from "../lib/data/mnist.ts";
import { serveFolder } from "../lib/export/serve.ts";

const ARTIFACTS = new URL("../runs/test-artifacts/", import.meta.url).pathname;

/** What the page keeps for each file (page.ts's PageState.results). */
interface PageResult {
  name: string;
  score?: number;
  anomalous?: boolean;
  error?: string;
}

await testWith([CHROMIUM], {
  name:
    "the exported page scores dropped and picked digits as predict does, and names a corrupt file",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daad-export-browser-" });
    try {
      const run = `${dir}/run`;
      const trained = await runTask("train", [
        ...["--model", "daad", "--data", "mnist", "--normal", "8", "--width", "4"],
        ...["--memory", "10", "--epochs", "1", "--max-train", "64", "--max-test", "64"],
        ...["--batch", "16", "--backend", "wasm", "--out", run],
      ]);
      assertEquals(trained.code, 0, trained.err);
      const site = `${dir}/site`;
      const exported = await runTask("export", ["--run", run, "--format", "web", "--out", site]);
      assertEquals(exported.code, 0, exported.err);

      // Six test digits at the model's size (32x32 grey PNGs), two of them 8s (normal).
      const data = await oneClassMnist({ normal: 8, size: 32, maxTest: 400 });
      const test = data.test;
      const pick: number[] = [];
      for (const want of [8, 3, 8, 0, 7, 2]) {
        const i = test.names!.findIndex((n, k) =>
          !pick.includes(k) && n.endsWith(`(digit ${want})`)
        );
        assert(i >= 0, `no ${want} among the first 400 test digits`);
        pick.push(i);
      }
      const images: string[] = [];
      for (const [j, i] of pick.entries()) {
        const px = Uint8Array.from(
          test.data.subarray(i * 1024, (i + 1) * 1024),
          (v) => Math.round((v + 1) * 127.5),
        );
        const digit = test.names![i].match(/digit (\d)/)![1];
        if (j < 5) {
          const path = `${dir}/${j}_digit${digit}.png`;
          await Deno.writeFile(path, await encodePng(px, 32, 32, 1));
          images.push(path);
        } else {
          // The dropped one at MNIST's own 28x28 (the kit's padding cut off): the page resizes
          // it to 32x32 as predict does.
          const crop = Uint8Array.from(
            { length: 28 * 28 },
            (_, p) => px[(Math.floor(p / 28) + 2) * 32 + (p % 28) + 2],
          );
          const path = `${dir}/${j}_digit${digit}_28x28.png`;
          await Deno.writeFile(path, await encodePng(crop, 28, 28, 1));
          images.push(path);
        }
      }
      const corrupt = `${dir}/corrupt.png`;
      await Deno.writeTextFile(corrupt, "this is not a PNG");

      // What the command line says about the same files.
      const predicted = await runTask("predict", [
        ...["--run", run, "--json", "--out", `${dir}/heatmaps`],
        ...images,
      ]);
      assertEquals(predicted.code, 0, predicted.err);
      const cli = new Map<string, { score: number; anomalous: boolean }>();
      for (const line of predicted.out.trim().split("\n")) {
        const r = JSON.parse(line);
        cli.set(r.path.slice(r.path.lastIndexOf("/") + 1), r);
      }
      assertEquals(cli.size, 6);

      const server = await serveFolder({ root: site, port: 0 });
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(`console: ${m.text()}`);
        });
        page.on("request", (r) => {
          if (!r.url().startsWith(server.url)) errors.push(`asked the network: ${r.url()}`);
        });
        await page.goto(server.url);
        await page.waitForFunction(
          () => (globalThis as unknown as { daadPage?: { backend: string } }).daadPage?.backend,
          null,
          { timeout: 120_000 },
        );
        const backendLine = await page.textContent("#backend");
        console.log(`page: ${backendLine}`);
        assert(/TensorFlow\.js 4\.\d+\.\d+ on (WebGPU|WebGL|WebAssembly)/.test(backendLine ?? ""));

        // Five digits and the corrupt file through the file picker...
        await page.setInputFiles("#files", [...images.slice(0, 5), corrupt]);
        // ...and the sixth digit dropped on the page.
        const dropped = await Deno.readFile(images[5]);
        await page.evaluate(
          ({ bytes, name }: { bytes: number[]; name: string }) => {
            const g = globalThis as unknown as {
              DataTransfer: new () => { items: { add(f: unknown): void } };
              File: new (parts: unknown[], name: string, o: { type: string }) => unknown;
              DragEvent: new (type: string, init: unknown) => unknown;
              Uint8Array: typeof Uint8Array;
              document: { dispatchEvent(e: unknown): void };
            };
            const dt = new g.DataTransfer();
            dt.items.add(new g.File([new g.Uint8Array(bytes)], name, { type: "image/png" }));
            g.document.dispatchEvent(
              new g.DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
            );
          },
          { bytes: [...dropped], name: images[5].slice(images[5].lastIndexOf("/") + 1) },
        );
        await page.waitForFunction(
          () =>
            (globalThis as unknown as { daadPage: { results: unknown[] } }).daadPage.results
              .length >= 7,
          null,
          { timeout: 120_000 },
        );
        const results: PageResult[] = await page.evaluate(() =>
          (globalThis as unknown as { daadPage: { results: PageResult[] } }).daadPage.results
        );
        const engine = await page.evaluate(() =>
          (globalThis as unknown as { daadPage: { engine: string } }).daadPage.engine
        );
        let worst = 0;
        for (const r of results) {
          if (r.name === "corrupt.png") {
            assert(r.error?.includes("cannot decode"), JSON.stringify(r));
            continue;
          }
          const want = cli.get(r.name);
          assert(want != null && r.score != null, JSON.stringify(r));
          const rel = Math.abs(r.score - want.score) / Math.abs(want.score);
          worst = Math.max(worst, rel);
          assert(rel <= 1e-4, `${r.name}: page ${r.score}, predict ${want.score}`);
          assertEquals(r.anomalous, want.anomalous, r.name);
        }
        assertEquals(results.length, 7);
        console.log(
          `page (${engine}) against predict on ${results.length - 1} images: largest relative ` +
            `difference ${worst.toExponential(2)}`,
        );
        // What a person sees: a card per file, verdict text, three drawn tiles, the message.
        const cards = await page.$$eval(".result", (els) =>
          els.map((e) => ({
            kind: e.className,
            verdict: e.querySelector(".verdict")?.textContent ?? "",
            canvases: e.querySelectorAll("canvas").length,
            message: e.querySelector(".message")?.textContent ?? "",
          })));
        assertEquals(cards.length, 7);
        for (const c of cards) {
          if (c.kind.includes("error")) assert(c.message.startsWith("corrupt.png: cannot decode"));
          else {
            assert(/^score \S+: (ANOMALOUS|normal) \(threshold \S+\)$/.test(c.verdict), c.verdict);
            assertEquals(c.canvases, 3);
          }
        }
        // The heat-map tile is drawn (not blank): its pixels vary.
        const heatColours = await page.evaluate(() => {
          const g = globalThis as unknown as {
            document: {
              querySelectorAll(s: string): ArrayLike<{
                getContext(k: string): {
                  getImageData(
                    x: number,
                    y: number,
                    w: number,
                    h: number,
                  ): { data: Uint8ClampedArray };
                };
                width: number;
                height: number;
              }>;
            };
          };
          const tiles = g.document.querySelectorAll(
            ".result:not(.error) figure:nth-child(2) canvas",
          );
          const c = tiles[0];
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          const colours = new Set<number>();
          for (let p = 0; p < d.length; p += 4) {
            colours.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]);
          }
          return colours.size;
        });
        assert(heatColours > 10, `the heat-map tile has ${heatColours} colours`);
        assertEquals(errors, []);
        await Deno.mkdir(ARTIFACTS, { recursive: true });
        const shot = `${ARTIFACTS}export_page.png`;
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`screenshot: ${shot}`);
      } finally {
        await browser.close();
        await server.shutdown();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
