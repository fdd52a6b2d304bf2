// The static server the browser tests and the benchmark use serves `dist/` as the README
// tells a host to: a precompressed copy when the browser accepts its encoding, the file itself
// otherwise, and a 304 for a file the browser already holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { serve } from "./serve.mjs";

test("precompressed copies are sent to a browser that accepts them, with validators", async () => {
  const root = mkdtempSync(join(tmpdir(), "modelplay-serve-"));
  const body = Buffer.from("\0asm engine bytes ".repeat(100));
  writeFileSync(join(root, "worker_bg.wasm"), body);
  writeFileSync(join(root, "worker_bg.wasm.br"), brotliCompressSync(body));
  writeFileSync(join(root, "worker_bg.wasm.gz"), gzipSync(body));
  writeFileSync(join(root, "index.html"), "<!DOCTYPE html>");
  const server = await serve(root);
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    // fetch decompresses as a browser does; the headers say what travelled.
    for (const [accepted, encoding] of [["br, gzip", "br"], ["gzip", "gzip"], ["identity", null]]) {
      const res = await fetch(`${base}/worker_bg.wasm`, { headers: { "accept-encoding": accepted } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/wasm");
      assert.equal(res.headers.get("content-encoding"), encoding, `for ${accepted}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), body, `for ${accepted}`);
      const etag = res.headers.get("etag");
      assert.ok(etag, "an ETag to revalidate with");
      const again = await fetch(`${base}/worker_bg.wasm`, {
        headers: { "accept-encoding": accepted, "if-none-match": etag },
      });
      assert.equal(again.status, 304, `a second visit revalidates (${accepted})`);
    }
    // A file without copies is sent as it is.
    const page = await fetch(`${base}/`, { headers: { "accept-encoding": "br" } });
    assert.equal(page.headers.get("content-encoding"), null);
    assert.equal(await page.text(), "<!DOCTYPE html>");
  } finally {
    server.close();
  }
});
