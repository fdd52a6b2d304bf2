// What the page shows can be believed: an error leaves the line once the line is fixed, a
// failed run says so above the grid, Cancel leaves nothing claiming success, a data file that
// does not fit its source is refused with the project unchanged, sorting and profiling use
// every row, and completion knows the project. Each test reproduces a defect found by using
// the page as a new user would. Screenshots of the main views at two window sizes are taken
// for the README.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, copyFileSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.MODELPLAY_DIST || join(here, "..", "..", "dist");
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

const FULL_BUILD = "PASS=65 WARN=1 ERROR=0 SKIP=0 TOTAL=66";
const STAGING = "models/staging/stg_source2_providers.sql";
const TIMEOUT = 120_000;

let server, browser, page, base;

before(async () => {
  server = await serve(dist);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("dialog", (d) => (d.type() === "prompt" ? d.accept(promptAnswers.shift() ?? d.defaultValue()) : d.accept()));
  await page.goto(base);
  await idle();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const promptAnswers = [];

async function summary() {
  return (await page.getByTestId("summary").textContent()) ?? "";
}

// Waits until the engine is idle after a finished build (or one that could not start).
async function idle() {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="summary"]')?.textContent ?? "";
    const e = document.querySelector('[data-testid="engine-status"]')?.textContent ?? "";
    return (s.includes("TOTAL=") || s.startsWith("Not built")) && e === "Engine ready";
  }, null, { timeout: TIMEOUT });
  return (await summary()).split(" · ")[0];
}

// Runs an action and waits for the build it starts to finish.
async function nextBuild(action) {
  const before = Number(await page.getByTestId("summary").getAttribute("data-builds"));
  await action();
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid="summary"]')?.getAttribute("data-builds")) > b,
    before, { timeout: TIMEOUT });
  return idle();
}

async function openFile(path) {
  await page.locator(`li[data-path="${path}"] a`).click();
  await page.waitForFunction((p) => document.querySelector('[data-testid="open-path"]')?.textContent === p, path);
}

async function problemsIn(file) {
  await page.locator('[data-tab="Problems"]').click();
  const list = await page.locator(".problem .where").allTextContents();
  return list.filter((w) => w.startsWith(`${file}:`));
}

test("the sample builds", async () => {
  assert.equal(await idle(), FULL_BUILD);
});

test("a failed run shows in the grid, and its error leaves the line once the line is fixed", async () => {
  await openFile(STAGING);
  await page.locator('[data-tab="Results"]').click();
  await page.getByTestId("row-count").waitFor();
  // A cast that only fails on the rows, so the check cannot see it: only the run can.
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Home");
  await page.keyboard.insertText(", cast(city as integer) as city_number\n");
  await nextBuild(() => page.keyboard.press("Control+Enter"));
  const banner = page.getByTestId("grid-banner");
  await banner.waitFor();
  assert.match(await banner.textContent(), /^The last run of stg_source2_providers failed: models\/staging\/stg_source2_providers\.sql:\d+:\d+: /);
  assert.match(await banner.getAttribute("class"), /\bfailed\b/);
  await page.locator(".cm-lint-marker-error").first().waitFor({ timeout: 30_000 });
  assert.ok((await problemsIn(STAGING)).length > 0, "the run's error is listed");
  await page.screenshot({ path: join(shots, "30-failed-run.png") });

  // Take the cast out again: the marker and the Problems entry go without another run.
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Home");
  await page.keyboard.press("Shift+ArrowDown");
  await page.keyboard.press("Delete");
  await page.waitForFunction(() => !document.querySelector(".cm-lint-marker-error"), null, { timeout: 30_000 });
  await page.waitForFunction(
    (f) => ![...document.querySelectorAll('[data-testid="problems"] .problem .where')].some((w) => w.textContent.startsWith(`${f}:`)),
    STAGING, { timeout: 30_000 });
  assert.deepEqual(await problemsIn(STAGING), []);
  // The fixed model runs again, and its rows come back without the banner.
  await page.locator('[data-tab="Results"]').click();
  assert.match(await nextBuild(() => page.keyboard.press("Control+Enter")), /ERROR=0 SKIP=0/);
  await page.waitForFunction(() => !document.querySelector('[data-testid="grid-banner"]'), null, { timeout: 30_000 });
  await page.getByTestId("row-count").waitFor();
});

