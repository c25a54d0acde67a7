// A refractor on site, as a practice meets it: Ann registers the phoropter on the Devices page
// and gives the site's bridge a key that may only connect devices; on a draft examination she
// chooses the phoropter; the bridge (`ils bridge run`) connects, the phoropter sends its
// transmission (over TCP, as a serial-to-LAN adapter would), and the examination page shows the
// final refraction and PD without anything typed. The device's page logs the reading, linked to
// the examination. axe-core checks each page, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { step, session, signIn, apiAs, repo, ANN, LEE } from "./harness.mjs";

const app = session();

/** A TCP port nothing listens on now. */
async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Reloads `page` until `locator` shows `text` (the bridge works in the background); 30 s at most. */
async function until(page, selector, text) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const shown = await page.locator(selector).textContent().catch(() => "");
    if (shown.includes(text)) return;
    assert.ok(Date.now() < deadline, `${selector} never showed ${JSON.stringify(text)}; it shows ${JSON.stringify(shown)}`);
    await new Promise((r) => setTimeout(r, 300));
    await page.reload();
  }
}

test("a refractor on site fills a draft examination through the bridge", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/plugins/nidek-rs232`);
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();

  // Ann registers the phoropter from Settings → Devices.
  await ann.goto(`${base}/settings`);
  await ann.getByRole("link", { name: "Devices" }).click();
  await ann.locator("#no-devices").waitFor();
  await step(ann, "no devices yet");
  await ann.getByLabel("Name").fill("phoropter-1");
  await ann.getByLabel("Driver").selectOption({ label: "Nidek RS-232 driver" });
  await ann.getByLabel("Model").fill("rt-5100");
  await ann.getByRole("button", { name: "Register device" }).click();
  assert.equal(await ann.locator("#device-state-phoropter-1").textContent(), "not connected");
  // A name already taken is said on the form.
  await ann.getByLabel("Name").fill("phoropter-1");
  await ann.getByLabel("Model").fill("rt-5100");
  await ann.getByRole("button", { name: "Register device" }).click();
  await ann.getByText(/already a device named "phoropter-1"/).first().waitFor();
  await step(ann, "a device registered");

  // A draft examination, chosen as where the phoropter's readings go.
  const asAnn = await apiAs(base, ANN);
  const patient = await asAnn.ok("POST", "/patients", { first_name: "Ida", last_name: "Lund", date_of_birth: "1958-06-30" });
  const exam = await asAnn.ok("POST", `/patients/${patient.id}/examinations`, { examined_on: "2026-12-01", visual_acuity: { right: "6/6", left: "6/9" } });
  await ann.goto(`${base}/examinations/${exam.id}`);
  await ann.getByRole("heading", { level: 2, name: "Readings from a device on site" }).waitFor();
  await ann.getByLabel("Device on site", { exact: true }).selectOption("phoropter-1");
  await ann.getByRole("button", { name: "Fill from this device" }).click();
  await ann.locator("#reading-device", { hasText: "Readings from phoropter-1 (not connected) fill this examination." }).waitFor();
  assert.equal(await ann.locator("#refraction").textContent(), "not recorded");
  await step(ann, "an examination waiting for the phoropter");

  // The site's bridge, with a key that may only connect devices, listening for the phoropter.
  await ann.goto(`${base}/api-keys`);
  await ann.getByLabel("Name").fill("room 2 bridge");
  await ann.getByLabel("devices:connect").check();
  await ann.getByRole("button", { name: "Create key" }).click();
  const secret = (await ann.locator("#new-secret").textContent()).trim();
  const dir = mkdtempSync(path.join(tmpdir(), "ils-bridge-"));
  const port = await freePort();
  writeFileSync(path.join(dir, "key"), secret);
  writeFileSync(path.join(dir, "bridge.toml"), [
    `server = "${base}"`, `key_file = "key"`, `data_dir = "data"`, `name = "room-2"`, "",
    "[[device]]", `name = "phoropter-1"`, `tcp_listen = "127.0.0.1:${port}"`, "",
  ].join("\n"));
  const bridge = spawn(process.env.ILS_BIN, ["bridge", "run", "--config", path.join(dir, "bridge.toml")], {
    env: { ...process.env, ILS_LOG: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    // The phoropter sends what an RT-5100 sends at the end of an examination, a few bytes at a time.
    const transmission = readFileSync(path.join(repo, "plugins/fake-devices/recordings/refractor-rt5100.txt"));
    let line;
    for (let tries = 0; ; tries++) {
      try {
        line = await new Promise((resolve, reject) => {
          const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
          socket.once("error", reject);
        });
        break;
      } catch (e) {
        assert.ok(tries < 100, `the bridge never listened on ${port}: ${e}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (let at = 0; at < transmission.length; at += 32) {
      line.write(transmission.subarray(at, at + 32));
      await new Promise((r) => setTimeout(r, 10));
    }

    await ann.goto(`${base}/examinations/${exam.id}`);
    await until(ann, "#refraction", "R +10.00/-5.00×90, L +9.50/-4.75×85");
    assert.equal(await ann.locator("#pd").textContent(), "64 mm (R 32.5, L 31.5)");
    assert.equal(await ann.locator("#exam-state").textContent(), "draft");
    await ann.locator("#reading-device", { hasText: "phoropter-1 (connected)" }).waitFor();
    await step(ann, "the phoropter's reading in the draft");

    // The device's page says what happened, with the examination linked.
    await ann.goto(`${base}/devices`);
    assert.equal(await ann.locator("#device-state-phoropter-1").textContent(), "connected");
    await ann.getByRole("link", { name: "phoropter-1" }).click();
    const reading = ann.locator("tr.log-reading").first();
    await reading.getByText("the reading filled the examination's refraction.").waitFor();
    await reading.getByRole("link", { name: "the examination" }).click();
    await ann.locator("#refraction", { hasText: "R +10.00/-5.00×90" }).waitFor();
    line.destroy();
  } finally {
    bridge.kill("SIGTERM");
    await new Promise((r) => (bridge.exitCode !== null ? r() : bridge.once("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an order's job goes to the edger on site through the bridge", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/plugins/dcs-driver`);
  await ann.getByRole("button", { name: "Enable" }).click();
  await ann.getByText("yes, version 0.1.0").waitFor();
  const asAnn = await apiAs(base, ANN);
  await asAnn.ok("POST", "/devices", { name: "edger-1", plugin: "dcs-driver", model: "edger" });
  const patient = await asAnn.ok("POST", "/patients", { first_name: "Per", last_name: "Holm", date_of_birth: "1966-02-11" });
  const rx = await asAnn.ok("POST", `/patients/${patient.id}/prescriptions`, {
    kind: "spectacles", issued_on: "2026-11-02", prescriber: "O. Optom",
    right: { sphere: "+1.50" }, left: { sphere: "+1.25" }, pd_right_mm: 32, pd_left_mm: 31.5,
  });
  const order = await asAnn.ok("POST", "/orders", {
    patient_id: patient.id, prescription_id: rx.id,
    lens: { type: "single_vision", material: "polycarbonate", index: 1.59 },
    frame: { description: "Panto 51-18", a_mm: 51.37, b_mm: 40.06, dbl_mm: 17.85 },
    due_on: "2099-01-15", price: { amount_minor: 9900, currency: "GBP" },
  });

  // No bridge has connected the edger: the page says so and nothing is queued.
  await ann.goto(`${base}/orders/${order.id}`);
  await ann.getByLabel("Device on site", { exact: true }).selectOption("edger-1");
  await ann.getByRole("button", { name: "Send the job" }).click();
  await ann.getByText("edger-1 is not connected: check the device and the site's bridge, then send again.").first().waitFor();
  await step(ann, "a job for an edger that is not connected");

  // The edger on the LAN; the bridge dials it.
  const edger = net.createServer();
  const received = [];
  let connected;
  const linked = new Promise((r) => (connected = r));
  edger.on("connection", (socket) => {
    socket.on("data", (chunk) => received.push(chunk));
    connected();
  });
  await new Promise((r) => edger.listen(0, "127.0.0.1", r));
  const key = await asAnn.ok("POST", "/api-keys", { name: "lab bridge", scopes: ["devices:connect"] });
  const dir = mkdtempSync(path.join(tmpdir(), "ils-bridge-"));
  writeFileSync(path.join(dir, "bridge.toml"), [
    `server = "${base}"`, `data_dir = "data"`, `name = "lab"`, "",
    "[[device]]", `name = "edger-1"`, `tcp_connect = "127.0.0.1:${edger.address().port}"`, "",
  ].join("\n"));
  const bridge = spawn(process.env.ILS_BIN, ["bridge", "run", "--config", path.join(dir, "bridge.toml")], {
    env: { ...process.env, ILS_LOG: "warn", ILS_BRIDGE_KEY: key.secret },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await linked;
    await until(ann, "#send-device", "edger-1 (edger)");
    await ann.getByLabel("Device on site", { exact: true }).selectOption("edger-1");
    await ann.getByRole("button", { name: "Send the job" }).click();
    await ann.locator("#job-sent", { hasText: "The job went to edger-1 through the site's bridge" }).waitFor();
    await step(ann, "a job sent to the edger");
    const deadline = Date.now() + 30_000;
    while (!Buffer.concat(received).toString("latin1").includes(`JOB=${order.number}`)) {
      assert.ok(Date.now() < deadline, `the edger never got job ${order.number}: ${Buffer.concat(received).toString("latin1")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    bridge.kill("SIGTERM");
    await new Promise((r) => (bridge.exitCode !== null ? r() : bridge.once("exit", r)));
    edger.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("another company sees none of the practice's devices", async () => {
  const { base } = app;
  const lee = await app.person();
  await signIn(lee, base, LEE);
  await lee.goto(`${base}/devices`);
  await lee.locator("#no-devices").waitFor();
  assert.equal((await lee.goto(`${base}/devices/phoropter-1`)).status(), 404);
  const asLee = await apiAs(base, LEE);
  const theirs = await asLee("GET", "/devices/phoropter-1/log");
  assert.equal(theirs.status, 404);
  const list = await asLee.ok("GET", "/devices");
  assert.deepEqual(list, []);
});
