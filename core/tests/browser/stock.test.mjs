// The practice's stock through the console in a real browser: the admin adds an item and two
// locations; a dispenser records stock found, transfers some (a quantity the shop does not have is
// refused at its field) and counts the shop; the admin sets the practice's address for its
// documents, raises a purchase order to a new supplier and sends it — the supplier gets it by
// e-mail with the PDF, and the order's page says it was delivered and links the PDF — the goods
// are received and the level rises; the start page links to what is low. axe-core checks every
// page on the way, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, startSmtpSink, ANN, DAN } from "./harness.mjs";

let sink;
const app = session({
  env: async () => {
    sink = await startSmtpSink();
    return sink.env;
  },
  stop: () => sink?.stop(),
});
const person = () => app.person();

const FRAME = "FR-RB5154 · Ray-Ban RB5154";

/** The text of the levels table's row for a location. */
async function levelAt(page, location) {
  const row = page.locator("#levels tbody tr", { hasText: location });
  return (await row.locator("td").nth(2).textContent()).trim();
}

test("stock kept, moved, counted, ordered and received through the console", async () => {
  const { base } = app;

  // Dan joins Bright Eyes as a dispenser.
  const dan = await person();
  await dan.goto(`${base}/register`);
  await dan.getByLabel("Workplace short name").fill("bright-eyes");
  await dan.getByLabel("Your name").fill(DAN.name);
  await dan.getByLabel("E-mail address").fill(DAN.email);
  await dan.getByLabel("Password").fill(DAN.password);
  await dan.getByRole("button", { name: "Ask to join" }).click();
  await dan.getByText("An administrator of bright-eyes will approve your request").waitFor();
  const ann = await person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/users`);
  await ann.getByLabel("Role for Dan").selectOption("dispenser");
  await ann.getByRole("button", { name: "Approve Dan" }).click();
  await ann.getByRole("cell", { name: DAN.email }).waitFor();

  // Ann adds the item and the two places stock is kept.
  await ann.getByRole("link", { name: "Stock", exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: "Stock" }).waitFor();
  await step(ann, "stock levels, empty");
  await ann.getByRole("link", { name: "Items", exact: true }).click();
  await step(ann, "items, empty");
  await ann.getByLabel("SKU").fill("FR-RB5154");
  await ann.getByLabel("Name").fill("Ray-Ban RB5154");
  await ann.getByLabel("Unit").selectOption("each");
  await ann.getByLabel("Reorder point").fill("10");
  await ann.getByRole("button", { name: "Add item" }).click();
  await ann.getByRole("cell", { name: "FR-RB5154" }).waitFor();
  await step(ann, "items");
  await ann.getByRole("link", { name: "Locations", exact: true }).click();
  for (const name of ["Front shop", "Store room"]) {
    await ann.getByLabel("Location name").fill(name);
    await ann.getByRole("button", { name: "Add location" }).click();
    await ann.getByRole("cell", { name }).waitFor();
  }
  await step(ann, "locations");

  // Dan finds twelve frames in the shop.
  await signIn(dan, base, DAN);
  await dan.getByRole("link", { name: "Stock", exact: true }).click();
  await dan.getByRole("link", { name: "Adjust", exact: true }).click();
  await step(dan, "adjustment form");
  await dan.getByLabel("Item", { exact: true }).selectOption({ label: FRAME });
  await dan.getByLabel("Location", { exact: true }).selectOption({ label: "Front shop" });
  await dan.getByLabel("Quantity").fill("+12");
  await dan.getByLabel("Reason").selectOption({ label: "Found" });
  await dan.getByRole("button", { name: "Adjust stock" }).click();
  await dan.locator("#levels").waitFor();
  assert.equal(await levelAt(dan, "Front shop"), "12");
  await step(dan, "levels after the adjustment");

  // He moves some to the store room: more than the shop has is refused at the quantity.
  await dan.getByRole("link", { name: "Transfer", exact: true }).click();
  await step(dan, "transfer form");
  await dan.getByLabel("Item", { exact: true }).selectOption({ label: FRAME });
  await dan.getByLabel("From", { exact: true }).selectOption({ label: "Front shop" });
  await dan.getByLabel("To", { exact: true }).selectOption({ label: "Store room" });
  await dan.getByLabel("Quantity").fill("20");
  await dan.getByRole("button", { name: "Transfer stock" }).click();
  await dan.getByRole("alert").waitFor();
  const quantity = dan.getByLabel("Quantity");
  assert.equal(await quantity.getAttribute("aria-invalid"), "true");
  assert.match(await dan.locator("#quantity-error").textContent(), /Only 12 of FR-RB5154 in stock/);
  assert.equal(await quantity.inputValue(), "20");
  assert.notEqual(await dan.getByLabel("To", { exact: true }).inputValue(), "", "the choices are kept");
  await step(dan, "transfer form with an error");
  await screenshot(dan, "stock-transfer-error");
  await quantity.fill("4");
  await dan.getByRole("button", { name: "Transfer stock" }).click();
  await dan.locator("#levels").waitFor();
  assert.equal(await levelAt(dan, "Front shop"), "8 low");
  assert.equal(await levelAt(dan, "Store room"), "4 low");
  await step(dan, "levels after the transfer");
  await screenshot(dan, "stock-levels");

  // He counts the shop and finds one frame fewer than on record.
  await dan.getByRole("link", { name: "Counts", exact: true }).click();
  await step(dan, "stock counts");
  await dan.getByLabel("Location to count").selectOption({ label: "Front shop" });
  await dan.getByRole("button", { name: "Start count" }).click();
  await dan.getByRole("heading", { level: 1, name: "Count of Front shop" }).waitFor();
  await step(dan, "open count");
  await dan.getByLabel("Counted of FR-RB5154").fill("7");
  await dan.getByRole("button", { name: "Save counts" }).click();
  await dan.getByRole("button", { name: "Finalise count" }).click();
  await dan.locator("#count-status", { hasText: "finalised" }).waitFor();
  await step(dan, "finalised count");

  // Ann gives the practice's address for its documents; a seventh line is refused at the field.
  await ann.getByRole("link", { name: "Settings", exact: true }).click();
  const address = ann.getByLabel("Address");
  await address.fill("1\n2\n3\n4\n5\n6\n7");
  await ann.getByRole("button", { name: "Save" }).click();
  await ann.getByRole("alert").waitFor();
  assert.equal(await address.getAttribute("aria-invalid"), "true");
  assert.match(await ann.locator("#address-error").textContent(), /at most 6 lines/);
  await step(ann, "settings with an error");
  await address.fill("14 Market Street\nHarrogate\nHG1 2AB");
  await ann.getByLabel("Telephone").fill("01423 555 010");
  await ann.getByLabel("E-mail for replies").fill("orders@brighteyes.example");
  await ann.getByRole("button", { name: "Save" }).click();
  await ann.locator("#letterhead-saved").waitFor();
  assert.equal(await address.inputValue(), "14 Market Street\nHarrogate\nHG1 2AB");
  await step(ann, "settings saved");

  // Ann buys more from a new supplier, delivered to the store room.
  await ann.getByRole("link", { name: "Stock", exact: true }).click();
  await ann.getByRole("link", { name: "Suppliers", exact: true }).click();
  await step(ann, "suppliers, none yet");
  await ann.getByLabel("Supplier name").fill("Lens Direct");
  await ann.getByLabel("Orders e-mail (optional)").fill("orders@lensdirect.example");
  await ann.getByRole("form", { name: "Add a supplier" }).getByLabel("Your account number (optional)").fill("LD-9");
  await ann.getByRole("button", { name: "Add supplier" }).click();
  await ann.getByRole("cell", { name: "LD-9" }).waitFor();
  await step(ann, "suppliers");
  await ann.getByRole("link", { name: "Purchase orders", exact: true }).click();
  await step(ann, "purchase orders, none yet");
  await ann.getByRole("link", { name: "Raise a purchase order" }).click();
  await step(ann, "purchase order form");
  await ann.getByLabel("Supplier", { exact: true }).selectOption({ label: "Lens Direct" });
  await ann.getByLabel("Deliver to").selectOption({ label: "Store room" });
  const line = ann.getByRole("group", { name: "Line 1" });
  await line.getByLabel("Item").selectOption({ label: FRAME });
  await line.getByLabel("Quantity").fill("10");
  await line.getByLabel("Unit price").fill("24.50");
  await ann.getByRole("button", { name: "Raise purchase order" }).click();
  await ann.getByRole("heading", { level: 1, name: /^Purchase order PO-/ }).waitFor();
  assert.equal(await ann.locator("#po-status").textContent(), "draft");
  await step(ann, "draft purchase order");
  const number = (await ann.getByRole("heading", { level: 1 }).textContent()).replace("Purchase order ", "");
  await ann.getByRole("button", { name: "Send to supplier" }).click();
  await ann.locator("#po-status", { hasText: "sent" }).waitFor();
  await step(ann, "sent purchase order");

  // The supplier gets it once, by e-mail, with the order as a PDF; the page says so.
  for (let i = 0; i < 50 && !(await ann.locator("#delivery-log .delivery-delivered").count()); i++) {
    await new Promise((r) => setTimeout(r, 200));
    await ann.reload();
  }
  const delivered = ann.locator("#delivery-log tbody tr").first();
  assert.match(await delivered.textContent(), /orders@lensdirect\.example[\s\S]*Delivered/);
  const toSupplier = sink.mails().filter((m) => m.to.some((t) => t.includes("orders@lensdirect.example")));
  assert.equal(toSupplier.length, 1, "one e-mail to the supplier");
  assert.match(toSupplier[0].data, new RegExp(`Subject: Purchase order ${number} from Bright Eyes Opticians`));
  assert.match(toSupplier[0].data, /Content-Type: application\/pdf/);
  assert.match(toSupplier[0].data, new RegExp(`filename="?${number}\\.pdf`));
  const pdfLink = delivered.getByRole("link", { name: `${number}.pdf` });
  const pdf = await ann.request.get(new URL(await pdfLink.getAttribute("href"), base).href);
  assert.equal(pdf.headers()["content-type"], "application/pdf");
  assert.equal((await pdf.body()).subarray(0, 5).toString(), "%PDF-");
  await step(ann, "purchase order delivered to the supplier");

  // The goods arrive; the store room's stock rises.
  await ann.getByLabel(`Received of ${FRAME}`).fill("10");
  await ann.getByLabel("Delivery note (optional)").fill("DN-4471");
  await ann.getByRole("button", { name: "Receive goods" }).click();
  await ann.locator("#po-status", { hasText: "received" }).waitFor();
  await ann.getByText("(DN-4471)").waitFor();
  await step(ann, "received purchase order");
  await screenshot(ann, "purchase-order");
  await ann.getByRole("link", { name: "Store room" }).click();
  assert.equal(await levelAt(ann, "Store room"), "14");

  // The start page lists what is low and leads to it.
  await ann.getByRole("link", { name: "Today" }).click();
  await ann.getByRole("link", { name: "All stock to reorder" }).click();
  assert.equal(await levelAt(ann, "Front shop"), "7 low");
  assert.equal(await ann.locator("#levels tbody tr").count(), 1);
  await step(ann, "stock to reorder");
});
