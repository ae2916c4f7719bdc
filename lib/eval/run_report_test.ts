import { assertEquals } from "../../tests/assert.ts";
import type { ImageSet } from "../data/image_set.ts";
import { readScores, scoresCsv, selectCases } from "./run_report.ts";

Deno.test("selectCases() picks top anomalies and lowest normals as best, the reverse as worst", () => {
  const scores = [0.1, 0.9, 0.5, 0.2, 0.8, 0.3];
  const labels = [0, 1, 1, 0, 0, 1];
  const c = selectCases(scores, labels, 4);
  assertEquals(c.best, [1, 2, 0, 3]); // anomalies 0.9, 0.5; normals 0.1, 0.2
  assertEquals(c.worst, [4, 3, 5, 2]); // normals 0.8, 0.2; anomalies 0.3, 0.5
});

Deno.test("scoresCsv() and readScores() round-trip names with commas and quotes", async () => {
  const set: ImageSet = {
    n: 2,
    height: 1,
    width: 1,
    channels: 1,
    data: new Float32Array(2),
    labels: Uint8Array.from([0, 1]),
    names: ["good/a,1.png", 'crack/"b".png'],
    groups: ["good", "crack"],
  };
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/scores.csv`, scoresCsv(set, [0.25, 1.5]));
  assertEquals(await readScores(dir), [
    { name: "good/a,1.png", group: "good", label: 0, score: 0.25 },
    { name: 'crack/"b".png', group: "crack", label: 1, score: 1.5 },
  ]);
  await Deno.remove(dir, { recursive: true });
});
