/**
 * `deno task serve DIR [--port N] [--host H]`: serves a folder written by `deno task
 * export --format web` (or any static folder) over HTTP, on 127.0.0.1:8000 unless told
 * otherwise: only the files under DIR, no directory listing, no path out of it. Stops
 * with Ctrl-C.
 * @module
 */
import { serveFolder } from "../export/serve.ts";
import { ArgError, type FlagSpec, formatHelp, parseArgs } from "./args.ts";
import { runCli } from "./_common.ts";

const FLAGS: Record<string, FlagSpec> = {
  port: { type: "int", min: 0, help: "Port (default 8000; 0 picks a free one)." },
  host: {
    type: "string",
    help: "Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every network).",
  },
  quiet: { type: "bool", help: "Do not print a line per request." },
};

async function main(): Promise<number> {
  const { flags, positionals, help } = parseArgs(Deno.args, FLAGS);
  if (help) {
    console.log(formatHelp("Usage: deno task serve DIR [flags]", FLAGS));
    return 0;
  }
  if (positionals.length !== 1) {
    throw new ArgError(
      positionals.length === 0
        ? "serve needs the folder to serve (e.g. the site/ written by deno task export --format web)"
        : `serve takes one folder, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const root = positionals[0];
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch {
    throw new ArgError(`no such folder: ${root}`);
  }
  if (!info.isDirectory) throw new ArgError(`${root} is a file, not a folder`);
  const port = (flags.port as number | undefined) ?? 8000;
  if (port > 65535) throw new ArgError(`--port expects 0..65535, got ${port}`);
  const hostname = (flags.host as string | undefined) ?? "127.0.0.1";
  let server;
  try {
    server = await serveFolder({
      root,
      hostname,
      port,
      onRequest: flags.quiet
        ? undefined
        : (method, path, status) =>
          console.error(`${new Date().toISOString().slice(11, 19)} ${status} ${method} ${path}`),
    });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new ArgError(`port ${port} is in use; pick another with --port N (0 = any free one)`);
    }
    // An address this machine does not have, or a name that does not resolve.
    if (
      e instanceof Deno.errors.AddrNotAvailable ||
      /lookup address|os error/.test((e as Error)?.message ?? "")
    ) {
      throw new ArgError(`--host ${hostname}: cannot listen there (${(e as Error).message})`);
    }
    throw e;
  }
  try {
    await Deno.stat(`${root}/index.html`);
  } catch {
    console.error(`note: ${root} has no index.html; / will answer 404`);
  }
  console.log(`serving ${root} at ${server.url} (Ctrl-C stops)`);
  await server.finished;
  return 0;
}

if (import.meta.main) await runCli(main);
