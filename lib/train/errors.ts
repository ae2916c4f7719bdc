/**
 * The errors training raises for a person to act on: a loss that diverged (try a lower
 * learning rate) and a checkpoint that belongs to another run.
 * @module
 */

/** Raised when a loss becomes NaN or infinite. */
export class NonFiniteLossError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NonFiniteLossError";
  }
}

/** Raised when a checkpoint does not belong to the run being resumed. */
export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResumeError";
  }
}
