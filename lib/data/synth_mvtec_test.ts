import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../../tests/assert.ts";
import { Rng } from "../util/rng.ts";
import { DatasetError } from "./errors.ts";
import { loadMvtecCategory } from "./mvtec.ts";
import {
  drawSynthDefect,
  readSynthMvtecReadme,
  renderSynthGood,
  SYNTH_CATEGORIES,
  SYNTH_DEFECTS,
  SYNTH_README_MARKER,
  writeSynthMvtec,
} from "./synth_mvtec.ts";

/** Every file under `dir`, relative path -> bytes. */
async function tree(dir: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory) { for (const [k, v] of await tree(dir, rel)) out.set(k, v); }
    else out.set(rel, await Deno.readFile(`${dir}/${rel}`));
  }
  return out;
}

Deno.test("writeSynthMvtec() writes a tree that loadMvtecCategory() loads, masks non-empty exactly for defects", async () => {
  const out = await Deno.makeTempDir();
  const s = await writeSynthMvtec({ out, size: 32, nTrain: 4, nTestGood: 3, nTestDefect: 2 });
  assertEquals(s.categories.map((c) => [c.name, c.channels]), [["synth_weave", 1], [
    "synth_pill",
    3,
  ]]);
  assertEquals(s.files, 2 * (4 + 3 + 3 * 2 * 2) + 1);
  const readme = await Deno.readTextFile(`${out}/README.txt`);
  assert(readme.startsWith(SYNTH_README_MARKER) && readme.includes("This is NOT MVTec AD"));
  for (const c of s.categories) {
    const { train, test, protocol } = await loadMvtecCategory({
      root: out,
      category: c.name,
      size: 32,
    });
    assert(
      protocol.startsWith("SYNTHETIC data in the MVTec AD layout") &&
        protocol.includes("not MVTec AD"),
    );
    assertEquals([train.n, train.channels, test.n, test.channels], [4, c.channels, 9, c.channels]);
    const groups = ["good", "good", "good", "hole", "hole", "scratch", "scratch", "stain", "stain"];
    assertEquals(test.groups, groups);
    const px = 32 * 32, size = px * c.channels;
    for (let i = 0; i < test.n; i++) {
      const m = test.masks!.subarray(i * px, (i + 1) * px);
      const area = m.reduce((a, v) => a + v, 0);
      assertEquals(test.labels![i], test.groups![i] === "good" ? 0 : 1);
      if (test.labels![i] === 0) {
        assertEquals(area, 0, `${test.names![i]} is good: empty mask`);
        continue;
      }
      assert(area >= 2 && area < 0.25 * px, `${test.names![i]}: mask area ${area}`);
      if (test.groups![i] === "hole") {
        // A hole reaches near-black (below every clean pixel of either category).
        let darkest = 1;
        for (let p = 0; p < px; p++) {
          if (m[p]) darkest = Math.min(darkest, test.data[i * size + p * c.channels]);
        }
        assert(darkest < -0.85, `${test.names![i]}: darkest hole pixel ${darkest}`);
      }
    }
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("drawSynthDefect() returns a mask of exactly the pixels it changed, visibly changed", () => {
  for (const category of SYNTH_CATEGORIES) {
    for (const defect of SYNTH_DEFECTS) {
      for (let seed = 0; seed < 4; seed++) {
        const rng = new Rng(seed);
        const img = renderSynthGood(category, 48, rng);
        const clean = img.pixels.slice();
        const mask = drawSynthDefect(img, defect, rng);
        const c = img.channels;
        let area = 0, strong = 0, centreInRegion = 0;
        for (let p = 0; p < 48 * 48; p++) {
          let diff = 0;
          for (let k = 0; k < c; k++) {
            diff = Math.max(diff, Math.abs(img.pixels[p * c + k] - clean[p * c + k]));
          }
          const label = `${category}/${defect}/seed ${seed} pixel ${p}`;
          assertEquals(mask[p] === 255, diff > 0, label);
          assert(mask[p] === 0 || mask[p] === 255, label);
          if (mask[p]) {
            area++;
            if (diff >= 20) strong++;
            centreInRegion += img.region[p];
          }
        }
        assert(area >= 3, `${category}/${defect}/${seed}: area ${area}`);
        assert(strong >= 0.5 * area, `${category}/${defect}/${seed}: ${strong}/${area} visible`);
        assert(centreInRegion > 0, "the defect overlaps the object/region");
      }
    }
  }
  assertThrows(
    () => drawSynthDefect(renderSynthGood("synth_pill", 16, new Rng(0)), "dent", new Rng(0)),
    DatasetError,
    "unknown synthetic defect 'dent'",
  );
});

Deno.test("renderSynthGood() draws a new image each time from one distribution", () => {
  const rng = new Rng(5);
  for (const category of SYNTH_CATEGORIES) {
    const a = renderSynthGood(category, 32, rng), b = renderSynthGood(category, 32, rng);
    assertNotEquals(Array.from(a.pixels), Array.from(b.pixels));
    const mean = (x: Uint8Array) => x.reduce((s, v) => s + v, 0) / x.length;
    assert(Math.abs(mean(a.pixels) - mean(b.pixels)) < 20, `${category}: means differ too much`);
  }
  // The pill: a bright object in the middle, a dark background in the corner.
  const pill = renderSynthGood("synth_pill", 32, new Rng(1));
  assert(pill.pixels[(16 * 32 + 10) * 3] > 150 && pill.pixels[0] < 60);
  assertEquals(pill.region[16 * 32 + 10], 1);
  assertEquals(pill.region[0], 0);
  assertThrows(
    () => renderSynthGood("wood", 32, rng),
    DatasetError,
    "unknown synthetic category 'wood'",
  );
  assertThrows(() => renderSynthGood("synth_pill", 8, rng), DatasetError, "integer >= 16, got 8");
});

Deno.test("writeSynthMvtec() writes identical bytes for a seed and other images for another seed", async () => {
  const opts = { size: 24, nTrain: 2, nTestGood: 1, nTestDefect: 1 };
  const [a, b, c] = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
  await writeSynthMvtec({ out: a, seed: 7, ...opts });
  await writeSynthMvtec({ out: b, seed: 7, ...opts });
  await writeSynthMvtec({ out: c, seed: 8, ...opts });
  const ta = await tree(a), tb = await tree(b), tc = await tree(c);
  assertEquals([...ta.keys()].sort(), [...tb.keys()].sort());
  for (const [k, v] of ta) assertEquals(v, tb.get(k), k);
  const k = "synth_weave/train/good/000.png";
  assertNotEquals(ta.get(k), tc.get(k));
  for (const d of [a, b, c]) await Deno.remove(d, { recursive: true });
});

Deno.test("writeSynthMvtec() refuses a foreign non-empty folder and replaces its own previous output", async () => {
  const out = await Deno.makeTempDir();
  await Deno.writeTextFile(`${out}/thesis.tex`, "precious");
  await assertRejects(
    () => writeSynthMvtec({ out, size: 16, nTrain: 1 }),
    DatasetError,
    `${out} is not empty and is not a synthetic set written by this kit`,
  );
  assertEquals(await Deno.readTextFile(`${out}/thesis.tex`), "precious");
  const fresh = `${out}/synth`;
  const first = await writeSynthMvtec({ out: fresh, size: 16, nTrain: 5, nTestDefect: 1 });
  assertEquals(first.replaced, false);
  assertEquals(await readSynthMvtecReadme(fresh), ["synth_weave", "synth_pill"]);
  const second = await writeSynthMvtec({
    out: fresh,
    categories: ["synth_pill"],
    size: 16,
    nTrain: 3,
    nTestDefect: 1,
  });
  assertEquals(second.replaced, true);
  const names = [...(await tree(fresh)).keys()];
  assert(!names.some((n) => n.startsWith("synth_weave/")), "old categories are removed");
  assertEquals(names.filter((n) => n.startsWith("synth_pill/train/")).length, 3);
  assertEquals(await readSynthMvtecReadme(fresh), ["synth_pill"]);
  assertEquals(await readSynthMvtecReadme(out), null);
  await assertRejects(
    () => writeSynthMvtec({ out: `${out}/x`, categories: ["synth_pill", "bottle"] }),
    DatasetError,
    "unknown synthetic category 'bottle'; choose from synth_weave, synth_pill",
  );
  await Deno.remove(out, { recursive: true });
});
