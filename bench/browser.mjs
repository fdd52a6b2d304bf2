// The page's timings in headless Chromium, printed as JSON: navigation to the first completed
// build and the same after a reload (a second visit); a full build once the engine is loaded,
// a one-model re-run with its descendants and the check after a keystroke (as the worker
// measures them). With a plans file (written by bench/run), also the
// full build of each plan's project folder opened in the page, and DuckDB-Wasm running the
// same work (bench/duckdb-wasm) on the same files.
// Usage: node bench/browser.mjs DIST [PLANS.json] (run from app/e2e, whose node_modules hold
// playwright-core).
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.cwd(), "package.json"));
const { chromium } = require("playwright-core");
const { serve } = await import(join(process.cwd(), "serve.mjs"));

const dist = process.argv[2];
const server = await serve(dist);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const RUNS = 5;

async function finished() {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="summary"]')?.textContent ?? "";
    const e = document.querySelector('[data-testid="engine-status"]')?.textContent ?? "";
    return s.includes("TOTAL=") && e === "Engine ready";
  }, null, { timeout: 120_000 });
  const s = await page.getByTestId("summary").textContent();
  return Number(/· (\d+) ms/.exec(s)[1]);
}

const builds = async () => Number(await page.getByTestId("summary").getAttribute("data-builds"));

async function waitForChange(before) {
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid="summary"]')?.getAttribute("data-builds")) > b,
    before,
    { timeout: 120_000 },
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const t0 = Date.now();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await finished();
const first_build_ms = Date.now() - t0;

// A second visit: the same browser, its HTTP cache (and the compiled engine it keeps) warm.
const t1 = Date.now();
await page.reload();
await finished();
const second_visit_ms = Date.now() - t1;

const full = [];
for (let i = 0; i < RUNS; i++) {
  const before = await builds();
  await page.getByTestId("build-all").click();
  await waitForChange(before);
  full.push(await finished());
}

await page.locator('li[data-path="models/staging/stg_source2_providers.sql"] a').click();
const rerun = [];
for (let i = 0; i < RUNS; i++) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(`\n-- run ${i}`);
  const before = await builds();
  await page.keyboard.press("Control+Enter");
  await waitForChange(before);
  rerun.push(await finished());
}

// The check after a typing pause, in the same model: the worker's own time for it.
const checks = [];
for (let i = 0; i < RUNS; i++) {
  const before = Number(await page.getByTestId("summary").getAttribute("data-checks"));
  await page.keyboard.type(` ${i}`);
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid="summary"]')?.getAttribute("data-checks")) > b,
    before,
    { timeout: 120_000 },
  );
  checks.push(Number(await page.getByTestId("summary").getAttribute("data-check-ms")));
}

// Each plan's project, opened as a folder and built in the page; then DuckDB-Wasm on its files.
const plans = process.argv[3] ? JSON.parse(readFileSync(process.argv[3], "utf8")) : {};
const duckdbRoot = join(dirname(fileURLToPath(import.meta.url)), "duckdb-wasm");
const TYPES = { ".html": "text/html; charset=utf-8", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm" };
const sizes = {};
for (const [label, { project, plan }] of Object.entries(plans)) {
  let before = await builds();
  await page.getByTestId("open-folder").setInputFiles(project);
  await waitForChange(before);
  await finished();
  const folder = [];
  for (let i = 0; i < RUNS; i++) {
    before = await builds();
    await page.getByTestId("build-all").click();
    await waitForChange(before);
    folder.push(await finished());
  }
  const summary = await page.getByTestId("summary").textContent();

  const urls = {};
  const paths = Object.values(plan.files);
  Object.keys(plan.files).forEach((name, i) => (urls[name] = `/files/${i}`));
  const duck = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path.startsWith("/files/") ? paths[Number(path.slice(7))] : normalize(join(duckdbRoot, path === "/" ? "index.html" : path));
    let body;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  });
  await new Promise((r) => duck.listen(0, "127.0.0.1", r));
  const other = await browser.newPage();
  await other.goto(`http://127.0.0.1:${duck.address().port}/`);
  await other.waitForFunction(() => window.duckdbReady === true);
  const d = await other.evaluate(([p, runs]) => window.runDuckDB(p, runs), [{ statements: plan.statements, files: urls }, RUNS]);
  await other.close();
  duck.close();
  sizes[label] = {
    modelplay_full_build_ms: median(folder),
    modelplay_summary: summary,
    duckdb_wasm_ms: median(d.times),
    duckdb_wasm_spread_ms: Math.max(...d.times) - Math.min(...d.times),
    duckdb_wasm_rows: d.rows,
    duckdb_wasm_version: d.version,
  };
}

console.log(JSON.stringify({ first_build_ms, second_visit_ms, full_build_ms: median(full), rerun_ms: median(rerun), check_ms: median(checks), runs: RUNS, sizes }));
await browser.close();
server.close();
