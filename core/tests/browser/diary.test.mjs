// The practice's diary through the console in a real browser: Ann, the practice's admin, sets up
// the diary (a clinician with her GOC number, a room, a 30-minute sight test, the week's hours);
// she books a patient from his record into a free time the page finds; the day shows him booked;
// he arrives and his examination starts from the appointment. axe-core checks every page on the
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

/** Registers a patient through the API as Ann; answers the id. */
async function patient(base, first, last) {
  const asAnn = await apiAs(base, ANN);
  return (await asAnn.ok("POST", "/patients", { first_name: first, last_name: last, date_of_birth: "1958-03-14" })).id;
}

test("a practice sets up its diary, books a patient into a free time and sees him from it", async () => {
  const { base } = app;
  const ann = await person();
  await signIn(ann, base, ANN);

  // Setting up: a clinician, a room, a kind of appointment, the week.
  await ann.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Diary", exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: "Diary" }).waitFor();
  await step(ann, "diary, empty");
  await ann.getByRole("link", { name: "Set up the diary" }).click();
  await step(ann, "diary set-up, empty");
  await ann.getByLabel("Clinician's name").fill("Priya Shah");
  await ann.getByLabel("Profession").selectOption("optometrist");
  await ann.getByRole("button", { name: "Add clinician" }).click();
  await ann.locator("#goc_number-error", { hasText: "is required for a GOC-registered clinician" }).waitFor();
  await ann.getByLabel("GOC number").fill("01-23456");
  await ann.getByRole("button", { name: "Add clinician" }).click();
  await ann.getByRole("cell", { name: "01-23456" }).waitFor();
  await ann.getByLabel("Room name").fill("Room 1");
  await ann.getByRole("button", { name: "Add room" }).click();
  await ann.locator("#room-list", { hasText: "Room 1" }).waitFor();
  await ann.getByLabel("Appointment type", { exact: true }).fill("Sight test");
  await ann.getByLabel("Minutes").fill("30");
  await ann.getByRole("group", { name: "Performed by" }).getByLabel("Optometrist").check();
  await ann.getByLabel("Needs a room").check();
  await ann.getByRole("button", { name: "Add appointment type" }).click();
  await ann.getByRole("cell", { name: "Sight test" }).waitFor();
  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await ann.getByLabel(`${day} opens`, { exact: true }).fill("09:00");
    await ann.getByLabel(`${day} closes`, { exact: true }).fill("12:30");
  }
  await ann.getByRole("button", { name: "Save opening hours" }).click();
  await ann.waitForURL(/\/diary\/setup$/);
  assert.equal(await ann.getByLabel("Friday closes", { exact: true }).inputValue(), "12:30");
  await step(ann, "diary set up");

  // Booking Mr Evans from his record into the first free time tomorrow.
  const id = await patient(base, "Gareth", "Evans");
  const tomorrow = londonDay(1);
  await ann.goto(`${base}/patients/${id}`);
  await ann.getByRole("link", { name: "Book an appointment" }).click();
  await ann.getByRole("heading", { level: 1, name: "Book Gareth Evans" }).waitFor();
  await ann.getByLabel("Day").fill(tomorrow);
  await ann.getByRole("button", { name: "Find free times" }).click();
  await ann.getByRole("heading", { name: "Free times" }).waitFor();
  await step(ann, "free times");
  const slots = ann.locator(".slots button");
  assert.equal(await slots.count(), 13, "09:00 to 12:00 every 15 minutes, 30 minutes each, by 12:30");
  await ann.getByRole("button", { name: "Book 09:00 with Priya Shah, Room 1" }).click();
  await ann.waitForURL(new RegExp(`/diary\\?day=${tomorrow}$`));
  const row = ann.locator("#diary tbody tr", { hasText: "Gareth Evans" });
  assert.match(await row.textContent(), /09:00–09:30[\s\S]*Sight test[\s\S]*Room 1[\s\S]*Priya Shah[\s\S]*Booked/);
  await step(ann, "diary with a booking");

  // The slot is gone for the next patient.
  const other = await patient(base, "Hana", "Ito");
  await ann.goto(`${base}/diary/book?patient=${other}&type_id=&day=${tomorrow}`);
  await ann.getByRole("button", { name: "Find free times" }).click();
  await ann.getByRole("heading", { name: "Free times" }).waitFor();
  assert.equal(await ann.getByRole("button", { name: "Book 09:00 with Priya Shah, Room 1" }).count(), 0);
  assert.equal(await ann.locator(".slots button").count(), 11, "09:00 and 09:15 overlap his");

  // He arrives and is seen: the examination starts from the appointment.
  await ann.goto(`${base}/diary?day=${tomorrow}`);
  await ann.getByRole("button", { name: /^Arrived: Gareth Evans/ }).click();
  await ann.locator("#diary tbody tr", { hasText: "Gareth Evans" }).getByText("Arrived", { exact: true }).waitFor();
  await ann.getByRole("button", { name: "Start the examination of Gareth Evans" }).click();
  await ann.waitForURL(/\/examinations\//);
  await step(ann, "examination from an appointment");
  await ann.goto(`${base}/diary?day=${tomorrow}`);
  const seen = ann.locator("#diary tbody tr", { hasText: "Gareth Evans" });
  assert.match(await seen.textContent(), /In room[\s\S]*Examination/);
  await screenshot(ann, "diary");
});
