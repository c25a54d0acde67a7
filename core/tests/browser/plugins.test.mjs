// A practice admin's plugin page in a real browser: after enabling the example plugin, the page
// shows what it stores, sends and runs against the quotas of the practice's plan (Pro), calls of
// its route included as soon as they are made. axe-core checks the page, at desktop and phone
// widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, enableOrderNotes, ANN } from "./harness.mjs";

const app = session();

/** The value shown beside the term `term` in the page's usage list. */
async function fact(page, term) {
  const value = page.locator(
    `xpath=//h2[@id="usage"]/following-sibling::dl[1]/dt[normalize-space()="${term}"]/following-sibling::dd[1]`,
  );
  return (await value.textContent()).trim();
}

/** The day the monthly count starts afresh (the first of next month, UTC), as the page writes it. */
function monthResets(now = new Date()) {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return `1 ${months[next.getUTCMonth()]} ${next.getUTCFullYear()}`;
}

/** Calls the plugin's `/orders` route `times` times over the API, as an integration would. */
async function callOrders(base, times) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ANN.email, password: ANN.password }),
  });
  assert.equal(login.status, 200);
  const { token } = await login.json();
  for (let i = 0; i < times; i++) {
    const answer = await fetch(`${base}/api/v1/plugins/order-notes/orders`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 200);
  }
}

test("a practice admin sees a plugin's usage against its quotas", async () => {
  const { base } = app;
  const ann = await app.person();
  await enableOrderNotes(ann, base);

  await ann.getByRole("heading", { level: 2, name: "Usage" }).waitFor();
  await step(ann, "plugin usage");
  assert.equal(await fact(ann, "Storage"), "0 bytes of 100 MiB (0%)");
  assert.equal(await fact(ann, "Stored keys"), "0 of 100000");
  assert.equal(await fact(ann, "Events this minute"), "0 of 3000");
  assert.equal(await fact(ann, "Refused writes"), "0");
  assert.equal(await fact(ann, "Calls this month"), `0 of 100000 (0%), counted afresh from ${monthResets()}`);

  await callOrders(base, 2);
  await ann.reload();
  await ann.getByRole("heading", { level: 2, name: "Usage" }).waitFor();
  assert.equal(await fact(ann, "Calls this month"), `2 of 100000 (0%), counted afresh from ${monthResets()}`);
});
