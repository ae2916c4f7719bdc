/**
 * Small file-system helpers.
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
