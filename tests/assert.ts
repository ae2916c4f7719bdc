/**
 * Assertions for the kit's tests, on Deno's built-in `node:assert/strict` (JSR's
 * `@std/assert` is not reachable from every machine the kit runs on).
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  if (msg === undefined) nodeAssert.ok(cond);
  else nodeAssert.ok(cond, msg);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Deep strict inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

/** |actual - expected| <= tolerance. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  msg?: string,
): void {
  const ok = Math.abs(actual - expected) <= tolerance;
  nodeAssert.ok(ok, msg ?? `expected ${actual} to be within ${tolerance} of ${expected}`);
}

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

function checkError(e: unknown, cls: ErrorClass, includes?: string): Error {
  nodeAssert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
  if (includes != null) {
    nodeAssert.ok(
      (e as Error).message.includes(includes),
      `expected message to include "${includes}", got "${(e as Error).message}"`,
    );
  }
  return e as Error;
}

/** Asserts `fn` throws an instance of `cls` whose message contains `includes`. */
export function assertThrows(fn: () => unknown, cls: ErrorClass = Error, includes?: string): Error {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new nodeAssert.AssertionError({ message: "expected function to throw" });
}

/** Async version of {@linkcode assertThrows}. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  cls: ErrorClass = Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new nodeAssert.AssertionError({ message: "expected promise to reject" });
}

/** ‖a - b‖ / ‖b‖ over two arrays of equal length (0 when both are zero). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  nodeAssert.equal(a.length, b.length, `length ${a.length} != ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) return Infinity;
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
