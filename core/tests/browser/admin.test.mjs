// The administration screens walked in a real browser: a practice admin creates an API key (its
// secret shown once), uses it, revokes it; adds a webhook and sends it a test; filters the audit
// log. A platform admin enrols TOTP, looks at the job queue, changes a tenant's plan and finds
// that change in the platform audit, then creates and edits plans and sees a plan change disable
// and re-enable a practice's plugin. axe-core checks every page on the way, at desktop and phone
// widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, totp, enableOrderNotes, ROOT, ANN } from "./harness.mjs";

const app = session();
const person = () => app.person();

/** The main navigation's link `name` (pages may link to the same place in their text too). */
function nav(page, name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

/** Calls the JSON API with an API key, as an integration would. */
async function withKey(base, key, path) {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return response.status;
}

test("a practice admin manages API keys, webhooks and reads the audit log", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);
  await nav(ann, "Settings").click();
  await ann.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  await step(ann, "settings");
  await ann.getByRole("link", { name: "Users" }).click();
  await ann.getByRole("button", { name: "Change role of Ann Admin" }).waitFor();
  await step(ann, "users");
  await ann.goto(`${base}/settings`);

  // An API key for the booking system: its secret is shown once, and works at once.
  await ann.getByRole("link", { name: "API keys" }).click();
  await step(ann, "api keys");
  await ann.getByLabel("Name").fill("Booking system");
  await ann.getByLabel("patients:read", { exact: true }).check();
  await ann.getByRole("button", { name: "Create key" }).click();
  await ann.getByText("it is shown only this once").waitFor();
  const secret = (await ann.locator("#new-secret").textContent()).trim();
  assert.ok(secret.length > 20, `a secret: ${secret}`);
  await step(ann, "api key created");
  await screenshot(ann, "api-key-created");
  assert.equal(await withKey(base, secret, "/api/v1/patients"), 200);
  await ann.goto(`${base}/api-keys`);
  assert.equal(await ann.getByText(secret).count(), 0, "the secret is not shown again");

  // Revoked, it stops working.
  await ann.getByRole("button", { name: "Revoke Booking system" }).click();
  await ann.getByRole("cell", { name: /revoked/ }).waitFor();
  await step(ann, "api key revoked");
  assert.equal(await withKey(base, secret, "/api/v1/patients"), 401);

  // A webhook endpoint for new patients; a test event is queued for it.
  await ann.goto(`${base}/settings`);
  await ann.getByRole("link", { name: "Webhooks" }).click();
  await step(ann, "webhooks");
  await ann.getByLabel("Address (URL)").fill("https://hooks.example.com/ils");
  await ann.getByLabel("Description (optional)").fill("CRM");
  await ann.getByLabel("patient.created", { exact: true }).check();
  await ann.getByRole("button", { name: "Add endpoint" }).click();
  await ann.getByRole("heading", { level: 1, name: "Webhook endpoint" }).waitFor();
  assert.match((await ann.locator("#new-secret").textContent()).trim(), /^whsec_/);
  await step(ann, "webhook created");
  await ann.getByRole("button", { name: "Send a test event" }).click();
  await ann.getByText("A test event is queued").waitFor();
  assert.equal(await ann.locator("#new-secret").count(), 0, "the signing secret is not shown again");
  await step(ann, "webhook test sent");
  await screenshot(ann, "webhook-endpoint");
  await ann.getByRole("link", { name: "All webhook endpoints" }).click();
  await ann.getByRole("link", { name: "https://hooks.example.com/ils" }).waitFor();

  // The audit log, filtered to the key's revocation.
  await ann.goto(`${base}/settings`);
  await ann.getByRole("link", { name: "Audit log" }).click();
  await step(ann, "audit log");
  await ann.getByLabel("Action").fill("api_key.revoked");
  await ann.getByRole("button", { name: "Filter" }).click();
  await ann.getByRole("link", { name: "Clear filters" }).waitFor();
  const rows = ann.locator("#audit-entries tbody tr");
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /Ann Admin[\s\S]*api_key\.revoked/);
  // Newest first, narrowed to who did it and a period (issue 15).
  await ann.getByLabel("Who").selectOption({ label: "Ann Admin" });
  await ann.getByLabel("From (day)").fill(new Date().toISOString().slice(0, 10));
  await ann.getByRole("button", { name: "Filter" }).click();
  await ann.waitForURL(/actor_id=.*from=/);
  assert.equal(await rows.count(), 1);
  await step(ann, "audit log filtered");
  await screenshot(ann, "audit-log");
});

