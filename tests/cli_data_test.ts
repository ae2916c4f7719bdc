/**
 * `deno task data` as a user runs it: `synth` writes a loadable MVTec-layout set that
 * says it is synthetic, replaces only its own previous output, and bad input gets one
 * clear message and a non-zero exit code.
 */
import { loadMvtecCategory } from "../lib/data/mvtec.ts";
import { encodePng } from "../lib/data/image_io.ts";
import { assert, assertEquals } from "./assert.ts";
import { runTask } from "./cli_helpers.ts";

const data = (args: string[]) => runTask("data", args);

const SMALL = ["--size", "16", "--n-train", "3", "--n-test-good", "2", "--n-test-defect", "1"];

Deno.test("data synth writes a loadable MVTec-layout set, says it is synthetic, and replaces only its own output", async () => {
  const tmp = await Deno.makeTempDir();
  const out = `${tmp}/set`;
  const r = await data(["synth", "--out", out, ...SMALL, "--categories", "synth_pill"]);
  assertEquals(r.code, 0, r.err);
  assert(r.out.includes(`wrote a SYNTHETIC data set in the MVTec AD layout to ${out}`), r.out);
  assert(r.out.includes("synth_pill   object, RGB: 3 train, 2 good + 3 defective"), r.out);
  assertEquals([...Deno.readDirSync(out)].map((e) => e.name).sort(), ["README.txt", "synth_pill"]);
  const d = await loadMvtecCategory({ root: out, category: "synth_pill", size: 16 });
  assertEquals([d.train.n, d.test.n, d.train.channels], [3, 5, 3]);
  const first = await Deno.readFile(`${out}/synth_pill/test/hole/000.png`);

  // Its own previous output is replaced (and said so); the same seed writes the same bytes.
  const again = await data(["synth", "--out", out, ...SMALL, "--seed", "0"]);
  assertEquals(again.code, 0, again.err);
  assert(again.out.includes(`replacing the previous synthetic set in ${out}`), again.out);
  assertEquals(await Deno.readFile(`${out}/synth_pill/test/hole/000.png`), first);
  assert(Deno.statSync(`${out}/synth_weave/train/good/002.png`).isFile);

  // Anything else that is not empty is refused, and left as it was.
  await Deno.writeTextFile(`${tmp}/notes.txt`, "mine");
  const refused = await data(["synth", "--out", tmp, ...SMALL]);
  assertEquals(refused.code, 1);
  assert(
    refused.err.includes(
      `error: ${tmp} is not empty and is not a synthetic set written by this kit`,
    ),
    refused.err,
  );
  assert(!refused.err.includes("    at "), refused.err);
  assertEquals(await Deno.readTextFile(`${tmp}/notes.txt`), "mine");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("data answers bad input with one message naming the problem and a non-zero exit", async () => {
  const cases: [string[], number, string][] = [
    [[], 2, "data needs a subcommand: synth"],
    [["mix"], 2, "unknown subcommand 'mix' (available: synth, textures)"],
    [["synth"], 2, "synth needs --out DIR"],
    [
      ["synth", "--out", "/tmp/x", "--categories", "bottle"],
      2,
      "--categories expects names from synth_weave,synth_pill, got 'bottle'",
    ],
    [["synth", "--out", "/tmp/x", "--size", "8"], 2, "--size expects an integer >= 16, got '8'"],
    [["synth", "--out", "/tmp/x", "--frobnicate"], 2, "unknown flag --frobnicate"],
  ];
  for (const [args, code, message] of cases) {
    const r = await data(args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert(r.err.includes(message), `${args.join(" ")}: expected '${message}' in: ${r.err}`);
    assert(!r.err.includes("    at "), `${args.join(" ")}: no stack trace: ${r.err}`);
  }
});

Deno.test("data --help lists the subcommand, the flags and the categories", async () => {
  const r = await data(["--help"]);
  assertEquals(r.code, 0, r.err);
  for (
    const s of [
      "Usage: deno task data synth|textures --out DIR",
      "--n-train",
      "--seed",
      "synth_weave",
      "not MVTec AD",
    ]
  ) {
    assert(r.out.includes(s), `help mentions ${s}: ${r.out}`);
  }
});

Deno.test("data textures writes photographed textures with drawn defects in the MVTec layout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/photos`);
    const px = Uint8Array.from({ length: 256 * 256 }, (_, k) => (k * 7919) % 251);
    await Deno.writeFile(`${dir}/photos/stone.png`, await encodePng(px, 256, 256, 1));
    const args = ["textures", "--out", `${dir}/set`, "--from", `${dir}/photos`, "--textures"];
    const r = await runTask("data", [
      ...args,
      "stone",
      ...["--size", "16", "--crop", "64", "--n-train", "3", "--n-test-good", "2"],
      ...["--n-test-defect", "1"],
    ]);
    assertEquals(r.code, 0, r.err);
    const set = await loadMvtecCategory({ root: `${dir}/set`, category: "stone", size: 16 });
    assertEquals([set.train.n, set.test.n], [3, 5]);
    const missing = await runTask("data", [
      ...["textures", "--out", `${dir}/other`, "--from", `${dir}/photos`, "--textures", "sand"],
    ]);
    assertEquals(missing.code, 1);
    assert(missing.err.includes("sand.png not found"), missing.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
