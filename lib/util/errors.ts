/**
 * Error classes shared by every layer. The CLI prints their message as one line (no
 * stack trace), so a message names the field, value or file at fault.
 * @module
 */

/** Raised for a configuration that cannot be built; the message names the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A dataset folder, file or option that cannot be used; the message names it. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}
