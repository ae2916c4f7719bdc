/**
 * File-system helpers shared by the dataset loaders: paths, stats, sorted listings of
 * image files, and a concurrency-limited map. Every failure is a
 * {@linkcode DatasetError} naming the path.
 * @module
 */
import { DatasetError } from "./errors.ts";

/** File extensions read as images (case-insensitive); other files are ignored. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze([
  ".png",
  ".jpg",
  ".jpeg",
  ".tif",
  ".tiff",
  ".webp",
]);

/** Joins path parts with single slashes. */
export function join(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

/** The file's stat, or null when it does not exist. */
export async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new DatasetError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Whether `path` is a folder. */
export async function isDir(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory === true;
}

/** Whether `path` is a file. */
export async function isFile(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isFile === true;
}

/** Whether a file name has an image extension (hidden files are not images). */
export function isImageName(name: string): boolean {
  if (name.startsWith(".")) return false;
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** A file name without its extension. */
export function stem(name: string): string {
  const dot = name.lastIndexOf(".");
  const slash = name.lastIndexOf("/");
  return dot > slash + 1 ? name.slice(0, dot) : name;
}

/** Names in a folder, sorted; `kind` picks folders or image files. */
export async function listDir(path: string, kind: "dirs" | "images"): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) {
      if (
        kind === "dirs" ? e.isDirectory && !e.name.startsWith(".") : e.isFile && isImageName(e.name)
      ) {
        out.push(e.name);
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(`folder not found: ${path}`);
    throw new DatasetError(`cannot list ${path}: ${(e as Error).message}`);
  }
  return out.sort();
}

/** Image files under a folder and its sub-folders, as sorted paths relative to it. */
export async function listImagesDeep(path: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const name of await listDir(join(path, rel), "images")) {
      out.push(rel ? `${rel}/${name}` : name);
    }
    for (const dir of await listDir(join(path, rel), "dirs")) {
      await walk(rel ? `${rel}/${dir}` : dir);
    }
  };
  await walk("");
  return out.sort();
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the order.
 * After a failure no new call starts, and the calls in flight finish before the first
 * error is thrown: no image decode is left running behind a rejected load (a native
 * decoder still working when the process exits can crash it).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
  return out;
}
