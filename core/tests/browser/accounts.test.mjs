// Accounts people can recover, walked in a real browser: Dan forgets his password, asks for a
// link from the sign-in page, opens it from the e-mail that reaches the SMTP sink, chooses a new
// password and signs in with it; the link does not work twice. Ann, the practice admin, sees the
// wrong guesses that locked Dan out, unlocks him, suspends him (he can no longer sign in) and
// reactivates him. Ann invites Nina, who joins from the e-mailed link; a revoked invitation
// does not work. axe-core checks every page on the way, at desktop and phone widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { step, session, screenshot, signIn, startSmtpSink, mailText, ANN, DAN } from "./harness.mjs";

let sink;
/** Dan's password: the first test changes it. */
const NEW_PASSWORD = "dan's new long password";
let danNow = DAN;
const app = session({
  env: async () => {
    sink = await startSmtpSink();
    return sink.env;
  },
  stop: () => sink?.stop(),
});

/** Dan asks to join Bright Eyes and Ann approves him, through the API as the console would. */
async function danJoins(base) {
  const register = await fetch(`${base}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tenant: "bright-eyes", email: DAN.email, name: DAN.name, password: DAN.password }),
  });
  assert.equal(register.status, 202);
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ANN.email, password: ANN.password }),
  });
  const { token } = await login.json();
  const users = await (await fetch(`${base}/api/v1/users?status=pending`, { headers: { authorization: `Bearer ${token}` } })).json();
  const dan = users.items.find((u) => u.email === DAN.email);
  const approve = await fetch(`${base}/api/v1/users/${dan.user_id}/approve`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ role: "dispenser" }),
  });
  assert.equal(approve.status, 200);
}

/** Waits for the sink to hold a mail to `to` with `subject`; returns its reset link. */
async function resetLink(to, count) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mails = sink.mails().filter((m) => m.to.some((t) => t.includes(to)) && m.data.includes("Choose a new ILS password"));
    if (mails.length >= count) {
      const text = mailText(mails[count - 1]);
      const link = text.match(/https?:\/\/\S+\/reset-password\?token=\S+/);
      assert.ok(link, `a link in: ${text}`);
      return link[0];
    }
    assert.ok(Date.now() < deadline, "the reset e-mail did not arrive in 15 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a member resets a forgotten password from the link the e-mail brings", async () => {
  const { base } = app;
  await danJoins(base);
  const dan = await app.person();
  await dan.goto(`${base}/sign-in`);
  await dan.getByRole("link", { name: "Forgotten your password?" }).click();
  await dan.getByRole("heading", { level: 1, name: "Forgotten password" }).waitFor();
  await step(dan, "forgot password");

  // A mistyped address is refused on the form; then the link is asked for.
  await dan.getByLabel("E-mail address").fill("dan at brighteyes");
  await dan.getByRole("button", { name: "Send me a link" }).click();
  await dan.locator("#email-error").waitFor();
  await step(dan, "forgot password refused");
  await dan.getByLabel("E-mail address").fill(DAN.email);
  await dan.getByRole("button", { name: "Send me a link" }).click();
  await dan.getByText("If an account uses this address").waitFor();
  await step(dan, "link sent");

  const link = await resetLink(DAN.email, 1);
  await dan.goto(link);
  await dan.getByRole("heading", { level: 1, name: "Choose a new password" }).waitFor();
  await step(dan, "reset password");
  await dan.getByLabel("New password").fill("short");
  await dan.getByRole("button", { name: "Set the new password" }).click();
  await dan.locator("#password-error").waitFor();
  await step(dan, "reset password refused");
  await screenshot(dan, "reset-password-refused");
  await dan.getByLabel("New password").fill(NEW_PASSWORD);
  await dan.getByRole("button", { name: "Set the new password" }).click();
  await dan.getByText("Your password is changed").waitFor();
  await step(dan, "password changed");

  // The old password no longer works; the new one does.
  await signIn(dan, base, DAN);
  await dan.locator("#form-problem").waitFor();
  await signIn(dan, base, { ...DAN, password: NEW_PASSWORD });
  await dan.getByRole("navigation", { name: "Main" }).waitFor();

  // Signed in on his phone too, he sees both sessions on his account page and ends the other.
  const phone = await app.person();
  await signIn(phone, base, { ...DAN, password: NEW_PASSWORD });
  await dan.goto(`${base}/account`);
  const sessions = dan.getByRole("region", { name: "Sessions" });
  assert.equal(await sessions.getByRole("row").count(), 1 + 2, "a header and two sessions");
  await step(dan, "account sessions");
  await sessions.getByRole("button", { name: /^Sign out the session from/ }).click();
  await sessions.getByText("this session").waitFor();
  assert.equal(await sessions.getByRole("row").count(), 1 + 1);
  await phone.goto(`${base}/patients`);
  await phone.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

  // The link works once.
  const again = await app.person();
  await again.goto(link);
  await again.getByLabel("New password").fill("yet another long password");
  await again.getByRole("button", { name: "Set the new password" }).click();
  await again.getByText("This reset link is not valid").waitFor();
  await again.getByRole("link", { name: "Ask for a new link" }).waitFor();
  await step(again, "reset link used twice");
  danNow = { ...DAN, password: NEW_PASSWORD };
});

test("an admin sees a colleague locked out, unlocks, suspends and reactivates them", async () => {
  const { base } = app;
  const guesser = await app.person();
  // Five wrong guesses lock the address; the sixth is refused for the lock.
  for (let i = 0; i < 6; i += 1) await signIn(guesser, base, { ...danNow, password: `a wrong guess ${i}` });
  await guesser.getByText("Too many failed attempts").waitFor();

  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/users`);
  await ann.getByRole("link", { name: DAN.name, exact: true }).click();
  await ann.getByRole("heading", { level: 1, name: DAN.name }).waitFor();
  await ann.locator("#lock").getByText("Locked until").waitFor();
  const rows = ann.getByRole("region", { name: "Failed sign-ins" }).getByRole("row");
  // A header; the old password Dan tried after his reset, the five wrong guesses, the one refused.
  assert.equal(await rows.count(), 1 + 7);
  await ann.getByText("Wrong password — locked the account").waitFor();
  await ann.getByRole("cell", { name: "Refused while locked" }).waitFor();
  await step(ann, "member locked out");
  await screenshot(ann, "member-locked-out");

  await ann.getByRole("button", { name: `Unlock ${DAN.name}` }).click();
  await ann.getByText("Unlocked: they can sign in again now.").waitFor();
  await ann.locator("#lock").getByText("Not locked").waitFor();
  await step(ann, "member unlocked");
  const dan = await app.person();
  await signIn(dan, base, danNow);
  await dan.getByRole("navigation", { name: "Main" }).waitFor();

  await ann.getByRole("button", { name: `Suspend ${DAN.name}` }).click();
  await ann.locator("#member-status").getByText("suspended").waitFor();
  await step(ann, "member suspended");
  // His open session stops working at once, and signing in again says why.
  await dan.goto(`${base}/patients`);
  await dan.getByText("Your membership of this tenant is not active.").waitFor();
  await signIn(dan, base, danNow);
  await dan.getByText("Your access to this practice or lab is suspended").waitFor();

  await ann.goto(`${base}/users`);
  await ann.getByRole("heading", { name: "Suspended" }).waitFor();
  await step(ann, "users with a suspended member");
  await ann.getByRole("button", { name: `Reactivate ${DAN.name}` }).click();
  await ann.getByRole("button", { name: `Suspend ${DAN.name}` }).waitFor();
  await signIn(dan, base, danNow);
  await dan.getByRole("navigation", { name: "Main" }).waitFor();
});

