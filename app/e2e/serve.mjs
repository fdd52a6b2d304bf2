// A static file server for dist/ on a free loopback port, as a static host serves the page:
// the MIME types it needs, a precompressed `.br` or `.gz` next to a file when the browser
// accepts it (scripts/build-page writes them for the release build), and validators so that
// a second visit revalidates (304) rather than downloads the engine again.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

const ENCODINGS = [
  ["br", ".br"],
  ["gzip", ".gz"],
];

// The file to send for `file`: its precompressed twin in an encoding the browser accepts,
// else itself.
async function pick(file, accepted) {
  for (const [encoding, suffix] of ENCODINGS) {
    if (!accepted.includes(encoding)) continue;
    const info = await stat(file + suffix).catch(() => null);
    if (info) return { path: file + suffix, info, encoding };
  }
  return { path: file, info: await stat(file), encoding: null };
}

export function serve(root) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    if (!file.startsWith(normalize(root))) {
      res.writeHead(403).end();
      return;
    }
    try {
      const { path: sent, info, encoding } = await pick(file, req.headers["accept-encoding"] ?? "");
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}${encoding ?? ""}"`;
      const headers = {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        etag,
        vary: "accept-encoding",
      };
      if (encoding) headers["content-encoding"] = encoding;
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      const body = await readFile(sent);
      res.writeHead(200, { ...headers, "content-length": body.length });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
