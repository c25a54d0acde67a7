// A practice admin's plugin page in a real browser: after enabling the example plugin, the page
// shows what it stores and sends against the quotas of the practice's plan (Pro). axe-core checks
// the page, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, signIn, ANN } from "./harness.mjs";

const app = session();

/** The value shown beside the term `term` in the page's usage list. */
async function fact(page, term) {
  const value = page.locator(
    `xpath=//h2[@id="usage"]/following-sibling::dl[1]/dt[normalize-space()="${term}"]/following-sibling::dd[1]`,
  );
  return (await value.textContent()).trim();
}

test("a practice admin sees a plugin's usage against its quotas", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/plugins/order-notes`);
  await ann.getByLabel("I consent to kv").check();
  await ann.getByLabel("I consent to http-outbound").check();
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();

  await ann.getByRole("heading", { level: 2, name: "Usage" }).waitFor();
  await step(ann, "plugin usage");
  assert.equal(await fact(ann, "Storage"), "0 bytes of 100 MiB (0%)");
  assert.equal(await fact(ann, "Stored keys"), "0 of 100000");
  assert.equal(await fact(ann, "Events this minute"), "0 of 3000");
  assert.equal(await fact(ann, "Refused writes"), "0");
});
