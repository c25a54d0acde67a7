// Reports in a real browser: a lab admin enables the reports plugin, finds its reports under
// Reports, renders lab turnaround as CSV and as PDF and downloads each; a period that ends before
// it starts is shown on the form. A lab tech sees only the reports for lab techs and no schedules.
// The admin schedules a report each month and stops it. axe-core checks every page on the way, at
// desktop and phone widths. The tests run in order: the later ones use the plugin the first
// enables.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, enablePlugin, LEE } from "./harness.mjs";

const app = session();

const TIA = { email: "tia@lensworks.example", password: "lab tech pass 12", name: "Tia" };
const LAB_TECH_REPORTS = ["Lab turnaround", "Quality failures and remakes"];
const ALL_REPORTS = [...LAB_TECH_REPORTS, "Revenue", "Stock value and reorder", "Supplier scorecard"];

/** The main navigation's link `name`. */
function nav(page, name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

/** The titles of the reports the Reports page offers, in order. */
async function offered(page) {
  return (await page.locator(".cards h2").allTextContents()).map((t) => t.trim());
}

/** Renders `title` as `format` over [start, end) from the Reports page; returns the response. */
async function render(page, title, format, start, end) {
  const report = page.getByRole("region", { name: title });
  await report.getByLabel("Format").selectOption(format);
  await report.getByLabel("From (first day)").fill(start);
  await report.getByLabel("To (the day after the last)").fill(end);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    report.getByRole("button", { name: `Render ${title}` }).click(),
  ]);
  return response;
}

/** On a run's page once it is ready: its file, downloaded with the page's cookies. */
async function download(page) {
  await page.locator("#run-status", { hasText: "Ready" }).waitFor();
  const href = await page.getByRole("link", { name: "Download the report" }).getAttribute("href");
  const file = await page.request.get(new URL(href, page.url()).href);
  assert.equal(file.status(), 200);
  return { type: file.headers()["content-type"], body: await file.body() };
}

test("a lab admin enables Reports and downloads lab turnaround as CSV and PDF", async () => {
  const { base } = app;
  const lee = await app.person();
  await signIn(lee, base, LEE);
  await enablePlugin(lee, base, "reports", ["reports-read", "files-write"]);

  await nav(lee, "Reports").click();
  await lee.getByRole("heading", { level: 1, name: "Reports" }).waitFor();
  assert.deepEqual(await offered(lee), ALL_REPORTS);
  await step(lee, "reports");
  await screenshot(lee, "reports");

  await render(lee, "Lab turnaround", "csv", "2026-01-01", "2026-04-01");
  await lee.getByRole("heading", { level: 1, name: "Lab turnaround" }).waitFor();
  assert.equal(await lee.locator("#run-period").textContent(), "1 Jan 2026 – 31 Mar 2026");
  await step(lee, "report run");
  await screenshot(lee, "report-run");
  const csv = await download(lee);
  assert.match(csv.type, /^text\/csv/);
  assert.ok(
    csv.body.toString("utf8").startsWith("By lens type\r\nLens type,Orders shipped,Median (days),90th percentile (days)\r\n"),
    `the CSV starts with its first table: ${csv.body.toString("utf8").slice(0, 120)}`,
  );

  await nav(lee, "Reports").click();
  await render(lee, "Lab turnaround", "pdf", "2026-01-01", "2026-04-01");
  const pdf = await download(lee);
  assert.match(pdf.type, /^application\/pdf/);
  assert.equal(pdf.body.subarray(0, 5).toString("latin1"), "%PDF-");

  // Both runs are listed, newest first, each with its period and file.
  await nav(lee, "Reports").click();
  const runs = lee.getByRole("region", { name: "Recent runs" }).locator("tbody tr");
  assert.equal(await runs.count(), 2);
  await runs.first().getByRole("link", { name: "Download Lab turnaround, 1 Jan 2026 – 31 Mar 2026 (PDF)" }).waitFor();
  await runs.nth(1).getByRole("link", { name: "Download Lab turnaround, 1 Jan 2026 – 31 Mar 2026 (CSV)" }).waitFor();

  // A period that ends before it starts is shown on its form, as it was typed, and not rendered.
  const refused = await render(lee, "Lab turnaround", "csv", "2026-04-01", "2026-01-01");
  assert.equal(refused.status(), 422);
  await lee.getByRole("alert").filter({ hasText: "The period ends before it starts." }).waitFor();
  const report = lee.getByRole("region", { name: "Lab turnaround" });
  const end = report.getByLabel("To (the day after the last)");
  assert.equal(await end.getAttribute("aria-invalid"), "true");
  assert.match(await report.locator(".error").textContent(), /must be after the first day/);
  assert.equal(await end.inputValue(), "2026-01-01");
  assert.equal(await report.getByLabel("From (first day)").inputValue(), "2026-04-01");
  assert.equal(await runs.count(), 2, "no run is recorded for it");
  await step(lee, "reports with a refused period");
});