test("an admin invites a new colleague, who joins from the e-mailed link; a revoked link does not work", async () => {
  const { base } = app;
  const ann = await app.person();
  await signIn(ann, base, ANN);
  await ann.goto(`${base}/users`);
  await ann.getByLabel("E-mail address").fill("nina@brighteyes.example");
  await ann.getByLabel("Role", { exact: true }).selectOption("ecp");
  await ann.getByRole("button", { name: "Send invitation" }).click();
  await ann.getByRole("button", { name: "Revoke the invitation to nina@brighteyes.example" }).waitFor();
  await ann.getByLabel("E-mail address").fill("old@brighteyes.example");
  await ann.getByRole("button", { name: "Send invitation" }).click();
  await ann.getByRole("button", { name: "Revoke the invitation to old@brighteyes.example" }).click();
  await ann.getByRole("region", { name: "Invitations" }).getByText("revoked").waitFor();
  await step(ann, "users with invitations");
  await screenshot(ann, "users-invitations");

  const nina = await app.person();
  await nina.goto(await invitationLink("nina@brighteyes.example"));
  await nina.getByText("You are invited to join Bright Eyes Opticians as ecp").waitFor();
  await step(nina, "invitation");
  await nina.getByLabel("Your name").fill("Nina");
  await nina.getByLabel("Choose a password").fill("nina's long password");
  await nina.getByRole("button", { name: "Join Bright Eyes Opticians" }).click();
  await nina.getByText("You are now a member, as ecp.").waitFor();
  await step(nina, "invitation accepted");
  await signIn(nina, base, { email: "nina@brighteyes.example", password: "nina's long password" });
  await nina.getByRole("navigation", { name: "Main" }).waitFor();

  const old = await app.person();
  await old.goto(await invitationLink("old@brighteyes.example"));
  await old.getByText("This invitation link is not valid").waitFor();
  await step(old, "revoked invitation");

  await ann.goto(`${base}/users`);
  await ann.getByRole("region", { name: "Invitations" }).getByText("accepted").waitFor();
  await ann.getByRole("cell", { name: "Nina", exact: true }).waitFor();
});

/** The link of the invitation mail to `to`, once the sink has it. */
async function invitationLink(to) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mail = sink.mails().find((m) => m.to.some((t) => t.includes(to)) && m.data.includes("invited to join"));
    if (mail) {
      const link = mailText(mail).match(/https?:\/\/\S+\/invitation\?token=\S+/);
      assert.ok(link, `a link in: ${mailText(mail)}`);
      return link[0];
    }
    assert.ok(Date.now() < deadline, `no invitation to ${to} in 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
