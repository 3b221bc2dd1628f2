// The console as a super-admin uses it, in real headless Chromium against a running
// server (scripts/e2e.sh starts it): sign in, register a product and copy its secret, add a
// redirect URI, rotate the secret, create and suspend a user, create a business with two
// branches, a role and a membership, rotate the signing key, then watch a real code+PKCE
// login of the new product (second browser context) appear in the live audit feed and open
// its token in the inspector (and why an API would refuse others); a non-super-admin is
// kept out; an account throttled by wrong passwords on the hosted login is shown on the
// users page and cleared; delete a user; a backup after a stale sign-in asks to sign in
// again; an encrypted backup (passphrase typed twice) downloads and restores with the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  launch, newPage, signIn, fillLogin, openNav, shot, codeFlowLogin, wrongPasswords, adminApi, CONSOLE,
} from './lib.mjs';

let browser;
let page;
const stamp = Date.now().toString(36);
const product = { name: `Orders ${stamp}`, redirect: 'http://127.0.0.1:9/orders/callback' };
const extraRedirect = 'http://127.0.0.1:9/orders/callback-2';
const user = { email: `ann.${stamp}@example.com`, name: 'Ann Baker', password: 'Correct-horse-battery-9' };
const productUser = { email: `bo.${stamp}@example.com`, name: 'Bo Chen', password: 'Another-long-passphrase-7' };
const created = {};

before(async () => {
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no uncaught errors in the console page; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
});

test('the super-admin signs in through the hosted login page', async () => {
  await signIn(page);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await shot(page, 'e2e-dashboard');
});

test('register a product with the wizard and copy its client secret', async () => {
  await openNav(page, 'Products');
  await page.getByRole('button', { name: 'Register a product' }).first().click();
  await page.getByLabel('Product name').fill(product.name);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Redirect URI').first().fill(product.redirect);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel(/server client/i).check();
  await page.getByLabel('Server client scopes').fill('stock:read');
  await page.getByRole('button', { name: 'Create product' }).click();

  const secretBox = page.getByTestId('client-secret');
  await secretBox.waitFor();
  const shownSecret = (await secretBox.textContent()).trim();
  assert.match(shownSecret, /^[A-Za-z0-9_-]{40,}$/, 'a long random secret is shown once');
  await page.getByRole('button', { name: 'Copy client secret' }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, shownSecret, 'the copy button puts the secret on the clipboard');
  created.webClientId = (await page.getByTestId('client-id').textContent()).trim();
  created.serverClientId = (await page.getByTestId('server-client-id').textContent()).trim();
  created.secret = shownSecret;
  await shot(page, 'e2e-product-created');

  // The secret works at the token endpoint: the console showed the real one.
  const response = await fetch(`${new URL(CONSOLE).origin}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${created.serverClientId}:${created.secret}`).toString('base64'),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'stock:read' }),
  });
  assert.equal(response.status, 200, 'the copied secret is accepted');
  const products = await adminApi('GET', '/v1/products');
  created.product = products.products.find((p) => p.name === product.name);
  assert.ok(created.product, 'the product exists in the admin API');
});

test('add a redirect URI and rotate the secret', async () => {
  await page.goto(`${CONSOLE}products/${created.product.id}`);
  await page.getByLabel('New redirect URI').fill(extraRedirect);
  await page.getByRole('button', { name: 'Add redirect URI' }).click();
  await page.getByText(extraRedirect).waitFor();
  const after = await adminApi('GET', `/v1/products/${created.product.id}`);
  assert.ok(JSON.stringify(after).includes(extraRedirect), 'the API has the new redirect URI');

  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
  const secretBox = page.getByTestId('client-secret');
  await secretBox.waitFor();
  const rotated = (await secretBox.textContent()).trim();
  assert.notEqual(rotated, created.secret, 'a new secret is shown');
  const oldSecret = await fetch(`${new URL(CONSOLE).origin}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${created.serverClientId}:${created.secret}`).toString('base64'),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  assert.equal(oldSecret.status, 401, 'the old secret stops working');
  created.secret = rotated;
});

test('create a user and suspend them', async () => {
  await openNav(page, 'Users');
  await page.getByRole('button', { name: 'Create user' }).first().click();
  // The open dialog's fields (the closed "Invite user" dialog has an Email field too).
  const dialog = page.getByRole('dialog', { name: 'Create user' });
  await dialog.getByLabel('Email').fill(user.email);
  await dialog.getByLabel('Name').fill(user.name);
  await dialog.getByLabel('Password', { exact: true }).fill(user.password);
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('link', { name: user.email }).click();
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('button', { name: 'Unsuspend' }).waitFor();
  const users = await adminApi('GET', `/v1/users?q=${encodeURIComponent(user.email)}`);
  assert.equal(users.users[0].status, 'suspended');
});

