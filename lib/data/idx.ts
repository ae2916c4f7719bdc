/**
 * The IDX file format of MNIST (and Fashion-MNIST, KMNIST, EMNIST): a 4-byte magic
 * number `0x00 0x00 <type> <rank>`, `rank` big-endian uint32 dimensions, then the
 * values in row-major order. The kit reads unsigned-byte files (type 0x08), plain or
 * gzip-compressed.
 *
 * @example
 * ```ts
 * import { encodeIdx, parseIdx } from "./idx.ts";
 * const bytes = encodeIdx([2, 2], Uint8Array.from([1, 2, 3, 4]));
 * const t = parseIdx(bytes, "tiny");
 * console.log(t.dims, t.data); // [2, 2] Uint8Array [1, 2, 3, 4]
 * ```
 * @module
 */
import { gunzipSync } from "node:zlib";
import { DatasetError } from "./errors.ts";

/** An unsigned-byte IDX tensor. */
export interface IdxTensor {
  /** Dimensions, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/** IDX type code of unsigned bytes: the only type MNIST-style files use. */
const UBYTE = 0x08;

/**
 * Parses IDX bytes (already decompressed). `name` (the file) is named in every error:
 * a wrong magic number, a type other than unsigned byte, a truncated or over-long file.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxTensor {
  if (bytes.length < 4) {
    throw new DatasetError(`${name}: not an IDX file (${bytes.length} bytes, no header)`);
  }
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetError(`${name}: wrong magic number 0x${hex} (an IDX file starts 0x0000)`);
  }
  if (bytes[2] !== UBYTE) {
    throw new DatasetError(
      `${name}: IDX type 0x${bytes[2].toString(16)} in magic 0x${hex}; only unsigned bytes ` +
        `(0x08) are read`,
    );
  }
  const rank = bytes[3];
  if (rank < 1) throw new DatasetError(`${name}: magic 0x${hex} declares no dimensions`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    throw new DatasetError(`${name}: truncated header (${bytes.length} of ${header} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - header;
  if (have < count) {
    throw new DatasetError(
      `${name}: truncated: dimensions ${dims.join("x")} need ${count} bytes of data, ` +
        `the file has ${have}`,
    );
  }
  if (have > count) {
    throw new DatasetError(
      `${name}: ${have - count} bytes after the ${dims.join("x")} values (not an IDX file?)`,
    );
  }
  return { dims, data: bytes.subarray(header, header + count) };
}

/** Whether bytes start with the gzip magic 0x1f 0x8b. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads and parses an IDX file, gunzipping it when it is gzip-compressed. */
export async function readIdxFile(path: string): Promise<IdxTensor> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new DatasetError(`${path}: cannot read (${(e as Error).message})`);
  }
  if (isGzip(bytes)) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new DatasetError(`${path}: broken gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
}

/** Encodes an unsigned-byte IDX file (for tests and for writing small sets). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`dimensions ${dims.join("x")} need ${count} values, got ${data.length}`);
  }
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
