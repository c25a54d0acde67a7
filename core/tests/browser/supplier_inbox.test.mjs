// A supplier on ILS, through the console in a real browser: a platform admin links the directory
// entry "Lensco Ltd" to Lensco's own tenant; Bright Eyes sends Lensco a purchase order, and its
// page says it went to Lensco's inbox on ILS; Lensco's admin finds it under "Orders received",
// opens it — lines, totals and the PDF — and acknowledges it; Bright Eyes's order shows the
// acknowledgement. Nothing is e-mailed. axe-core checks every page on the way, at desktop and
// phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, startSmtpSink, totp, apiAs, ROOT, ANN } from "./harness.mjs";

const SAM = { email: "sam@lensco.example", name: "Sam Supplier", password: "supplier pass 123" };

let sink;
const app = session({
  tenants: [{ name: "Lensco", slug: "lensco", kind: "supplier", admin: SAM }],
  env: async () => {
    sink = await startSmtpSink();
    return sink.env;
  },
  stop: () => sink?.stop(),
});
const person = () => app.person();

function nav(page, name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

test("a purchase order reaches a supplier on ILS in its inbox, and its acknowledgement comes back", async () => {
  const { base } = app;
  const asAnn = await apiAs(base, ANN);

  // Bright Eyes buys from Lensco: a directory entry with an account, an item and a draft order.
  const supplier = await asAnn.ok("POST", "/suppliers", { name: "Lensco Ltd", email: "orders@lensco.example" });
  await asAnn.ok("POST", "/supplier-accounts", { supplier_id: supplier.id, account_number: "BE-204", payment_terms_days: 30 });
  const shop = await asAnn.ok("POST", "/locations", { name: "Front shop" });
  const item = await asAnn.ok("POST", "/items", { sku: "SV-150-AR", name: "Single vision 1.50 AR", unit: "pair", reorder_point: 0 });
  const draft = await asAnn.ok("POST", "/purchase-orders", {
    supplier_id: supplier.id, location_id: shop.id, currency: "GBP", notes: "Before Friday, please",
    lines: [{ item_id: item.id, quantity: 6, unit_price_minor: 1250 }],
  });

  // The platform admin links the entry to Lensco's tenant.
  const root = await person();
  await signIn(root, base, ROOT);
  await root.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await root.locator("#totp-secret").textContent()).trim();
  await root.getByLabel("Code from the app").fill(totp(secret));
  await root.getByRole("button", { name: "Turn on" }).click();
  await root.locator("#recovery-codes").waitFor();
  await nav(root, "Suppliers").click();
  await root.getByRole("heading", { level: 1, name: "Supplier directory" }).waitFor();
  await step(root, "supplier directory");
  await root.getByRole("button", { name: "Link Lensco Ltd" }).click();
  await root.getByText("choose the supplier's tenant").first().waitFor();
  await root.getByLabel("Tenant of Lensco Ltd").selectOption({ label: "Lensco (lensco)" });
  await root.getByRole("button", { name: "Link Lensco Ltd" }).click();
  await root.locator(`#linked-${supplier.id}`, { hasText: "Lensco" }).waitFor();
  await step(root, "supplier linked");

  // Ann sends the order from its page; it goes to Lensco's inbox, not to the e-mail address.
  const ann = await person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/stock/suppliers`);
  await ann.locator("tr", { hasText: "Lensco Ltd" }).getByText("On ILS").waitFor();
  await ann.goto(`${base}/stock/purchase-orders/${draft.id}`);
  await ann.getByRole("button", { name: "Send to supplier" }).click();
  await ann.locator("#po-status", { hasText: "sent" }).waitFor();
  for (let i = 0; i < 50 && !(await ann.locator("#delivery-log .delivery-delivered").count()); i++) {
    await new Promise((r) => setTimeout(r, 200));
    await ann.reload();
  }
  const delivery = ann.locator("#delivery-log tbody tr").first();
  assert.match(await delivery.textContent(), /Their inbox on ILS[\s\S]*Delivered/);
  await step(ann, "purchase order delivered to an inbox");

  // Sam, Lensco's admin, finds it under "Orders received" and takes it on.
  const sam = await person();
  await signIn(sam, base, SAM);
  await nav(sam, "Orders received").click();
  await sam.getByRole("heading", { level: 1, name: "Orders received" }).waitFor();
  await sam.locator("#inbox-count", { hasText: "1 new, 1 in all." }).waitFor();
  await step(sam, "orders received");
  await sam.getByRole("link", { name: draft.number }).click();
  await sam.getByRole("heading", { level: 1, name: `Order ${draft.number} from Bright Eyes Opticians` }).waitFor();
  const lines = await sam.locator("#received-lines tbody").textContent();
  assert.match(lines, /SV-150-AR[\s\S]*Single vision 1\.50 AR[\s\S]*6[\s\S]*£12\.50[\s\S]*£75\.00/);
  assert.equal(await sam.locator("#received-total").textContent(), "£75.00");
  await sam.getByText("BE-204").waitFor();
  await sam.getByText("Before Friday, please").waitFor();
  const pdf = await sam.request.get(new URL(await sam.locator("#received-pdf").getAttribute("href"), base).href);
  assert.equal(pdf.headers()["content-type"], "application/pdf");
  assert.equal((await pdf.body()).subarray(0, 5).toString(), "%PDF-");
  await step(sam, "received order");
  await sam.getByRole("button", { name: `Acknowledge order ${draft.number}` }).click();
  await sam.locator("#received-status", { hasText: "Acknowledged" }).waitFor();
  await step(sam, "received order acknowledged");
  await screenshot(sam, "received-order");

  // Ann's order shows that Lensco has it in hand; nothing went by e-mail.
  await ann.reload();
  assert.match(await ann.locator("#delivery-log tbody tr").first().textContent(), /Acknowledged by the supplier/);
  assert.equal(sink.mails().filter((m) => m.to.some((t) => t.includes("lensco"))).length, 0);

  // Ann's practice has no inbox of its own.
  assert.equal(await nav(ann, "Orders received").count(), 0);
});
