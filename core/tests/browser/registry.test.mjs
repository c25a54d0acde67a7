// The plugin registry walked in a real browser: a developer (any signed-in user — here the lab's
// admin) creates a publisher, registers the key `ils plugin keygen` wrote and creates a
// publishing token in the console, then publishes with the real `ils plugin publish`. A platform
// admin finds the version in the review queue with what it imports and asks for, and approves
// it; a practice admin enables it; the developer sees it approved and yanks it with a reason; the
// practice admin's plugin page then says so. The developer publishes 0.1.1; the platform admin
// rolls it out to the practice (which takes compatible updates), widens it, rolls it back with a
// reason, and moves everyone off the yanked 0.1.0; the practice admin then pins its version.
// axe-core checks every page, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { step, session, screenshot, signIn, totp, repo, ROOT, ANN, LEE } from "./harness.mjs";

const app = session();

/** The main navigation's link `name`. */
function nav(page, name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

/** Runs the `ils` binary under test (no data directory: these commands talk to a server). */
function ils(args) {
  const env = { ...process.env };
  delete env.ILS_REGISTRY_URL;
  delete env.ILS_REGISTRY_TOKEN;
  delete env.ILS_SIGNING_KEY;
  return execFileSync(process.env.ILS_BIN, args, { encoding: "utf8", env });
}

/**
 * The example plugin as a third party's package: order-notes' component and manifest under an id
 * of its own (the installation already has order-notes, installed from disk by the platform).
 */
function acmePackage(dir, version = "0.1.0") {
  const pkg = path.join(dir, `acme-notes-${version}`);
  mkdirSync(pkg);
  const manifest = readFileSync(path.join(repo, "examples/order-notes/ils-plugin.toml"), "utf8")
    .replace('id = "order-notes"', 'id = "acme-notes"')
    .replace('name = "Order notes"', 'name = "Acme notes"')
    .replace('version = "0.1.0"', `version = "${version}"`);
  assert.match(manifest, /id = "acme-notes"/);
  assert.match(manifest, new RegExp(`version = "${version}"`));
  writeFileSync(path.join(pkg, "ils-plugin.toml"), manifest);
  copyFileSync(path.join(process.env.ILS_PLUGIN_DIR, "order_notes.wasm"), path.join(pkg, "plugin.wasm"));
  return pkg;
}

test("a developer publishes, a platform admin approves, and a yank reaches the practice on it", async () => {
  const { base } = app;
  const work = mkdtempSync(path.join(tmpdir(), "ils-publisher-"));
  try {
    // The developer: a publisher, its key and a CI token, all in the console.
    const dev = await app.person();
    await signIn(dev, base, LEE);
    await nav(dev, "Publishing").click();
    await dev.getByRole("heading", { level: 1, name: "Publishing" }).waitFor();
    await step(dev, "publishing");
    await dev.getByLabel("Name").fill("Acme Plugins");
    await dev.getByLabel("Handle").fill("acme-plugins");
    await dev.getByRole("button", { name: "Create publisher" }).click();
    await dev.getByRole("heading", { level: 1, name: /Acme Plugins/ }).waitFor();
    await dev.getByText("ils plugin keygen").first().waitFor();
    await step(dev, "new publisher");

    const keyFile = path.join(work, "acme.pem");
    const keygen = ils(["plugin", "keygen", "--out", keyFile]);
    const publicKey = keygen.match(/public key:\s+(\S+)/)[1];
    const keyId = keygen.match(/key id:\s+(\S+)/)[1];
    await dev.getByLabel("Key name").fill("laptop");
    await dev.getByLabel("Public key").fill(publicKey);
    await dev.getByRole("button", { name: "Register key" }).click();
    await dev.locator(`#key-state-${keyId}`, { hasText: "live" }).waitFor();

    await dev.getByLabel("Token name").fill("ci");
    await dev.getByRole("button", { name: "Create token" }).click();
    await dev.getByText("it is shown only this once").waitFor();
    const token = (await dev.locator("#new-secret").textContent()).trim();
    assert.match(token, /^ils_p_/);
    await step(dev, "publishing token created");

    // Published with the real CLI, signed with the key: it waits for review.
    const published = ils(["plugin", "publish", acmePackage(work), "--registry", base, "--token", token, "--key", keyFile]);
    assert.match(published, /published acme-notes 0\.1\.0 .*pending/);
    // (A fresh visit, not a reload: reloading the page that showed the token would post its form again.)
    await dev.goto(`${base}/publishing/acme-plugins`);
    assert.equal(await dev.getByText(token).count(), 0, "the token is not shown again");
    await dev.locator("#status-yank-acme-notes-0-1-0", { hasText: "pending" }).waitFor();

    // The platform admin reviews it: what it imports and asks for, then approves it from Pro up.
    const root = await app.person();
    await signIn(root, base, ROOT);
    await root.getByRole("button", { name: "Set up an authenticator app" }).click();
    const secret = (await root.locator("#totp-secret").textContent()).trim();
    await root.getByLabel("Code from the app").fill(totp(secret));
    await root.getByRole("button", { name: "Turn on" }).click();
    await root.locator("#recovery-codes").waitFor();
    await nav(root, "Review").click();
    const review = root.getByRole("region", { name: "acme-notes 0.1.0" });
    await review.waitFor();
    const facts = await review.locator("dl.facts").first().textContent();
    assert.match(facts, /Publisher\s*acme-plugins/);
    assert.match(facts, /Size\s*[\d.]+ (KiB|MiB)/);
    assert.match(facts, /ils:platform\s*\^0\.3/);
    assert.match(facts, new RegExp(`Signed with key\\s*${keyId}`));
    assert.match(facts, /ils:platform\/kv@/, "the imports the component really uses");
    const diff = review.locator("#diff-acme-notes-0-1-0");
    await diff.getByText("First version").waitFor();
    const added = await diff.locator("li", { has: root.locator(".tag.added") }).allTextContents();
    for (const item of ["kv", "http-outbound", "order.*", "notify_host"]) {
      assert.ok(added.some((a) => a.includes(item)), `${item} is marked added: ${added}`);
    }
    await review.getByText("Manifest of acme-notes 0.1.0").click();
    await review.getByText('id = "acme-notes"').waitFor();
    await step(root, "review queue");
    await screenshot(root, "registry-review");
    await root.getByLabel("Lowest plan offered acme-notes 0.1.0").selectOption("pro");
    await root.getByLabel("Note to the publisher (optional)").fill("Welcome aboard");
    await root.getByRole("button", { name: "Approve acme-notes 0.1.0" }).click();
    await root.getByText("Nothing is waiting for review.").waitFor();
    await root.locator("#auto-acme-plugins", { hasText: "off" }).waitFor();
    await step(root, "review queue emptied");

    // The practice admin enables it.
    const ann = await app.person();
    await signIn(ann, base, ANN);
    await ann.goto(`${base}/plugins/acme-notes`);
    await ann.getByLabel("I consent to kv").check();
    await ann.getByLabel("I consent to http-outbound").check();
    await ann.getByRole("button", { name: "Enable" }).click();
    await ann.getByText("yes, version 0.1.0").waitFor();
    assert.equal(await ann.locator("#yanked").count(), 0);

    // The developer sees it approved, with the reviewer's note, and yanks it.
    await dev.goto(`${base}/publishing/acme-plugins`);
    await dev.locator("#status-yank-acme-notes-0-1-0", { hasText: "approved" }).waitFor();
    await dev.getByRole("cell", { name: "Welcome aboard" }).waitFor();
    await dev.getByRole("button", { name: "Yank acme-notes 0.1.0" }).click();
    await dev.locator("#yank-acme-notes-0-1-0-error", { hasText: "say why, for the tenants on this version" }).waitFor();
    await step(dev, "yank refused without a reason");
    await dev.getByLabel("Why yank acme-notes 0.1.0?").fill("Loses notes on restart");
    await dev.getByRole("button", { name: "Yank acme-notes 0.1.0" }).click();
    await dev.locator("#status-yank-acme-notes-0-1-0", { hasText: "yanked" }).waitFor();
    await dev.getByRole("cell", { name: /Loses notes on restart/ }).waitFor();
    await step(dev, "publisher after a yank");
    await screenshot(dev, "publisher");

    // The practice on it is told, prominently, with the reason.
    await ann.reload();
    const notice = ann.getByRole("region", { name: "Version 0.1.0 was withdrawn" });
    await notice.waitFor();
    assert.match(await notice.textContent(), /Loses notes on restart[\s\S]*You should move to another version/);
    await ann.getByText("yes, version 0.1.0").waitFor();
    await step(ann, "plugin on a yanked version");
    await screenshot(ann, "plugin-yanked");
    await ann.goto(`${base}/plugins`);
    await ann.getByText("version 0.1.0 withdrawn: move to another").waitFor();
    await step(ann, "plugins with a yanked version");

    // 0.1.1 is published and approved; the platform admin rolls it out to Bright Eyes, which
    // enabled 0.1.0 taking compatible updates.
    const next = ils(["plugin", "publish", acmePackage(work, "0.1.1"), "--registry", base, "--token", token, "--key", keyFile]);
    assert.match(next, /published acme-notes 0\.1\.1 .*pending/);
    await root.goto(`${base}/admin/registry`);
    await root.getByLabel("Lowest plan offered acme-notes 0.1.1").selectOption("pro");
    await root.getByRole("button", { name: "Approve acme-notes 0.1.1" }).click();
    await root.getByText("Nothing is waiting for review.").waitFor();
    await root.getByRole("list", { name: "Plugins" }).getByRole("link", { name: "acme-notes" }).click();
    await root.getByRole("heading", { level: 1, name: "acme-notes: versions and roll-outs" }).waitFor();
    assert.match(await root.locator("#tenant-bright-eyes").textContent(), /0\.1\.0\s*follows \^0\.1\.0/);
    await step(root, "plugin versions before a roll-out");
    const v011 = root.getByRole("region", { name: "acme-notes 0.1.1" });
    await v011.getByLabel(/Bright Eyes Opticians \(bright-eyes, on 0\.1\.0\)/).check();
    await v011.getByRole("button", { name: "Roll out acme-notes 0.1.1" }).click();
    await root.locator("#rollout-status-0-1-1", { hasText: "active" }).waitFor();
    assert.match(await root.locator("#moved-0-1-1").textContent(), /bright-eyes, from 0\.1\.0/);
    await step(root, "roll-out to a named tenant");
    await screenshot(root, "registry-rollout");

    await ann.goto(`${base}/plugins/acme-notes`);
    await ann.getByText("yes, version 0.1.1").waitFor();
    assert.equal(await ann.locator("#yanked").count(), 0, "off the yanked version");
    assert.match(await ann.locator("#updates").textContent(), /follows \^0\.1\.0/);

    // Widened to all, then rolled back by hand — a reason is required — and Bright Eyes is back.
    await root.getByLabel("Widen acme-notes 0.1.1 to this share of tenants (%)").fill("100");
    await root.getByRole("button", { name: "Widen the roll-out of 0.1.1" }).click();
    await root.locator("#rollout-status-0-1-1", { hasText: "completed" }).waitFor();
    await root.getByRole("button", { name: "Roll back 0.1.1" }).click();
    await root.locator("#form-problem", { hasText: "say why" }).waitFor();
    await step(root, "rollback refused without a reason");
    await root.getByLabel("Why roll 0.1.1 back? (required)").fill("Support calls about notes");
    await root.getByRole("button", { name: "Roll back 0.1.1" }).click();
    await root.locator("#rollout-status-0-1-1", { hasText: "rolled back" }).waitFor();
    assert.match(await root.locator("#rollout-reason-0-1-1").textContent(), /Support calls about notes/);
    await ann.reload();
    await ann.getByText("yes, version 0.1.0").waitFor();
    await ann.getByRole("region", { name: "Version 0.1.0 was withdrawn" }).waitFor();

    // Everyone off the yanked 0.1.0, by the platform admin.
    const v010 = root.getByRole("region", { name: "acme-notes 0.1.0" });
    await v010.getByLabel("Move every tenant on 0.1.0 to").selectOption("0.1.1");
    await v010.getByLabel("Why? (required; the tenants read it)").fill("0.1.0 was yanked");
    await v010.getByRole("button", { name: "Move the tenants on 0.1.0" }).click();
    await root.locator("#on-0-1-0", { hasText: "0" }).waitFor();
    await step(root, "tenants moved off a yanked version");

    // Bright Eyes now stays on 0.1.1 until its admin moves it.
    await ann.reload();
    await ann.getByText("yes, version 0.1.1").waitFor();
    await ann.getByLabel("Stay on 0.1.1 until I move").check();
    await ann.getByRole("button", { name: "Save updates" }).click();
    await ann.locator("#updates", { hasText: "pinned to version 0.1.1" }).waitFor();
    await step(ann, "plugin pinned");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
