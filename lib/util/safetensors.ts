/**
 * The safetensors file format (Hugging Face), for float32 tensors: what PyTorch users
 * load with `safetensors.torch.load_file`, and simple enough to read without it.
 *
 * Layout: an unsigned 64-bit little-endian header size N; N bytes of UTF-8 JSON, padded
 * with spaces to a multiple of 8 bytes, mapping each tensor name to
 * `{ "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }` (byte offsets into
 * the data that follows the header) and an optional `"__metadata__"` of string values;
 * then the tensors' bytes, row-major, little-endian, back to back with no gap.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   new Map([["w", { shape: [2], values: Float32Array.of(1, 2) }]]),
 *   { format: "pt" },
 * );
 * const back = decodeSafetensors(bytes);
 * console.log(back.tensors.get("w")!.values, back.metadata); // Float32Array [1, 2] { format: "pt" }
 * ```
 * @module
 */

/** A tensor's shape and float32 values (row-major). */
export interface SafetensorsTensor {
  shape: number[];
  values: Float32Array;
}

/** What a safetensors file holds. */
export interface SafetensorsContent {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Raised for a file that is not valid safetensors (or holds other dtypes than F32). */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const METADATA = "__metadata__";

/** Serialises float32 tensors (in the map's order) and string metadata to safetensors bytes. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new SafetensorsError(`metadata '${k}' must be a string, got ${typeof v}`);
      }
    }
    header[METADATA] = metadata;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA) throw new SafetensorsError(`'${METADATA}' cannot name a tensor`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0) || size !== t.values.length) {
      throw new SafetensorsError(
        `tensor '${name}': shape [${t.shape}] does not hold its ${t.values.length} values`,
      );
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const length = encoder.encode(json).length;
  json += " ".repeat((8 - (length % 8)) % 8);
  const head = encoder.encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.values.length; i++, at += 4) view.setFloat32(at, t.values[i], true);
  }
  return out;
}

/** Reads safetensors bytes holding F32 tensors; throws {@linkcode SafetensorsError} naming the problem. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContent {
  if (bytes.length < 8) {
    throw new SafetensorsError(`${bytes.length} bytes: too short for a safetensors header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(`header of ${n} bytes is longer than the file (${bytes.length})`);
  }
  const headerEnd = 8 + Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, headerEnd)),
    );
  } catch (e) {
    throw new SafetensorsError(`header is not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (header == null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError("header is not a JSON object");
  }
  const dataLength = bytes.length - headerEnd;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA) {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") throw new SafetensorsError(`metadata '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info.dtype !== "F32") {
      throw new SafetensorsError(`tensor '${name}' has dtype ${info.dtype}; only F32 is read`);
    }
    const shape = info.shape as number[];
    const offsets = info.data_offsets as number[];
    if (
      !Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0) ||
      !Array.isArray(offsets) || offsets.length !== 2 ||
      offsets.some((o) => !Number.isInteger(o) || o < 0)
    ) {
      throw new SafetensorsError(`tensor '${name}': bad shape or data_offsets`);
    }
    const [begin, end] = offsets;
    const size = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * size || end > dataLength) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets [${begin}, ${end}] do not fit shape [${shape}] ` +
          `in ${dataLength} data bytes`,
      );
    }
    entries.push({ name, shape, begin, end });
  }
  // The data must be covered exactly: no overlap, no gap, nothing after the last tensor.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) {
      throw new SafetensorsError(
        `tensor '${e.name}' starts at byte ${e.begin}, expected ${expected}`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw new SafetensorsError(`${dataLength - expected} data bytes belong to no tensor`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const values = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < values.length; i++) {
      values[i] = view.getFloat32(headerEnd + e.begin + 4 * i, true);
    }
    tensors.set(e.name, { shape: e.shape, values });
  }
  return { tensors, metadata };
}
