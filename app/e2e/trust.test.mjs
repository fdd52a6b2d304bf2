// What the page shows can be believed: an error leaves the line once the line is fixed, a
// failed run says so above the grid, Cancel leaves nothing claiming success, a data file that
// does not fit its source is refused with the project unchanged, sorting and profiling use
// every row, and completion knows the project. Each test reproduces a defect found by using
// the page as a new user would. Screenshots of the main views at two window sizes are taken
// for the README.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "./serve.mjs";
import * as h from "./helpers.mjs";
import { FULL_BUILD, STAGING, TIMEOUT, here, shots } from "./helpers.mjs";

let server, browser, page;

before(async () => {
  server = await serve(h.dist);
  browser = await h.launch();
  page = await h.newPage(browser);
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await idle();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const summary = () => h.summary(page);
const idle = () => h.idle(page);
const nextBuild = (action) => h.nextBuild(page, action);
const openFile = (path) => h.openFile(page, path);

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
  // The error is placed at the cast that failed (line 52), not at an earlier cast of a constant.
  assert.match(await banner.textContent(), /^The last run of stg_source2_providers failed: models\/staging\/stg_source2_providers\.sql:52:\d+: /);
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
  // The dialog says what would happen before anything does: a file that would be refused
  // says why and cannot be added.
  const preview = page.getByTestId("data-preview");
  for (const t of tries) {
    await page.getByTestId("add-data").setInputFiles({ name: t.name, mimeType: "text/csv", buffer: t.buffer });
    await page.getByTestId("data-dialog").waitFor();
    await preview.getByText(t.why, { exact: false }).waitFor({ timeout: TIMEOUT });
    assert.match(await preview.textContent(), /^It would be refused: /);
    assert.ok(await page.getByTestId("data-add").isDisabled(), "a refused file cannot be added");
    await page.screenshot({ path: join(shots, "32-data-refused.png") });
    await page.getByTestId("data-dialog").getByText("Cancel").click();
    assert.equal(await page.locator("li[data-path]").count(), filesBefore, "no file was added");
    assert.equal(await idle(), FULL_BUILD, "the last build still stands");
  }
  // A file with the source's columns fits, and the dialog lists them.
  const load = readFileSync(join(here, "..", "..", "sample-data", "brightwheel", "data", "brightwheel_exercise",
    "salesforce_leads", "2024-05-16T07-00-00.csv"), "utf8").split("\n").slice(0, 3).join("\n");
  await page.getByTestId("add-data").setInputFiles({ name: "salesforce_leads.csv", mimeType: "text/csv", buffer: Buffer.from(load) });
  await preview.getByText("Fits, with", { exact: false }).waitFor({ timeout: TIMEOUT });
  assert.ok(!(await page.getByTestId("data-add").isDisabled()));
  await page.getByTestId("data-dialog").getByText("Cancel").click();
  assert.equal(await page.locator("li[data-path]").count(), filesBefore, "no file was added");
});

