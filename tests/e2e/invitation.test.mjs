// An invitation in a real browser, ending in the example product (examples/orders, the
// real binary): a super-admin invites Ivy by email for the Orders product; the invitation
// arrives at a real SMTP server (tests/smtp/sink.py); its link opens the hosted page, Ivy
// chooses a password, continues to Orders, signs in there and sees her branch's orders.
// Then a product that allows sign-up: "Create an account" on its sign-in page. Screenshots
// (light and dark; README: invitation-*, signup-*).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, launch, newPage, shotBoth } from './lib.mjs';
import { linkIn, startSink, waitForMail } from './mail.mjs';
import { ownServer } from './own-server.mjs';

const ORDERS_BINARY = process.env.ORDERS_BINARY || 'target/debug/tessera-example-orders';
const OUT = process.env.E2E_OUT || 'target/e2e';
const ivy = { email: 'ivy.invited@example.com', name: 'Ivy Invited', password: 'Invited-passphrase-77' };

let sink;
let mailDir;
let srv;
let orders;
let ordersUrl;
let webClientId;
let browser;
let page;

/** An admin API call that must succeed; resolves to the body. */
async function admin(method, apiPath, body) {
  const answer = await srv.admin(method, apiPath, body);
  assert.ok(answer.status < 300, `${method} ${apiPath}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Starts the orders example for the product; resolves when it prints its banner. */
async function startOrders(product, branch, port) {
  const data = path.join(srv.work, 'orders.json');
  writeFileSync(data, JSON.stringify({ branches: [{ id: branch, name: 'North', orders: [] }] }));
  const log = openSync(path.join(OUT, 'invitation-orders.log'), 'w');
  const child = spawn(ORDERS_BINARY, [
    '--issuer', srv.base, '--web-client-id', product.web_client.client_id,
    '--client-id', product.server_client.client_id, '--client-secret', product.server_client.client_secret,
    '--listen', `127.0.0.1:${port}`, '--data', data, '--stock-url', 'http://127.0.0.1:9',
  ], { stdio: ['ignore', 'pipe', log] });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the orders example exited (${code}); see ${OUT}/invitation-orders.log`)));
    child.stdout.on('data', (chunk) => { if (chunk.toString().includes('listening on')) resolve(); });
  });
  return child;
}

before(async () => {
  mailDir = mkdtempSync(path.join(tmpdir(), 'tessera-mail-'));
  sink = await startSink(mailDir);
  srv = await ownServer('invitation', { args: ['--smtp-url', sink.url, '--smtp-from', 'Orders <no-reply@orders.test>'] });
  const port = await freePort();
  ordersUrl = `http://127.0.0.1:${port}`;
  const product = await admin('POST', '/products', {
    name: 'Orders', redirect_uris: [`${ordersUrl}/callback`], post_logout_redirect_uris: [`${ordersUrl}/`],
    scopes: ['orders:read', 'orders:write'], server_client: true,
  });
  webClientId = product.web_client.client_id;
  const biz = await admin('POST', '/businesses', { name: 'Bakery' });
  const north = await admin('POST', `/businesses/${biz.id}/branches`, { name: 'North' });
  const clerk = await admin('POST', `/businesses/${biz.id}/roles`, { name: 'clerk', scopes: ['orders:read'] });
  const invited = await admin('POST', '/users', { email: ivy.email, name: ivy.name, invite: true, client_id: webClientId });
  assert.equal(invited.status, 'invited');
  await admin('POST', '/memberships', { user_id: invited.id, business_id: biz.id, branch_id: north.id, role_id: clerk.id });
  orders = await startOrders(product, north.id, port);
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no script or CSP errors; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
  orders?.kill('SIGTERM');
  await srv?.stop();
  sink?.child.kill();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

test('an invited user chooses a password and lands in the example product', async () => {
  const mail = await waitForMail(mailDir, ivy.email);
  assert.equal(mail.subject, 'You are invited to Orders');
  await page.goto(linkIn(mail, `${srv.base}/invitation?token=`));
  await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
  await page.getByText(`You were invited as ${ivy.email}`).waitFor();
  await page.getByLabel('New password', { exact: true }).fill(ivy.password);
  await page.getByLabel('New password again').fill(ivy.password);
  await shotBoth(page, 'invitation', 'invitation');
  await page.getByRole('button', { name: 'Set password and continue' }).click();
  await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();

  await page.getByRole('link', { name: 'Continue to Orders' }).click();
  await page.waitForURL(`${ordersUrl}/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in to Orders' }).waitFor();
  await page.getByLabel('Email').fill(ivy.email);
  await page.getByLabel('Password').fill(ivy.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${ordersUrl}/**`);
  await page.getByText(ivy.name).first().waitFor();
  await page.locator('#branch-name', { hasText: 'North' }).waitFor();

  const { users } = await admin('GET', `/users?q=${encodeURIComponent(ivy.email)}`);
  assert.equal(users.length, 1);
  assert.equal(users[0].status, 'active', 'no longer "invited"');
  assert.equal(users[0].email_verified, true);
});

test('a product that allows sign-up offers "Create an account" on its sign-in page', async () => {
  const redirect = 'http://127.0.0.1:9/club/callback';
  const product = await admin('POST', '/products', {
    name: 'Book Club', redirect_uris: [redirect], post_logout_redirect_uris: [], scopes: [], server_client: false,
  });
  await admin('PATCH', `/products/${product.id}`, { self_registration: true });
  const context = await browser.newContext();
  const fresh = await context.newPage();
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${srv.base}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: product.web_client.client_id, redirect_uri: redirect, scope: 'openid email',
    state: 'club', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  let callback;
  await fresh.route(`${redirect}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Signed in</h1>' });
  });
  await fresh.goto(authorize.toString());
  await fresh.getByRole('link', { name: 'Create an account' }).click();
  await fresh.getByRole('heading', { name: 'Create your account' }).waitFor();
  await fresh.getByLabel('Name').fill('Sam Signup');
  await fresh.getByLabel('Email').fill('sam.signup@example.com');
  await fresh.getByLabel('Password', { exact: true }).fill('Signed-up-passphrase-3');
  await fresh.getByLabel('Password again').fill('Signed-up-passphrase-3');
  await shotBoth(fresh, 'signup', 'signup');
  await fresh.getByRole('button', { name: 'Create account' }).click();
  await fresh.getByRole('heading', { name: 'Signed in' }).waitFor();
  assert.equal(callback.searchParams.get('state'), 'club');
  const token = await fetch(`${srv.base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: redirect,
      code_verifier: verifier, client_id: product.web_client.client_id,
    }),
  });
  assert.equal(token.status, 200, await token.clone().text());
  const verify = await waitForMail(mailDir, 'sam.signup@example.com');
  assert.equal(verify.subject, 'Confirm your email for Book Club');
  await context.close();
});
