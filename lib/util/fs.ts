/**
 * Small file-system helpers: whether a path exists, and atomic writes (a file is
 * replaced whole or not at all).
 * @module
 */

/** Whether `path` exists (file or folder). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `bytes` to `path` atomically: temporary file in the same folder, fsync, rename.
 * On failure the temporary file is removed and `path` is untouched. `pauseMs` (tests
 * only) waits half-way through the write.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  pauseMs: number | null = null,
): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      const half = pauseMs == null ? bytes.length : Math.floor(bytes.length / 2);
      while (written < half) written += await file.write(bytes.subarray(written, half));
      if (pauseMs != null) {
        console.error("checkpoint: paused mid-write");
        await new Promise((r) => setTimeout(r, pauseMs));
      }
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