test("edit a user's name: Discard restores it, Save changes keeps it", async () => {
  const profile = page.locator('form', { has: page.getByRole('button', { name: 'Save changes' }) });
  const name = profile.getByLabel('Name', { exact: true });
  const save = profile.getByRole('button', { name: 'Save changes' });
  assert.ok(await save.isDisabled(), 'nothing to save before an edit');
  await name.fill('Ann Baker-Smith');
  await profile.getByRole('button', { name: 'Discard changes' }).click();
  assert.equal(await name.inputValue(), user.name);
  await name.fill('Ann Baker-Smith');
  await save.click();
  await page.getByText('Ann Baker-Smith').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('button')]
    .some((b) => b.textContent.trim() === 'Save changes' && b.disabled));
  const users = await adminApi('GET', `/v1/users?q=${encodeURIComponent(user.email)}`);
  assert.equal(users.users[0].name, 'Ann Baker-Smith');
});

test('create a business, two branches, a role and a membership', async () => {
  created.member = await adminApi('POST', '/v1/users', productUser);
  const bakery = `Bakery ${stamp}`;
  await openNav(page, 'Businesses');
  await page.getByLabel('Business name').fill(bakery);
  await page.getByRole('button', { name: 'Create business' }).click();
  // Creating a business opens its page.
  await page.getByRole('heading', { name: bakery }).waitFor();
  for (const branch of ['North', 'South']) {
    await page.getByLabel('Branch name').fill(branch);
    await page.getByRole('button', { name: 'Add branch' }).click();
    await page.getByRole('cell', { name: branch, exact: true }).waitFor();
  }
  await page.getByLabel('Role name').fill('clerk');
  await page.getByRole('checkbox', { name: 'stock:read' }).check();
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.getByRole('cell', { name: 'clerk', exact: true }).waitFor();

  await page.getByLabel('User', { exact: true }).fill(productUser.email);
  await page.getByLabel('Branch', { exact: true }).selectOption({ label: 'North' });
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'clerk' });
  await page.getByRole('button', { name: 'Add membership' }).click();
  await page.getByRole('link', { name: productUser.email }).waitFor();
  const businesses = await adminApi('GET', '/v1/businesses');
  const row = businesses.businesses.find((b) => b.name === bakery);
  assert.ok(row, 'the business exists');
  const memberships = await adminApi('GET', `/v1/memberships?user_id=${created.member.id}`);
  const list = memberships.memberships ?? memberships;
  assert.equal(list.length, 1, 'one membership for the member');
  assert.equal(list[0].business_id, row.id);
  const branches = await adminApi('GET', `/v1/businesses/${row.id}/branches`);
  const north = (branches.branches ?? branches).find((b) => b.name === 'North');
  assert.equal(list[0].branch_id, north.id, 'bound to North, not to every branch');
  created.business = row.id;
  created.north = north.id;
  await shot(page, 'e2e-business');
});

