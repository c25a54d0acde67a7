// Shopify sync through the console in a real browser, against the fake shop (`ils-fake-shopify`)
// on loopback: `ils serve` is pointed at it with ILS_OUTBOUND_CONNECT_TO and
// ILS_OUTBOUND_EXTRA_ROOTS (ADR 031). A practice admin enables the plugin with its shop and
// locations (the Enable form carries the plugin's configuration; a list is typed as JSON), sets its
// secrets on the plugin's screen, opens the Shopify page and presses "Sync now": the page shows
// the SKUs matched, the one only the shop has, and the quantities pushed. A sale in the shop,
// delivered as Shopify delivers it (signed with the webhook secret), moves ILS's stock on the
// stock page, and "Reconcile now" finds nothing left to fix. A dispenser sees the page but not its
// buttons, and the server refuses the button to him too. axe-core checks every page on the way.
// The stock it starts from is made over the API with the admin's token; everything else is the
// console's.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { step, session, screenshot, signIn, startFakeShopify, apiAs, ANN, DAN } from "./harness.mjs";

const FRAME = "RB-2140-50";
const LENSES = "CL-DAILY-30";
const GIFT = "GIFT-25";
const CONSENT = ["kv", "secrets", "http-outbound", "inventory-read", "inventory-write", "events-publish"];

let shop;
const app = session({
  plugins: [["plugins/shopify-sync", "ils_shopify_sync.wasm"]],
  env: async () => {
    // The shop has 7 frames where ILS has 10: ILS is the stock, so the sync sets the shop to 10.
    shop = await startFakeShopify({ [FRAME]: 7, [LENSES]: 30, [GIFT]: 5 });
    return shop.env;
  },
  stop: () => shop?.stop(),
});

/** The fake shop's `available` of a SKU at its location. */
async function inShop(sku) {
  const answer = await fetch(`${shop.control}/available/${sku}`);
  assert.equal(answer.status, 200);
  return (await answer.json()).available;
}

