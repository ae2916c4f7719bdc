import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../../tests/assert.ts";
import { assertNoLeak, useBackend } from "../../tests/tf_helpers.ts";
import type { BackendInfo } from "../backend.ts";
import type { RunConfig } from "../config.ts";
import { resolveRunConfig, withSettings } from "../families/resolve.ts";
import { stripesDataset } from "../data/stripes.ts";
import { paperTable4Auroc } from "../eval/paper_tables.ts";
import { summaryTableRows, sweepTableRows } from "../eval/table.ts";
import { BlockGeometryError } from "../memory/block_memory.ts";
import { ConfigError } from "../util/errors.ts";
import { sweepAurocFigure, sweepGrid } from "../viz/sweep_figures.ts";
import {
  memorySettings,
  rateSettings,
  sameTraining,
  summarizeSweep,
  type SweepPoint,
  sweepSettings,
  withSeeds,
} from "./rates.ts";

await useBackend("cpu");
const BACKEND: BackendInfo = { name: "cpu", device: "test", reason: "test" };

Deno.test("rateSettings() and memorySettings() label and override one field", () => {
  assertEquals(rateSettings([1, 16]), [
    { label: "r=1", overrides: { division: [1, 1, 1] } },
    { label: "r=16", overrides: { division: [16, 16, 1] } },
  ]);
  assertEquals(memorySettings([500]), [{ label: "N=500", overrides: { memory: 500 } }]);
  assertThrows(() => rateSettings([2.5]), ConfigError, "got 2.5");
  assertThrows(() => memorySettings([0]), ConfigError, "got 0");
});

const DATA = stripesDataset({ size: 32, nTrain: 8, nTest: 6, seed: 1 });
const BASE = resolveRunConfig({
  data: "stripes",
  size: 32,
  width: 2,
  memory: 5,
  epochs: 1,
  batch: 4,
  backend: "cpu",
});

Deno.test("sweepSettings() trains and scores one model per setting, keeping example reconstructions", async () => {
  let points: SweepPoint[] = [];
  const seen: string[] = [];
  await assertNoLeak("sweep", async () => {
    points = await sweepSettings(BASE, rateSettings([1, 2]), {
      backend: BACKEND,
      data: DATA,
      examples: [0, 3],
      onPoint: (p, i) => {
        seen.push(`${i}:${p.label}`);
      },
    });
  });
  assertEquals(seen, ["0:r=1", "1:r=2"]);
  assertEquals(points.map((p) => p.config.settings.division), [[1, 1, 1], [2, 2, 1]]);
  for (const p of points) {
    assertEquals(p.metrics.n_test, 6);
    assert(p.metrics.image_auroc! >= 0 && p.metrics.image_auroc! <= 1);
    assertEquals(p.history.length, 1);
    assertEquals(p.examples.indices, [0, 3]);
    assertEquals(p.examples.reconstructions.map((r) => r.length), [1024, 1024]);
    assertEquals(p.examples.maps.map((m) => m.length), [1024, 1024]);
    // The kept score is the mean squared error of the kept reconstruction.
    const x = DATA.test.data.subarray(3 * 1024, 4 * 1024);
    const rec = p.examples.reconstructions[1];
    let sq = 0;
    for (let i = 0; i < 1024; i++) sq += (x[i] - rec[i]) ** 2;
    assertAlmostEquals(p.examples.scores[1], sq / 1024, 1e-4);
  }
  // Different divisions give different models from the same seed.
  assert(points[0].examples.scores[0] !== points[1].examples.scores[0]);

  const { rows, captions } = sweepGrid(DATA.test, points);
  assertEquals(captions, ["input", "mask", "r=1", "r=2"]);
  assertEquals(rows.length, 4); // two examples, each with an error row
  assertEquals(rows[1].label, "error");
  assertEquals(rows[1].tiles.map((t) => t?.kind ?? null), [null, null, "heat", "heat"]);
  assertEquals(sweepGrid(DATA.test, points, { maps: false }).rows.length, 2);

  const table = sweepTableRows(
    points,
    (p) => paperTable4Auroc((p.config.settings.division as number[])[0]),
  );
  assertEquals(table.map((r) => r["paper (MVTec AD)"]), [0.716, 0.784]);
  assertEquals(table[0].image_auroc, points[0].metrics.image_auroc);
});

