// Recalls through the console in a real browser: Ann, a clinician's admin, finalises a patient's
// examination with a 12-month recall and sees the due date on the patient's recall page; she sets
// a nearer date by hand (a date in the past is refused at its field) and finds the patient on the
// practice's due list, with nothing sent yet and a link to book. axe-core checks every page on the
// way, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, apiAs, ANN } from "./harness.mjs";

const app = session();
const person = () => app.person();

/** `YYYY-MM-DD` of the practice's day `days` from now (Europe/London). */
function londonDay(days) {
  const at = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(at);
}

/** `YYYY-MM-DD` a number of months after `day`, as ILS counts them (the same day of the month). */
function monthsAfter(day, months) {
  const [y, m, d] = day.split("-").map(Number);
  const total = y * 12 + (m - 1) + months;
  const landed = new Date(Date.UTC(Math.floor(total / 12), total % 12, d));
  if (landed.getUTCDate() !== d) {
    // No such day: the first of the next month.
    return new Date(Date.UTC(Math.floor(total / 12), total % 12 + 1, 1)).toISOString().slice(0, 10);
  }
  return landed.toISOString().slice(0, 10);
}

test("an examination sets a patient's recall, a clinician moves it, and the due list shows them", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);
  const asAnn = await apiAs(base, ANN);
  const patient = await asAnn.ok("POST", "/patients", {
    first_name: "Gareth", last_name: "Evans", date_of_birth: "1958-03-14", email: "gareth@evans.example",
  });
  const today = londonDay(0);
  const exam = await asAnn.ok("POST", `/patients/${patient.id}/examinations`, {
    examined_on: today, visual_acuity: { right: "6/6", left: "6/9" },
  });

  // Finalised with the clinician's 12 months.
  await ann.goto(`${base}/examinations/${exam.id}`);
  await ann.getByLabel("Next sight test due in").selectOption("12");
  await step(ann, "examination, finalising with a recall");
  await ann.getByRole("button", { name: "Finalise" }).click();
  await ann.locator("#exam-state", { hasText: "final" }).waitFor();

  // The record leads to the recall.
  await ann.goto(`${base}/patients/${patient.id}`);
  await ann.getByRole("link", { name: "Recall", exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: "Recall: Gareth Evans" }).waitFor();
  assert.equal((await ann.locator("#recall-due").textContent()).trim(), monthsAfter(today, 12));
  assert.match(await ann.locator("#recall-basis").textContent(), /the clinician's period/);
  await ann.locator("#notices-empty").waitFor();
  await step(ann, "recall from the examination");

  // A date in the past is refused at its field and the recall is unchanged; a near one is set.
  await ann.getByLabel("Due on").fill(londonDay(-2));
  await ann.getByRole("button", { name: "Set the recall" }).click();
  await ann.locator("#due_on-error", { hasText: "must be today or later" }).waitFor();
  assert.equal((await ann.locator("#recall-due").textContent()).trim(), monthsAfter(today, 12));
  await step(ann, "recall refused");
  const soon = londonDay(10);
  await ann.getByLabel("Due on").fill(soon);
  await ann.getByLabel("Reason").fill("new headaches: sooner");
  await ann.getByRole("button", { name: "Set the recall" }).click();
  await ann.locator("#recall-due", { hasText: soon }).waitFor();
  assert.match(await ann.locator("#recall-basis").textContent(), /a date set by hand \(new headaches: sooner\)/);

  // The practice's due list has him, nothing sent yet, with a link to book.
  await ann.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Recalls", exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: "Recalls" }).waitFor();
  const row = ann.locator(`#recall-${patient.id}`);
  assert.match(await row.textContent(), new RegExp(`Gareth Evans[\\s\\S]*${soon}[\\s\\S]*None yet[\\s\\S]*Book`));
  await step(ann, "recalls due");
  await ann.getByLabel("Due by").fill(londonDay(3));
  await ann.getByRole("button", { name: "Show" }).click();
  await ann.locator("#recalls-empty").waitFor();
  await screenshot(ann, "recalls");
});
