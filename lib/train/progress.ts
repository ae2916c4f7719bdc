/**
 * Progress display for long work: a bar redrawn in place on a terminal, one line per
 * epoch (or per 10% of other work) otherwise, so logs stay readable.
 * @module
 */

/** What a progress display is told. */
export interface ProgressInfo {
  /** What is running ("epoch 3/20", "scoring"...). */
  label: string;
  done: number;
  total: number;
  /** Extra fields shown after the bar ("loss 0.0123", "41.2 img/s"). */
  fields?: Record<string, string>;
}

/** Receives progress updates. */
export interface ProgressSink {
  update(info: ProgressInfo): void;
  /** Ends the current bar (prints its final state as a line). */
  end(info?: ProgressInfo): void;
  /** A line that is not a progress update. */
  line(text: string): void;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Formats one progress line (exported for tests). */
export function formatProgress(info: ProgressInfo, elapsedS: number, width = 24): string {
  const frac = info.total > 0 ? Math.min(1, info.done / info.total) : 0;
  const filled = Math.round(frac * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const eta = frac > 0 ? elapsedS * (1 - frac) / frac : Infinity;
  const extra = Object.entries(info.fields ?? {}).map(([k, v]) => `${k} ${v}`).join("  ");
  return `${info.label} ${bar} ${info.done}/${info.total}  ${extra}  eta ${fmtTime(eta)}`.trimEnd();
}

/** A progress display on stderr. */
export function consoleProgress(
  options: { tty?: boolean; write?: (s: string) => void } = {},
): ProgressSink {
  const enc = new TextEncoder();
  const write = options.write ?? ((s: string) => Deno.stderr.writeSync(enc.encode(s)));
  const tty = options.tty ?? Deno.stderr.isTerminal();
  let start = performance.now();
  let currentLabel = "";
  let lastTenth = -1;
  return {
    update(info) {
      if (info.label !== currentLabel) {
        currentLabel = info.label;
        start = performance.now();
        lastTenth = -1;
      }
      const elapsed = (performance.now() - start) / 1000;
      if (tty) {
        write(`\r\x1b[2K${formatProgress(info, elapsed)}`);
      } else {
        const tenth = info.total > 0 ? Math.floor((10 * info.done) / info.total) : 0;
        if (tenth > lastTenth && tenth < 10 && info.total >= 50) {
          lastTenth = tenth;
          write(`${formatProgress(info, elapsed)}\n`);
        }
      }
    },
    end(info) {
      const elapsed = (performance.now() - start) / 1000;
      if (info != null) write(`${tty ? "\r\x1b[2K" : ""}${formatProgress(info, elapsed)}\n`);
      else if (tty) write("\n");
      currentLabel = "";
    },
    line(text) {
      write(`${tty ? "\r\x1b[2K" : ""}${text}\n`);
    },
  };
}

/** A progress sink that shows nothing (tests, library use). */
export const silentProgress: ProgressSink = { update() {}, end() {}, line() {} };