test("a lab tech sees only the reports for lab techs, and no schedules", async () => {
  const { base } = app;
  const tia = await app.person();
  await tia.goto(`${base}/register`);
  await tia.getByLabel("Workplace short name").fill("lensworks");
  await tia.getByLabel("Your name").fill(TIA.name);
  await tia.getByLabel("E-mail address").fill(TIA.email);
  await tia.getByLabel("Password").fill(TIA.password);
  await tia.getByRole("button", { name: "Ask to join" }).click();
  await tia.getByText("An administrator of lensworks will approve your request").waitFor();

  const lee = await app.person();
  await signIn(lee, base, LEE);
  await lee.goto(`${base}/users`);
  await lee.getByLabel(`Role for ${TIA.name}`).selectOption("lab_tech");
  await lee.getByRole("button", { name: `Approve ${TIA.name}` }).click();
  await lee.getByRole("cell", { name: TIA.email }).waitFor();

  await signIn(tia, base, TIA);
  await nav(tia, "Reports").click();
  await tia.getByRole("heading", { level: 1, name: "Reports" }).waitFor();
  assert.deepEqual(await offered(tia), LAB_TECH_REPORTS);
  assert.equal(await tia.getByRole("heading", { name: "Schedules", exact: true }).count(), 0);
  assert.equal(await tia.getByRole("form", { name: "Schedule a report" }).count(), 0);
  await step(tia, "reports for a lab tech");
});

test("a lab admin schedules a report each month and stops it", async () => {
  const { base } = app;
  const lee = await app.person();
  await signIn(lee, base, LEE);
  await nav(lee, "Reports").click();
  await lee.locator("#no-schedules").waitFor();

  const form = lee.getByRole("form", { name: "Schedule a report" });
  await form.getByLabel("Report").selectOption({ label: "Quality failures and remakes" });
  await form.getByLabel("Format").selectOption("csv");
  await form.getByLabel("Every").selectOption("month");
  // Without anyone to e-mail it is refused, the choices kept.
  await form.getByRole("button", { name: "Schedule" }).click();
  await lee.getByRole("group", { name: "E-mail a link to" }).locator(".error").waitFor();
  assert.equal(await form.getByLabel("Report").inputValue(), "reports/quality");
  assert.equal(await form.getByLabel("Every").inputValue(), "month");
  await step(lee, "schedule refused");
  await form.getByLabel("company_admin").check();
  await form.getByRole("button", { name: "Schedule" }).click();

  const schedules = lee.getByRole("region", { name: "Schedules" });
  const row = schedules.getByRole("row", { name: /Quality failures and remakes/ });
  await row.waitFor();
  assert.match(await row.textContent(), /CSV[\s\S]*month[\s\S]*company_admin/);
  await step(lee, "reports with a schedule");

  await row.getByRole("button", { name: "Stop schedule of Quality failures and remakes every month (CSV)" }).click();
  await lee.locator("#no-schedules").waitFor();
  assert.equal(await schedules.count(), 0);
});