test('rotate the signing key', async () => {
  const before = await adminApi('GET', '/v1/keys');
  await openNav(page, 'Signing keys');
  await page.getByRole('button', { name: 'Rotate signing key' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
  await page.waitForFunction(
    (count) => document.querySelectorAll('main table tbody tr').length > count,
    before.keys.length,
  );
  const after = await adminApi('GET', '/v1/keys');
  assert.equal(after.keys.length, before.keys.length + 1, 'a new key exists');
});

test('a real login of the new product appears live in the audit feed and its token verifies', async () => {
  await openNav(page, 'Audit');
  await page.getByRole('heading', { name: /Audit/ }).waitFor();
  // Give the live stream a moment to connect before the event happens.
  await page.getByText(/Live/).first().waitFor();
  const second = await newPage(browser);
  const tokens = await codeFlowLogin(second, {
    clientId: created.webClientId,
    redirectUri: product.redirect,
    // One membership, in North: the sign-in lands there without a branch choice.
    user: { email: productUser.email, password: productUser.password },
  });
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
  assert.equal(claims.org, created.business, 'the token carries the business');
  assert.equal(claims.branch, created.north, 'the token carries the North branch');
  await second.context().close();
  const row = page.locator('tr[data-event-type="token.issued"]', { hasText: product.name }).first();
  await row.waitFor({ timeout: 15000 });
  await shot(page, 'e2e-audit-live');
  await row.getByRole('button').first().click();
  await page.getByRole('button', { name: 'Open in inspector' }).click();
  await page.waitForURL(/\/console\/inspector/);
  await page.getByText('Recorded claims').first().waitFor();
  // The recorded event carries claims, never the token: verify the token itself.
  await page.getByLabel('JWT', { exact: true }).fill(tokens.access_token);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('Signature valid').waitFor();
  await shot(page, 'e2e-inspector');
  created.productTokens = tokens;
});

test('the inspector lists why an API would refuse a token', async () => {
  const jwt = page.getByLabel('JWT', { exact: true });
  // A scope the token lacks, and another audience.
  await jwt.fill(created.productTokens.access_token);
  await page.getByLabel('Required scope').fill('orders:write');
  await page.getByLabel('Expected audience').fill('https://other-api.example');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('Signature valid').waitFor();
  await page.getByText(/No — a resource server would refuse it/).waitFor();
  await page.getByText(/Missing scope “orders:write”/).waitFor();
  await page.getByText(/Audience mismatch/).waitFor();

  // One changed character in the payload: the signature no longer matches.
  const [h, p, sig] = created.productTokens.access_token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.scope += ' orders:write';
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), sig].join('.');
  await page.getByLabel('Required scope').fill('');
  await page.getByLabel('Expected audience').fill('');
  await jwt.fill(forged);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('Signature invalid').waitFor();

  // Checked against a pasted JWKS of another issuer: the key id is unknown there.
  await jwt.fill(created.productTokens.access_token);
  await page.getByLabel('JWKS (optional)').fill(JSON.stringify({
    keys: [{ kty: 'RSA', kid: 'someone-else', alg: 'RS256', use: 'sig', n: 'sXch', e: 'AQAB' }],
  }));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText(/Unknown signing key: kid/).waitFor();
  await page.getByLabel('JWKS (optional)').fill('');

  // The ID token is no access token.
  await jwt.fill(created.productTokens.id_token);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText(/This is an ID token, not an access token/).waitFor();
});

test('someone who is not a super-admin cannot use the console', async () => {
  const other = await newPage(browser);
  await other.goto(CONSOLE);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.waitForURL(/\/login/);
  await fillLogin(other, { email: productUser.email, password: productUser.password });
  await other.getByRole('button', { name: 'Sign in as someone else' }).waitFor();
  await other.getByText(/super-admin/i).first().waitFor();
  assert.equal(await other.getByRole('navigation').count(), 0, 'no console pages are shown');
  assert.deepEqual(other.consoleErrors, []);
  await other.context().close();
});

test('an account throttled by wrong passwords is shown on the users page and cleared', async () => {
  // Someone guesses Bo's password on the hosted login page, in another browser.
  const guesser = await newPage(browser);
  const statuses = await wrongPasswords(guesser, {
    clientId: created.webClientId,
    redirectUri: product.redirect,
    email: productUser.email,
    password: 'not-the-password-1',
    times: 6,
  });
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], 'five wrong passwords, then the account pauses');
  const listed = await adminApi('GET', '/v1/throttles');
  const entry = listed.throttles.find((t) => t.scope === 'account' && t.email === productUser.email);
  assert.ok(entry, `the API lists the account: ${JSON.stringify(listed)}`);
  assert.ok(entry.until > Date.now() / 1000, 'with a release time in the future');

  await openNav(page, 'Users');
  const table = page.getByRole('table', { name: 'Throttled accounts' });
  const row = table.getByRole('row').filter({ hasText: productUser.email });
  await row.waitFor();
  assert.match(await row.textContent(), /\(in \d+ (s|min)\)/, 'the release time reads "in N min"');
  await shot(page, 'e2e-throttled');
  await row.getByRole('button', { name: /Clear/ }).click();
  await row.waitFor({ state: 'detached' });
  await page.getByText(`Cleared the pause on ${productUser.email}`).waitFor();
  const after = await adminApi('GET', '/v1/throttles');
  assert.ok(!after.throttles.some((t) => t.scope === 'account' && t.email === productUser.email), 'cleared in the API');
  assert.equal(await page.getByRole('heading', { name: 'Throttled accounts' }).count(), 0, 'the panel goes with the last row');

  // Bo can sign in again at once, with the right password.
  const tokens = await codeFlowLogin(guesser, {
    clientId: created.webClientId,
    redirectUri: product.redirect,
    user: { email: productUser.email, password: productUser.password },
  });
  assert.ok(tokens.access_token, 'the right password works again');
  await guesser.context().close();
});

