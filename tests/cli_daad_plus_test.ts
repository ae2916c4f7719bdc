/**
 * DAAD+ through `deno task train` as a user runs it: the GAN is watched every epoch
 * (log.jsonl `gan` lines, one console line each, metrics.json `gan`), each raw score
 * component gets its own AUROC, and eq. 7's bounds are saved on the distance scale.
 */
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";
import { writeSynthMvtec } from "../lib/data/synth_mvtec.ts";
import { auroc } from "../lib/metrics/auroc.ts";

const dir = await Deno.makeTempDir({ prefix: "daad-plus-cli-" });
await writeSynthMvtec({
  out: `${dir}/synth`,
  categories: ["synth_pill"],
  nTrain: 8,
  nTestGood: 3,
  nTestDefect: 2,
  size: 32,
});

Deno.test("train --model daad-plus logs D's accuracy and L(x)'s probe AUROC per epoch, and component AUROCs", async () => {
  const run = `${dir}/run`;
  const r = await runTask("train", [
    ...["--model", "daad-plus", "--data", "mvtec", "--root", `${dir}/synth`],
    ...["--category", "synth_pill", "--size", "32", "--width", "2", "--memory", "4"],
    ...["--division", "1,1,1", "--epochs", "2", "--batch", "4", "--backend", "wasm"],
    ...["--real-label", "0.9", "--out", run],
  ]);
  assertEquals(r.code, 0, r.err);
  assertEquals((r.err + r.out).match(/gan epoch \d: D loss/g)?.length, 2, r.err);
  const log = (await Deno.readTextFile(`${run}/log.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  const gan = log.filter((l) => l.type === "gan");
  assertEquals(gan.map((l) => l.epoch), [1, 2]);
  for (const l of gan) {
    for (const k of ["d_acc_real", "d_acc_fake", "ali_auroc"]) {
      assert(l[k] >= 0 && l[k] <= 1, `${k} = ${l[k]}`);
    }
    assert(l.d_loss > 0);
  }
  const m = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  assertEquals(m.gan.epochs.length, 2);
  assertEquals(Object.keys(m.component_auroc).sort(), ["ali", "rec"]);
  assertEquals(m.score_calibration.scale, "distance");
  // The fused score in scores.csv gives the saved image AUROC.
  const rows = (await Deno.readTextFile(`${run}/scores.csv`)).trim().split("\n").slice(1);
  const header = (await Deno.readTextFile(`${run}/scores.csv`)).split("\n")[0].split(",");
  const labelAt = header.indexOf("label"), scoreAt = header.indexOf("score");
  const labels = rows.map((r) => Number(r.split(",")[labelAt]));
  const scores = rows.map((r) => Number(r.split(",")[scoreAt]));
  assert(Math.abs(auroc(scores, labels) - m.image_auroc) < 1e-9);
  // The probe covers the whole test set here (5 images < 128): the last epoch's L(x)
  // AUROC is taken in the same evaluation mode as the component's, after training.
  assert(Math.abs(gan.at(-1).ali_auroc - m.component_auroc.ali) < 1e-6);
  // predict scores a test image alone on the saved bounds of eq. 7: the score it had
  // within the whole test set.
  const nameAt = header.indexOf("name");
  const first = rows[0].split(",");
  const p = await runTask("predict", ["--run", run, "--json", `${dir}/synth/${first[nameAt]}`]);
  assertEquals(p.code, 0, p.err);
  const predicted = JSON.parse(p.out.trim().split("\n")[0]);
  assert(
    Math.abs(predicted.score - Number(first[scoreAt])) < 1e-4,
    `${predicted.score} vs ${first[scoreAt]}`,
  );
  const config = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
  assertEquals([config.config.lr, config.config.recLoss, config.config.realLabel], [
    2e-4,
    "l2",
    0.9,
  ]);
});
