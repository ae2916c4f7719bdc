import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import {
  type Checkpoint,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  writeFileAtomic,
} from "./checkpoint.ts";

const sample = (): Checkpoint => ({
  meta: { epoch: 3, config: { model: "daad" }, note: "ünïcode" },
  tensors: new Map([
    ["a", { shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ["b", { shape: [], values: Float32Array.from([-0.25]) }],
    ["c", { shape: [1, 1, 2], values: Float32Array.from([Math.PI, 1e-30]) }],
  ]),
});

Deno.test("checkpoints round-trip tensors bit for bit and metadata exactly", async () => {
  const back = await decodeCheckpoint(await encodeCheckpoint(sample()));
  assertEquals(back.meta, sample().meta);
  for (const [k, t] of sample().tensors) {
    assertEquals(back.tensors.get(k)!.shape, t.shape);
    assertEquals(Array.from(back.tensors.get(k)!.values), Array.from(t.values));
  }
});

Deno.test("a truncated, corrupted or foreign file is refused with a message naming it", async () => {
  const bytes = await encodeCheckpoint(sample());
  await assertRejects(
    () => decodeCheckpoint(bytes.slice(0, bytes.length - 3), "x.ckpt"),
    CheckpointError,
    "x.ckpt is truncated",
  );
  await assertRejects(
    () => decodeCheckpoint(bytes.slice(0, 20), "x.ckpt"),
    CheckpointError,
    "truncated",
  );
  const flipped = bytes.slice();
  flipped[flipped.length - 2] ^= 0xff;
  await assertRejects(() => decodeCheckpoint(flipped, "x.ckpt"), CheckpointError, "checksum");
  await assertRejects(
    () => decodeCheckpoint(new TextEncoder().encode('{"weights": []}'), "w.json"),
    CheckpointError,
    "not a checkpoint",
  );
  await assertRejects(
    () => decodeCheckpoint(new Uint8Array(0), "empty"),
    CheckpointError,
    "not a checkpoint",
  );
  await assertRejects(
    () => readCheckpoint("/nonexistent/dir/c.ckpt"),
    CheckpointError,
    "no checkpoint at",
  );
});

Deno.test("writeCheckpoint() replaces the file atomically and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/c.ckpt`;
  await writeCheckpoint(path, sample());
  const second = sample();
  second.meta.epoch = 4;
  await writeCheckpoint(path, second);
  assertEquals((await readCheckpoint(path)).meta.epoch, 4);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["c.ckpt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failed atomic write keeps the previous file intact", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/c.ckpt`;
  await writeCheckpoint(path, sample());
  // Renaming onto a directory fails after the temporary file is written.
  const target = `${dir}/sub`;
  await Deno.mkdir(`${target}/x`, { recursive: true });
  await assertRejects(() => writeFileAtomic(target, new Uint8Array([1, 2, 3])));
  assertEquals((await readCheckpoint(path)).meta.epoch, 3);
  assert(
    ![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".tmp")),
    "temporary file removed",
  );
  await Deno.remove(dir, { recursive: true });
});
