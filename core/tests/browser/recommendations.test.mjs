// Recommendations in a real browser: a practice admin enables the recommendations plugin, finds
// it from the stock page, is told there is nothing to reorder and nothing unusual yet, is told
// which field a lens question lacks, and then gets a lens for a -6.00 prescription in a 52-18
// frame with the thickness figures behind it. axe-core checks every page on the way, at desktop
// and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, enablePlugin, ANN } from "./harness.mjs";

const app = session();

test("a practice admin gets a lens suggestion with its thickness, and an empty reorder list", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await enablePlugin(ann, base, "recommendations", ["reports-read", "inventory-read", "clinical-read", "secrets", "http-outbound"]);

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
