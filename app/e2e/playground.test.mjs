// Drives the real page (built by `scripts/build-page`; the test suite passes its dev build) in headless Chromium:
// the sample project loads and builds, a staging model is opened, edited and re-run, a
// syntax error is shown at its line, the DAG and a column's lineage are drawn, the edit
// survives a reload, and the Redshift export downloads. Screenshots of each step are
// written to app/e2e/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { deflateRawSync } from "node:zlib";
import { join } from "node:path";
import { serve } from "./serve.mjs";
import * as h from "./helpers.mjs";
import { FULL_BUILD, STAGING, TIMEOUT as BUILD_TIMEOUT, here, shots } from "./helpers.mjs";

let server, browser, page, base;

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

async function builds() {
  return Number(await page.getByTestId("summary").getAttribute("data-builds"));
}

const summary = () => h.summary(page);
const buildFinished = (p = page) => h.idle(p);
const openFile = (path) => h.openFile(page, path);
const freshPage = () => h.newPage(browser, { width: 1400, height: 900 });

before(async () => {
  server = await serve(h.dist);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await h.launch();
  page = await freshPage();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("the sample project loads and Build all builds every node", async () => {
  await page.goto(base);
  await buildFinished();
  const before = await builds();
  await page.getByTestId("build-all").click();
  await page.waitForFunction(
    (b) => Number(document.querySelector('[data-testid="summary"]')?.getAttribute("data-builds")) > b,
    before,
    { timeout: BUILD_TIMEOUT },
  );
  await buildFinished();
  assert.match(await summary(), new RegExp(FULL_BUILD));
  await shot("01-build-all");
});

test("opening a staging model shows its rows", async () => {
  await openFile(STAGING);
  await page.getByTestId("row-count").waitFor();
  assert.match(await page.getByTestId("row-count").textContent(), /^\d+ rows · \d+ columns/);
  assert.ok(await page.locator('th[data-column="phone_digits"]').count(), "phone_digits column shown");
  assert.ok((await page.locator(".grid-scroll tbody tr:not(.spacer)").count()) > 0);
  await shot("02-staging-rows");
});

test("adding a column and pressing Ctrl+Enter re-runs only the model and its descendants", async () => {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp"); // the file ends with a newline; stand on `from source`
  await page.keyboard.press("Home");
  await page.keyboard.type(", 1 as playground_marker");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+Enter");
  await page.locator('th[data-column="playground_marker"]').waitFor({ timeout: BUILD_TIMEOUT });
  await buildFinished();
  const s = await summary();
  const total = Number(/TOTAL=(\d+)/.exec(s)[1]);
  const reused = Number(/(\d+) reused/.exec(s)?.[1] ?? 0);
  assert.ok(total > 1 && total < 66, `only the model and its descendants ran: ${s}`);
  assert.ok(reused > 0, `upstream results were reused: ${s}`);
  assert.match(s, /ERROR=0 SKIP=0/);
  await shot("03-edit-and-rerun");
});

test("a syntax error is shown at its line", async () => {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.type("selec 1\n");
  await page.locator(".cm-lint-marker-error").first().waitFor({ timeout: 30_000 });
  await page.locator('[data-tab="Problems"]').click();
  const problem = page.locator(".problem.error").first();
  await problem.waitFor();
  assert.match(await problem.locator(".where").textContent(), new RegExp(`^${STAGING}:1:1$`));
  // The gutter marker is on line 1, beside the typed text.
  const markerTop = (await page.locator(".cm-lint-marker-error").first().boundingBox()).y;
  const lineTop = (await page.locator(".cm-line").first().boundingBox()).y;
  assert.ok(Math.abs(markerTop - lineTop) < 12, `marker at line 1 (${markerTop} vs ${lineTop})`);
  await shot("04-syntax-error");
  // Take the error out again.
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("Shift+ArrowDown");
  await page.keyboard.press("Delete");
  await page.waitForFunction(() => !document.querySelector(".cm-lint-marker-error"), null, { timeout: 30_000 });
});

test("the lineage graph has the project's nodes and edges, and a column's lineage", async () => {
  await page.locator('[data-tab="Lineage"]').click();
  // 4 sources, 2 seeds, 15 models and 4 snapshots.
  await page.waitForFunction(() => document.querySelectorAll("svg.dag g.node").length === 25);
  const edges = await page.locator("svg.dag path.edge").count();
  assert.ok(edges >= 24, `edges drawn: ${edges}`);
  assert.equal(
    await page.locator('path.edge[data-edge="model.brightwheel.stg_source2_providers model.brightwheel.int_providers_unioned"]').count(),
    1,
  );
  await page.locator('[data-tab="Results"]').click();
  await page.locator('th[data-column="phone_digits"] .lineage-button').click();
  const up = page.getByTestId("upstream-columns");
  await up.waitFor();
  assert.match(await up.textContent(), /source2_file\.phone/);
  assert.match(await page.getByTestId("downstream-columns").textContent(), /int_providers_unioned\.phone_digits/);
  await shot("05-lineage");
});

test("reloading the page keeps the edit", async () => {
  await page.reload();
  await buildFinished();
  assert.equal(await page.getByTestId("open-path").textContent(), STAGING);
  // The restored edit was built: its column is in the grid.
  await page.locator('th[data-column="playground_marker"]').waitFor();
  // And it is in the editor (which renders only the lines in view: go to the end).
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.waitForFunction(() => document.querySelector(".cm-content").textContent.includes("playground_marker"));
  await shot("06-after-reload");
});

test("the Redshift export downloads with deploy.sql", async () => {
  await page.locator('[data-tab="Compiled SQL"]').click();
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: BUILD_TIMEOUT }),
    page.getByTestId("export").click(),
  ]);
  const path = join(shots, "redshift-export.zip");
  await download.saveAs(path);
  const zip = readFileSync(path);
  assert.equal(zip.subarray(0, 2).toString(), "PK");
  assert.ok(zip.includes(Buffer.from("redshift/deploy.sql")), "deploy.sql in the archive");
  await page.getByTestId("exported-sql").waitFor();
  assert.match(await page.getByTestId("exported-sql").textContent(), /create (table|view)/i);
  await shot("07-export");
});

