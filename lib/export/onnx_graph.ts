/**
 * A small builder for ONNX graphs: named float32 initializers, nodes of standard
 * operators with their attributes, typed inputs and outputs, and the model's
 * `metadata_props`; {@linkcode OnnxGraph.encode} writes the ModelProto with the
 * `onnx-proto` package (protobufjs code generated from onnx.proto), so no byte of the
 * protobuf wire format is written here.
 *
 * Opset {@linkcode ONNX_OPSET} is the lowest that serves the kit's graphs: Softmax
 * normalising along one axis and ReduceSum taking its axes as an input are opset 13's.
 * IR version 8 is the one that opset belongs with in ONNX's releases (1.10-1.12), which
 * every current runtime reads.
 *
 * @example
 * ```ts
 * import { OnnxGraph } from "./onnx_graph.ts";
 * const g = new OnnxGraph("double");
 * const x = g.input("x", ["batch", 3]);
 * g.output(g.op("Mul", [x, g.scalar(2)], {}, "y"), ["batch", 3]);
 * const bytes = g.encode({ producer: "example" });
 * console.log(bytes.length > 0); // true
 * ```
 * @module
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The operator set the kit's graphs use (default domain). */
export const ONNX_OPSET = 13;

/** The ONNX IR version written (ONNX 1.10-1.12, whose newest opsets include 13). */
export const ONNX_IR_VERSION = 8;

/** ONNX's element type numbers (TensorProto.DataType). */
const FLOAT = 1, INT64 = 7;

/** An attribute value: a float, an int, a string, or a list of ints or floats. */
export type AttrValue =
  | { f: number }
  | { i: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] };

/** A dimension: a fixed size, or a name for a size fixed only at run time ("batch"). */
export type Dim = number | string;

interface Node {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  name: string;
}

interface Initializer {
  name: string;
  dims: number[];
  type: typeof FLOAT | typeof INT64;
  raw: Uint8Array;
}

interface ValueInfo {
  name: string;
  dims: Dim[];
  doc?: string;
}

/** What {@linkcode OnnxGraph.encode} writes besides the graph. */
export interface ModelInfo {
  /** `producer_name`. */
  producer: string;
  /** `producer_version`. */
  version?: string;
  /** `doc_string` of the model. */
  doc?: string;
  /** `metadata_props`, in this order. */
  metadata?: Record<string, string>;
}

/** Raised when a graph is built wrongly (a shape that does not fit, a name used twice). */
export class OnnxGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxGraphError";
  }
}

function littleEndian(values: Float32Array | BigInt64Array): Uint8Array {
  // Typed arrays are in the platform's byte order; ONNX's raw_data is little-endian.
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else values.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return bytes;
}

/** An ONNX graph under construction. */
export class OnnxGraph {
  readonly #nodes: Node[] = [];
  readonly #initializers = new Map<string, Initializer>();
  readonly #inputs: ValueInfo[] = [];
  readonly #outputs: ValueInfo[] = [];
  readonly #used = new Set<string>();
  readonly #scalars = new Map<string, string>();
  #counter = 0;

  constructor(readonly name: string) {}

  #fresh(hint: string): string {
    let name = hint;
    while (this.#used.has(name)) name = `${hint}_${++this.#counter}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a float32 graph input. */
  input(name: string, dims: Dim[], doc?: string): string {
    if (this.#used.has(name)) throw new OnnxGraphError(`name '${name}' is used twice`);
    this.#used.add(name);
    this.#inputs.push({ name, dims, doc });
    return name;
  }

  /** Declares the value `name` a float32 graph output. */
  output(name: string, dims: Dim[], doc?: string): void {
    if (!this.#used.has(name)) throw new OnnxGraphError(`output '${name}' is not computed`);
    this.#outputs.push({ name, dims, doc });
  }

  /** A float32 initializer of shape `dims` (row-major `values`). */
  constant(hint: string, values: Float32Array, dims: number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) {
      throw new OnnxGraphError(`initializer '${hint}': ${values.length} values for [${dims}]`);
    }
    const name = this.#fresh(hint);
    this.#initializers.set(name, { name, dims, type: FLOAT, raw: littleEndian(values) });
    return name;
  }

  /** A float32 scalar initializer (shared by every use of the same value). */
  scalar(value: number): string {
    const key = `f${Math.fround(value)}`;
    let name = this.#scalars.get(key);
    if (name == null) {
      name = this.constant("const", Float32Array.of(value), []);
      this.#scalars.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 initializer (shapes for Reshape, axes for ReduceSum). */
  ints(values: readonly number[]): string {
    const key = `i${values.join(",")}`;
    let name = this.#scalars.get(key);
    if (name == null) {
      name = this.#fresh("ints");
      this.#initializers.set(name, {
        name,
        dims: [values.length],
        type: INT64,
        raw: littleEndian(BigInt64Array.from(values, (v) => BigInt(v))),
      });
      this.#scalars.set(key, name);
    }
    return name;
  }

  /**
   * Adds a node of operator `opType` on `inputs` ("" for an omitted optional input) and
   * returns its output's name (`hint`, made unique).
   */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    hint: string = opType.toLowerCase(),
  ): string {
    for (const i of inputs) {
      if (i !== "" && !this.#used.has(i)) {
        throw new OnnxGraphError(`${opType} reads '${i}', which nothing computes`);
      }
    }
    const out = this.#fresh(hint);
    this.#nodes.push({ opType, inputs, outputs: [out], attrs, name: `${out}_node` });
    return out;
  }

  /** Nodes so far, by operator (for tests and the export's summary). */
  operatorCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.#nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
    return counts;
  }

