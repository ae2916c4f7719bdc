/**
 * A static file server for an exported web page (`deno task serve DIR`): it answers GET
 * and HEAD with the files under one folder and nothing else. `/` and a folder's path
 * give its index.html; there is no directory listing; a path that decodes to `..`, `.`,
 * a hidden name, a slash or backslash inside a segment, or a NUL is refused (400), and a
 * file reached through a link that leads outside the folder is not served (404). It
 * listens on 127.0.0.1 unless told otherwise.
 *
 * @example
 * ```ts
 * import { serveFolder } from "./serve.ts";
 * const server = await serveFolder({ root: ".", port: 0 });
 * const r = await fetch(`${server.url}deno.json`);
 * console.log(r.status, r.headers.get("content-type")); // 200 application/json
 * await r.body?.cancel();
 * await server.shutdown();
 * ```
 * @module
 */

/** Content types of the files an exported page holds (others are served as bytes). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  wasm: "application/wasm",
  css: "text/css; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  svg: "image/svg+xml",
  txt: "text/plain; charset=utf-8",
  bin: "application/octet-stream",
  onnx: "application/octet-stream",
});

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });
}

/**
 * The decoded path segments of a request path, or null when one is not allowed:
 * undecodable, `.`, `..`, hidden (leading dot), holding a slash, backslash or NUL.
 */
export function safeSegments(pathname: string): string[] | null {
  const out: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s.startsWith(".") || /[\/\\\0]/.test(s)) return null;
    out.push(s);
  }
  return out;
}

/** A request handler serving the files under `root` (see the module notes). */
export async function staticHandler(root: string): Promise<(req: Request) => Promise<Response>> {
  const base = await Deno.realPath(root);
  if (!(await Deno.stat(base)).isDirectory) throw new Error(`${root} is not a folder`);
  return async (req: Request): Promise<Response> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      const r = plain(405, "method not allowed");
      r.headers.set("allow", "GET, HEAD");
      return r;
    }
    // The raw path as sent: the URL parser would already have folded plain ".." away.
    const rawPath = req.url.replace(/^[a-z]+:\/\/[^/]*/i, "").split(/[?#]/)[0];
    const segments = safeSegments(rawPath);
    if (segments == null) return plain(400, "bad path");
    let path = [base, ...segments].join("/");
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
      if (info.isDirectory) {
        path = `${path}/index.html`;
        info = await Deno.stat(path);
      }
      // A link may point anywhere: serve only what really lies under the folder.
      const real = await Deno.realPath(path);
      if (!real.startsWith(`${base}/`) || !info.isFile) return plain(404, "not found");
      path = real;
    } catch {
      return plain(404, "not found");
    }
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    const headers = {
      "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
      "content-length": String(info.size),
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    };
    if (req.method === "HEAD") return new Response(null, { headers });
    const file = await Deno.open(path, { read: true });
    return new Response(file.readable, { headers });
  };
}

/** Options of {@linkcode serveFolder}. */
export interface ServeFolderOptions {
  /** The folder served. */
  root: string;
  /** Default 127.0.0.1 (this machine only). */
  hostname?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Called for each request with its method, path and status (e.g. a log line). */
  onRequest?: (method: string, path: string, status: number) => void;
}

/** A running server: where it listens and how to stop it. */
export interface RunningServer {
  /** `http://host:port/`. */
  url: string;
  hostname: string;
  port: number;
  finished: Promise<void>;
  shutdown(): Promise<void>;
}

/** Serves `root` until shut down. */
export async function serveFolder(options: ServeFolderOptions): Promise<RunningServer> {
  const handler = await staticHandler(options.root);
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({
    hostname,
    port: options.port ?? 8000,
    onListen: () => {},
  }, async (req) => {
    const r = await handler(req);
    options.onRequest?.(req.method, new URL(req.url).pathname, r.status);
    return r;
  });
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${host}:${addr.port}/`,
    hostname: addr.hostname,
    port: addr.port,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