test('delete a user after confirming', async () => {
  const doomed = await adminApi('POST', '/v1/users', {
    email: `gone.${stamp}@example.com`, name: 'Gone Soon', password: 'Temporary-passphrase-1',
  });
  await page.goto(`${CONSOLE}users/${doomed.id}`);
  await page.getByRole('heading', { name: 'Gone Soon' }).waitFor();
  await page.getByRole('button', { name: 'Delete user' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(`${doomed.email} is deleted`).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await adminApi('GET', `/v1/users/${doomed.id}`)).id, doomed.id, 'Cancel keeps the user');
  await page.getByRole('button', { name: 'Delete user' }).click();
  await dialog.getByRole('button', { name: 'Delete user' }).click();
  await page.waitForURL(/\/console\/users$/);
  const left = await adminApi('GET', `/v1/users?q=${encodeURIComponent(doomed.email)}`);
  assert.equal(left.users.length, 0, 'the user is gone');
});

test('a backup after a stale sign-in: the console says so and signs in again', async () => {
  await openNav(page, 'Settings');
  // The server's refusal of an old sign-in is tested in tests/backup.rs (it needs a sign-in
  // more than 10 minutes old); here its answer is played back to see what the console does.
  await page.route('**/v1/backup', (route) => route.fulfill({
    status: 403,
    contentType: 'application/json',
    body: JSON.stringify({ error: {
      code: 'insufficient_authentication',
      message: 'sign in again: only a super-admin who signed in within the last 10 minutes can do this',
      type: 'permission_error',
    } }),
  }), { times: 1 });
  await page.getByLabel('Backup passphrase').fill('copper kettle under the stairs');
  await page.getByLabel('Repeat the passphrase').fill('copper kettle under the stairs');
  await page.getByRole('button', { name: 'Download backup' }).click();
  await page.getByText('Sign in again to make a backup.').waitFor();
  await shot(page, 'e2e-backup-stale-sign-in');
  await page.getByRole('button', { name: 'Sign in again' }).click();
  // A fresh sign-in: the password is asked even though the SSO session is alive.
  await page.waitForURL(/\/login/);
  await fillLogin(page);
  await page.waitForURL((url) => url.pathname === '/console/settings');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
});

test('download an encrypted backup: the passphrase is asked twice and checked in the form', async () => {
  await openNav(page, 'Settings');
  let posted = 0;
  const count = (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/backup') posted += 1;
  };
  page.on('request', count);
  const passphrase = page.getByLabel('Backup passphrase');
  const repeat = page.getByLabel('Repeat the passphrase');
  const download = page.getByRole('button', { name: 'Download backup' });

  await passphrase.fill('too short');
  await repeat.fill('too short');
  await download.click();
  await page.getByText('Use at least 12 characters (this one has 9).').waitFor();
  assert.equal(await passphrase.getAttribute('aria-invalid'), 'true');

  const good = 'copper kettle under the stairs';
  await passphrase.fill(good);
  await repeat.fill('copper kettle under the chairs');
  await download.click();
  await page.getByText(/The two passphrases differ/).waitFor();
  assert.equal(posted, 0, 'nothing is sent while the form is wrong');
  await shot(page, 'e2e-backup-mismatch');

  await repeat.fill(good);
  if (process.env.TESSERA_DATABASE_URL?.startsWith('postgres')) {
    // A PostgreSQL database is not a file in the data dir: the console shows the API's
    // answer (409, naming pg_dump) and downloads nothing.
    await download.click();
    await page.getByText(/pg_dump/).waitFor();
    page.off('request', count);
    assert.equal(posted, 1);
    return;
  }
  const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
  page.off('request', count);
  assert.equal(posted, 1);
  assert.match(file.suggestedFilename(), /^tessera-backup-\d{8}-\d{6}\.tar\.gz\.age$/);
  const saved = `${process.env.E2E_OUT || 'target/e2e'}/${file.suggestedFilename()}`;
  await file.saveAs(saved);
  const head = readFileSync(saved).subarray(0, 21).toString('latin1');
  assert.equal(head, 'age-encryption.org/v1', 'an age-encrypted file, not a readable archive');
  // The passphrase typed in the form opens it: `tessera restore` into an empty data dir.
  const restored = mkdtempSync(path.join(tmpdir(), 'tessera-restore-'));
  try {
    const restore = (secret) => execFileSync(
      process.env.TESSERA_BINARY,
      ['restore', saved, '--data-dir', path.join(restored, 'data'), '--passphrase-stdin'],
      { input: `${secret}\n`, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    );
    assert.throws(() => restore('not the passphrase at all'), 'a wrong passphrase restores nothing');
    restore(good);
    assert.ok(existsSync(path.join(restored, 'data', 'tessera.db')), 'the database is restored');
    assert.ok(existsSync(path.join(restored, 'data', 'master.key')), 'the master key is restored');
  } finally {
    rmSync(restored, { recursive: true, force: true });
  }
  await page.getByText(/Backup downloaded/).waitFor();
  assert.equal(await passphrase.inputValue(), '', 'the passphrase does not stay in the form');
});