test("an unknown ref keeps what was built, and the run after the fix re-runs only the model and what is built from it", async () => {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText("-- {{ ref('no_such_model') }}\n");
  assert.match(await nextBuild(() => page.keyboard.press("Control+Enter")), /^Not built: 1 problem$/);
  // Nothing built before is lost: the tree still shows the model as built, and its rows.
  const dot = page.locator(`li[data-path="${STAGING}"] .dot`);
  assert.match(await dot.getAttribute("class"), /\bsuccess\b/);
  await page.getByTestId("row-count").waitFor();
  await page.keyboard.press("Control+z");
  const s = await nextBuild(() => page.keyboard.press("Control+Enter"));
  const total = Number(/TOTAL=(\d+)/.exec(s)[1]);
  assert.ok(total > 1 && total < 66, `only the model and its descendants ran: ${s}`);
});

test("Cancel leaves nothing claiming success", async () => {
  await page.getByTestId("build-all").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="engine-status"]')?.textContent.startsWith("Engine running"), null, { timeout: TIMEOUT });
  await page.getByTestId("cancel").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="engine-status"]')?.textContent === "Engine ready", null, { timeout: TIMEOUT });
  assert.match(await summary(), /^Not built: the build was cancelled/);
  assert.equal(await page.locator(".files .dot.success, .files .dot.pass").count(), 0, "no node claims to be built");
  await page.locator('[data-tab="Results"]').click();
  assert.match(await page.getByTestId("grid-banner").textContent(), /Nothing is built: the build was cancelled/);
  assert.equal(await page.getByTestId("row-count").count(), 0, "no rows of a build that is gone");
  await page.screenshot({ path: join(shots, "31-cancelled.png") });
  // The next run builds everything again, since nothing is left to reuse.
  assert.equal(await nextBuild(() => page.keyboard.press("Control+Enter")), FULL_BUILD);
});

test("a data file that does not fit its source is refused and the project is unchanged", async () => {
  const filesBefore = await page.locator("li[data-path]").count();
  const tries = [
    { name: "leads.csv", buffer: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x0a, 0x01]), why: "holds a NUL byte: the file is binary, not a CSV" },
    { name: "leads.csv", buffer: Buffer.from("just,some,columns\n1,2,3\n"), why: "its columns do not match source" },
  ];
  for (const t of tries) {
    await page.getByTestId("add-data").setInputFiles({ name: t.name, mimeType: "text/csv", buffer: t.buffer });
    await page.getByTestId("data-dialog").waitFor();
    await page.getByTestId("data-add").click();
    await page.getByTestId("notice").getByText(t.why).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator("li[data-path]").count(), filesBefore, "no file was added");
    assert.equal(await idle(), FULL_BUILD, "the last build still stands");
  }
  await page.screenshot({ path: join(shots, "32-data-refused.png") });
  await page.getByTestId("notice").locator("button").click();
});

test("sorting and profiling use all 150,000 rows, NULLs placed as Redshift places them", async () => {
  promptAnswers.push("models/many_numbers.sql");
  await page.getByTestId("new-file").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="open-path"]')?.textContent === "models/many_numbers.sql");
  await page.locator(".cm-content").click();
  await page.keyboard.insertText(
    "with d as (\n" +
    "    select 0 as n union all select 1 union all select 2 union all select 3 union all select 4\n" +
    "    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9\n" +
    "), f as (\n" +
    "    select 0 as n union all select 1\n" +
    "), numbers as (\n" +
    "    select a.n + 10 * b.n + 100 * c.n + 1000 * d2.n + 10000 * e.n + 100000 * f.n as i\n" +
    "    from d a cross join d b cross join d c cross join d d2 cross join d e cross join f\n" +
    ")\n" +
    "select i, case when i % 1000 = 0 then null else i end as sometimes\n" +
    "from numbers\n" +
    "where i < 150000\n");
  // A new file runs alone: nothing else changed.
  assert.equal(await nextBuild(() => page.keyboard.press("Control+Enter")), "PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1");
  await page.locator('[data-tab="Results"]').click();
  await page.getByText("150000 rows (first 100000 shown)").waitFor({ timeout: TIMEOUT });
  const firstCell = (col) => page.locator(".grid-scroll tbody tr:not(.spacer)").first().locator("td").nth(col).textContent();
  const sortBy = async (column, arrow) => {
    await page.locator(`th[data-column="${column}"] a.sort`).click();
    await page.waitForFunction(([c, a]) => document.querySelector(`th[data-column="${c}"] a.sort`)?.textContent.endsWith(a), [column, arrow], { timeout: TIMEOUT });
    const order = `sorted by ${column} ${arrow === "▲" ? "ascending" : "descending"}`;
    await page.waitForFunction((o) => document.querySelector('[data-testid="sorted-by"]')?.textContent.startsWith(o), order, { timeout: TIMEOUT });
  };
  await sortBy("i", "▲");
  await sortBy("i", "▼");
  assert.equal(await firstCell(0), "149999", "the largest of all rows, not of the first 100,000");
  await sortBy("sometimes", "▲");
  await sortBy("sometimes", "▼");
  assert.equal(await firstCell(1), "NULL", "NULLs come first in descending order");
  // A third click goes back to the table's own order.
  await page.locator('th[data-column="sometimes"] a.sort').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="sorted-by"]')?.textContent);
  await page.getByText("Profile columns").click();
  await page.locator("td.profile").first().getByText("distinct 150000").waitFor({ timeout: TIMEOUT });
  assert.match(await page.locator("td.profile").first().locator(".range").textContent(), /^0 … 149999$/);
  assert.match(await page.locator("td.profile").nth(1).textContent(), /nulls 150 · distinct 149850/);
  await page.screenshot({ path: join(shots, "33-sorted-and-profiled.png") });
});

