/**
 * Checkpoint files: one binary file holding named float32 tensors and a JSON header
 * (configuration, epoch, optimizer step...), written atomically.
 *
 * Layout: "DAADCKPT" | u32 version | u32 header bytes | header JSON (padded to 4 bytes)
 * | float32 data. The header lists each tensor's name, shape and offset, the data size
 * and its SHA-256, so a truncated or corrupted file is refused with a message naming it.
 *
 * Writes go to a temporary file in the same folder, are flushed to disk, then renamed
 * over the old checkpoint: a run killed while writing leaves the previous checkpoint.
 *
 * What training keeps in one ({@linkcode saveTrainingState},
 * {@linkcode restoreTrainingState}): every parameter of the model (`params/<name>`), each
 * objective's Adam moments (`opt/<objective>/<name>`) and step, the position (epoch,
 * batch, step), the epoch history, and the run's metadata that a resumed run must match
 * ({@linkcode checkSameRun}).
 * @module
 */
import type { TensorData } from "../nn/params.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { checkpointPauseMs } from "../util/test_hooks.ts";
import { NonFiniteLossError, ResumeError } from "./errors.ts";
import { describeIoError, type RunDir, RunDirError } from "./run_dir.ts";
import type { CurvePoint, EpochStats, TrainableModel } from "./trainer.ts";

const MAGIC = "DAADCKPT";
const VERSION = 1;

/** What a checkpoint holds. */
export interface Checkpoint {
  /** JSON-serialisable metadata. */
  meta: Record<string, unknown>;
  /** Named tensors. */
  tensors: Map<string, TensorData>;
}

/** Raised for a missing, truncated, corrupted or foreign checkpoint file. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

interface Header {
  meta: Record<string, unknown>;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  dataBytes: number;
  sha256: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Serialises a checkpoint to bytes. */
export async function encodeCheckpoint(ckpt: Checkpoint): Promise<Uint8Array> {
  let total = 0;
  const entries: Header["tensors"] = [];
  for (const [name, t] of ckpt.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) {
      throw new CheckpointError(
        `tensor '${name}': shape [${t.shape}] has ${size} values, got ${t.values.length}`,
      );
    }
    entries.push({ name, shape: t.shape, offset: total, length: size });
    total += size;
  }
  const data = new Float32Array(total);
  for (const [i, t] of [...ckpt.tensors.values()].entries()) data.set(t.values, entries[i].offset);
  const dataBytes = new Uint8Array(data.buffer);
  const header: Header = {
    meta: ckpt.meta,
    tensors: entries,
    dataBytes: dataBytes.length,
    sha256: await sha256Hex(dataBytes),
  };
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((16 + headerBytes.length) % 4)) % 4;
  if (pad > 0) {
    const padded = new Uint8Array(headerBytes.length + pad).fill(0x20); // trailing spaces
    padded.set(headerBytes);
    headerBytes = padded;
  }
  const out = new Uint8Array(16 + headerBytes.length + dataBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  out.set(dataBytes, 16 + headerBytes.length);
  return out;
}