// Clicks Share and returns the link the notice shows.
async function shareLink(p) {
  await h.projectMenu(p, "share");
  const notice = p.getByTestId("notice");
  await notice.getByText("Share link copied").waitFor();
  return /(http\S+#mp1\.\S+)/.exec(await notice.locator("span").first().textContent())[1];
}

// Clicks Download .zip and saves the archive under the screenshots folder; returns its path.
async function downloadProject(p, name) {
  const [download] = await Promise.all([
    p.waitForEvent("download", { timeout: BUILD_TIMEOUT }),
    h.projectMenu(p, "download-project"),
  ]);
  const path = join(shots, name);
  await download.saveAs(path);
  return path;
}

async function markerShownOn(p) {
  await p.locator(`li[data-path="${STAGING}"] a`).click();
  await p.locator('th[data-column="playground_marker"]').waitFor({ timeout: BUILD_TIMEOUT });
}

let link;

test("a share link opens the edited project, built, in a fresh browser profile", async () => {
  link = await shareLink(page);
  const counts = (await summary()).split(" · ")[0];
  const other = await freshPage();
  await other.goto(link);
  assert.equal(await buildFinished(other), counts);
  await markerShownOn(other);
  await other.screenshot({ path: join(shots, "08-opened-share-link.png") });
  await other.context().close();
});

test("a damaged or cut-short link says so and leaves the workspace untouched", async () => {
  for (const bad of [link.slice(0, link.length - 40), `${base}#mp1.not-a-project`]) {
    await page.goto("about:blank");
    await page.goto(bad);
    await page.getByTestId("notice").getByText("Could not open the link").waitFor({ timeout: BUILD_TIMEOUT });
    await buildFinished(page);
    await markerShownOn(page);
  }
  await shot("09-damaged-link");
});

test("the workspace downloads as a .zip that opens in a fresh profile; a broken .zip is refused", async () => {
  const zipPath = await downloadProject(page, "project.zip");
  const other = await freshPage();
  await other.goto(base);
  await buildFinished(other);
  await other.getByTestId("open-zip").setInputFiles(zipPath);
  await other.locator(`li[data-path="${STAGING}"]`).waitFor();
  await buildFinished(other);
  await markerShownOn(other);
  await other.getByTestId("open-zip").setInputFiles({ name: "broken.zip", mimeType: "application/zip", buffer: Buffer.from("PK not really") });
  await other.getByTestId("notice").getByText("Could not open the archive").waitFor();
  await markerShownOn(other);
  await other.screenshot({ path: join(shots, "10-broken-zip.png") });
  await other.context().close();
});

test("an oversized link and a zip bomb are refused and leave the workspace untouched", async () => {
  // 70 MB of text deflates to a link short enough to carry, and expands past the 64 MiB limit.
  const json = JSON.stringify({ base: null, files: [["dbt_project.yml", { text: "name: big\n" }], ["big.txt", { text: "a".repeat(70_000_000) }]], deleted: [] });
  const payload = deflateRawSync(Buffer.from(json), { level: 9 }).toString("base64url");
  await page.goto("about:blank");
  await page.goto(`${base}#mp1.${payload}`);
  await page.getByTestId("notice").getByText("the link expands past 64 MiB").waitFor({ timeout: BUILD_TIMEOUT });
  await buildFinished(page);
  await markerShownOn(page);
  const bomb = join(mkdtempSync(join(tmpdir(), "modelplay-bomb-")), "bomb.zip");
  execFileSync("python3", ["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n"
    + "z.writestr('p/dbt_project.yml', 'name: big\\n')\nz.writestr('p/big.txt', b'0' * 70_000_000)\nz.close()", bomb]);
  await page.getByTestId("open-zip").setInputFiles(bomb);
  await page.getByTestId("notice").getByText("the archive expands past 64 MiB").waitFor({ timeout: BUILD_TIMEOUT });
  await markerShownOn(page);
  await shot("09b-oversized");
});

const TINY_SHOP = join(here, "..", "..", "engine", "tests", "fixtures", "tiny_shop");
const TINY_SHOP_BUILD = "PASS=8 WARN=0 ERROR=0 SKIP=0 TOTAL=8";
const PARQUET = "data/shop/refunds/2024-05-02.parquet";
// A binary file with a non-ASCII name, which the playground keeps without understanding it.
const ODD_NAME = "assets/r\u00e9sum\u00e9 \u{1f4ca}.bin";
const cli = process.env.MODELPLAY_CLI || join(process.env.CARGO_TARGET_DIR || join(process.env.HOME, ".cache", "modelplay", "target"), "debug", "modelplay");

async function builtWith(p, counts) {
  const total = counts.split(" ").find((c) => c.startsWith("TOTAL="));
  await p.waitForFunction((t) => (document.querySelector('[data-testid="summary"]')?.textContent ?? "").includes(t), total, { timeout: BUILD_TIMEOUT });
  assert.equal(await buildFinished(p), counts);
}

async function selectedWorkspace(p) {
  return p.getByTestId("workspace").evaluate((s) => s.options[s.selectedIndex].textContent);
}

let shopPage;

test("a dbt project folder with CSV seeds and sources and a Parquet source opens in a workspace of its own and builds", async () => {
  shopPage = await freshPage();
  await shopPage.goto(base);
  await buildFinished(shopPage);
  await shopPage.getByTestId("open-folder").setInputFiles(TINY_SHOP);
  await shopPage.locator('li[data-path="models/revenue_by_region.sql"]').waitFor();
  // A file the playground does not understand is kept and listed; so is the binary Parquet.
  await shopPage.locator('li[data-path="notes.txt"]').waitFor();
  await shopPage.locator(`li[data-path="${ODD_NAME}"]`).waitFor();
  await shopPage.locator(`li[data-path="${PARQUET}"]`).waitFor({ state: "attached" });
  await builtWith(shopPage, TINY_SHOP_BUILD);
  assert.equal(await selectedWorkspace(shopPage), "tiny_shop");
  await shopPage.locator('li[data-path="models/net_revenue_by_region.sql"] a').click();
  await shopPage.getByTestId("row-count").getByText("2 rows").waitFor({ timeout: BUILD_TIMEOUT });
  assert.ok(await shopPage.getByText("8.00").first().isVisible());
  await shopPage.screenshot({ path: join(shots, "11-opened-folder.png") });
});

test("a project with a Parquet file round-trips byte for byte through a link and a .zip", async () => {
  const shopLink = await shareLink(shopPage);
  const zipPath = await downloadProject(shopPage, "tiny_shop.zip");
  const other = await freshPage();
  await other.goto(shopLink);
  await builtWith(other, TINY_SHOP_BUILD);
  assert.equal(await selectedWorkspace(other), "Shared link");
  await other.getByTestId("open-zip").setInputFiles(zipPath);
  await other.locator(`li[data-path="${PARQUET}"]`).waitFor({ state: "attached" });
  await builtWith(other, TINY_SHOP_BUILD);
  // The link's project and the archive's are each a workspace; the sample's is still there.
  const names = await other.getByTestId("workspace").evaluate((s) => [...s.options].map((o) => o.textContent));
  assert.deepEqual(names, ["My workspace", "Shared link", "tiny_shop"]);
  // The CLI reads the page's link into the same files, the Parquet byte for byte.
  const out = mkdtempSync(join(tmpdir(), "modelplay-open-"));
  rmSync(out, { recursive: true });
  execFileSync(cli, ["open", shopLink, "--out", out]);
  for (const f of [PARQUET, ODD_NAME]) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(TINY_SHOP, f))), f);
  assert.match(execFileSync(cli, ["build", "--project-dir", out]).toString(), /PASS=8 WARN=0 ERROR=0 SKIP=0 TOTAL=8/);
  await other.context().close();
});