test("completion offers the project's models inside ref() and the columns in scope", async () => {
  await openFile(STAGING);
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type("-- {{ ref('stg_source1");
  const options = page.locator(".cm-tooltip-autocomplete li");
  await options.getByText("stg_source1_providers").first().waitFor({ timeout: 30_000 });
  // CodeMirror ignores Enter in the first moments of a list, so that a fast typist's Enter
  // is not taken for a choice; a user reads the list first.
  await page.waitForTimeout(300);
  await page.keyboard.press("Enter");
  await page.keyboard.press("End");
  assert.match((await page.locator(".cm-line").allTextContents()).at(-1), /ref\('stg_source1_providers'/);
  await page.keyboard.press("Enter");
  await page.keyboard.type("-- license_t");
  await options.getByText("license_type").first().waitFor({ timeout: 30_000 });
  assert.match(await page.locator(".cm-tooltip-autocomplete").textContent(), /column of stg_source2_providers/);
  await page.screenshot({ path: join(shots, "34-completion.png") });
  await page.keyboard.press("Escape");
  // Enter keeps the indentation of the line it breaks.
  await page.keyboard.press("Enter");
  await page.keyboard.type("    select 1");
  await page.keyboard.press("Enter");
  await page.keyboard.type("x");
  const lines = await page.locator(".cm-line").allTextContents();
  assert.equal(lines.at(-1), "    x");
  // Leave the model as the sample has it (the editor draws only the lines in view, so its
  // text is read from the sample itself).
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText(readFileSync(join(here, "..", "..", "sample-data", "brightwheel", STAGING), "utf8"));
  await page.waitForFunction(() => !document.querySelector(".cm-lint-marker-error"), null, { timeout: 30_000 });
});

test("the main views at 1440x900 and 1024x700, for the README", async () => {
  assert.equal(await nextBuild(() => page.getByTestId("build-all").click()), "PASS=66 WARN=1 ERROR=0 SKIP=0 TOTAL=67");
  assert.equal(await page.locator(".cm-lint-marker-error").count(), 0);
  for (const [width, height] of [[1440, 900], [1024, 700]]) {
    await page.setViewportSize({ width, height });
    await openFile(STAGING);
    await page.locator('[data-tab="Results"]').click();
    await page.getByTestId("row-count").waitFor({ timeout: TIMEOUT });
    // The toolbar is one row at both sizes.
    const bar = await page.locator("header.top").boundingBox();
    assert.ok(bar.height < 48, `the toolbar does not wrap at ${width}px (${bar.height}px high)`);
    await page.screenshot({ path: join(shots, `readme-results-${width}x${height}.png`) });
    await page.locator('[data-tab="Lineage"]').click();
    await page.locator("svg.dag g.node").first().waitFor();
    await page.screenshot({ path: join(shots, `readme-lineage-${width}x${height}.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  copyFileSync(join(shots, "30-failed-run.png"), join(shots, "readme-failed-run.png"));
});