test("a platform admin sees the job queue, changes a plan and finds it in the platform audit", async () => {
  const { base } = app;
  const root = await person();
  await signIn(root, base, ROOT);
  await root.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await root.locator("#totp-secret").textContent()).trim();
  await root.getByLabel("Code from the app").fill(totp(secret));
  await root.getByRole("button", { name: "Turn on" }).click();
  await root.locator("#recovery-codes").waitFor();

  await nav(root, "Catalogue").click();
  await root.getByRole("heading", { level: 2, name: /Order notes/ }).waitFor();
  await step(root, "plugin catalogue");
  await nav(root, "Jobs").click();
  await root.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
  await step(root, "jobs");
  await root.getByLabel("State").selectOption("completed");
  await root.getByRole("button", { name: "Show" }).click();
  await root.waitForURL(/state=completed/);
  await step(root, "completed jobs");
  const job = root.locator("#jobs a").first();
  if ((await job.count()) > 0) {
    await job.click();
    await root.locator("#job-state", { hasText: "completed" }).waitFor();
    await step(root, "job");
  }

  await nav(root, "Tenants").click();
  await step(root, "tenants");
  await root.getByLabel("Plan for Bright Eyes Opticians").selectOption("premium");
  await root.getByRole("button", { name: "Change plan of Bright Eyes Opticians" }).click();
  await root.locator("#plan-bright-eyes", { hasText: "premium" }).waitFor();
  await step(root, "tenants after a plan change");

  await nav(root, "Platform audit").click();
  await step(root, "platform audit");
  await root.getByLabel("Tenant").selectOption({ label: "Bright Eyes Opticians" });
  await root.getByLabel("Action").fill("tenant.updated");
  await root.getByRole("button", { name: "Filter" }).click();
  await root.getByRole("link", { name: "Clear filters" }).waitFor();
  const rows = root.locator("#audit-entries tbody tr");
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /premium/);
  await step(root, "platform audit filtered");
  await screenshot(root, "platform-audit");

  // Plans (ADR 025): a new plan, refused first for a figure that is not a number; a plugin the
  // practice runs excluded from its plan and included again; a plan's figure edited; the
  // practice moved to a plan without the plugin and back, each move saying what it did.
  const ann = await person();
  await enableOrderNotes(ann, base);

  await nav(root, "Plans").click();
  await root.getByRole("heading", { level: 1, name: "Plans" }).waitFor();
  await step(root, "plans");
  const figures = {
    "Rank (unique; higher is more)": "25", "Call timeout (ms)": "20000", "Call memory (bytes)": "67108864",
    "kv bytes per plugin": "104857600", "kv keys per plugin": "100000", "Events a minute per plugin": "3000",
    "Calls a month per plugin": "lots",
  };
  await root.getByLabel("Slug").fill("gold");
  await root.getByLabel("Name").fill("Gold");
  await root.getByLabel("Price label").fill("£99 / month");
  for (const [label, value] of Object.entries(figures)) await root.getByLabel(label).fill(value);
  await root.getByRole("button", { name: "Create plan" }).click();
  await root.locator("#invocations_per_month-error", { hasText: "must be a whole number" }).waitFor();
  await step(root, "new plan refused");
  await root.getByLabel("Calls a month per plugin").fill("200000");
  await root.getByRole("button", { name: "Create plan" }).click();
  await root.getByRole("heading", { level: 1, name: /Gold plan/ }).waitFor();
  await step(root, "new plan");

  await nav(root, "Plans").click();
  await root.locator("#plan-premium").click();
  await root.getByRole("heading", { level: 1, name: /Premium plan/ }).waitFor();
  await root.getByRole("button", { name: "Exclude Order notes" }).click();
  await root.locator("#inclusion-change", { hasText: "disabled for 1 tenant(s)" }).waitFor();
  await root.locator("#included-order-notes", { hasText: "not included" }).waitFor();
  await step(root, "plugin excluded from a plan");
  await root.getByRole("button", { name: "Include Order notes" }).click();
  await root.locator("#inclusion-change", { hasText: "enabled again" }).waitFor();
  await root.getByLabel("Calls a month per plugin").fill("900000");
  await root.getByRole("button", { name: "Save plan" }).click();
  await root.locator("#plan-saved").waitFor();
  await step(root, "plan saved");
  await screenshot(root, "plan");
  await nav(root, "Plans").click();
  await root.locator("#calls-premium", { hasText: "900000" }).waitFor();

  await nav(root, "Tenants").click();
  await root.getByLabel("Plan for Bright Eyes Opticians").selectOption("gold");
  await root.getByRole("button", { name: "Change plan of Bright Eyes Opticians" }).click();
  await root.locator("#plugins-disabled", { hasText: "order-notes" }).waitFor();
  await step(root, "plan change disabled a plugin");
  await ann.goto(`${base}/plugins/order-notes`);
  await ann.locator("#disabled-by-plan").waitFor();
  await step(ann, "plugin disabled by a plan change");
  assert.equal(await ann.getByText("yes, version 0.1.0").count(), 0, "disabled for the practice");
  await root.getByLabel("Plan for Bright Eyes Opticians").selectOption("premium");
  await root.getByRole("button", { name: "Change plan of Bright Eyes Opticians" }).click();
  await root.locator("#plugins-reenabled", { hasText: "order-notes" }).waitFor();
  await step(root, "plan change enabled a plugin again");
  await ann.goto(`${base}/plugins/order-notes`);
  await ann.getByText("yes, version 0.1.0").waitFor();

  await nav(root, "Plans").click();
  await root.locator("#plan-gold").click();
  await root.getByRole("button", { name: "Delete the Gold plan" }).click();
  await root.getByRole("heading", { level: 1, name: "Plans" }).waitFor();
  assert.equal(await root.locator("#plan-gold").count(), 0);
});
