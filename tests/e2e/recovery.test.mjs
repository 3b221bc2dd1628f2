// A forgotten password in a real browser, with a real SMTP server (tests/smtp/sink.py): a
// product's sign-in page → "Forgot password?" → the email arrives → its link opens the
// reset page → a new password → back on the same sign-in, signed in with it. Screenshots:
// the sign-in page with "Forgot password?", the reset page (light and dark; README:
// signin-forgot-*, password-reset-*).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, newPage, shotBoth } from './lib.mjs';
import { linkIn, startSink, waitForMail } from './mail.mjs';
import { ownServer } from './own-server.mjs';

const REDIRECT = 'http://127.0.0.1:9/bakery/callback';
const user = { email: 'rosa.reset@example.com', password: 'Forgotten-passphrase-1', name: 'Rosa Reyes' };
const newPassword = 'Remembered-passphrase-2';

let sink;
let mailDir;
let srv;
let browser;
let page;
let clientId;

before(async () => {
  mailDir = mkdtempSync(path.join(tmpdir(), 'tessera-mail-'));
  sink = await startSink(mailDir);
  srv = await ownServer('recovery', { args: ['--smtp-url', sink.url, '--smtp-from', 'Bakery sign-in <no-reply@bakery.test>'] });
  const product = await srv.admin('POST', '/products', {
    name: 'Bakery', redirect_uris: [REDIRECT], post_logout_redirect_uris: [], scopes: [], server_client: false,
  });
  assert.equal(product.status, 201, JSON.stringify(product.body));
  clientId = product.body.web_client.client_id;
  const created = await srv.admin('POST', '/users', user);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no script or CSP errors; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
  await srv?.stop();
  sink?.child.kill();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

test('a forgotten password is reset through the emailed link, then the sign-in goes on', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${srv.base}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid email', state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  let callback;
  await page.route(`${REDIRECT}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Signed in</h1>' });
  });
  await page.goto(authorize.toString());
  await page.getByRole('heading', { name: 'Sign in to Bakery' }).waitFor();
  await shotBoth(page, 'signin-forgot', 'signin-forgot');

  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.getByLabel('Email').fill(user.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();

  const mail = await waitForMail(mailDir, user.email);
  assert.equal(mail.subject, 'Reset your Bakery password');
  const link = linkIn(mail, `${srv.base}/password/reset?token=`);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('New password again').fill(newPassword);
  await shotBoth(page, 'password-reset', 'password-reset');
  await page.getByRole('button', { name: 'Change password' }).click();

  // Back on the same sign-in, which says what happened.
  await page.getByText('Your password is changed').waitFor();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(newPassword);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Signed in' }).waitFor();
  assert.equal(callback.searchParams.get('state'), state);
  const answer = await fetch(`${srv.base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: REDIRECT,
      code_verifier: verifier, client_id: clientId,
    }),
  });
  assert.equal(answer.status, 200, await answer.clone().text());
  await page.unroute(`${REDIRECT}**`);

  // The link worked once.
  await page.goto(link);
  await page.getByRole('heading', { name: 'This link does not work' }).waitFor();
});
