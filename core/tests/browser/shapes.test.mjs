// A traced frame on an order, as the people who make the job see it: Ann's practice orders
// lenses for a frame traced to 0.01 mm with its shape; a tracer's later upload replaces it with
// one shape per eye. The order page shows the box as traced and each shape drawn to scale, with
// its side, points, box and tracer. axe-core checks the page at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, apiAs, ANN } from "./harness.mjs";

const app = session();

/** An ellipse of semi-axes a × b mm as n equiangular radii in hundredths of a mm. */
function ellipse(a, b, n) {
  return Array.from({ length: n }, (_, i) => {
    const t = (2 * Math.PI * i) / n;
    return Math.round((100 * a * b) / Math.hypot(b * Math.cos(t), a * Math.sin(t)));
  });
}

test("an order shows its frame's traced box and shapes", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  const asAnn = await apiAs(base, ANN);
  const patient = await asAnn.ok("POST", "/patients", { first_name: "Ola", last_name: "Berg", date_of_birth: "1970-03-09" });
  const rx = await asAnn.ok("POST", `/patients/${patient.id}/prescriptions`, {
    kind: "spectacles", issued_on: "2026-11-02", prescriber: "O. Optom",
    right: { sphere: "+1.50", cylinder: "-0.50", axis: 90 }, left: { sphere: "+1.25" }, pd_right_mm: 32, pd_left_mm: 31.5,
  });
  const order = await asAnn.ok("POST", "/orders", {
    patient_id: patient.id, prescription_id: rx.id,
    lens: { type: "single_vision", material: "polycarbonate", index: 1.59 },
    frame: { description: "Panto 51-18 tortoiseshell", a_mm: 51.37, b_mm: 40.06, dbl_mm: 17.85,
             shapes: [{ side: "both", source: "frame", radii: ellipse(25.68, 20.03, 400) }] },
    due_on: "2099-01-15", price: { amount_minor: 9900, currency: "GBP" },
  });

  await ann.goto(`${base}/orders/${order.id}`);
  await ann.getByRole("heading", { level: 2, name: "Traced shape" }).waitFor();
  assert.equal(await ann.locator("#frame-box").textContent(), "(A 51.37 × B 40.06 mm, DBL 17.85 mm)");
  const both = ann.getByRole("img", { name: /^Both eyes: frame, 400 points, box 51\.36 × 40\.06 mm$/ });
  assert.equal((await both.locator("polygon").getAttribute("points")).split(" ").length, 400);
  await step(ann, "an order with its traced shape");

  // The tracer's upload: a shape per eye and the box it measured.
  const right = ellipse(26, 19.5, 1000);
  await asAnn.ok("PUT", `/orders/${order.id}/shapes`, {
    device: "tracer-1", a_mm: 52, b_mm: 39, dbl_mm: 18.02,
    shapes: [{ side: "right", source: "frame", radii: right }, { side: "left", source: "frame", radii: right.map((r) => r + 3) }],
  });
  await ann.reload();
  assert.equal(await ann.locator("#frame-box").textContent(), "(A 52.00 × B 39.00 mm, DBL 18.02 mm)");
  await ann.getByRole("img", { name: /^Right eye: frame, 1000 points, box 52\.00 × 39\.00 mm, traced on tracer-1$/ }).waitFor();
  await ann.getByRole("img", { name: /^Left eye: frame, 1000 points, box 52\.06 × 39\.06 mm, traced on tracer-1$/ }).waitFor();
  assert.equal(await ann.getByRole("img", { name: /^Both eyes/ }).count(), 0);
  await step(ann, "an order with a shape per eye");
  await screenshot(ann, "order-traced-shapes");
});
