// Unit tests and compare changes, driven in the real page in headless Chromium: a project with
// unit tests opens and builds them; an edit re-run shows what it changed (rows and cells) in
// the Changes tab; a unit test written from a model passes, then fails with dbt's diff once
// the model is broken; a fixture's rows are edited in the grid and saved into the YAML.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "./serve.mjs";
import * as h from "./helpers.mjs";
import { TIMEOUT, here, shots } from "./helpers.mjs";

const CAFE = join(here, "..", "..", "engine", "tests", "fixtures", "unit_tests");
// 3 seeds, 7 models (an ephemeral one is not run), 3 data tests and 5 unit tests.
const CAFE_BUILD = "PASS=18 WARN=0 ERROR=0 SKIP=0 TOTAL=18";

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

const idle = () => h.idle(page);
const nextBuild = (action) => h.nextBuild(page, action);
const openFile = (path) => h.openFile(page, path);

// Replaces the open file's text in the editor, as typing would.
async function replaceText(from, to) {
  const text = await page.evaluate(() => document.querySelector(".cm-content").cmView?.view?.state?.doc?.toString());
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  const current = text ?? (await page.locator(".cm-content").innerText());
  assert.ok(current.includes(from), `the file holds ${from}`);
  await page.keyboard.insertText(current.replace(from, to));
}

function test_row(name) {
  return page.locator(`li.test[data-test$=".${name}"]`);
}

test("a project with unit tests opens, builds them with its models and lists them with the tests", async () => {
  const counts = await nextBuild(() => page.getByTestId("open-folder").setInputFiles(CAFE));
  assert.equal(counts, CAFE_BUILD);
  await page.locator('[data-tab="Tests"]').click();
  await test_row("orders_flag_food_and_count_per_customer").click();
  await page.getByTestId("unit-test-detail").getByText("actual matches expected (3 rows)").waitFor();
  // Its fixtures are grids.
  const given = page.locator('.fixture[data-fixture="ref(\'stg_orders\')"] .fixture-grid tbody tr');
  assert.equal(await given.count(), 3);
});

test("an edit re-run shows in Changes what it did to the rows and cells downstream", async () => {
  await openFile("models/marts/orders.sql");
  await replaceText('"north"', '"west"');
  const counts = await nextBuild(() => page.keyboard.press("Control+Enter"));
  assert.match(counts, /ERROR=0/);
  await page.locator('[data-tab="Changes"]').click();
  await page.getByTestId("changes-against").getByText("Compared with the last build").waitFor();
  const orders = page.locator('section.model-changes[data-model="orders"]');
  await orders.getByText("3 rows before, 3 after: 0 added, 0 removed, 3 changed").waitFor();
  assert.match(await orders.locator(".key").textContent(), /keyed by order_id \(its unique test\)/);
  assert.equal(await orders.locator('.chip[data-column="region"]').textContent(), "region 3");
  const cell = orders.locator("td.changed-cell").first();
  assert.equal(await cell.locator(".was").textContent(), "north");
  assert.equal(await cell.locator(".now").textContent(), "west");
  await page.screenshot({ path: join(shots, "20-compare-changes.png") });
});

test("Write unit test makes a passing test from a model's rows, which then catches a broken edit", async () => {
  await openFile("models/marts/order_items.sql");
  await page.locator('[data-tab="Results"]').click();
  await page.getByTestId("row-count").waitFor({ timeout: TIMEOUT });
  await nextBuild(() => page.getByTestId("write-unit-test").click());
  await page.locator('li[data-path="models/marts/order_items_unit_tests.yml"]').waitFor();
  await page.locator('[data-tab="Tests"]').click();
  const written = test_row("order_items_as_built");
  await written.waitFor();
  assert.match(await written.getAttribute("class"), /\bpass\b/);
  // Break the model: the written test fails, with dbt's diff.
  await openFile("models/marts/order_items.sql");
  await replaceText("costs.supply_cost", "costs.supply_cost * 2 as supply_cost");
  await nextBuild(() => page.keyboard.press("Control+Enter"));
  await page.locator('[data-tab="Tests"]').click();
  assert.match(await written.getAttribute("class"), /\bfail\b/);
  await written.click();
  const diff = page.getByTestId("unit-diff");
  await diff.waitFor();
  assert.ok((await diff.locator("tr.diff-changed").count()) > 0);
  assert.ok((await diff.locator("td.changed-cell").count()) > 0);
  await page.screenshot({ path: join(shots, "21-unit-test-diff.png") });
  // The README shows these two.
  copyFileSync(join(shots, "20-compare-changes.png"), join(shots, "readme-compare-changes.png"));
  copyFileSync(join(shots, "21-unit-test-diff.png"), join(shots, "readme-unit-test-diff.png"));
});

test("a fixture's rows are edited in the grid and saved into the YAML", async () => {
  await test_row("orders_flag_food_and_count_per_customer").click();
  const grid = page.locator('.fixture[data-fixture="ref(\'stg_orders\')"]');
  await grid.locator('input[data-row="2"][data-col="1"]').fill("10");
  await grid.locator('input[data-row="2"][data-col="1"]').press("Tab");
  await grid.getByTestId("fixture-save").click();
  // Customer 10 now has three orders: the expectation no longer holds.
  await idle();
  await page.waitForFunction(() => document.querySelector('li.test[data-test$=".orders_flag_food_and_count_per_customer"]')?.classList.contains("fail"), null, { timeout: TIMEOUT });
  await openFile("models/marts/unit_tests.yml");
  await page.waitForFunction(() => document.querySelector(".cm-content").textContent.includes("{order_id: 3, customer_id: 10, ordered_at: \"2024-06-01 09:00:00\"}"));
});
