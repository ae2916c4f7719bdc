/**
 * Errors of the data layer; the CLI prints their message as one line. The class lives
 * with the kit's other shared errors in `util/errors.ts`.
 * @module
 */
export { DatasetError } from "../util/errors.ts";
