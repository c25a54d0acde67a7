// Recommendations in a real browser: a practice admin enables the recommendations plugin, finds
// it from the stock page, is told there is nothing to reorder and nothing unusual yet, is told
// which field a lens question lacks, and then gets a lens for a -6.00 prescription in a 52-18
// frame with the thickness figures behind it. Where they are used (docs/adr/032): the order form
// suggests a lens for the chosen prescription and frame, "Use this" fills it in and the order is
// placed with it; the stock list shows the suggested reorder of an item that sold, and its button
// raises the draft purchase order. axe-core checks every page on the way, at desktop and phone
// widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, enablePlugin, ANN } from "./harness.mjs";

const app = session();

/** Ann, signed in on a fresh page, with the recommendations plugin enabled (once per ILS). */
async function annWithRecommendations(base) {
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/plugins/recommendations`);
  if (await ann.getByRole("button", { name: "Enable" }).count()) {
    await enablePlugin(ann, base, "recommendations", ["reports-read", "inventory-read", "clinical-read", "secrets", "http-outbound"]);
  }
  return ann;
}

test("a practice admin gets a lens suggestion with its thickness, and an empty reorder list", async () => {
  const { base } = app;
  const ann = await annWithRecommendations(base);

  await ann.goto(`${base}/stock`);
  await ann.getByRole("link", { name: "Reorder suggestions" }).click();
  await ann.getByRole("heading", { level: 1, name: "Recommendations" }).waitFor();
  await ann.locator("#no-reorder").waitFor();
  await ann.locator("#no-anomalies").waitFor();
  await step(ann, "recommendations");

  const lens = ann.getByRole("form", { name: "Lens for a prescription" });
  await lens.getByLabel("Sphere (D)").fill("-6.00");
  await lens.getByLabel("PD (mm)").fill("64");
  await lens.getByLabel("Eye size (mm)").fill("52");
  await lens.getByLabel("Bridge (mm)").fill("18");
  await lens.getByRole("button", { name: "Suggest a lens" }).click();
  await ann.locator("#age-error").waitFor();
  assert.equal((await ann.locator("#age-error").textContent()).trim(), "is needed");
  assert.equal(await ann.getByLabel("Sphere (D)").inputValue(), "-6.00", "the form keeps what was typed");
  await step(ann, "lens question refused");

  await ann.getByLabel("Age (years)").fill("35");
  await ann.getByRole("button", { name: "Suggest a lens" }).click();
  const found = ann.getByRole("region", { name: "Lens suggestions" });
  await found.waitFor();
  assert.equal((await found.locator("h3").first().textContent()).trim(), "1.67 aspheric single vision");
  const names = (await found.locator("dt").allTextContents()).map((t) => t.trim());
  for (const name of ["centre thickness", "thickest edge", "effective diameter"]) {
    assert.ok(names.includes(name), `the figures show ${name}: ${names}`);
  }
  const explanation = await found.locator("p").first().textContent();
  assert.match(explanation, /strongest meridian 6\.00 D/);
  await step(ann, "lens suggestion");
  await screenshot(ann, "recommendations-lens");
});

test("the order form suggests a lens for its prescription and frame, and the order is placed with it", async () => {
  const { base } = app;
  const ann = await annWithRecommendations(base);

  // A patient whose left eye is the stronger: -3.00/-2.50×90 against -5.00 DS.
  await ann.goto(`${base}/patients/new`);
  await ann.getByLabel("First name").fill("Mia");
  await ann.getByLabel("Last name").fill("Lee");
  await ann.getByLabel("Date of birth").fill("1990-03-01");
  await ann.getByRole("button", { name: "Register" }).click();
  await ann.getByRole("heading", { level: 1, name: "Mia Lee" }).waitFor();
  await ann.getByRole("link", { name: "Record a prescription" }).click();
  const right = ann.getByRole("group", { name: "Right eye" });
  const left = ann.getByRole("group", { name: "Left eye" });
  await right.getByLabel("Sphere").fill("-5.00");
  await left.getByLabel("Sphere").fill("-3.00");
  await left.getByLabel("Cylinder").fill("-2.50");
  await left.getByLabel("Axis").fill("90");
  await ann.getByLabel("Issued on").fill("2026-01-10");
  await ann.getByLabel("Prescriber").fill("O. Optom");
  await ann.getByRole("button", { name: "Record" }).click();
  await ann.getByRole("cell", { name: "-3.00/-2.50×90" }).waitFor();

  await ann.getByRole("link", { name: "Order from a lab" }).click();
  await ann.getByRole("heading", { level: 1, name: "Order for Mia Lee" }).waitFor();
  await ann.getByLabel("hard_coat").check();
  await ann.getByLabel("Frame", { exact: true }).fill("Ray-Ban RB5154 52-18 black");
  await ann.getByLabel("A, mm").fill("52");
  await ann.getByLabel("DBL, mm").fill("18");
  await ann.getByLabel("Right PD, mm").fill("32");
  await ann.getByLabel("Left PD, mm").fill("31.5");
  await ann.getByLabel("Due on").fill("2099-01-15");
  await ann.getByLabel("Price, £").fill("129.50");
  await ann.getByLabel("Notes for the lab (optional)").fill("Rush, please");
  await step(ann, "order form offering a suggestion");
  await ann.getByRole("button", { name: "Suggest a lens" }).click();

  const found = ann.getByRole("region", { name: "Suggested lenses" });
  await found.waitFor();
  assert.equal((await found.locator("h3").first().textContent()).trim(), "1.67 aspheric single vision");
  const names = (await found.locator("dt").allTextContents()).map((t) => t.trim());
  for (const name of ["centre thickness", "thickest edge"]) {
    assert.ok(names.includes(name), `the figures show ${name}: ${names}`);
  }
  const edge = found.locator("dt", { hasText: "thickest edge" }).first().locator("xpath=following-sibling::dd[1]");
  assert.match(await edge.textContent(), /^\d+(\.\d+)? mm$/);
  assert.match(await found.textContent(), /For the left eye, whose strongest meridian \(-5\.50 D\)/);
  // Nothing typed was lost on the way.
  assert.equal(await ann.getByLabel("Frame", { exact: true }).inputValue(), "Ray-Ban RB5154 52-18 black");
  assert.equal(await ann.getByLabel("Left PD, mm").inputValue(), "31.5");
  assert.equal(await ann.getByLabel("Notes for the lab (optional)").inputValue(), "Rush, please");
  assert.equal(await ann.getByLabel("hard_coat").isChecked(), true);
  assert.equal(await ann.getByLabel("Material").inputValue(), "plastic", "nothing is chosen until Use this");
  await step(ann, "order form with a lens suggestion");
  await screenshot(ann, "order-form-lens-suggestion");

  await ann.getByRole("button", { name: "Use this lens: 1.67 aspheric single vision" }).click();
  await ann.locator("#lens-used").waitFor();
  assert.equal(await ann.getByLabel("Design").inputValue(), "single_vision");
  assert.equal(await ann.getByLabel("Material").inputValue(), "high_index");
  assert.equal(await ann.getByLabel("Index").inputValue(), "1.67");
  assert.equal(await ann.getByLabel("Frame", { exact: true }).inputValue(), "Ray-Ban RB5154 52-18 black");
  assert.equal(await ann.getByLabel("Price, £").inputValue(), "129.50");
  await step(ann, "order form with the suggested lens");

  await ann.getByRole("button", { name: "Place order" }).click();
  await ann.getByRole("heading", { level: 1, name: /^Order / }).waitFor();
  assert.match(await ann.locator("main").textContent(), /single_vision, high_index 1\.67/);
  await step(ann, "order placed with the suggested lens");
});

test("the stock list shows the suggested reorder of an item that sold, and raises its draft order", async () => {
  const { base } = app;
  const ann = await annWithRecommendations(base);
  const LENS = "LN-167 · 1.67 lens blank";

  // A lens blank kept in the lab store, bought from Lens Direct and almost all used since.
  await ann.goto(`${base}/stock/items`);
  await ann.getByLabel("SKU").fill("LN-167");
  await ann.getByLabel("Name").fill("1.67 lens blank");
  await ann.getByLabel("Unit").selectOption("each");
  await ann.getByLabel("Reorder point").fill("0");
  await ann.getByRole("button", { name: "Add item" }).click();
  await ann.getByRole("cell", { name: "LN-167" }).waitFor();
  await ann.goto(`${base}/stock/locations`);
  await ann.getByLabel("Location name").fill("Lab store");
  await ann.getByRole("button", { name: "Add location" }).click();
  await ann.getByRole("cell", { name: "Lab store" }).waitFor();
  await ann.goto(`${base}/stock/suppliers`);
  await ann.getByLabel("Supplier name").fill("Lens Direct");
  await ann.getByRole("button", { name: "Add supplier" }).click();
  await ann.getByRole("cell", { name: "Lens Direct" }).first().waitFor();
  await ann.goto(`${base}/stock/purchase-orders/new`);
  await ann.getByLabel("Supplier", { exact: true }).selectOption({ label: "Lens Direct" });
  await ann.getByLabel("Deliver to").selectOption({ label: "Lab store" });
  const line = ann.getByRole("group", { name: "Line 1" });
  await line.getByLabel("Item").selectOption({ label: LENS });
  await line.getByLabel("Quantity").fill("40");
  await line.getByLabel("Unit price").fill("12.00");
  await ann.getByRole("button", { name: "Raise purchase order" }).click();
  await ann.getByRole("button", { name: "Send to supplier" }).click();
  await ann.locator("#po-status", { hasText: "sent" }).waitFor();
  await ann.getByLabel(`Received of ${LENS}`).fill("40");
  await ann.getByRole("button", { name: "Receive goods" }).click();
  await ann.locator("#po-status", { hasText: "received" }).waitFor();
  await ann.goto(`${base}/stock/adjustments`);
  await ann.getByLabel("Item", { exact: true }).selectOption({ label: LENS });
  await ann.getByLabel("Location", { exact: true }).selectOption({ label: "Lab store" });
  await ann.getByLabel("Quantity").fill("-39");
  await ann.getByLabel("Reason").selectOption({ label: "Used up" });
  await ann.getByRole("button", { name: "Adjust stock" }).click();
  await ann.locator("#levels").waitFor();

  // The list has the column; the lens blank's row is due, with its point and quantity.
  await ann.getByRole("columnheader", { name: "Suggested reorder" }).waitFor();
  const row = ann.locator("#levels tbody tr", { hasText: "Lab store" });
  const suggested = row.locator("td.suggested");
  assert.match(await suggested.locator("span").first().textContent(), /^at \d+, order \d+$/);
  await suggested.getByText("due", { exact: true }).waitFor();
  await suggested.getByText("Why").click();
  assert.match(await suggested.locator("details p").textContent(), /1 on hand and 0 on order is at or below the reorder point/);
  await step(ann, "stock list with suggested reorders");
  await screenshot(ann, "stock-suggested-reorder");

  await suggested.getByRole("button", { name: /^Raise a draft order — Order \d+ × LN-167 for Lab store$/ }).click();
  await ann.getByRole("heading", { level: 1, name: /^Purchase order PO-/ }).waitFor();
  assert.equal(await ann.locator("#po-status").textContent(), "draft");
  await ann.getByText("Raised from a reorder suggestion.").waitFor();
  await step(ann, "draft purchase order from the stock list");

  // It is on order now: the row is no longer due.
  await ann.goto(`${base}/stock`);
  const after = ann.locator("#levels tbody tr", { hasText: "Lab store" }).locator("td.suggested");
  await after.waitFor();
  assert.equal(await after.getByText("due", { exact: true }).count(), 0);
  assert.equal(await after.getByRole("button").count(), 0);
});

test("a frame recorded with its size is ranked for a prescription and picked from stock on the order form", async () => {
  const { base } = app;
  const ann = await annWithRecommendations(base);

  // Stock → Items: a frame with the size marked on it.
  await ann.goto(`${base}/stock/items`);
  await ann.getByLabel("SKU").fill("CLASSIC-50");
  await ann.getByLabel("Name").fill("Classic 50");
  await ann.getByLabel("Unit").selectOption("each");
  await ann.getByLabel("Reorder point").fill("0");
  await ann.getByLabel("Eye size (mm)").fill("50");
  await ann.getByLabel("Bridge (mm)").fill("20");
  await ann.getByLabel("Rim").selectOption({ label: "full rim" });
  await ann.getByRole("button", { name: "Add item" }).click();
  await ann.getByRole("cell", { name: "50□20, full rim" }).waitFor();
  await step(ann, "items with a frame size");

  // Recommendations: the stocked frames that suit a -4.00.
  await ann.goto(`${base}/recommendations`);
  await ann.getByLabel("Sphere (D)").fill("-4.00");
  await ann.getByLabel("Age (years)").fill("40");
  await ann.getByLabel("PD (mm)").fill("64");
  await ann.getByRole("button", { name: "Rank stocked frames" }).click();
  const ranked = ann.getByRole("region", { name: "Stocked frames for this prescription" });
  await ranked.waitFor();
  assert.equal((await ranked.locator("h4").first().textContent()).trim(), "Classic 50 (CLASSIC-50) — out of stock");
  const names = (await ranked.locator("dt").allTextContents()).map((t) => t.trim());
  for (const name of ["thickest point", "thickness limit", "similar prescriptions chose it"]) {
    assert.ok(names.includes(name), `the figures show ${name}: ${names}`);
  }
  await step(ann, "stocked frames ranked for a prescription");

  // The order form: the frame from stock fills the description, A and DBL.
  await ann.goto(`${base}/patients/new`);
  await ann.getByLabel("First name").fill("Fay");
  await ann.getByLabel("Last name").fill("Frame");
  await ann.getByLabel("Date of birth").fill("1985-06-01");
  await ann.getByRole("button", { name: "Register" }).click();
  await ann.getByRole("heading", { level: 1, name: "Fay Frame" }).waitFor();
  await ann.getByRole("link", { name: "Record a prescription" }).click();
  await ann.getByRole("group", { name: "Right eye" }).getByLabel("Sphere").fill("-4.00");
  await ann.getByRole("group", { name: "Left eye" }).getByLabel("Sphere").fill("-3.75");
  await ann.getByLabel("Issued on").fill("2026-01-10");
  await ann.getByLabel("Prescriber").fill("O. Optom");
  await ann.getByRole("button", { name: "Record" }).click();
  await ann.getByRole("cell", { name: "-3.75" }).first().waitFor();
  await ann.getByRole("link", { name: "Order from a lab" }).click();
  await ann.getByLabel("Frame from stock (optional)").selectOption({ label: "Classic 50 (CLASSIC-50), 50□20" });
  await ann.getByLabel("Right PD, mm").fill("32");
  await ann.getByLabel("Left PD, mm").fill("32");
  await ann.getByLabel("Due on").fill("2099-01-15");
  await ann.getByLabel("Price, £").fill("99.00");
  await step(ann, "order form with a frame from stock");
  await ann.getByRole("button", { name: "Place order" }).click();
  await ann.getByRole("heading", { level: 1, name: /^Order / }).waitFor();
  const order = await ann.locator("main").textContent();
  assert.match(order, /Classic 50 \(CLASSIC-50\)/);
  await step(ann, "order placed with a frame from stock");
});
