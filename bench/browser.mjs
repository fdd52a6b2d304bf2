// The page's timings in headless Chromium, printed as JSON: navigation to the first completed
// build, a full build once the engine is loaded, and a one-model re-run with its descendants
// (both as the worker measures them). Usage: node bench/browser.mjs DIST (run from app/e2e,
// whose node_modules hold playwright-core).
import { createRequire } from "node:module";
import { join } from "node:path";

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

console.log(JSON.stringify({ first_build_ms, full_build_ms: median(full), rerun_ms: median(rerun), runs: RUNS }));
await browser.close();
server.close();