/** Delivers a webhook to the practice's public hook as Shopify does: signed, with its headers. */
async function deliver(base, topic, body, secret = shop.webhook_secret) {
  const hmac = createHmac("sha256", secret).update(body).digest("base64");
  return fetch(`${base}/api/v1/hooks/bright-eyes/shopify-sync/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "Shopify-Captain-Hook",
      "x-shopify-topic": topic,
      "x-shopify-hmac-sha256": hmac,
      "x-shopify-shop-domain": shop.domain,
      "x-shopify-webhook-id": randomUUID(),
      "x-shopify-api-version": "2026-04",
      "x-shopify-triggered-at": new Date().toISOString(),
      "x-shopify-event-id": randomUUID(),
    },
    body,
  });
}

/** Reloads `page` until `done()` holds (at most a minute). */
async function until(page, what, done) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await done()) return;
    assert.ok(Date.now() < deadline, `waited a minute for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

/** The text of an element of the Shopify page's frame, spaces collapsed. */
async function framed(page, selector) {
  const text = await page.frameLocator("iframe.plugin-frame").locator(selector).innerText({ timeout: 10_000 });
  return text.replace(/\s+/g, " ").trim();
}

/** Whether the frame has an element. */
async function inFrame(page, selector) {
  return (await page.frameLocator("iframe.plugin-frame").locator(selector).count()) > 0;
}

test("a practice syncs its Shopify shop from the console and sees the shop's sales in its stock", async () => {
  const { base } = app;

  // Dan joins Bright Eyes as a dispenser.
  const dan = await app.person();
  await dan.goto(`${base}/register`);
  await dan.getByLabel("Workplace short name").fill("bright-eyes");
  await dan.getByLabel("Your name").fill(DAN.name);
  await dan.getByLabel("E-mail address").fill(DAN.email);
  await dan.getByLabel("Password").fill(DAN.password);
  await dan.getByRole("button", { name: "Ask to join" }).click();
  await dan.getByText("An administrator of bright-eyes will approve your request").waitFor();
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/users`);
  await ann.getByLabel("Role for Dan").selectOption("dispenser");
  await ann.getByRole("button", { name: "Approve Dan" }).click();
  await ann.getByRole("cell", { name: DAN.email }).waitFor();

  // The practice's stock: 10 frames and 30 boxes of lenses in the shop front.
  const asAnn = await apiAs(base, ANN);
  const front = (await asAnn("POST", "/locations", { name: "Shop front" })).body.id;
  for (const [sku, quantity] of [[FRAME, 10], [LENSES, 30]]) {
    const created = await asAnn("POST", "/items", { sku, name: `Item ${sku}`, unit: "each", reorder_point: 2 });
    assert.equal(created.status, 201);
    const adjusted = await asAnn("POST", "/stock/adjustments", {
      item_id: created.body.id, location_id: front, quantity, reason: "found",
    });
    assert.equal(adjusted.status, 201);
  }

  // Ann enables Shopify sync with its shop and locations on the plugin's screen; a list that is
  // not JSON is refused at its field and nothing is enabled; then she gives it its token and
  // webhook secret.
  await ann.goto(`${base}/plugins/shopify-sync`);
  for (const capability of CONSENT) await ann.getByLabel(`I consent to ${capability}`).check();
  await ann.getByLabel("shop domain").fill(shop.domain);
  await ann.getByLabel("default location id (optional)").fill(front);
  await ann.getByLabel("locations (optional)").fill("shop front → front");
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.locator("#cfg-config\\.locations-error").waitFor();
  assert.match(await ann.locator("#cfg-config\\.locations-error").textContent(), /must be JSON/);
  assert.equal(await ann.getByLabel("shop domain").inputValue(), shop.domain, "what was typed is kept");
  await step(ann, "shopify sync refused a configuration");
  for (const capability of CONSENT) await ann.getByLabel(`I consent to ${capability}`).check();
  await ann.getByLabel("locations (optional)").fill(
    JSON.stringify([{ shopify_location_id: shop.location_id, ils_location_id: front }]),
  );
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();
  assert.equal(await ann.getByLabel("shop domain").inputValue(), shop.domain, "the console shows the shop");
  for (const [name, value] of [["access_token", shop.access_token], ["webhook_secret", shop.webhook_secret]]) {
    await ann.getByLabel("Secret name").fill(name);
    await ann.getByLabel("Value", { exact: true }).fill(value);
    await ann.getByRole("button", { name: "Set secret" }).click();
    await ann.locator("code", { hasText: name }).waitFor();
  }
  await step(ann, "shopify sync configured");

  // The start page leads to the Shopify page: nothing synced yet.
  await ann.goto(`${base}/`);
  await ann.getByRole("link", { name: "Shopify", exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: "Shopify" }).waitFor();
  assert.equal(await framed(ann, "#no-sync"), "No full sync yet.");
  assert.equal(await framed(ann, "#shop"), shop.domain);
  await step(ann, "shopify page before a sync");

  // Sync now: the console says the plugin took it; the page shows the run's outcome.
  await ann.getByRole("button", { name: "Sync now" }).click();
  assert.equal((await ann.locator("#action-outcome").textContent()).trim(), "Sync now: done (202 Accepted).");
  await step(ann, "shopify page, sync started");
  await until(ann, "the full sync", async () => (await inFrame(ann, "#sync-outcome")) && (await framed(ann, "#sync-outcome")).includes("completed"));
  assert.equal(await ann.locator("#action-outcome").count(), 0, "the outcome is shown once");
  assert.equal(await framed(ann, "#sync-matched"), "SKUs matched 2");
  assert.equal(await framed(ann, "#sync-missing-in-ils"), `Unmatched: in Shopify only 1 ${GIFT}`);
  assert.equal(await framed(ann, "#sync-pushed"), "Quantities set in Shopify to ILS's 1");
  assert.match(await framed(ann, "#pushes"), new RegExp(`full sync ${FRAME} Shop front 7 10 set`));
  await step(ann, "shopify page after the sync");
  await screenshot(ann, "shopify-page");
  assert.equal(await inShop(FRAME), 10, "the shop now holds ILS's 10");
  assert.equal(await inShop(LENSES), 30);

  // Two frames sold in the shop: Shopify's signed orders/create moves ILS's stock once.
  const sold = await fetch(`${shop.control}/sell`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sku: FRAME, quantity: 2 }),
  });
  const sale = await sold.json();
  const delivered = await deliver(base, sale.topic, sale.body);
  assert.equal(delivered.status, 200);
  assert.deepEqual(await delivered.json(), { queued: true });
  const forged = await deliver(base, sale.topic, sale.body, "not-the-app-secret");
  assert.equal(forged.status, 401, "a delivery not signed with the shop's secret is refused");
  await ann.goto(`${base}/stock`);
  const frames = ann.locator("#levels tbody tr", { hasText: FRAME });
  await until(ann, "the sale in ILS", async () => (await frames.locator("td").nth(2).textContent()).trim() === "8");
  await step(ann, "stock after the shop's sale");
  assert.equal(await inShop(FRAME), 8, "the shop and ILS agree");

  // Reconcile now: nothing differs, and the page counts the sale's movement.
  await ann.goto(`${base}/apps/shopify-sync/page`);
  await ann.getByRole("button", { name: "Reconcile now" }).click();
  assert.equal((await ann.locator("#action-outcome").textContent()).trim(), "Reconcile now: done (202 Accepted).");
  await until(ann, "the reconciliation", async () => (await inFrame(ann, "#reconcile-outcome")) && (await framed(ann, "#reconcile-outcome")).includes("completed"));
  assert.match(await framed(ann, "#reconcile-outcome"), /2 matched items checked; 0 differed\.$/);
  assert.match(await framed(ann, "#counters"), /Stock movements recorded in ILS 1 /);
  assert.match(await framed(ann, "#counters"), /Webhooks refused \(signature, shop or headers\) 1 /);
  await step(ann, "shopify page after the reconciliation");
  const before = (await asAnn("GET", "/plugins/shopify-sync/status")).body;

  // Dan sees the page, without its buttons; pressing one anyway is refused and starts nothing.
  await signIn(dan, base, DAN);
  await dan.getByRole("link", { name: "Shopify", exact: true }).click();
  await dan.getByRole("heading", { level: 1, name: "Shopify" }).waitFor();
  assert.match(await framed(dan, "#sync-outcome"), /completed/);
  assert.equal(await dan.getByRole("button", { name: "Sync now" }).count(), 0);
  assert.equal(await dan.getByRole("button", { name: "Reconcile now" }).count(), 0);
  await step(dan, "shopify page for a dispenser");
  const csrf = await dan.locator('input[name="_csrf"]').first().inputValue();
  const pressed = await dan.request.post(`${base}/apps/shopify-sync/page`, {
    form: { _csrf: csrf, action: "/sync" },
    headers: { origin: base },
    maxRedirects: 0,
  });
  assert.equal(pressed.status(), 403);
  const after = (await asAnn("GET", "/plugins/shopify-sync/status")).body;
  assert.equal(after.running, null, "no run was started");
  assert.equal(after.last_full_sync.at_ms, before.last_full_sync.at_ms);

  // Pressed twice: a sync polls Shopify's bulk export a second at least, so the second press
  // finds the first running, and the console shows the plugin's refusal with its reason.
  await ann.getByRole("button", { name: "Sync now" }).click();
  assert.equal((await ann.locator("#action-outcome").textContent()).trim(), "Sync now: done (202 Accepted).");
  await ann.getByRole("button", { name: "Sync now" }).click();
  const refused = ann.locator("#action-outcome[role=alert]");
  assert.match(
    (await refused.textContent()).trim(),
    /^Sync now: not done \(409 Conflict\): a run is in progress — one sync or reconciliation runs at a time/,
  );
  await step(ann, "shopify page, a sync refused while one runs");
});
