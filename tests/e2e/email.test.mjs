// Email in the console: the settings page's "Email (SMTP)" card set against a real SMTP
// server started here (tests/smtp/sink.py, aiosmtpd), a test email followed until the
// outbox says "Sent", and "Invite user" on the users page (the invitation arrives; the
// user shows "Invited" and can be sent the invitation again). Screenshots (light and
// dark) of the card, the outbox and the invite dialog go to target/e2e/email/ (and
// docs/screenshots/ with SCREENSHOTS set).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, newPage, signIn, adminApi, shotCard, CONSOLE } from './lib.mjs';
import { startSink, waitForMail } from './mail.mjs';

let browser;
let page;
let sink;
let sinkDir;
let sinkPort;
const stamp = Date.now().toString(36);
let product;

const waitForEmail = (to, nth = 1) => waitForMail(sinkDir, to, { nth });

const card = (title) =>
  page.locator('section.card', { has: page.getByRole('heading', { name: title, exact: true }) });

before(async () => {
  sinkDir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-sink-'));
  ({ child: sink, port: sinkPort } = await startSink(sinkDir));
  product = await adminApi('POST', '/v1/products', {
    name: `Atlas ${stamp}`,
    redirect_uris: ['http://127.0.0.1:9/atlas/callback'],
    scopes: [`atlas${stamp}:read`],
  });
  browser = await launch();
  page = await newPage(browser);
  await signIn(page);
});

after(async () => {
  // Email off again: the other tests expect the server as it was.
  await adminApi('DELETE', '/v1/settings/email').catch(() => {});
  await browser?.close();
  sink?.kill();
  if (sinkDir) rmSync(sinkDir, { recursive: true, force: true });
});

test('SMTP set on the settings page; a test email shows as sent', async () => {
  await page.goto(`${CONSOLE}settings`);
  const email = card('Email (SMTP)');
  await email.getByTestId('email-state').filter({ hasText: 'Off' }).waitFor();
  await email.getByLabel('SMTP URL').fill(`smtp://127.0.0.1:${sinkPort}`);
  await email.getByLabel('Sender').fill('nope');
  await email.getByRole('button', { name: 'Save email settings' }).click();
  await email.locator('#smtp-from-error').filter({ hasText: 'sender' }).waitFor();
  await email.getByLabel('Sender').fill('Tessera <no-reply@tessera.test>');
  await email.getByRole('button', { name: 'Save email settings' }).click();
  await email.getByTestId('email-state').filter({ hasText: 'Set here' }).waitFor();
  const saved = await adminApi('GET', '/v1/settings/email');
  assert.equal(saved.source, 'console');

  await email.getByLabel('Send a test email to').fill(`ops.${stamp}@example.com`);
  await email.getByRole('button', { name: 'Send test email' }).click();
  await email.locator('.test-email-result [data-status="sent"]').waitFor({ timeout: 20_000 });
  const mail = await waitForEmail(`ops.${stamp}@example.com`);
  assert.equal(mail.subject, 'Tessera test email');
  const outbox = card('Email outbox');
  await outbox.locator('[data-status="sent"]').first().waitFor();
  await shotCard(page, email, 'email/settings', { docs: 'email-settings' });
  await shotCard(page, outbox, 'email/outbox', { docs: 'email-outbox' });
});

test('a user is invited from the users page and can be sent it again', async () => {
  const address = `ivy.${stamp}@example.com`;
  await page.goto(`${CONSOLE}users`);
  const invite = page.getByRole('button', { name: 'Invite user' });
  await page.locator('button:enabled', { hasText: 'Invite user' }).waitFor();
  await invite.click();
  const dialog = page.getByRole('dialog', { name: 'Invite user' });
  await dialog.getByLabel('Email').fill(address);
  await dialog.getByLabel('Name').fill('Ivy Invited');
  await dialog.getByLabel('Product').selectOption({ label: product.name });
  await shotCard(page, dialog, 'email/invite', { docs: 'invite-user' });
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const row = page.getByRole('row', { name: new RegExp(address) });
  await row.getByText('Invited', { exact: true }).waitFor();
  const first = await waitForEmail(address);
  assert.equal(first.subject, `You are invited to Atlas ${stamp}`);
  assert.match(first.text, /\/invitation\?token=/);

  await row.getByRole('link', { name: address }).click();
  const invitation = card('Invitation');
  await invitation.getByRole('button', { name: 'Resend invitation' }).click();
  await page.getByText(`Invitation sent again to ${address}`).waitFor();
  await waitForEmail(address, 2);
});

test('with email off, "Invite user" is disabled and says why', async () => {
  await adminApi('DELETE', '/v1/settings/email');
  await page.goto(`${CONSOLE}users`);
  await page.getByText('Email is off').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Invite user' }).isDisabled(), true);
});