test("a link made by the CLI opens in the page and builds the same", async () => {
  const made = execFileSync(cli, ["share", "--project-dir", TINY_SHOP, "--base-url", base]).toString();
  const cliLink = /(http\S+#mp1\.\S+)/.exec(made)[1];
  const other = await freshPage();
  await other.goto(cliLink);
  await builtWith(other, TINY_SHOP_BUILD);
  await other.locator(`li[data-path="${PARQUET}"]`).waitFor({ state: "attached" });
  await other.context().close();
});

test("a dropped CSV and a picked Parquet file are sampled into source loads", async () => {
  let csv = "Order Id,Customer,Region,Amount\n";
  for (let i = 0; i < 5000; i++) csv += `${i},C${i},${i % 2 ? "E" : "W"},1.00\n`;
  // Dropped on the page, as a user drags a file from their desktop.
  const dataTransfer = await shopPage.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], "orders.csv", { type: "text/csv" }));
    return dt;
  }, csv);
  await shopPage.dispatchEvent("main", "drop", { dataTransfer });
  const dialog = shopPage.getByTestId("data-dialog");
  await dialog.waitFor();
  assert.equal(await shopPage.getByTestId("data-destination").inputValue(), "source:shop.orders");
  await shopPage.getByTestId("data-load-date").fill("2024-05-03");
  await shopPage.getByTestId("data-keep").selectOption("random");
  await shopPage.getByTestId("data-rows").fill("100");
  await shopPage.screenshot({ path: join(shots, "12-add-data.png") });
  await shopPage.getByTestId("data-add").click();
  await shopPage.getByTestId("notice").getByText("Added data/shop/orders/2024-05-03.csv: kept 100 of the 5000 rows read.").waitFor({ timeout: BUILD_TIMEOUT });
  await shopPage.locator('li[data-path="data/shop/orders/2024-05-03.csv"]').waitFor({ state: "attached" });
  await builtWith(shopPage, TINY_SHOP_BUILD);

  await shopPage.getByTestId("add-data").setInputFiles(join(TINY_SHOP, PARQUET));
  await dialog.waitFor();
  assert.equal(await shopPage.getByTestId("data-destination").inputValue(), "source:shop.orders");
  await shopPage.getByTestId("data-destination").selectOption("source:shop.refunds");
  await shopPage.getByTestId("data-load-date").fill("2024-05-04");
  await shopPage.getByTestId("data-keep").selectOption("first");
  await shopPage.getByTestId("data-rows").fill("1");
  await shopPage.getByTestId("data-add").click();
  await shopPage.getByTestId("notice").getByText("Added data/shop/refunds/2024-05-04.parquet: kept 1 of the 2 rows read.").waitFor({ timeout: BUILD_TIMEOUT });
  await builtWith(shopPage, TINY_SHOP_BUILD);

  // A Parquet file cannot be a seed (dbt seeds are CSV): the dialog says so and adds nothing.
  await shopPage.getByTestId("add-data").setInputFiles(join(TINY_SHOP, PARQUET));
  await shopPage.getByTestId("data-destination").selectOption("seed");
  await shopPage.getByTestId("data-add").click();
  await shopPage.getByTestId("data-error").getByText("dbt seeds are CSV files").waitFor();
  await shopPage.getByTestId("data-dialog").getByText("Cancel").click();
});

