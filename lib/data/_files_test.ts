import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { listImagesDeep, mapLimit, stem } from "./_files.ts";

Deno.test("mapLimit() keeps the order and never runs more than the limit at once", async () => {
  let running = 0, most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (v, i) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, v));
    running--;
    return v * 10 + i;
  });
  assertEquals(out, [50, 11, 42, 23, 34]);
  assertEquals(most, 2);
});

Deno.test("mapLimit() lets the calls in flight finish before it throws the first error", async () => {
  const started: number[] = [], finished: number[] = [];
  await assertRejects(
    () =>
      mapLimit([0, 1, 2, 3, 4, 5, 6], 3, async (_, i) => {
        started.push(i);
        if (i === 0) throw new Error("item 0 is bad");
        await new Promise((r) => setTimeout(r, 20));
        finished.push(i);
      }),
    Error,
    "item 0 is bad",
  );
  // Items 1 and 2 were in flight when item 0 failed: they finished; nothing new started.
  assertEquals(started, [0, 1, 2]);
  assertEquals(finished.sort(), [1, 2]);
});

Deno.test("listImagesDeep() lists image files of every sub-folder, sorted; stem() keeps folders", async () => {
  const d = await Deno.makeTempDir();
  for (const f of ["b.png", "a/z.JPG", "a/y.txt", "a/.hidden.png", "c/d/e.webp"]) {
    await Deno.mkdir(`${d}/${f}`.slice(0, `${d}/${f}`.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(`${d}/${f}`, "");
  }
  assertEquals(await listImagesDeep(d), ["a/z.JPG", "b.png", "c/d/e.webp"]);
  assertEquals([stem("a/z.JPG"), stem("x.y/z"), stem(".png")], ["a/z", "x.y/z", ".png"]);
  await Deno.remove(d, { recursive: true });
});
