// The browser tests' harness: a real `ils serve` on SQLite in a temporary folder, the tenants of
// the README's story made with the real CLI, Debian's Chromium driven by Playwright, and axe-core
// run on every page a test visits.
//
// Environment (scripts/browser-test sets it):
//   ILS_BIN          the `ils` binary to test
//   ILS_PLUGIN_DIR   the folder of the built plugin components (order-notes, nhs-gos, nidek-rs232, dcs-driver, reports,
//                    recommendations, and shopify-sync for the tests that ask for it)
//   ILS_FAKE_SHOPIFY_BIN  the fake shop's binary (default: `ils-fake-shopify` beside ILS_BIN)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   ILS_SCREENSHOTS  a folder to save screenshots of the main screens in (optional)

import { spawn, execFileSync } from "node:child_process";
import { before, after } from "node:test";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../../..");
const AXE = readFileSync(path.join(here, "node_modules/axe-core/axe.min.js"), "utf8");

export const ROOT = { email: "root@example.com", password: "a long root password" };
export const ANN = { email: "ann@brighteyes.example", password: "admin password 123" };
export const LEE = { email: "lee@lensworks.example", password: "lab admin pass 1" };
export const DAN = { email: "dan@brighteyes.example", password: "dispenser pass 1", name: "Dan" };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function ils(dataDir, args, env = {}) {
  const bin = process.env.ILS_BIN;
  assert.ok(bin, "ILS_BIN must name the ils binary (scripts/browser-test sets it)");
  return execFileSync(bin, [...args, "--data-dir", dataDir], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

async function waitReady(base, server) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`ils serve exited with ${server.exitCode}`);
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("ils serve did not become ready in 30 s");
}

/**
 * Starts ILS with the README's tenants (and the example plugin in the catalogue). `options.env`
 * is added to `ils serve`'s environment; `options.plugins` lists more `[crate folder, component]`
 * to install; `options.tenants` more tenants (`{ name, slug, kind, admin: { email, name, password } }`).
 */
