/**
 * The exporter's error: a run that cannot be exported, or an export that failed its
 * check. The CLI prints its message as one line.
 * @module
 */

/** Raised for a run or model that cannot be exported; the message says why. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}