test("sorting and profiling use all 150,000 rows, NULLs placed as Redshift places them", async () => {
  await page.getByTestId("new-file").click();
  await h.answer(page, "models/many_numbers.sql");
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

test("new file, rename and delete ask in the page's own dialogs, and Cancel or Escape changes nothing", async () => {
  const NUMBERS = "models/many_numbers.sql";
  const file = (path) => page.locator(`li[data-path="${path}"]`);
  // Escape leaves a delete undone.
  await file(NUMBERS).hover();
  await file(NUMBERS).getByTitle("Delete").click();
  assert.match(await page.getByTestId("ask-question").textContent(), /^Delete `models\/many_numbers\.sql`\?$/);
  await page.keyboard.press("Escape");
  await page.getByTestId("ask").waitFor({ state: "detached" });
  await file(NUMBERS).waitFor();
  // The rename field starts from the path, the name part selected, ready to be typed over.
  await file(NUMBERS).hover();
  await file(NUMBERS).getByTitle("Rename").click();
  const field = page.getByTestId("ask-field");
  assert.equal(await field.inputValue(), NUMBERS);
  assert.equal(await field.evaluate((i) => i.value.slice(i.selectionStart, i.selectionEnd)), "many_numbers");
  await page.screenshot({ path: join(shots, "35-rename-dialog.png") });
  await page.keyboard.type("numbers");
  await page.keyboard.press("Enter");
  await file("models/numbers.sql").waitFor();
  assert.equal(await file(NUMBERS).count(), 0);
  assert.equal(await page.getByTestId("open-path").textContent(), "models/numbers.sql");
  // A name already taken is refused, and said why.
  await page.getByTestId("new-file").click();
  await h.answer(page, "models/numbers.sql");
  await page.getByTestId("notice").getByText("`models/numbers.sql` already exists").waitFor();
  await page.getByTestId("notice").locator("button").click();
  // Cancel creates nothing.
  const filesBefore = await page.locator("li[data-path]").count();
  await page.getByTestId("new-file").click();
  await page.getByTestId("ask-cancel").click();
  assert.equal(await page.locator("li[data-path]").count(), filesBefore);
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

// The point over the middle of `word` on the editor's line holding `text`.
async function pointAt(text, word) {
  const line = page.locator(".cm-line", { hasText: text }).first();
  await line.scrollIntoViewIfNeeded();
  return line.evaluate((el, w) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent.indexOf(w);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + w.length);
      const r = range.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    }
    throw new Error(`${w} is not on the line`);
  }, word);
}

test("hover shows a column's type, and Ctrl+click or F12 goes to a macro's or a ref's definition", async () => {
  await openFile(STAGING);
  await page.locator(".cm-content").click();
  // The lines drawn depend on the scroll: go near the end, where the names are.
  await page.keyboard.press("Control+End");
  const over = await pointAt("star_level as curriculum_type", "star_level");
  await page.mouse.move(over.x, over.y);
  const tip = page.locator(".cm-project-tip");
  await tip.waitFor({ timeout: 30_000 });
  assert.match(await tip.textContent(), /^star_level varchar[^]*column of brightwheel_exercise\.source2_file$/);
  await page.screenshot({ path: join(shots, "36-hover-type.png") });
  const macro = await pointAt("digits_only('phone')", "digits_only");
  await page.keyboard.down("Control");
  await page.mouse.click(macro.x, macro.y);
  await page.keyboard.up("Control");
  await page.waitForFunction(() => document.querySelector('[data-testid="open-path"]')?.textContent === "macros/cleaning.sql");
  // F12 on a model's name in a ref opens the model.
  await openFile("models/intermediate/int_salesforce_leads_normalized.sql");
  await page.locator(".cm-line", { hasText: "ref('state_codes')" }).waitFor();
  const ref = await pointAt("ref('stg_salesforce_leads')", "stg_salesforce_leads");
  await page.mouse.click(ref.x, ref.y);
  await page.keyboard.press("F12");
  await page.waitForFunction(() => document.querySelector('[data-testid="open-path"]')?.textContent === "models/staging/stg_salesforce_leads.sql");
});

test("the main views at 1440x900 and 1024x700, for the README", async () => {
  assert.equal(await nextBuild(() => page.getByTestId("build-all").click()), "PASS=66 WARN=1 ERROR=0 SKIP=0 TOTAL=67");
  assert.equal(await page.locator(".cm-lint-marker-error").count(), 0);
  for (const [width, height] of [[1440, 900], [1024, 700]]) {
    await page.setViewportSize({ width, height });
    await openFile(STAGING);
    await page.locator('[data-tab="Results"]').click();
    await page.getByTestId("row-count").waitFor({ timeout: TIMEOUT });
    // The toolbar is one row at both sizes, with nothing scrolled out of sight: the build
    // summary is whole and inside the window.
    const bar = page.locator("header.top");
    assert.ok((await bar.boundingBox()).height < 48, `the toolbar does not wrap at ${width}px`);
    assert.ok(await bar.evaluate((b) => b.scrollWidth <= b.clientWidth), `the toolbar does not scroll at ${width}px`);
    const counts = await page.getByTestId("summary").boundingBox();
    assert.ok(counts.x >= 0 && counts.x + counts.width <= width, `the summary is in view at ${width}px`);
    await page.screenshot({ path: join(shots, `readme-results-${width}x${height}.png`) });
    await page.locator('[data-tab="Lineage"]').click();
    await page.locator("svg.dag g.node").first().waitFor();
    await page.screenshot({ path: join(shots, `readme-lineage-${width}x${height}.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  copyFileSync(join(shots, "30-failed-run.png"), join(shots, "readme-failed-run.png"));
});
