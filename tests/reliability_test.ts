/**
 * What happens when things go wrong, checked as a user meets it: killed runs resume
 * without loss, a NaN loss keeps the last good checkpoint, a full disk or a read-only
 * folder gets one clear message and leaves earlier results alone, broken checkpoints
 * are refused, and the same seed gives the same AUROC.
 *
 * Runs use the `cpu` backend (deterministic) and a tiny model on 16x16 MNIST.
 */
import { assert, assertEquals } from "./assert.ts";
import { readCheckpoint } from "../lib/train/checkpoint.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TINY = [
  "--backend",
  "cpu",
  "--size",
  "16",
  "--division",
  "1,1,1",
  "--width",
  "2",
  "--memory",
  "5",
  "--max-test",
  "60",
  "--max-train",
  "64",
  "--batch",
  "16",
];

interface Result {
  code: number;
  signal: string | null;
  out: string;
  err: string;
}

/**
 * Runs `train` (or another task). With `killWhen`, polled every 20 ms with the stderr
 * so far, SIGKILLs the process as soon as it returns true.
 */
async function task(
  args: string[],
  options: {
    env?: Record<string, string>;
    killWhen?: (stderr: string) => boolean;
    script?: string;
  } = {},
): Promise<Result> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}lib/cli/${options.script ?? "train"}.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  let err = "", done = false;
  const errDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) err += dec.decode(chunk);
  })();
  const watcher = (async () => {
    while (!done && options.killWhen != null) {
      if (options.killWhen(err)) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const outText = new Response(child.stdout).text();
  const status = await child.status;
  done = true;
  await Promise.all([errDone, watcher]);
  return { code: status.code, signal: status.signal, out: await outText, err };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function params(run: string): Promise<Map<string, Float32Array>> {
  const ckpt = await readCheckpoint(`${run}/checkpoint.ckpt`);
  const out = new Map<string, Float32Array>();
  for (const [k, t] of ckpt.tensors) if (k.startsWith("params/")) out.set(k, t.values);
  return out;
}

async function assertSameWeights(a: string, b: string): Promise<void> {
  const pa = await params(a), pb = await params(b);
  assertEquals([...pa.keys()], [...pb.keys()]);
  let maxDiff = 0;
  for (const [k, va] of pa) {
    const vb = pb.get(k)!;
    for (let i = 0; i < va.length; i++) maxDiff = Math.max(maxDiff, Math.abs(va[i] - vb[i]));
  }
  assert(maxDiff <= 1e-6, `largest weight difference ${maxDiff}`);
}

async function sha(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile) out[e.name] = await sha(`${dir}/${e.name}`);
  }
  return out;
}

const tmp = await Deno.makeTempDir({ prefix: "daad-reliability-" });
// The uninterrupted reference run every resume is compared with.
const reference = `${tmp}/reference`;
const refRun = await task([...TINY, "--epochs", "3", "--out", reference]);
assertEquals(refRun.code, 0, refRun.err);

Deno.test("a run killed (SIGKILL) during training resumes to the uninterrupted run's weights", async () => {
  const run = `${tmp}/killed-training`;
  // Killed as soon as epoch 1's checkpoint exists: during epoch 2.
  const killed = await task([...TINY, "--epochs", "3", "--out", run], {
    killWhen: () => exists(`${run}/checkpoint.ckpt`),
  });
  assertEquals(killed.signal, "SIGKILL", killed.err);
  const pos = (await readCheckpoint(`${run}/checkpoint.ckpt`)).meta.position as { epoch: number };
  assert(
    pos.epoch >= 1 && pos.epoch < 3,
    `killed before the end (checkpoint at epoch ${pos.epoch})`,
  );
  const resumed = await task(["--resume", "--out", run]);
  assertEquals(resumed.code, 0, resumed.err);
  assert(resumed.err.includes(`resuming from epoch ${pos.epoch}`), resumed.err);
  await assertSameWeights(run, reference);
  const m = JSON.parse(await Deno.readTextFile(`${run}/metrics.json`));
  const r = JSON.parse(await Deno.readTextFile(`${reference}/metrics.json`));
  assert(Math.abs(m.image_auroc - r.image_auroc) < 1e-6);
  // The log holds each epoch once: lines the killed process wrote after its checkpoint are gone.
  const epochs = (await Deno.readTextFile(`${run}/log.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  )
    .filter((e) => e.type === "epoch").map((e) => e.epoch);
  assertEquals(epochs, [1, 2, 3]);
});

Deno.test("a run killed while writing a checkpoint resumes from the last complete one", async () => {
  const run = `${tmp}/killed-checkpoint`;
  // Epoch 1's checkpoint is written normally; the process is killed in the middle of
  // writing epoch 2's (the hook pauses every write, so the first pause is let through).
  const pauses = (s: string) => s.split("checkpoint: paused mid-write").length - 1;
  const first = await task([...TINY, "--epochs", "3", "--out", run], {
    env: { DAAD_TEST_PAUSE_IN_CHECKPOINT_MS: "500" },
    killWhen: (s) => pauses(s) >= 2,
  });
  assertEquals(first.signal, "SIGKILL", first.err);
  assertEquals(pauses(first.err), 2);
  const leftovers = [...Deno.readDirSync(run)].map((e) => e.name);
  assert(
    leftovers.some((n) => n.endsWith(".tmp")),
    `a partial temporary file is left: ${leftovers}`,
  );
  const ckpt = await readCheckpoint(`${run}/checkpoint.ckpt`); // complete and verified
  assertEquals((ckpt.meta.position as { epoch: number }).epoch, 1);
  const resumed = await task(["--resume", "--out", run]);
  assertEquals(resumed.code, 0, resumed.err);
  await assertSameWeights(run, reference);
});

Deno.test("a NaN loss stops the run with a message and keeps the last good checkpoint", async () => {
  const run = `${tmp}/nan`;
  const r = await task([...TINY, "--epochs", "3", "--out", run], {
    env: { DAAD_TEST_NAN_AT_STEP: "6" },
  });
  assertEquals(r.code, 1);
  assert(r.err.includes("error: loss 'total' became NaN at epoch 2, step 6"), r.err);
  assert(r.err.includes("--lr"), r.err);
  const ckpt = await readCheckpoint(`${run}/checkpoint.ckpt`);
  assertEquals((ckpt.meta.position as { epoch: number }).epoch, 1);
  for (const t of ckpt.tensors.values()) assert(t.values.every(Number.isFinite));
  await assertSameWeightsAtEpoch1(run);
  await Deno.stat(`${run}/metrics.json`).then(
    () => assert(false, "no metrics.json for a failed run"),
    () => {},
  );
});

async function assertSameWeightsAtEpoch1(run: string): Promise<void> {
  const oneEpoch = `${tmp}/one-epoch`;
  try {
    await Deno.stat(`${oneEpoch}/checkpoint.ckpt`);
  } catch {
    const r = await task([...TINY, "--epochs", "1", "--out", oneEpoch]);
    assertEquals(r.code, 0, r.err);
  }
  await assertSameWeights(run, oneEpoch);
}

Deno.test("the same seed gives the same AUROC on cpu, another seed another", async () => {
  const a = `${tmp}/seed-a`, b = `${tmp}/seed-b`;
  for (const [out, seed] of [[a, "0"], [b, "1"]]) {
    const r = await task([...TINY, "--epochs", "3", "--seed", seed, "--out", out]);
    assertEquals(r.code, 0, r.err);
  }
  const ma = JSON.parse(await Deno.readTextFile(`${a}/metrics.json`));
  const mr = JSON.parse(await Deno.readTextFile(`${reference}/metrics.json`));
  const mb = JSON.parse(await Deno.readTextFile(`${b}/metrics.json`));
  assert(
    Math.abs(ma.image_auroc - mr.image_auroc) <= 1e-6,
    `${ma.image_auroc} vs ${mr.image_auroc}`,
  );
  assert(Math.abs(mb.image_auroc - mr.image_auroc) > 1e-6, "seed 1 differs from seed 0");
});

Deno.test("a truncated or corrupted checkpoint is refused by --resume and eval, naming the file", async () => {
  const run = `${tmp}/truncated`;
  await Deno.mkdir(run);
  for (const f of ["config.json", "checkpoint.ckpt", "log.jsonl"]) {
    await Deno.copyFile(`${reference}/${f}`, `${run}/${f}`);
  }
  const bytes = await Deno.readFile(`${run}/checkpoint.ckpt`);
  await Deno.writeFile(`${run}/checkpoint.ckpt`, bytes.slice(0, Math.floor(bytes.length * 0.6)));
  for (
    const [script, args] of [["train", ["--resume", "--out", run]], ["eval", [
      "--run",
      run,
    ]]] as const
  ) {
    const r = await task([...args], { script });
    assertEquals(r.code, 1, `${script}: ${r.err}`);
    assert(r.err.includes(`${run}/checkpoint.ckpt is truncated`), `${script}: ${r.err}`);
  }
  bytes[bytes.length - 5] ^= 0x55;
  await Deno.writeFile(`${run}/checkpoint.ckpt`, bytes);
  const r = await task(["--run", run], { script: "eval" });
  assert(r.code === 1 && r.err.includes("corrupted (checksum mismatch)"), r.err);
});

Deno.test("a --run folder whose checkpoint belongs to another model is refused with a message", async () => {
  const run = `${tmp}/foreign`;
  await Deno.mkdir(run);
  await Deno.copyFile(`${reference}/checkpoint.ckpt`, `${run}/checkpoint.ckpt`);
  const record = JSON.parse(await Deno.readTextFile(`${reference}/config.json`));
  record.config.model = "ae";
  record.model_config.variant = "ae";
  await Deno.writeTextFile(`${run}/config.json`, JSON.stringify(record));
  const r = await task(["--run", run], { script: "eval" });
  assertEquals(r.code, 1, r.err);
  assert(r.err.includes("does not fit the model its config.json describes"), r.err);
});

Deno.test("a read-only output folder gets one clear message and earlier runs are untouched", async () => {
  const parent = `${tmp}/readonly`;
  await Deno.mkdir(`${parent}/earlier`, { recursive: true });
  for (const f of ["config.json", "checkpoint.ckpt", "metrics.json"]) {
    await Deno.copyFile(`${reference}/${f}`, `${parent}/earlier/${f}`);
  }
  const before = await treeHashes(`${parent}/earlier`);
  // Root ignores permission bits: make the folder immutable instead.
  const root = Deno.uid() === 0;
  const lock = root ? ["chattr", "+i", parent] : ["chmod", "555", parent];
  const unlock = root ? ["chattr", "-i", parent] : ["chmod", "755", parent];
  const locked = await new Deno.Command(lock[0], { args: lock.slice(1) }).output();
  assert(
    locked.success,
    `cannot make ${parent} read-only with ${lock.join(" ")}: ${
      new TextDecoder().decode(locked.stderr)
    }`,
  );
  try {
    const probe = await Deno.writeTextFile(`${parent}/probe`, "x").then(() => true, () => false);
    assert(!probe, "the folder is really read-only");
    const r = await task([...TINY, "--epochs", "1", "--out", `${parent}/new`]);
    assertEquals(r.code, 1, r.err);
    assert(r.err.includes(`cannot write to run folder ${parent}/new`), r.err);
    assert(!r.err.includes("    at "), "no stack trace");
  } finally {
    await new Deno.Command(unlock[0], { args: unlock.slice(1) }).output();
  }
  assertEquals(await treeHashes(`${parent}/earlier`), before);
});

Deno.test("a full disk gets one clear message; the last checkpoint and earlier runs are untouched", async () => {
  const probe = await new Deno.Command("unshare", { args: ["-m", "true"] }).output().catch(() =>
    null
  );
  assert(
    probe?.success,
    "this test needs `unshare -m` (util-linux) and mount rights to make a small tmpfs",
  );
  const disk = `${tmp}/disk`;
  await Deno.mkdir(disk);
  const ckptBytes = (await Deno.stat(`${reference}/checkpoint.ckpt`)).size;
  // Room for an earlier run's checkpoint and the new run's first one (written beside it
  // as a temporary file, then renamed), but not for the second checkpoint's temporary
  // file beside the first: atomic writes need old and new at once.
  const sizeKb = Math.ceil((2.5 * ckptBytes + 64 * 1024) / 1024);
  const script = `
    set -e
    mount -t tmpfs -o size=${sizeKb}k tmpfs ${disk}
    mkdir ${disk}/earlier
    cp ${reference}/config.json ${reference}/checkpoint.ckpt ${reference}/metrics.json ${disk}/earlier/
    sha256sum ${disk}/earlier/* > ${disk}/before.txt
    set +e
    "${Deno.execPath()}" run -A ${ROOT}lib/cli/train.ts ${
    TINY.join(" ")
  } --epochs 3 --out ${disk}/new
    echo "exit=$?"
    sha256sum ${disk}/earlier/* | diff - ${disk}/before.txt && echo "earlier=untouched"
    "${Deno.execPath()}" eval --config ${ROOT}deno.json 'import { readCheckpoint } from "${ROOT}lib/train/checkpoint.ts";
      const c = await readCheckpoint("${disk}/new/checkpoint.ckpt"); console.log("checkpoint-epoch=" + c.meta.position.epoch);'
    ls ${disk}/new
  `;
  const r = await new Deno.Command("unshare", {
    args: ["-m", "sh", "-c", script],
    env: { NO_COLOR: "1" },
  }).output();
  const out = new TextDecoder().decode(r.stdout), err = new TextDecoder().decode(r.stderr);
  assert(out.includes("exit=1"), `${out}\n${err}`);
  assert(err.includes("no space left on the device"), err);
  assert(!err.includes("    at "), "no stack trace");
  assert(out.includes("earlier=untouched"), out);
  assert(out.includes("checkpoint-epoch=1"), out);
  assert(!/\.tmp\b/.test(out.split("checkpoint-epoch")[1] ?? ""), `no temporary file left: ${out}`);
});
