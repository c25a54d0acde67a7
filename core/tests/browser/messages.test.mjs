// The messages patients receive, rewritten in the console: Ann opens Settings → Messages to
// patients, types a placeholder the "glasses ready" message does not have and sees it refused at
// the text with the ones it may use; she previews her words filled in with sample values, saves
// them, and puts ILS's words back. axe-core checks every page on the way, at desktop and phone
// widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, ANN } from "./harness.mjs";

const app = session();
const person = () => app.person();

test("a practice rewrites a message to patients, previews it and puts ILS's words back", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/settings`);
  await ann.getByRole("link", { name: "Messages to patients" }).click();
  await ann.getByRole("heading", { level: 1, name: "Messages to patients" }).waitFor();
  await step(ann, "messages to patients");

  const ready = ann.locator("#message-order_ready");
  await ready.getByLabel("Subject").fill("{first_name}, your glasses are in");
  await ready.getByLabel("Text").fill("Hi {first_name}, they are due {due_date}.");
  await ready.getByRole("button", { name: "Preview" }).click();
  const error = ann.locator("#body-order_ready-error");
  await error.waitFor();
  assert.match(await error.textContent(), /\{due_date\}[\s\S]*\{job_number\}/);
  await step(ann, "a placeholder refused");

  await ann.locator("#message-order_ready").getByLabel("Text").fill("Hi {first_name}, job {job_number} is in. {practice_contact}.");
  await ann.locator("#message-order_ready").getByRole("button", { name: "Preview" }).click();
  const preview = ann.locator("#preview-order_ready");
  await preview.waitFor();
  assert.match(await preview.textContent(), /Ann, your glasses are in[\s\S]*Hi Ann, job J000123 is in\. call us on 01632 960 001\./);
  await step(ann, "a message previewed");

  await ann.locator("#message-order_ready").getByRole("button", { name: "Save" }).click();
  await ann.locator("#message-order_ready .tag", { hasText: "your words" }).waitFor();
  assert.equal(await ann.locator("#message-order_ready").getByLabel("Subject").inputValue(), "{first_name}, your glasses are in");
  await screenshot(ann, "messages");

  await ann.locator("#message-order_ready").getByRole("button", { name: "Use ILS's words again" }).click();
  await ann.locator("#message-order_ready").getByLabel("Subject").waitFor();
  assert.equal(await ann.locator("#message-order_ready").getByLabel("Subject").inputValue(), "Your glasses are ready at {practice}");
  assert.equal(await ann.locator("#message-order_ready .tag").count(), 0);
});
