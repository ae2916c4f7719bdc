import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { trainFlags } from "../cli/sweep.ts";
import { ConfigError } from "../util/errors.ts";
import { expandSweep, flagArgs, readPlan, runNamePart, writePlan } from "./plan.ts";
import { parseSweepSpec } from "./spec.ts";

/** The train command's own flag table and parser, as `deno task sweep` passes them. */
const flags = trainFlags();

const spec = (axes: Record<string, unknown>, base: Record<string, unknown> = { data: "mnist" }) =>
  parseSweepSpec({ out: "runs/s", base, axes }, "s.json");

Deno.test("expandSweep() makes every combination, first axis outermost, with stable folders", async () => {
  const plan = await expandSweep(
    spec({ model: ["ae", "memae", "daad"], seed: [0, 1], normal: "all" }, {
      data: "mnist",
      epochs: 5,
    }),
    flags,
    { cwd: "/work/kit" },
  );
  assertEquals(plan.runs.length, 60);
  assertEquals(plan.out, "/work/kit/runs/s");
  assertEquals(plan.axes[2], { name: "normal", values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
  const r = plan.runs[13];
  assertEquals(r.index, 13);
  assertEquals(r.name, "model-ae_seed-1_normal-3");
  assertEquals(r.dir, "/work/kit/runs/s/model-ae_seed-1_normal-3");
  assertEquals(r.values, { model: "ae", seed: 1, normal: 3 });
  assertEquals(r.args, [
    "--data",
    "mnist",
    "--epochs",
    "5",
    "--model",
    "ae",
    "--seed",
    "1",
    "--normal",
    "3",
  ]);
  // The configuration is resolved as train resolves it: the mnist preset, the flags.
  assertEquals(
    [r.config.model, r.config.seed, r.config.normal, r.config.epochs, r.config.size, r.config.out],
    ["ae", 1, 3, 5, 32, r.dir],
  );
  // memae's own preset: pixel-wise memory.
  assertEquals(plan.runs[20].config.model, "memae");
  assertEquals(plan.runs[20].config.settings.division, null);
  assertEquals(plan.runs.at(-1)!.name, "model-daad_seed-1_normal-9");
  assertEquals(new Set(plan.runs.map((x) => x.dir)).size, 60);
});

Deno.test("expandSweep() names the axis, value or run at fault before anything runs", async () => {
  const bad: [ReturnType<typeof spec>, string][] = [
    [
      spec({ modle: ["ae"] }),
      `axis "modle": "modle" is not a flag of deno task train (did you mean "model"?)`,
    ],
    [
      spec({ colour: ["red"] }),
      `"colour" is not a flag of deno task train (see deno task train --help)`,
    ],
    [spec({ model: ["ae", "aee"] }), `axis "model", value aee: --model expects ae|ae-skip`],
    [spec({ epochs: [0] }), `axis "epochs", value 0: --epochs expects an integer >= 1, got '0'`],
    [spec({ division: ["2,2"] }), `--division expects 3 positive integers`],
    [spec({ out: ["a"] }), `--out cannot be set in a sweep`],
    [spec({ seed: [0] }, { resume: true }), `--resume cannot be set in a sweep`],
    [spec({ seed: [0] }, { normal: "all" }), `base "normal": "all" would make every run`],
    [
      spec({ model: ["ae", "daad"], "scale-rates": [[1, 1, 2, 2]] }),
      `run model-ae_scale-rates-1,1,2,2: --scale-rates sets the block memories`,
    ],
    [spec({ category: "all" }, { data: "mvtec" }), `axis "category": --category all needs --root`],
    [
      spec({ category: ["a/b", "a-b"] }, { data: "stripes" }),
      `two runs get the folder name category-a-b`,
    ],
  ];
  for (const [s, message] of bad) {
    await assertRejects(() => expandSweep(s, flags, { source: "s.json" }), ConfigError, message);
  }
  const e = await assertRejects(() => expandSweep(spec({ seed: [-1] }), flags), ConfigError);
  assert(e.message.startsWith('sweep s, axis "seed"'), e.message);
});

Deno.test("flagArgs() and runNamePart() write values as train takes them and as folders allow", () => {
  assertEquals(flagArgs("division", [2, 2, 1]), ["--division", "2,2,1"]);
  assertEquals(flagArgs("renorm", true), ["--renorm"]);
  assertEquals(flagArgs("renorm", false), ["--renorm=false"]);
  assertEquals(flagArgs("lr", 0.0005), ["--lr", "0.0005"]);
  assertEquals(flagArgs("seed", -1), ["--seed=-1"]);
  assertEquals(runNamePart("category", "metal_nut"), "category-metal_nut");
  assertEquals(runNamePart("root", "/data/my set"), "root--data-my-set");
  assertEquals(runNamePart("division", [4, 4, 1]), "division-4,4,1");
});

Deno.test("writePlan() and readPlan() keep the plan in the sweep folder", async () => {
  const dir = await Deno.makeTempDir();
  const plan = await expandSweep(spec({ seed: [0, 1] }), flags, { cwd: dir });
  assertEquals(await writePlan(plan), `${dir}/runs/s/plan.json`);
  assertEquals(await readPlan(`${dir}/runs/s/`), plan);
  // A sweep folder moved elsewhere still finds its runs.
  await Deno.rename(`${dir}/runs/s`, `${dir}/moved`);
  const moved = await readPlan(`${dir}/moved`);
  assertEquals([moved.out, moved.runs[1].dir], [`${dir}/moved`, `${dir}/moved/seed-1`]);
  await assertRejects(() => readPlan(dir), ConfigError, "holds no plan.json");
  await Deno.writeTextFile(`${dir}/plan.json`, "{}");
  await assertRejects(() => readPlan(dir), ConfigError, "is not a sweep plan of this kit");
  await Deno.remove(dir, { recursive: true });
});
