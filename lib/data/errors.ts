/**
 * Errors of the data layer; the CLI prints their message as one line.
 * @module
 */

/** A dataset folder, file or option that cannot be used; the message names it. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}