/** Parses bytes written by {@linkcode encodeCheckpoint}; `source` names the file in errors. */
export async function decodeCheckpoint(
  bytes: Uint8Array,
  source = "checkpoint",
): Promise<Checkpoint> {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointError(`${source} is not a checkpoint of this kit (bad magic bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new CheckpointError(`${source} has format version ${version}; this kit reads ${VERSION}`);
  }
  const headerLen = view.getUint32(12, true);
  if (16 + headerLen > bytes.length) {
    throw new CheckpointError(`${source} is truncated (header cut off)`);
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLen)));
  } catch {
    throw new CheckpointError(`${source} has a corrupted header`);
  }
  const start = 16 + headerLen;
  if (bytes.length - start !== header.dataBytes) {
    throw new CheckpointError(
      `${source} is truncated or padded: ${
        bytes.length - start
      } data bytes, expected ${header.dataBytes}`,
    );
  }
  const dataBytes = bytes.slice(start);
  if ((await sha256Hex(dataBytes)) !== header.sha256) {
    throw new CheckpointError(`${source} is corrupted (checksum mismatch)`);
  }
  const data = new Float32Array(dataBytes.buffer);
  const tensors = new Map<string, TensorData>();
  for (const e of header.tensors) {
    tensors.set(e.name, { shape: e.shape, values: data.slice(e.offset, e.offset + e.length) });
  }
  return { meta: header.meta, tensors };
}

/** Writes a checkpoint file atomically. */
export async function writeCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(ckpt), checkpointPauseMs());
}

/** Reads and verifies a checkpoint file. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CheckpointError(`no checkpoint at ${path}`);
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  return await decodeCheckpoint(bytes, path);
}

/** Where training stands: what a checkpoint records to resume exactly. */
export interface TrainingPosition {
  /** Completed epochs. */
  epoch: number;
  /** Batches done in the current (incomplete) epoch. */
  batch: number;
  step: number;
}

function allFinite(state: Map<string, TensorData>): string | null {
  for (const [name, t] of state) {
    for (let i = 0; i < t.values.length; i++) {
      if (!Number.isFinite(t.values[i])) return name;
    }
  }
  return null;
}

export async function saveTrainingState(
  model: TrainableModel,
  dir: RunDir,
  pos: TrainingPosition,
  meta: Record<string, unknown>,
  history: EpochStats[],
  curve: CurvePoint[] = [],
): Promise<void> {
  const tensors = new Map<string, TensorData>();
  const params = await model.params.snapshot();
  const bad = allFinite(params);
  if (bad != null) {
    throw new NonFiniteLossError(
      `parameter '${bad}' is not finite at epoch ${pos.epoch}; the last good checkpoint is kept`,
    );
  }
  for (const [k, v] of params) tensors.set(`params/${k}`, v);
  const optSteps: Record<string, number> = {};
  for (const obj of model.objectives) {
    const st = await obj.optimizer.state();
    optSteps[obj.name] = st.step;
    for (const [k, v] of st.moments) tensors.set(`opt/${obj.name}/${k}`, v);
  }
  try {
    await writeCheckpoint(dir.checkpointPath, {
      meta: { ...meta, position: pos, optimizerSteps: optSteps, history, curve },
      tensors,
    });
  } catch (e) {
    throw new RunDirError(`cannot write checkpoint ${dir.checkpointPath}: ${describeIoError(e)}`);
  }
}

/** Restores model and optimizer state from a checkpoint; returns the saved position. */
export function restoreTrainingState(
  model: TrainableModel,
  ckpt: Checkpoint,
): { position: TrainingPosition; history: EpochStats[]; curve: CurvePoint[] } {
  const pick = (prefix: string) => {
    const out = new Map<string, TensorData>();
    for (const [k, v] of ckpt.tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  };
  model.params.load(pick("params/"));
  const steps = (ckpt.meta.optimizerSteps ?? {}) as Record<string, number>;
  for (const obj of model.objectives) {
    obj.optimizer.load({ step: steps[obj.name] ?? 0, moments: pick(`opt/${obj.name}/`) });
  }
  return {
    position: ckpt.meta.position as TrainingPosition,
    history: (ckpt.meta.history ?? []) as EpochStats[],
    curve: (ckpt.meta.curve ?? []) as CurvePoint[],
  };
}

/** Compares the saved run metadata with this run's; names the first difference. */
export function checkSameRun(
  saved: Record<string, unknown>,
  current: Record<string, unknown>,
): void {
  const a = JSON.stringify(saved.config ?? null), b = JSON.stringify(current.config ?? null);
  if (a !== b) {
    throw new ResumeError(
      `the checkpoint was written by a run with another configuration; resume with the same ` +
        `flags (saved: ${a}; now: ${b})`,
    );
  }
}
