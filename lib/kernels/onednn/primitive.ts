/**
 * oneDNN primitives as the kit runs them: an engine and stream per isolate, memory
 * descriptors for tfjs's layouts, and a {@linkcode Plan}: one primitive with the
 * reorders its arguments need, created once per shape and run on raw addresses.
 *
 * A plan's argument is either "user" memory (a tensor in tfjs's plain layout, given as an
 * address and a byte count each run) or held by the plan (a reordered copy in the layout
 * the primitive chose). Every run checks each user buffer's byte count against the
 * descriptor the primitive was created for, so a wrong shape is an error, never a read
 * past a buffer.
 * @module
 */
import {
  check,
  DNNL,
  MEMORY_DESC_BYTES,
  OneDnnError,
  type OneDnnLibrary,
  type OneDnnSymbols,
} from "./ffi.ts";

/** A `dnnl_memory_desc_t` owned by JavaScript. */
export type MemoryDesc = Uint8Array;

/** `DNNL_MEMORY_ALLOCATE`: the library allocates the buffer of a memory object. */
const MEMORY_ALLOCATE = 0xffffffffffffffffn;

function out(): BigUint64Array {
  return new BigUint64Array(1);
}

function ptr(cell: BigUint64Array): Deno.PointerObject {
  const p = Deno.UnsafePointer.create(cell[0]);
  if (p == null) throw new OneDnnError("(null handle)", 5);
  return p;
}

/** An engine and an in-order stream on the CPU, and descriptor helpers. */
export class OneDnnContext {
  readonly s: OneDnnSymbols;
  readonly engine: Deno.PointerObject;
  readonly stream: Deno.PointerObject;

  constructor(readonly lib: OneDnnLibrary) {
    this.s = lib.symbols;
    const e = out();
    check(this.s.dnnl_engine_create(e, DNNL.cpu, 0n), "dnnl_engine_create");
    this.engine = ptr(e);
    const st = out();
    check(this.s.dnnl_stream_create(st, this.engine, DNNL.streamDefault), "dnnl_stream_create");
    this.stream = ptr(st);
  }

  /** A `dnnl_dims_t` (12 int64) holding `values`. */
  dims(values: readonly number[]): BigInt64Array {
    const d = new BigInt64Array(DNNL.maxNdims);
    values.forEach((v, i) => d[i] = BigInt(v));
    return d;
  }

  /** An f32 descriptor of logical `dims` laid out with element `strides`. */
  md(dims: readonly number[], strides: readonly number[], dtype: number = DNNL.f32): MemoryDesc {
    const md = new Uint8Array(MEMORY_DESC_BYTES);
    check(
      this.s.dnnl_memory_desc_init_by_strides(
        md,
        dims.length,
        this.dims(dims),
        dtype,
        this.dims(strides),
      ),
      "dnnl_memory_desc_init_by_strides",
      `dims [${dims}], strides [${strides}]`,
    );
    return md;
  }