  /** Scalars held by the initializers (the weights' size). */
  parameterCount(): number {
    let n = 0;
    for (const i of this.#initializers.values()) n += i.dims.reduce((a, b) => a * b, 1);
    return n;
  }

  /** The model as ONNX protobuf bytes. */
  encode(info: ModelInfo): Uint8Array {
    if (this.#outputs.length === 0) throw new OnnxGraphError("the graph has no output");
    const valueInfo = (v: ValueInfo, type: number) => ({
      name: v.name,
      docString: v.doc ?? "",
      type: {
        tensorType: {
          elemType: type,
          shape: {
            dim: v.dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }),
          },
        },
      },
    });
    const attribute = (name: string, v: AttrValue) => {
      const T = onnx.AttributeProto.AttributeType;
      if ("f" in v) return { name, type: T.FLOAT, f: v.f };
      if ("i" in v) return { name, type: T.INT, i: v.i };
      if ("s" in v) return { name, type: T.STRING, s: new TextEncoder().encode(v.s) };
      if ("ints" in v) return { name, type: T.INTS, ints: v.ints };
      return { name, type: T.FLOATS, floats: v.floats };
    };
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      producerName: info.producer,
      producerVersion: info.version ?? "",
      docString: info.doc ?? "",
      opsetImport: [{ domain: "", version: ONNX_OPSET }],
      metadataProps: Object.entries(info.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.#nodes.map((n) => ({
          name: n.name,
          opType: n.opType,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
        })),
        initializer: [...this.#initializers.values()].map((i) => ({
          name: i.name,
          dims: i.dims,
          dataType: i.type,
          rawData: i.raw,
        })),
        input: this.#inputs.map((v) => valueInfo(v, FLOAT)),
        output: this.#outputs.map((v) => valueInfo(v, FLOAT)),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** What {@linkcode readOnnxModel} reads back from a file: enough to check and describe it. */
export interface OnnxModelSummary {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  metadata: Record<string, string>;
  inputs: { name: string; dims: Dim[] }[];
  outputs: { name: string; dims: Dim[] }[];
  /** Operator types and how often each occurs. */
  operators: Record<string, number>;
}

/** Decodes an ONNX file's header, inputs, outputs, operators and `metadata_props`. */
export function readOnnxModel(bytes: Uint8Array): OnnxModelSummary {
  let m;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxGraphError(`not an ONNX model: ${(e as Error).message}`);
  }
  const dims = (v: onnxProto.onnx.IValueInfoProto) =>
    (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)
    );
  const operators: Record<string, number> = {};
  for (const n of m.graph?.node ?? []) {
    operators[n.opType ?? ""] = (operators[n.opType ?? ""] ?? 0) + 1;
  }
  return {
    irVersion: Number(m.irVersion),
    opsets: m.opsetImport.map((o) => ({ domain: o.domain ?? "", version: Number(o.version) })),
    producer: m.producerName ?? "",
    metadata: Object.fromEntries(m.metadataProps.map((p) => [p.key ?? "", p.value ?? ""])),
    inputs: (m.graph?.input ?? []).map((v) => ({ name: v.name ?? "", dims: dims(v) })),
    outputs: (m.graph?.output ?? []).map((v) => ({ name: v.name ?? "", dims: dims(v) })),
    operators,
  };
}
