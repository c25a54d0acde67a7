// Privacy in the console (docs/adr/039): Ann, the practice admin, registers a patient, records
// their recall channel and marketing choice (a mismatch of words refused at its field), and makes a
// subject-access export she downloads from the record; a patient whose last visit was long ago is
// restricted by the retention sweep, and their page shows the badge and only the export; a
// platform admin reads the platform audit with the patient's values shown as "[redacted]". axe-core
// checks every page on the way, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, totp, ROOT, ANN } from "./harness.mjs";

// The sweep runs every minute here, so a record past retention is restricted during the test.
const app = session({ env: { ILS_PRIVACY_SCHEDULE: "* * * * *" } });

async function api(base, token, method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
}

async function annToken(base) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ANN.email, password: ANN.password }),
  });
  return (await login.json()).token;
}

test("a practice records consent and exports everything held on a patient", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/patients/new`);
  await ann.getByLabel("First name").fill("Petra");
  await ann.getByLabel("Last name").fill("Okonkwo-Lindqvist");
  await ann.getByLabel("Date of birth").fill("1971-05-09");
  await ann.getByRole("button", { name: "Register" }).click();
  await ann.getByRole("heading", { level: 1, name: "Petra Okonkwo-Lindqvist" }).waitFor();
  await step(ann, "patient record with privacy");

  // A consent needs its wording: refused at the field, then recorded.
  await ann.getByLabel("The patient's choice").selectOption("sms");
  await ann.getByLabel("Given").selectOption("phone");
  await ann.getByRole("button", { name: "Record consent" }).click();
  await ann.locator("#wording-error").waitFor();
  await step(ann, "consent refused");
  await ann.getByLabel("Wording the patient agreed to (or the form's name and version)").fill("Reminders by text, asked on the phone");
  await ann.getByRole("button", { name: "Record consent" }).click();
  await ann.locator("#consent-now", { hasText: "sms" }).waitFor();
  await ann.getByLabel("The patient's choice").selectOption("withdrawn");
  await ann.getByLabel("Given").selectOption("paper_form");
  await ann.getByLabel("Wording the patient agreed to (or the form's name and version)").fill("Marketing form v2: no offers");
  await ann.getByRole("button", { name: "Record consent" }).click();
  await ann.locator("#consent-now", { hasText: "withdrawn" }).waitFor();
  assert.equal(await ann.locator("#consent-history tbody tr").count(), 2);
  await step(ann, "consents recorded");

  // The export: made from the record, downloaded with the session.
  await ann.getByRole("button", { name: "Export everything held" }).click();
  const link = ann.locator("#exports a").first();
  await link.waitFor();
  assert.match(await link.textContent(), /^subject-access-P\d+-\d{4}-\d{2}-\d{2}\.zip$/);
  const [download] = await Promise.all([ann.waitForEvent("download"), link.click()]);
  const stream = await download.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const zip = Buffer.concat(chunks);
  assert.equal(zip.subarray(0, 2).toString(), "PK", "a zip");
  assert.ok(zip.includes(Buffer.from("summary.html")) && zip.includes(Buffer.from("access_log.json")));
  await step(ann, "export listed");
  await screenshot(ann, "patient-privacy");
});

test("a record past retention is restricted and only exported", async () => {
  const { base } = app;
  const token = await annToken(base);
  const created = await api(base, token, "POST", "/patients",
    { first_name: "Walter", last_name: "Longago", date_of_birth: "1940-01-02" });
  assert.equal(created.status, 201);
  const id = created.body.id;
  const rx = await api(base, token, "POST", `/patients/${id}/prescriptions`, {
    kind: "spectacles", issued_on: "1995-03-01", prescriber: "O. Optom",
    right: { sphere: "+1.00" }, left: { sphere: "+1.00" },
  });
  assert.equal(rx.status, 201);
  // The sweep runs each minute: the record, kept until 2005, is restricted at the next.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const read = await api(base, token, "GET", `/patients/${id}`);
    if (read.status === 403) {
      assert.equal(read.body.code, "patient_restricted");
      break;
    }
    assert.ok(Date.now() < deadline, "not restricted within 90 s");
    await new Promise((r) => setTimeout(r, 1000));
  }

  const ann = await app.person();
  await signIn(ann, base, ANN);
  const page = await ann.goto(`${base}/patients/${id}`);
  assert.equal(page.status(), 403);
  await ann.locator("#restricted-badge", { hasText: "Restricted" }).waitFor();
  await ann.getByText("2005-03-01").first().waitFor();
  await step(ann, "restricted record");
  await ann.getByRole("button", { name: "Export everything held" }).click();
  await ann.locator("#exports a").first().waitFor();
  await step(ann, "restricted record exported");
  await screenshot(ann, "patient-restricted");
});

test("platform staff see a patient's values redacted in the platform audit", async () => {
  const { base } = app;
  const root = await app.person();
  await signIn(root, base, ROOT);
  await root.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await root.locator("#totp-secret").textContent()).trim();
  await root.getByLabel("Code from the app").fill(totp(secret));
  await root.getByRole("button", { name: "Turn on" }).click();
  await root.locator("#recovery-codes").waitFor();

  await root.goto(`${base}/admin/audit`);
  await root.getByLabel("Action").fill("consent.recorded");
  await root.getByRole("button", { name: "Filter" }).click();
  await root.getByRole("link", { name: "Clear filters" }).waitFor();
  const rows = root.locator("#audit-entries tbody tr");
  assert.equal(await rows.count(), 2);
  const text = await root.locator("#audit-entries").textContent();
  assert.match(text, /\[redacted\]/);
  assert.doesNotMatch(text, /Marketing form v2|Reminders by text/);
  await step(root, "platform audit redacted");
  await screenshot(root, "platform-audit-redacted");
});