test("workspaces are listed, switched, renamed and deleted", async () => {
  await shopPage.getByTestId("workspace-rename").click();
  await h.answer(shopPage, "Refunds work");
  await shopPage.waitForFunction(() => [...document.querySelectorAll('[data-testid="workspace"] option')].some((o) => o.textContent === "Refunds work"));
  await shopPage.getByTestId("workspace").selectOption({ label: "My workspace" });
  await builtWith(shopPage, FULL_BUILD);
  await shopPage.locator(`li[data-path="${STAGING}"]`).waitFor();
  await shopPage.getByTestId("workspace").selectOption({ label: "Refunds work" });
  await builtWith(shopPage, TINY_SHOP_BUILD);
  await shopPage.locator('li[data-path="data/shop/refunds/2024-05-04.parquet"]').waitFor({ state: "attached" });
  // Kept across a reload, binary files included.
  await shopPage.reload();
  await builtWith(shopPage, TINY_SHOP_BUILD);
  assert.equal(await selectedWorkspace(shopPage), "Refunds work");
  await shopPage.locator('li[data-path="data/shop/refunds/2024-05-04.parquet"]').waitFor({ state: "attached" });
  await shopPage.getByTestId("workspace-delete").click();
  await h.answer(shopPage);
  await builtWith(shopPage, FULL_BUILD);
  const names = await shopPage.getByTestId("workspace").evaluate((s) => [...s.options].map((o) => o.textContent));
  assert.deepEqual(names, ["My workspace"]);
  await shopPage.screenshot({ path: join(shots, "13-workspaces.png") });
  await shopPage.context().close();
});
