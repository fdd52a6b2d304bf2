// What every end-to-end test file needs: the page served from the build, a headless
// Chromium, and the waits and gestures the page is driven by.
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const dist = process.env.MODELPLAY_DIST || join(here, "..", "..", "dist");
export const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

// The sample's full build: 15 models (one ephemeral, not run), 2 seeds, 4 snapshots and
// 46 tests; one test warns by design (see sample-data/brightwheel/README.md).
export const FULL_BUILD = "PASS=65 WARN=1 ERROR=0 SKIP=0 TOTAL=66";
export const STAGING = "models/staging/stg_source2_providers.sql";
export const TIMEOUT = 120_000;

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// A page in a browser profile of its own, reporting the page's uncaught errors.
export async function newPage(browser, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ acceptDownloads: true, viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  // The page asks in dialogs of its own; a browser dialog would be a defect.
  page.on("dialog", (d) => {
    console.error(`unexpected browser ${d.type()}: ${d.message()}`);
    d.dismiss();
  });
  return page;
}

export async function summary(page) {
  return (await page.getByTestId("summary").textContent()) ?? "";
}

// Waits until the engine is idle after a finished build (or one that could not start);
// returns the summary's counts.
export async function idle(page) {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="summary"]')?.textContent ?? "";
    const e = document.querySelector('[data-testid="engine-status"]')?.textContent ?? "";
    return (s.includes("TOTAL=") || s.startsWith("Not built")) && e === "Engine ready";
  }, null, { timeout: TIMEOUT });
  return (await summary(page)).split(" · ")[0];
}

// Runs an action and waits for the build it starts to finish; returns the summary's counts.
export async function nextBuild(page, action) {
  const before = Number(await page.getByTestId("summary").getAttribute("data-builds"));
  await action();
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid="summary"]')?.getAttribute("data-builds")) > b,
    before, { timeout: TIMEOUT });
  return idle(page);
}

export async function openFile(page, path) {
  await page.locator(`li[data-path="${path}"] a`).click();
  await page.waitForFunction((p) => document.querySelector('[data-testid="open-path"]')?.textContent === p, path);
}

// Answers the page's dialog: types `text` (when it asks for one) and goes ahead.
export async function answer(page, text) {
  const dialog = page.getByTestId("ask");
  await dialog.waitFor();
  if (text !== undefined) await dialog.getByTestId("ask-field").fill(text);
  await dialog.getByTestId("ask-go").click();
  await dialog.waitFor({ state: "detached" });
}

// Chooses an item of the toolbar's Project menu.
export async function projectMenu(page, item) {
  await page.getByTestId("project-menu").click();
  await page.getByTestId(item).click();
}