Deno.test("sweepSettings() refuses a rate that does not divide a memory map before training", async () => {
  let trained = 0;
  await assertRejects(
    () =>
      sweepSettings(BASE, rateSettings([1, 4]), {
        backend: BACKEND,
        data: DATA,
        onPoint: () => {
          trained++;
        },
      }),
    BlockGeometryError,
    "r=4: ",
  );
  assertEquals(trained, 0);
  await assertRejects(
    () => sweepSettings(BASE, [], { backend: BACKEND, data: DATA }),
    ConfigError,
    "at least one setting",
  );
  await assertRejects(
    () => sweepSettings(BASE, rateSettings([1]), { backend: BACKEND, data: DATA, examples: [6] }),
    RangeError,
    "example index 6",
  );
});

Deno.test("sweepSettings() reuses a known point with the same configuration", async () => {
  const first = await sweepSettings(BASE, rateSettings([2]), {
    backend: BACKEND,
    data: DATA,
    examples: [0],
  });
  const lines: string[] = [];
  const base2: RunConfig = withSettings(BASE, { division: [2, 2, 1] });
  const memory = BASE.settings.memory as number;
  const again = await sweepSettings(base2, memorySettings([memory]), {
    backend: BACKEND,
    data: DATA,
    examples: [0],
    known: first,
    progress: { update() {}, end() {}, line: (t) => lines.push(t) },
  });
  assertEquals(again[0].label, `N=${memory}`);
  assertEquals(again[0].metrics, first[0].metrics);
  assertEquals(lines, [`N=${memory}: same model as r=2, reused`]);
  assert(!sameTraining(BASE, withSettings(BASE, { memory: 6 })));
  assert(sameTraining(BASE, { ...BASE, out: "elsewhere", backend: "wasm" }));
});

/** A point with given AUROCs and nothing trained. */
function fakePoint(group: string, seed: number, image: number, pixel: number | null): SweepPoint {
  return {
    label: `${group} seed ${seed}`,
    group,
    config: { ...BASE, seed },
    metrics: { image_auroc: image, pixel_auroc: pixel } as SweepPoint["metrics"],
    history: [],
    trainSeconds: 10 + seed,
    examples: { indices: [], reconstructions: [], maps: [], scores: [] },
  };
}

Deno.test("withSeeds() repeats every setting per seed inside one group", () => {
  const s = withSeeds(rateSettings([1, 4]), [0, 7]);
  assertEquals(s.map((x) => x.label), ["r=1 seed 0", "r=1 seed 7", "r=4 seed 0", "r=4 seed 7"]);
  assertEquals(s.map((x) => x.group), ["r=1", "r=1", "r=4", "r=4"]);
  assertEquals(s[3].overrides, { division: [4, 4, 1], seed: 7 });
  assertThrows(() => withSeeds(rateSettings([1]), []), ConfigError, "at least one seed");
  assertThrows(() => withSeeds(rateSettings([1]), [-1]), ConfigError, "got -1");
});

Deno.test("summarizeSweep() groups seeds and gives mean, min and max AUROC", () => {
  const points = [
    fakePoint("r=1", 0, 0.8, 0.9),
    fakePoint("r=1", 1, 0.6, 0.7),
    fakePoint("r=2", 0, 0.95, null),
  ];
  const [a, b] = summarizeSweep(points);
  assertEquals(a.group, "r=1");
  assertEquals(a.points.length, 2);
  assertAlmostEquals(a.imageAuroc.mean, 0.7, 1e-12);
  assertEquals([a.imageAuroc.min, a.imageAuroc.max], [0.6, 0.8]);
  assertAlmostEquals(a.pixelAuroc!.mean, 0.8, 1e-12);
  assertEquals(b.pixelAuroc, null);

  const rows = summaryTableRows([a, b], {
    name: "paper",
    value: (s) => s.group === "r=1" ? 0.716 : null,
  });
  assertEquals(rows[0]["image AUROC (range)"], "0.600 to 0.800");
  assertEquals(rows[1]["image AUROC (range)"], "0.950");
  assertEquals(rows.map((r) => r.paper), [0.716, null]);
  assertEquals(rows[0]["train s (mean)"], 10.5);

  const fig = sweepAurocFigure([a, b], {
    labels: ["r=1", "r=2", "r=16"],
    reference: { name: "paper", values: [0.716, 0.784, 0.813] },
  });
  assertEquals(fig.data.length, 2);
  const bars = fig.data[0] as unknown as {
    y: (number | null)[];
    error_y: { array: unknown[]; arrayminus: unknown[] };
  };
  assertAlmostEquals(bars.y[0]!, 0.7, 1e-12);
  assertEquals(bars.y[2], null);
  assertAlmostEquals(bars.error_y.array[0] as number, 0.1, 1e-12);
  assertAlmostEquals(bars.error_y.arrayminus[0] as number, 0.1, 1e-12);
  assertEquals(bars.error_y.array[2], null);
});
