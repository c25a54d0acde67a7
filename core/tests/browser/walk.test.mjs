// The README's story, walked through the console in a real browser: a practice admin approves a
// dispenser, who registers a patient, records a prescription, attaches a referral letter and
// orders from a lab; the lab makes and ships the job while the practice's page updates by itself;
// the practice completes it; the admin enables and configures a plugin; a platform admin enrols
// TOTP and suspends a tenant.
// axe-core checks every page on the way.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { step, session, accessible, screenshot, signIn, totp, repo, ROOT, ANN, LEE, DAN } from "./harness.mjs";

const app = session();
const person = () => app.person();

test("the README story through the console", async () => {
  const { base } = app;

  // Dan asks to join Bright Eyes.
  const dan = await person();
  await dan.goto(`${base}/register`);
  await step(dan, "register");
  await dan.getByLabel("Workplace short name").fill("bright-eyes");
  await dan.getByLabel("Your name").fill(DAN.name);
  await dan.getByLabel("E-mail address").fill(DAN.email);
  await dan.getByLabel("Password").fill(DAN.password);
  await dan.getByRole("button", { name: "Ask to join" }).click();
  await dan.getByText("An administrator of bright-eyes will approve your request").waitFor();
  await step(dan, "registered");

  // Ann signs in and approves him as a dispenser.
  const ann = await person();
  await signIn(ann, base, ANN);
  await ann.getByRole("heading", { level: 1, name: /^Today/ }).waitFor();
  await step(ann, "practice home");
  await screenshot(ann, "practice-home");
  await ann.getByRole("link", { name: "1 waiting for approval" }).click();
  await step(ann, "users");
  await ann.getByLabel("Role for Dan").selectOption("dispenser");
  await ann.getByRole("button", { name: "Approve Dan" }).click();
  await ann.getByRole("cell", { name: DAN.email }).waitFor();
  await step(ann, "users after approval");

  // The lab opens an account for the practice.
  const lee = await person();
  await signIn(lee, base, LEE);
  await lee.getByRole("link", { name: "Customers" }).click();
  await step(lee, "lab customers");
  await lee.getByLabel("Practice short name").fill("bright-eyes");
  await lee.getByLabel("Account number").fill("BE-0001");
  await lee.getByRole("button", { name: "Open account" }).click();
  await lee.getByRole("cell", { name: "BE-0001" }).waitFor();

  // Dan registers Ann Smith and records her prescription in plus-cylinder form.
  await signIn(dan, base, DAN);
  await dan.getByRole("link", { name: "Patients" }).click();
  await step(dan, "patients");
  await dan.getByRole("link", { name: "Register a patient" }).click();
  await step(dan, "new patient");
  await dan.getByLabel("First name").fill("Ann");
  await dan.getByLabel("Last name").fill("Smith");
  await dan.getByLabel("Date of birth").fill("1980-02-29");
  await dan.getByLabel("NHS number (optional)").fill("943 476 5919");
  await dan.getByRole("button", { name: "Register" }).click();
  await dan.getByRole("heading", { level: 1, name: "Ann Smith" }).waitFor();
  await step(dan, "patient record");
  await dan.getByRole("link", { name: "Record a prescription" }).click();
  await step(dan, "new prescription");
  const right = dan.getByRole("group", { name: "Right eye" });
  const left = dan.getByRole("group", { name: "Left eye" });
  await right.getByLabel("Sphere").fill("+2.00");
  await right.getByLabel("Cylinder").fill("+1.00");
  await right.getByLabel("Axis").fill("180");
  await left.getByLabel("Sphere").fill("-1.50");
  await left.getByLabel("Cylinder").fill("-0.75");
  await left.getByLabel("Axis").fill("45");
  await dan.getByLabel("Issued on").fill("2026-01-10");
  await dan.getByLabel("Prescriber").fill("O. Optom");
  await dan.getByRole("button", { name: "Record" }).click();
  await dan.getByRole("cell", { name: "+3.00/-1.00×90" }).waitFor();
  await dan.getByRole("cell", { name: "-1.50/-0.75×45" }).waitFor();
  await step(dan, "record with prescription");

  // He attaches the GP's referral letter; a program named like a letter is refused at the form.
  await dan.getByLabel("File").setInputFiles({
    name: "setup.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ\x90\0\x03\0\0\0 a program"),
  });
  await dan.getByRole("button", { name: "Attach" }).click();
  assert.match(await dan.locator("#attachment-problem").textContent(), /must be one of PDF, JPEG/);
  await step(dan, "record with a refused attachment");
  await dan.getByLabel("File").setInputFiles({
    name: "referral.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7\n%\xe2\xe3\n%%EOF\n", "latin1"),
  });
  await dan.getByLabel("What it is (optional)").fill("Referral from Dr Shah");
  await dan.getByRole("button", { name: "Attach" }).click();
  await dan.getByRole("link", { name: "referral.pdf" }).waitFor();
  assert.match(await dan.locator("#attachment-list").textContent(), /application\/pdf[\s\S]*Referral from Dr Shah/);
  await step(dan, "record with an attachment");
  await screenshot(dan, "patient-record");

  // He orders from Lensworks; a wrong measurement is shown at its field, and nothing is lost.
  await dan.getByRole("link", { name: "Order from a lab" }).click();
  await step(dan, "order form");
  await dan.getByLabel("Lab", { exact: true }).selectOption({ label: "Lensworks (account BE-0001)" });
  await dan.getByLabel("Material").selectOption("high_index");
  await dan.getByLabel("Index").fill("1.67");
  await dan.getByLabel("hard_coat").check();
  await dan.getByLabel("anti_reflective").check();
  await dan.getByLabel("Frame", { exact: true }).fill("Ray-Ban RB5154 51-21 black");
  await dan.getByLabel("Right PD, mm").fill("99");
  await dan.getByLabel("Left PD, mm").fill("31.5");
  await dan.getByLabel("Due on").fill("2099-01-15");
  await dan.getByLabel("Price, £").fill("129.50");
  await dan.getByRole("button", { name: "Place order" }).click();
  await dan.getByRole("alert").waitFor();
  assert.equal(await dan.getByLabel("Right PD, mm").getAttribute("aria-invalid"), "true");
  assert.equal(await dan.getByLabel("Frame", { exact: true }).inputValue(), "Ray-Ban RB5154 51-21 black");
  assert.equal(await dan.getByLabel("anti_reflective").isChecked(), true);
  await step(dan, "order form with an error");
  await screenshot(dan, "order-form-error");
  await dan.getByLabel("Right PD, mm").fill("32");
  await dan.getByRole("button", { name: "Place order" }).click();
  await dan.getByRole("heading", { level: 1, name: /^Order / }).waitFor();
  assert.equal(await dan.locator("#order-status").textContent(), "pending");
  await step(dan, "order page");

  // The lab makes it, fails one quality check, and ships it; Dan's page follows without a reload.
  await dan.evaluate(() => { window.__samePage = true; });
  await lee.getByRole("link", { name: "Production" }).click();
  await step(lee, "production board");
  await lee.locator("#board a").first().click();
  await step(lee, "lab job");
  await lee.getByRole("button", { name: "Mark in_production" }).click();
  await lee.getByRole("button", { name: "Mark quality_check" }).click();
  await lee.getByLabel("Quality issue found").fill("coating scratch");
  await lee.getByRole("button", { name: "Back to production" }).click();
  await lee.getByRole("button", { name: "Mark quality_check" }).click();
  await lee.getByRole("button", { name: "Mark shipped" }).click();
  await lee.locator("#order-status", { hasText: "shipped" }).waitFor();
  await screenshot(lee, "lab-job");
  await dan.locator("#order-status", { hasText: "shipped" }).waitFor({ timeout: 20_000 });
  assert.equal(await dan.evaluate(() => window.__samePage), true, "the practice's page was reloaded");
  await dan.getByText("coating scratch").first().waitFor();

  // Dan confirms receipt.
  await dan.getByRole("button", { name: "Mark completed" }).click();
  await dan.locator("#order-status", { hasText: "completed" }).waitFor();
  await step(dan, "order completed");
  await screenshot(dan, "order-timeline");

  // Ann enables the example plugin, consenting to each capability, and configures it.
  await ann.getByRole("link", { name: "Plugins" }).click();
  await step(ann, "plugin catalogue");
  await ann.getByRole("link", { name: "Order notes" }).click();
  await step(ann, "plugin page");
  await ann.getByLabel("I consent to kv").check();
  await ann.getByLabel("I consent to http-outbound").check();
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();
  await ann.getByLabel("notify host (optional)").fill("hooks.example.com");
  await ann.getByLabel("notify scheme (optional)").selectOption("https");
  await ann.getByRole("button", { name: "Save configuration" }).click();
  await ann.getByText("Configuration saved.").waitFor();
  assert.equal(await ann.getByLabel("notify host (optional)").inputValue(), "hooks.example.com");
  await step(ann, "plugin configured");
  await screenshot(ann, "plugin-configured");

  // A platform admin must enrol TOTP first, then suspends Bright Eyes.
  const root = await person();
  await signIn(root, base, ROOT);
  await root.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  await step(root, "account before enrolment");
  await root.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await root.locator("#totp-secret").textContent()).trim();
  await step(root, "totp enrolment");
  await root.getByLabel("Code from the app").fill(totp(secret));
  await root.getByRole("button", { name: "Turn on" }).click();
  await root.locator("#recovery-codes").waitFor();
  await step(root, "recovery codes");
  await root.getByRole("link", { name: "Tenants" }).click();
  await step(root, "tenants");
  await root.getByRole("button", { name: "Suspend Bright Eyes Opticians" }).click();
  await root.locator("#status-bright-eyes", { hasText: "suspended" }).waitFor();
  await screenshot(root, "platform-tenants");

  // Bright Eyes' staff can no longer work in it, until the platform admin reactivates it.
  await ann.goto(`${base}/patients`);
  assert.notEqual(await ann.getByRole("heading", { level: 1 }).textContent(), "Patients");
  await root.getByRole("button", { name: "Reactivate Bright Eyes Opticians" }).click();
  await root.locator("#status-bright-eyes", { hasText: "active" }).waitFor();
  await ann.goto(`${base}/patients`);
  await ann.getByRole("heading", { level: 1, name: "Patients" }).waitFor();
});

