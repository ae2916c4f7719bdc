import { assert, assertEquals } from "../../tests/assert.ts";
import { safeSegments, serveFolder } from "./serve.ts";

/** A folder to serve, inside a parent holding a secret, a link out and a hidden file. */
async function site(): Promise<{ parent: string; root: string }> {
  const parent = await Deno.makeTempDir({ prefix: "daad-serve-" });
  const root = `${parent}/site`;
  await Deno.mkdir(`${root}/sub`, { recursive: true });
  await Deno.writeTextFile(`${parent}/secret.txt`, "SECRET");
  await Deno.writeTextFile(`${root}/index.html`, "<p>home</p>");
  await Deno.writeTextFile(`${root}/app.js`, "console.log(1)");
  await Deno.writeFile(`${root}/a.wasm`, new Uint8Array([0, 97, 115, 109]));
  await Deno.writeTextFile(`${root}/sub/note.txt`, "note");
  await Deno.writeTextFile(`${root}/.hidden`, "hidden");
  await Deno.symlink(`${parent}/secret.txt`, `${root}/link.txt`);
  return { parent, root };
}

/** One raw HTTP/1.1 request: the path goes on the wire exactly as given (fetch would normalise it). */
async function raw(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = "";
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n == null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const status = Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
    return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
  } finally {
    conn.close();
  }
}

Deno.test("safeSegments() refuses dot segments, hidden names and encoded separators", () => {
  assertEquals(safeSegments("/a/b%20c.txt"), ["a", "b c.txt"]);
  assertEquals(safeSegments("/"), []);
  for (
    const bad of [
      "/../x",
      "/%2e%2e/x",
      "/a/..%2fx",
      "/%2E%2E%2Fx",
      "/a%5c..%5cx",
      "/.env",
      "/%00",
      "/%zz",
    ]
  ) {
    assertEquals(safeSegments(bad), null, bad);
  }
});

Deno.test("serveFolder() serves the folder's files on 127.0.0.1 and nothing outside it", async () => {
  const { parent, root } = await site();
  const server = await serveFolder({ root, port: 0 });
  try {
    assertEquals(server.hostname, "127.0.0.1");
    const get = async (path: string) => {
      const r = await fetch(`${server.url}${path}`);
      return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
    };
    assertEquals((await get("")).body, "<p>home</p>");
    assertEquals((await get("sub/note.txt")).body, "note");
    assertEquals((await get("app.js")).type, "text/javascript; charset=utf-8");
    assertEquals((await get("a.wasm")).type, "application/wasm");
    // No listing of a folder without index.html, no hidden file, no link out of the folder.
    assertEquals((await get("sub/")).status, 404);
    assertEquals((await get("missing.js")).status, 404);
    assertEquals((await get(".hidden")).status, 400);
    assertEquals((await get("link.txt")).status, 404);
    // Traversal, plain and encoded, straight on the wire.
    for (
      const path of [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/%252e%252e/secret.txt",
        `/${parent}/secret.txt`,
        "//etc/passwd",
      ]
    ) {
      const r = await raw(server.port, path);
      assert(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      assert(!r.body.includes("SECRET") && !r.body.includes("root:"), `${path} leaked a file`);
    }
    assertEquals((await raw(server.port, "/", "POST")).status, 405);
    assertEquals((await raw(server.port, "/index.html", "HEAD")).status, 200);
  } finally {
    await server.shutdown();
    await Deno.remove(parent, { recursive: true });
  }
});