  /** A dense row-major descriptor (the last dim contiguous). */
  plain(dims: readonly number[], dtype: number = DNNL.f32): MemoryDesc {
    const strides = new Array(dims.length).fill(1);
    for (let i = dims.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
    return this.md(dims, strides, dtype);
  }

  /** An NHWC tensor [n, h, w, c] as oneDNN's logical (n, c, h, w). */
  nhwc(n: number, h: number, w: number, c: number): MemoryDesc {
    return this.md([n, c, h, w], [h * w * c, 1, w * c, c]);
  }

  /** An f32 descriptor whose layout the primitive chooses (`format_tag_any`). */
  any(dims: readonly number[]): MemoryDesc {
    const md = new Uint8Array(MEMORY_DESC_BYTES);
    check(
      this.s.dnnl_memory_desc_init_by_tag(
        md,
        dims.length,
        this.dims(dims),
        DNNL.f32,
        DNNL.formatAny,
      ),
      "dnnl_memory_desc_init_by_tag",
      `dims [${dims}]`,
    );
    return md;
  }

  /** Bytes of the buffer a descriptor describes. */
  bytes(md: MemoryDesc | Deno.PointerObject): number {
    const p = md instanceof Uint8Array ? Deno.UnsafePointer.of(md) : md;
    return Number(this.s.dnnl_memory_desc_get_size(p));
  }

  /** Whether two descriptors describe the same layout. */
  equal(a: MemoryDesc | Deno.PointerObject, b: MemoryDesc | Deno.PointerObject): boolean {
    const pa = a instanceof Uint8Array ? Deno.UnsafePointer.of(a) : a;
    const pb = b instanceof Uint8Array ? Deno.UnsafePointer.of(b) : b;
    return this.s.dnnl_memory_desc_equal(pa, pb) === 1;
  }

  /** Frees the stream and engine (the context cannot run anything afterwards). */
  destroy(): void {
    this.s.dnnl_stream_destroy(this.stream);
    this.s.dnnl_engine_destroy(this.engine);
  }
}

/** Post-ops of a primitive: element-wise operations applied to its output in place. */
export interface PrimitiveAttr {
  /** ReLU applied to the output (a post-op). */
  relu?: boolean;
}

function makeAttr(ctx: OneDnnContext, attr?: PrimitiveAttr): Deno.PointerObject | null {
  if (!attr?.relu) return null;
  const s = ctx.s;
  const a = out(), po = out();
  check(s.dnnl_primitive_attr_create(a), "dnnl_primitive_attr_create");
  check(s.dnnl_post_ops_create(po), "dnnl_post_ops_create");
  check(
    s.dnnl_post_ops_append_eltwise(ptr(po), 1, DNNL.eltwiseRelu, 0, 0),
    "dnnl_post_ops_append_eltwise",
  );
  check(s.dnnl_primitive_attr_set_post_ops(ptr(a), ptr(po)), "dnnl_primitive_attr_set_post_ops");
  s.dnnl_post_ops_destroy(ptr(po));
  return ptr(a);
}

/** A primitive descriptor and its primitive. */
export class Primitive {
  readonly pd: Deno.PointerObject;
  readonly prim: Deno.PointerObject;
  /** oneDNN's name of the implementation it chose, e.g. "brgconv:avx512_core". */
  readonly impl: string;

  constructor(
    readonly ctx: OneDnnContext,
    opDesc: Uint8Array | null,
    what: string,
    hint: Primitive | null = null,
    attr?: PrimitiveAttr,
    pd?: Deno.PointerObject,
  ) {
    const s = ctx.s;
    if (pd == null) {
      const a = makeAttr(ctx, attr);
      const cell = out();
      try {
        check(
          s.dnnl_primitive_desc_create(cell, opDesc!, a, ctx.engine, hint?.pd ?? null),
          "dnnl_primitive_desc_create",
          what,
        );
      } finally {
        if (a != null) s.dnnl_primitive_attr_destroy(a);
      }
      pd = ptr(cell);
    }
    this.pd = pd;
    const p = out();
    const status = s.dnnl_primitive_create(p, this.pd);
    if (status !== DNNL.success) {
      s.dnnl_primitive_desc_destroy(this.pd);
      throw new OneDnnError("dnnl_primitive_create", status, what);
    }
    this.prim = ptr(p);
    const info = new BigUint64Array(1);
    s.dnnl_primitive_desc_query(this.pd, DNNL.queryImplInfoStr, 0, info);
    const str = Deno.UnsafePointer.create(info[0]);
    this.impl = str == null ? "?" : Deno.UnsafePointerView.getCString(str);
  }

  /** The descriptor of execution argument `arg` (DNNL_ARG_*), owned by the primitive. */
  md(arg: number): Deno.PointerObject | null {
    return this.ctx.s.dnnl_primitive_desc_query_md(this.pd, DNNL.queryExecArgMd, arg);
  }