test("free text is shown as text, never run", async () => {
  const { base } = app;
  const page = await person();
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  await signIn(page, base, LEE);
  await page.goto(`${base}/customers`);
  const script = "<script>alert('x')</script>";
  await page.getByLabel("Practice short name").fill(script);
  await page.getByLabel("Account number").fill(`<img src=x onerror=alert('y')>`);
  await page.getByRole("button", { name: "Open account" }).click();
  await page.getByRole("alert").waitFor();
  assert.equal(await page.getByLabel("Practice short name").inputValue(), script);
  assert.deepEqual(dialogs, []);
  assert.equal(await page.locator("img[src=x]").count(), 0);
});

test("the console works by keyboard alone", async () => {
  const { base } = app;
  const page = await person();
  await page.goto(`${base}/sign-in`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "email");
  await page.keyboard.type(LEE.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(LEE.password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: /^Today/ }).waitFor();
  // Skip the navigation, then reach the production board's link from the keyboard.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main");
  await page.getByRole("link", { name: "Production" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Production" }).waitFor();
});

test("text zoomed to 200% still fits the screen", async () => {
  const { base } = app;
  const page = await person();
  await signIn(page, base, LEE);
  await page.goto(`${base}/production`);
  // Browser text zoom scales the root font size; the console sizes everything in rem.
  await page.evaluate(() => { document.documentElement.style.fontSize = "200%"; });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the production board is ${overflow}px too wide at 200% text`);
  await accessible(page, "production at 200% text");
});

test("a plugin's page is framed in a sandbox that cannot reach the console", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/plugins/nhs-gos`);
  for (const capability of ["kv", "clinical-read", "orders-read"]) {
    await ann.getByLabel(`I consent to ${capability}`).check();
  }
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();
  await ann.getByRole("link", { name: "Today" }).click();
  await ann.getByRole("link", { name: "NHS claims" }).click();
  await ann.getByRole("heading", { level: 1, name: "NHS claims" }).waitFor();
  await step(ann, "plugin page");
  await screenshot(ann, "plugin-page");
  const frame = ann.frameLocator("iframe.plugin-frame");
  await frame.getByRole("heading", { name: /Claims to submit/ }).waitFor();

  // Inside the frame: an opaque origin, no way to the console's cookies, DOM or pages.
  const inside = ann.frames().find((f) => f.url().includes("/frames/nhs-gos/"));
  assert.ok(inside, "the plugin's frame");
  const probe = () => inside.evaluate(async () => {
    const attempt = async (f) => { try { return String(await f()); } catch (e) { return `blocked: ${e.name}`; } };
    return {
      origin: window.origin,
      cookie: await attempt(() => document.cookie),
      parentDom: await attempt(() => window.parent.document.title),
      consolePage: await attempt(async () => (await fetch("/patients", { credentials: "include" })).text()),
    };
  });
  const seen = await probe();
  assert.equal(seen.origin, "null");
  assert.match(seen.cookie, /^blocked/);
  assert.match(seen.parentDom, /^blocked/);
  assert.match(seen.consolePage, /^blocked/);

  // Opened on its own, the frame's document is sandboxed by its own policy all the same.
  const direct = await ann.context().newPage();
  await direct.goto(`${base}/frames/nhs-gos/pages/claims`);
  assert.equal(await direct.evaluate(() => window.origin), "null");
  assert.match(await direct.evaluate(() => { try { return document.cookie; } catch (e) { return `blocked: ${e.name}`; } }), /^blocked/);
});

test("an examination: the refraction checked as typed, imported from a refractor with what it skipped, prescribed", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/plugins/nidek-rs232`);
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();

  await ann.goto(`${base}/patients/new`);
  await ann.getByLabel("First name").fill("Oli");
  await ann.getByLabel("Last name").fill("Examined");
  await ann.getByLabel("Date of birth").fill("1961-04-02");
  await ann.getByRole("button", { name: "Register" }).click();
  await ann.getByRole("link", { name: "Record an examination" }).click();
  await step(ann, "examination form");
  await ann.getByLabel("Right VA").fill("6/6");
  const right = ann.getByRole("group", { name: "Right eye refraction" });
  await right.getByLabel("Sphere").fill("+2.00");
  await right.getByLabel("Cylinder").fill("+1.00");
  await right.getByLabel("Axis").fill("200");
  await right.getByLabel("Axis").blur();
  await ann.locator("#right-check", { hasText: /axis/i }).waitFor();
  await right.getByLabel("Axis").fill("180");
  await right.getByLabel("Axis").blur();
  await ann.locator("#right-check", { hasText: "Reads +3.00/-1.00×90" }).waitFor();
  const left = ann.getByRole("group", { name: "Left eye refraction" });
  await left.getByLabel("Sphere").fill("plano");
  await left.getByLabel("Sphere").blur();
  await ann.locator("#left-check", { hasText: "Reads" }).waitFor();
  await ann.getByLabel("PD, mm", { exact: true }).fill("62");
  await step(ann, "examination form checked as typed");
  await ann.getByRole("button", { name: "Save draft" }).click();
  await ann.locator("#refraction", { hasText: "R +3.00/-1.00×90" }).waitFor();
  assert.equal(await ann.locator("#pd").textContent(), "62 mm");
  await step(ann, "draft examination");

  // A capture with a line and a block the driver does not know, and lower-case codes: the known
  // values fill the draft, and the page says what was skipped.
  const output = readFileSync(path.join(repo, "plugins/nidek-rs232/tests/data/rt5100-unknown-and-lower.txt"), "utf8");
  await ann.getByLabel("Driver").selectOption({ label: "Nidek RS-232 driver" });
  await ann.getByLabel("Device", { exact: true }).fill("rt-5100");
  await ann.getByLabel("What the device sent").fill(output);
  await ann.getByRole("button", { name: "Import" }).click();
  await ann.locator("#refraction", { hasText: "R -1.50/-0.50×170" }).waitFor();
  await ann.locator("#reading-warnings", { hasText: 'line 35: unknown code "XY"' }).waitFor();
  await ann.locator("#reading-warnings", { hasText: "unknown block @KM" }).waitFor();
  assert.equal(await ann.locator("#pd").textContent(), "63 mm (R 31.5, L 31.5)");
  assert.equal(await ann.locator("#near-pd").textContent(), "60.5 mm at 40 cm");
  await step(ann, "reading imported with warnings");
  await ann.getByRole("button", { name: "Finalise" }).click();
  await ann.locator("#exam-state", { hasText: "final" }).waitFor();
  await step(ann, "final examination");
  await screenshot(ann, "examination");
  // The monocular PDs measured start the prescription's.
  assert.equal(await ann.getByLabel("Right PD, mm (optional)").inputValue(), "31.5");
  await ann.getByLabel("Prescriber").fill("O. Optom");
  await ann.getByRole("button", { name: "Prescribe" }).click();
  await ann.getByRole("cell", { name: "-1.50/-0.50×170" }).waitFor();
});

test("the practice orders a remake; the lab moves it between stations, downloads its DCS job packet and prints its ticket", async () => {
  const { base } = app;
  const dan = await person();
  await signIn(dan, base, DAN);
  await dan.goto(`${base}/orders?status=completed`);
  await dan.locator("#order-list a").first().click();
  await dan.getByRole("link", { name: "Order a remake, return or non-adapt" }).click();
  await step(dan, "remake form");
  await dan.getByLabel("Why it is made again").selectOption("remake");
  // The remake starts as a copy of the original job.
  assert.equal(await dan.getByLabel("Frame", { exact: true }).inputValue(), "Ray-Ban RB5154 51-21 black");
  assert.equal(await dan.getByLabel("Right PD, mm").inputValue(), "32");
  await dan.getByLabel("Price, £").fill("0");
  await dan.getByRole("button", { name: "Place order" }).click();
  await dan.waitForLoadState("load");
  const problem = dan.getByRole("alert");
  if (await problem.count()) assert.fail(`the remake was refused: ${await problem.first().textContent()}`);
  assert.equal(await dan.locator("#order-status").textContent(), "pending");

  const lee = await person();
  await signIn(lee, base, LEE);
  await lee.goto(`${base}/plugins/dcs-driver`);
  await lee.getByRole("button", { name: "Enable" }).click();
  await lee.getByText("yes, version 0.1.0").waitFor();
  await lee.goto(`${base}/production`);
  await lee.locator("#board a").first().click();
  await lee.getByRole("button", { name: "Mark in_production" }).click();
  await lee.getByLabel("Move the job to").selectOption("edging");
  await lee.getByRole("button", { name: "Move", exact: true }).click();
  await lee.getByText(/at edging/).first().waitFor();
  await step(lee, "job at a station");
  await lee.getByLabel("Device").fill("edger-1");
  const [download] = await Promise.all([
    lee.waitForEvent("download"),
    lee.getByRole("button", { name: "Download the job packet" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^J\d+-edger-1\.dcs$/);
  const packet = readFileSync(await download.path(), "latin1");
  assert.match(packet, /JOB=/, "a DCS job packet names its job");

  // The ticket that travels with the job: a PDF named for the job, its number as a barcode.
  const number = (await lee.getByRole("heading", { level: 1 }).textContent()).match(/J\d+/)[0];
  const [ticket] = await Promise.all([
    lee.waitForEvent("download"),
    lee.getByRole("button", { name: "Print job ticket" }).click(),
  ]);
  assert.equal(ticket.suggestedFilename(), `${number} ticket.pdf`);
  assert.equal(readFileSync(await ticket.path()).subarray(0, 5).toString(), "%PDF-");
});
