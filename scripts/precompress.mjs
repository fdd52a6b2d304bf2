// Writes a `.br` (Brotli, quality 11) and a `.gz` (gzip -9) next to every file of a static
// site a host would compress (wasm, JavaScript, CSS, HTML), so that a host serving
// precompressed files sends them without compressing on each request, then prints each
// wasm file's size raw, gzip and Brotli. Node's own zlib does both: nothing to install.
// Usage: node scripts/precompress.mjs DIST
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";

const dist = process.argv[2];
if (!dist) {
  console.error("usage: node scripts/precompress.mjs DIST");
  process.exit(2);
}
const COMPRESSED = new Set([".wasm", ".js", ".css", ".html", ".json", ".svg"]);
const mb = (n) => (n / 1e6).toFixed(2).padStart(7);

for (const name of readdirSync(dist).sort()) {
  if (!COMPRESSED.has(extname(name))) continue;
  const file = join(dist, name);
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      [constants.BROTLI_PARAM_MODE]:
        extname(name) === ".wasm" ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gz);
  if (extname(name) === ".wasm") {
    console.log(`  ${name.padEnd(36)} ${mb(raw.length)} MB raw  ${mb(gz.length)} MB gzip  ${mb(br.length)} MB brotli`);
  }
}
