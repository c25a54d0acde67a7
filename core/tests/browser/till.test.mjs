// The till through the console in a real browser: Ann, the practice's admin, starts a sale from a
// patient's record, adds a frame from stock with a discount and a sight test (the VAT shown per
// line: 20% on the frame, exempt for the test), takes an NHS voucher (refused at its field
// without the voucher's number) and the balance by card, completes the sale to get its invoice
// number, finds the frame cannot be refunded in money beyond what was paid in money, refunds the
// sight test with a credit note, and reads the day's takings and VAT. axe-core
// checks every page on the way, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, apiAs, ANN } from "./harness.mjs";

const app = session();
const person = () => app.person();

test("a sale is rung up, paid with a voucher and a card, completed, refunded and added up at the end of the day", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);
  const asAnn = await apiAs(base, ANN);
  const shop = await asAnn.ok("POST", "/locations", { name: "Shop floor" });
  const frame = await asAnn.ok("POST", "/items", { sku: "RB-2140-50", name: "Wayfarer 50", unit: "each", reorder_point: 0 });
  await asAnn.ok("POST", "/stock/adjustments", { item_id: frame.id, location_id: shop.id, quantity: 2, reason: "found" });
  const patient = await asAnn.ok("POST", "/patients", { first_name: "Hana", last_name: "Okafor", date_of_birth: "1979-05-02" });

  // From the record, a new sale.
  await ann.goto(`${base}/patients/${patient.id}`);
  await ann.getByRole("button", { name: "Start a sale" }).click();
  await ann.getByRole("heading", { level: 1, name: "Open sale" }).waitFor();
  await step(ann, "a new sale");

  // A frame from stock, £10 off; a sight test.
  await ann.getByLabel("What").selectOption("frame");
  await ann.getByLabel("Description").fill("Wayfarer 50");
  await ann.getByLabel("Price each (£, VAT included)").fill("149.00");
  await ann.getByLabel("Discount (£)").fill("10");
  await ann.getByLabel("From stock (optional)").selectOption(frame.id);
  await ann.getByLabel("Taken from").selectOption(shop.id);
  await ann.getByRole("button", { name: "Add the line" }).click();
  await ann.locator("#line-1").waitFor();
  assert.match(await ann.locator("#line-1").textContent(), /Frame: Wayfarer 50[\s\S]*£139\.00[\s\S]*£23\.17 at 20%/);
  await ann.getByLabel("What").selectOption("sight_test");
  await ann.getByLabel("Description").fill("Sight test");
  await ann.getByLabel("Price each (£, VAT included)").fill("25");
  await ann.getByRole("button", { name: "Add the line" }).click();
  await ann.locator("#line-2").waitFor();
  assert.match(await ann.locator("#line-2").textContent(), /Sight test[\s\S]*£25\.00[\s\S]*exempt/);
  assert.equal((await ann.locator("#sale-total").textContent()).trim(), "£164.00");
  assert.equal((await ann.locator("#sale-vat").textContent()).trim(), "£23.17");

  // An NHS voucher needs its number; then the voucher and the balance by card.
  await ann.getByLabel("Paid by").selectOption("nhs_voucher");
  await ann.getByLabel("Amount (£)").fill("63.20");
  await ann.getByRole("button", { name: "Take the payment" }).click();
  await ann.locator("#reference-error", { hasText: "voucher's number is required" }).waitFor();
  await step(ann, "a voucher without its number");
  await ann.getByLabel("Voucher number or slip reference").fill("GOS3 0012345");
  await ann.getByRole("button", { name: "Take the payment" }).click();
  await ann.locator("#payments", { hasText: "NHS voucher £63.20 (GOS3 0012345)" }).waitFor();
  await ann.getByLabel("Paid by").selectOption("card");
  await ann.getByLabel("Amount (£)").fill("100.80");
  await ann.getByRole("button", { name: "Take the payment" }).click();
  await ann.locator("#sale-balance", { hasText: "£0.00" }).waitFor();
  await step(ann, "paid in full");

  // Completed: an invoice number, and the frame left stock.
  await ann.getByRole("button", { name: "Complete the sale" }).click();
  await ann.getByRole("heading", { level: 1, name: /^Invoice \d+$/ }).waitFor();
  const levels = await asAnn.ok("GET", `/stock/levels?item_id=${frame.id}&location_id=${shop.id}`);
  assert.equal(levels.items[0].quantity, 1);

  // The frame cannot come back for money: more than was paid in money (the voucher is not cash).
  await ann.getByLabel("Line", { exact: true }).selectOption("1");
  await ann.getByLabel("Money back by").selectOption("card");
  await ann.getByLabel("Reason").fill("hinge broke on day one");
  await ann.getByRole("button", { name: "Refund" }).click();
  await ann.getByText(/was paid in money and not yet refunded/).waitFor();
  await step(ann, "a refund beyond the money paid");
  // The sight test is refunded: a credit note for exactly its price (exempt, no VAT).
  await ann.getByLabel("Line", { exact: true }).selectOption("2");
  await ann.getByLabel("Reason").fill("test not done, booked again");
  await ann.getByRole("button", { name: "Refund" }).click();
  await ann.locator("#credit-notes", { hasText: "£25.00 by Card, VAT £0.00 — test not done, booked again" }).waitFor();
  assert.equal((await ann.locator("#sale-refunded").textContent()).trim(), "£25.00");
  await step(ann, "refunded");

  // The till lists it; the end of the day adds it up.
  await ann.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Till", exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: "Till" }).waitFor();
  assert.match(await ann.locator("#sales").textContent(), /Invoice \d+[\s\S]*Hana Okafor[\s\S]*£164\.00/);
  await step(ann, "the till");
  await ann.getByRole("link", { name: "End of day" }).click();
  await ann.getByRole("heading", { level: 1, name: /^End of day: / }).waitFor();
  assert.match(await ann.locator("#takings-card").textContent(), /£100\.80[\s\S]*£25\.00[\s\S]*£75\.80/);
  assert.match(await ann.locator("#takings-nhs_voucher").textContent(), /£63\.20/);
  assert.equal((await ann.locator("#net-takings").textContent()).trim(), "£139.00");
  assert.match(await ann.locator("#vat-standard").textContent(), /£139\.00[\s\S]*£23\.17[\s\S]*£115\.83/);
  assert.match(await ann.locator("#vat-exempt").textContent(), /£0\.00[\s\S]*£0\.00/);
  await step(ann, "end of day");
  await screenshot(ann, "till-day");
});
