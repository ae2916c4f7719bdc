/**
 * A run folder: `config.json`, `log.jsonl`, `checkpoint.ckpt`, `metrics.json` and the
 * reports written after training. Every JSON file is written atomically.
 * @module
 */
import { writeFileAtomic } from "../util/fs.ts";

/** Raised when a run folder cannot be used; the message names the folder and the fix. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirError";
  }
}

/** Describes an OS error for a person ("no space left on device", "read-only"...). */
export function describeIoError(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  if (/ENOSPC|No space left/i.test(msg)) return "no space left on the device";
  if (/EROFS|Read-only file system/i.test(msg)) return "the file system is read-only";
  if (e instanceof Deno.errors.PermissionDenied || /EACCES|Permission denied/i.test(msg)) {
    return "permission denied";
  }
  return msg;
}

/**
 * Throws {@linkcode RunDirError} unless `path` is a folder: "`path` is not a run folder:
 * there is no such folder" (or "it is a file"), with `hint` after it. Whether the folder
 * holds a run is for its reader to say.
 */
export async function checkRunFolder(path: string, hint = ""): Promise<void> {
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(path);
  } catch {
    // absent (or unreadable): said below
  }
  if (info?.isDirectory) return;
  const why = info == null ? "there is no such folder" : "it is a file";
  throw new RunDirError(`${path} is not a run folder: ${why}${hint}`);
}

/** Paths and atomic writers of one run. */
export class RunDir {
  constructor(readonly path: string) {}

  get configPath(): string {
    return `${this.path}/config.json`;
  }
  get logPath(): string {
    return `${this.path}/log.jsonl`;
  }
  get checkpointPath(): string {
    return `${this.path}/checkpoint.ckpt`;
  }
  get metricsPath(): string {
    return `${this.path}/metrics.json`;
  }
  file(name: string): string {
    return `${this.path}/${name}`;
  }

  /**
   * Creates (or, with `resume`, reopens) the folder and checks it is writable. A folder
   * that already holds a run is refused unless resuming, so finished results are never
   * overwritten by accident.
   */
  static async open(path: string, options: { resume: boolean }): Promise<RunDir> {
    const dir = new RunDir(path);
    let exists = false;
    try {
      exists = (await Deno.stat(path)).isDirectory;
    } catch {
      exists = false;
    }
    if (options.resume) {
      if (!exists) throw new RunDirError(`--resume: run folder ${path} does not exist`);
    } else if (exists) {
      for (const name of ["checkpoint.ckpt", "metrics.json", "config.json"]) {
        try {
          await Deno.stat(dir.file(name));
          throw new RunDirError(
            `run folder ${path} already holds a run (${name}); pass --resume to continue it ` +
              `or --out to choose another folder`,
          );
        } catch (e) {
          if (e instanceof RunDirError) throw e;
        }
      }
    }
    try {
      await Deno.mkdir(path, { recursive: true });
      const probe = dir.file(`.write-test-${Deno.pid}`);
      await Deno.writeTextFile(probe, "ok");
      await Deno.remove(probe);
    } catch (e) {
      throw new RunDirError(`cannot write to run folder ${path}: ${describeIoError(e)}`);
    }
    return dir;
  }

  /** Writes `name` as pretty JSON, atomically. */
  async writeJson(name: string, value: unknown): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n");
    try {
      await writeFileAtomic(this.file(name), bytes);
    } catch (e) {
      throw new RunDirError(`cannot write ${this.file(name)}: ${describeIoError(e)}`);
    }
  }

  /** Reads `name` as JSON, or null when absent. */
  async readJson<T>(name: string): Promise<T | null> {
    try {
      return JSON.parse(await Deno.readTextFile(this.file(name))) as T;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw new RunDirError(`cannot read ${this.file(name)}: ${(e as Error).message}`);
    }
  }

  /** Appends one JSON line to `log.jsonl`. */
  async log(entry: Record<string, unknown>): Promise<void> {
    try {
      await Deno.writeTextFile(this.logPath, JSON.stringify(entry) + "\n", { append: true });
    } catch (e) {
      throw new RunDirError(`cannot write ${this.logPath}: ${describeIoError(e)}`);
    }
  }

  /** Keeps only the log lines `keep` accepts (used on resume to drop lines after the checkpoint). */
  async filterLog(keep: (entry: Record<string, unknown>) => boolean): Promise<void> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.logPath);
    } catch {
      return;
    }
    const lines = text.split("\n").filter((l) => l.trim() !== "").filter((l) => {
      try {
        return keep(JSON.parse(l));
      } catch {
        return false; // a line cut off by a kill
      }
    });
    await writeFileAtomic(
      this.logPath,
      new TextEncoder().encode(lines.map((l) => l + "\n").join("")),
    );
  }
}