export async function startIls(options = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ils-browser-"));
  ils(dataDir, ["init"]);
  ils(dataDir, ["tenant", "create", "--name", "Bright Eyes Opticians", "--slug", "bright-eyes", "--kind", "ecp",
    "--plan", "pro", "--admin-email", ANN.email, "--admin-name", "Ann Admin"], { ILS_ADMIN_PASSWORD: ANN.password });
  ils(dataDir, ["tenant", "create", "--name", "Lensworks", "--slug", "lensworks", "--kind", "lab",
    "--plan", "pro", "--admin-email", LEE.email, "--admin-name", "Lee Lab"], { ILS_ADMIN_PASSWORD: LEE.password });
  for (const t of options.tenants ?? []) {
    ils(dataDir, ["tenant", "create", "--name", t.name, "--slug", t.slug, "--kind", t.kind, "--plan", "pro",
      "--admin-email", t.admin.email, "--admin-name", t.admin.name], { ILS_ADMIN_PASSWORD: t.admin.password });
  }
  const components = process.env.ILS_PLUGIN_DIR;
  assert.ok(components, "ILS_PLUGIN_DIR must name the built plugin components (scripts/browser-test sets it)");
  const plugins = [
    ["examples/order-notes", "order_notes.wasm"],
    ["plugins/nhs-gos", "nhs_gos.wasm"],
    ["plugins/nidek-rs232", "nidek_rs232.wasm"],
    ["plugins/dcs-driver", "dcs_driver.wasm"],
    ["plugins/reports", "ils_reports.wasm"],
    ["plugins/recommendations", "ils_recommendations.wasm"],
    ...(options.plugins ?? []),
  ];
  for (const [crate, wasm] of plugins) {
    const pkg = path.join(dataDir, `${wasm}-package`);
    mkdirSync(pkg);
    copyFileSync(path.join(repo, crate, "ils-plugin.toml"), path.join(pkg, "ils-plugin.toml"));
    copyFileSync(path.join(components, wasm), path.join(pkg, "plugin.wasm"));
    ils(dataDir, ["plugin", "install", pkg]);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.env.ILS_BIN, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    env: {
      ...process.env,
      ILS_BOOTSTRAP_EMAIL: ROOT.email,
      ILS_BOOTSTRAP_PASSWORD: ROOT.password,
      ILS_LOG: "warn",
      ...(options.env ?? {}),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitReady(base, server);
  return {
    base,
    async stop() {
      server.kill("SIGTERM");
      await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with the network features this machine has no use for off. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/** axe-core on the page as it is now: no serious or critical finding. */
export async function accessible(page, label) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `accessibility findings on ${label} (${page.url()})`);
}

/** The widths the console must work at: a desktop and a phone. */
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * The page reflows at phone width: nothing but a table's own scrolling region is wider than the
 * screen, and axe finds nothing serious there either. The desktop width is restored after.
 */
export async function reflows(page, label) {
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${label} is ${overflow}px wider than a 390px screen`);
  await accessible(page, `${label} at 390px`);
  await page.setViewportSize(DESKTOP);
}

/** Saves desktop and phone screenshots of the page, when ILS_SCREENSHOTS names a folder. */
export async function screenshot(page, name) {
  const dir = process.env.ILS_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(dir, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/** Signs in through the form and waits for the page it leads to. */
export async function signIn(page, base, who) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("E-mail address").fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
}

/**
 * The JSON API signed in as `who`, as an integration would call it: `call(method, path, body)`
 * answers `{ status, body }`; `call.ok(method, path, body)` answers the body of a success and
 * fails the test on anything else.
 */
export async function apiAs(base, who) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: who.email, password: who.password }),
  });
  assert.equal(login.status, 200, `signing in as ${who.email}`);
  const { token } = await login.json();
  const call = async (method, path, body) => {
    const answer = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    return { status: answer.status, body: text ? JSON.parse(text) : null };
  };
  call.ok = async (method, path, body) => {
    const { status, body: answer } = await call(method, path, body);
    assert.ok(status >= 200 && status < 300, `${method} ${path}: ${status} ${JSON.stringify(answer)}`);
    return answer;
  };
  return call;
}

/** The current TOTP code (RFC 6238: SHA-1, 30 s, 6 digits) of a base32 secret, as an app shows it. */
export function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base32: ${c}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, "0");
}

/**
 * The fake Shopify shop (`ils-fake-shopify`) on loopback, seeded with `products` (`{ SKU: available }`)
 * at one location. Resolves to the shop's JSON (`domain`, `address`, `cert_pem`, `access_token`,
 * `webhook_secret`, `control`, `location_id`, `products`), `env` — what `ils serve` needs to reach
 * it (ADR 031) — and `stop()`.
 */
export async function startFakeShopify(products) {
  const bin = process.env.ILS_FAKE_SHOPIFY_BIN || path.join(path.dirname(process.env.ILS_BIN ?? ""), "ils-fake-shopify");
  const args = Object.entries(products).flatMap(([sku, available]) => ["--product", `${sku}=${available}`]);
  const fake = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((_, reject) => fake.once("exit", (code) => reject(new Error(`${bin} exited with ${code}`))));
  exited.catch(() => {}); // it exits when stopped, too
  const lines = createInterface({ input: fake.stdout });
  const first = new Promise((resolve) => lines.once("line", resolve));
  const shop = JSON.parse(await Promise.race([first, exited]));
  lines.close();
  const dir = mkdtempSync(path.join(tmpdir(), "ils-fake-shopify-"));
  const roots = path.join(dir, "shop-cert.pem");
  writeFileSync(roots, shop.cert_pem);
  return {
    ...shop,
    env: { ILS_OUTBOUND_CONNECT_TO: shop.connect_to, ILS_OUTBOUND_EXTRA_ROOTS: roots, ILS_PLUGINS_ALLOW_PRIVATE: "true" },
    async stop() {
      if (fake.exitCode === null) {
        fake.kill("SIGTERM");
        await new Promise((r) => (fake.exitCode !== null ? r() : fake.once("exit", r)));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One ILS and one browser for a test file's tests, started before the first and stopped after the
 * last. `app.base` is the server's address; `app.person()` a fresh browser profile (its own
 * cookies) at desktop width. `options` are `startIls`'s, and: `env` may be an async function,
 * awaited before ILS starts (to start what ILS is pointed at); `stop`, awaited after ILS stops.
 */
export function session(options = {}) {
  let ils;
  let browser;
  before(async () => {
    const env = typeof options.env === "function" ? await options.env() : options.env;
    ils = await startIls({ ...options, env });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await ils?.stop();
    await options.stop?.();
  });
  return {
    get base() {
      return ils.base;
    },
    async person() {
      const context = await browser.newContext({ viewport: DESKTOP });
      return context.newPage();
    },
  };
}

/** A page the test reached: loaded, with no serious accessibility finding, reflowing at 390px. */
export async function step(page, label) {
  await page.waitForLoadState("load");
  await accessible(page, label);
  await reflows(page, label);
}

/** Signs the practice admin in on `page` and enables the example plugin, consenting to all it asks. */
export async function enableOrderNotes(page, base) {
  await signIn(page, base, ANN);
  await page.goto(`${base}/plugins/order-notes`);
  await page.getByLabel("I consent to kv").check();
  await page.getByLabel("I consent to http-outbound").check();
  await page.getByRole("button", { name: "Enable" }).click();
  await page.getByText("yes, version 0.1.0").waitFor();
}

/** Enables plugin `id` from its page, for the admin signed in on `page`, consenting to `capabilities`. */
export async function enablePlugin(page, base, id, capabilities) {
  await page.goto(`${base}/plugins/${id}`);
  for (const capability of capabilities) await page.getByLabel(`I consent to ${capability}`).check();
  await page.getByRole("button", { name: "Enable" }).click();
  await page.getByText(/^yes, version /).waitFor();
}

/**
 * An SMTP server on loopback that accepts every message and keeps it (RFC 5321's happy path,
 * no TLS), for the flows that send e-mail. Resolves to `{ url, env, mails(), stop() }`: `env`
 * points `ils serve` at it; each mail is `{ to, data }` with the raw message, and `text(mail)`
 * gives its body with quoted-printable soft breaks and escapes undone.
 */
export async function startSmtpSink() {
  const mails = [];
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.setEncoding("latin1");
    let buffer = "";
    let inData = false;
    let current = { to: [], data: "" };
    socket.write("220 sink ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          current.data = buffer.slice(0, end).replace(/\r\n\.\./g, "\r\n.");
          buffer = buffer.slice(end + 5);
          mails.push(current);
          current = { to: [], data: "" };
          inData = false;
          socket.write("250 kept\r\n");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") socket.write("250 sink\r\n");
        else if (verb === "RCPT") {
          current.to.push(line.slice(line.indexOf(":") + 1).trim());
          socket.write("250 ok\r\n");
        } else if (verb === "DATA") {
          inData = true;
          socket.write("354 go on\r\n");
        } else if (verb === "QUIT") {
          socket.end("221 bye\r\n");
          return;
        } else socket.write("250 ok\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `smtp://127.0.0.1:${server.address().port}`;
  return {
    url,
    env: { ILS_SMTP_URL: url, ILS_SMTP_FROM: "ILS <noreply@ils.test>" },
    mails: () => [...mails],
    async stop() {
      // ILS keeps its SMTP connection pooled: end it, or close() waits for it.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A mail's body as a reader sees it: quoted-printable soft line breaks and `=XX` escapes undone. */
export function mailText(mail) {
  const body = mail.data.slice(mail.data.indexOf("\r\n\r\n") + 4);
  return body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}