  destroy(): void {
    this.ctx.s.dnnl_primitive_destroy(this.prim);
    this.ctx.s.dnnl_primitive_desc_destroy(this.pd);
  }
}

function createMemory(
  ctx: OneDnnContext,
  md: Deno.PointerObject,
  handle: bigint,
): Deno.PointerObject {
  const m = out();
  check(ctx.s.dnnl_memory_create(m, md, ctx.engine, handle), "dnnl_memory_create");
  return ptr(m);
}

/** A buffer given to a plan run: an address and how many bytes are there. */
export interface Buffer {
  address: number;
  bytes: number;
}

/** One argument of a {@linkcode Plan}. */
export interface PlanArg {
  /** DNNL_ARG_* of the primitive. */
  arg: number;
  /** The caller's layout, or null: the caller's buffer is in the primitive's own layout. */
  user: MemoryDesc | null;
  /** Read by the primitive (reordered before it runs) or written (reordered after). */
  dir: "in" | "out";
  /**
   * The caller's buffer size when oneDNN reports none: a sub-memory (a window of a larger
   * tensor, whose buffer is the whole tensor) has size 0 to `dnnl_memory_desc_get_size`.
   */
  bytes?: number;
}

interface BoundArg {
  arg: number;
  dir: "in" | "out";
  /** Bytes the caller's buffer must hold. */
  bytes: number;
  /** The caller's buffer has exactly `bytes` (its own layout) or at least (the primitive's). */
  exact: boolean;
  /** The memory object whose handle is set to the caller's buffer each run. */
  user: Deno.PointerObject;
  /** Set when the primitive wants another layout: reorder and its held buffer. */
  reorder: { prim: Primitive; held: Deno.PointerObject; args: Uint8Array } | null;
}

function execArgs(pairs: [number, Deno.PointerObject][]): Uint8Array {
  const buf = new Uint8Array(16 * pairs.length);
  const view = new DataView(buf.buffer);
  pairs.forEach(([arg, mem], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return buf;
}

/**
 * A primitive bound to its arguments: memory objects created once, reorders where the
 * primitive chose a layout other than the caller's, and the argument list kept ready.
 * A run sets the caller's addresses and executes (reorders, primitive, reorders).
 */
export class Plan {
  /** Runs of every plan in this isolate (tests check a kernel really ran on oneDNN). */
  static runs = 0;
  readonly #bound: BoundArg[] = [];
  readonly #main: Uint8Array;
  readonly #memories: Deno.PointerObject[] = [];
  readonly #companions: Plan[] = [];
  #destroyed = false;

  constructor(readonly ctx: OneDnnContext, readonly primitive: Primitive, args: PlanArg[]) {
    const pairs: [number, Deno.PointerObject][] = [];
    try {
      for (const a of args) {
        const pmd = primitive.md(a.arg);
        if (pmd == null) throw new OneDnnError("dnnl_primitive_desc_query_md", 2, `arg ${a.arg}`);
        if (a.user == null || ctx.equal(a.user, pmd)) {
          const user = createMemory(ctx, a.user == null ? pmd : Deno.UnsafePointer.of(a.user)!, 0n);
          this.#memories.push(user);
          const bytes = a.bytes ?? ctx.bytes(a.user ?? pmd);
          this.#bound.push({
            arg: a.arg,
            dir: a.dir,
            bytes,
            exact: a.user != null,
            user,
            reorder: null,
          });
          pairs.push([a.arg, user]);
          continue;
        }
        const umd = Deno.UnsafePointer.of(a.user)!;
        const user = createMemory(ctx, umd, 0n);
        this.#memories.push(user);
        const held = createMemory(ctx, pmd, MEMORY_ALLOCATE);
        this.#memories.push(held);
        const [from, to] = a.dir === "in" ? [umd, pmd] : [pmd, umd];
        const cell = out();
        check(
          ctx.s.dnnl_reorder_primitive_desc_create(cell, from, ctx.engine, to, ctx.engine, null),
          "dnnl_reorder_primitive_desc_create",
        );
        const prim = new Primitive(ctx, null, "reorder", null, undefined, ptr(cell));
        const rargs = a.dir === "in"
          ? execArgs([[DNNL.argSrc, user], [DNNL.argDst, held]])
          : execArgs([[DNNL.argSrc, held], [DNNL.argDst, user]]);
        this.#bound.push({
          arg: a.arg,
          dir: a.dir,
          bytes: ctx.bytes(a.user),
          exact: true,
          user,
          reorder: { prim, held, args: rargs },
        });
        pairs.push([a.arg, held]);
      }
    } catch (e) {
      this.#free();
      primitive.destroy();
      throw e;
    }
    this.#main = execArgs(pairs);
  }

  /** Keeps `plan` with this one (run by the same kernel, freed with it); returns this. */
  attach(plan: Plan): this {
    this.#companions.push(plan);
    return this;
  }

  /** The `i`-th plan attached with {@linkcode Plan.attach}. */
  companion(i: number): Plan {
    const p = this.#companions[i];
    if (p == null) throw new RangeError(`plan has no companion ${i}`);
    return p;
  }

  /** Bytes the caller's buffer for `arg` must hold. */
  bytes(arg: number): number {
    const b = this.#bound.find((x) => x.arg === arg);
    if (b == null) throw new RangeError(`plan has no argument ${arg}`);
    return b.bytes;
  }

  /** oneDNN's implementation names: the primitive's, then each reorder's. */
  get impls(): string[] {
    return [
      this.primitive.impl,
      ...this.#bound.filter((b) => b.reorder).map((b) => `reorder(${b.reorder!.prim.impl})`),
    ];
  }

  /**
   * Runs the primitive on the caller's buffers, one per argument in the order the plan
   * was created with. Throws before any native call when a buffer's size differs from
   * the descriptor's or the plan was destroyed.
   */
  run(buffers: Buffer[]): void {
    if (this.#destroyed) throw new Error("oneDNN plan used after it was freed");
    const bound = this.#bound;
    if (buffers.length !== bound.length) {
      throw new RangeError(`plan takes ${bound.length} buffers, got ${buffers.length}`);
    }
    const s = this.ctx.s;
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i], u = buffers[i];
      if (b.exact ? u.bytes !== b.bytes : u.bytes < b.bytes) {
        throw new RangeError(
          `oneDNN ${this.primitive.impl}: argument ${b.arg} has ${u.bytes} bytes, ` +
            `the primitive was made for ${b.bytes}`,
        );
      }
      if (!(u.address > 0) && b.bytes > 0) {
        throw new RangeError(`oneDNN ${this.primitive.impl}: argument ${b.arg} has no address`);
      }
      check(
        s.dnnl_memory_set_data_handle(b.user, BigInt(u.address)),
        "dnnl_memory_set_data_handle",
      );
    }
    for (const b of bound) {
      if (b.dir === "in" && b.reorder) this.#exec(b.reorder.prim, b.reorder.args);
    }
    this.#exec(this.primitive, this.#main);
    for (const b of bound) {
      if (b.dir === "out" && b.reorder) this.#exec(b.reorder.prim, b.reorder.args);
    }
    check(s.dnnl_stream_wait(this.ctx.stream), "dnnl_stream_wait");
    Plan.runs++;
  }

  #exec(p: Primitive, args: Uint8Array): void {
    check(
      this.ctx.s.dnnl_primitive_execute(p.prim, this.ctx.stream, args.length / 16, args),
      "dnnl_primitive_execute",
      p.impl,
    );
  }

  #free(): void {
    for (const b of this.#bound) b.reorder?.prim.destroy();
    for (const m of this.#memories) this.ctx.s.dnnl_memory_destroy(m);
    this.#bound.length = 0;
    this.#memories.length = 0;
  }

  /** Frees the primitive, its reorders and held buffers; later runs throw. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#free();
    this.primitive.destroy();
    for (const p of this.#companions) p.destroy();
  }
}

/**
 * Plans by key (the op and its shapes), least recently used first out: a run with
 * changing shapes (scoring batches of any size) holds at most `capacity` of them.
 */
export class PlanCache {
  readonly #plans = new Map<string, Plan>();
  constructor(readonly capacity = 256) {}

  get size(): number {
    return this.#plans.size;
  }

  /** The plan for `key`, made by `make` on first use. */
  get(key: string, make: () => Plan): Plan {
    const hit = this.#plans.get(key);
    if (hit != null) {
      // Map keeps insertion order: re-inserting marks the plan as most recent.
      this.#plans.delete(key);
      this.#plans.set(key, hit);
      return hit;
    }
    const plan = make();
    this.#plans.set(key, plan);
    while (this.#plans.size > this.capacity) {
      const [oldest, p] = this.#plans.entries().next().value!;
      this.#plans.delete(oldest);
      p.destroy();
    }
    return plan;
  }

  /** Frees every plan. */
  clear(): void {
    for (const p of this.#plans.values()) p.destroy();
    this.#plans.clear();
  }
}
