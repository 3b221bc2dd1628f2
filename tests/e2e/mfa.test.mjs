// Multi-factor sign-in in the console: the user page's "Sign-in factors" card (MFA
// required, Reset MFA), the product's MFA policy, and the token inspector explaining
// `amr`, `acr`/`aal` and `auth_method`. Screenshots (light and dark) of the factors card
// and the inspector's explanation go to target/e2e/mfa/ (and docs/screenshots/ with
// SCREENSHOTS set).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, signIn, adminApi, codeFlowLogin, shotCard, unsignedJwt, BASE, CONSOLE,
} from './lib.mjs';

let browser;
let page;
const stamp = Date.now().toString(36);
const user = { email: `mfa.${stamp}@example.com`, password: `Long-passphrase-mfa-${stamp}` };
let created;
let product;

before(async () => {
  browser = await launch();
  created = await adminApi('POST', '/v1/users', { ...user, name: 'Mina Factor' });
  product = await adminApi('POST', '/v1/products', {
    name: `Vault ${stamp}`,
    redirect_uris: ['http://127.0.0.1:9/vault/callback'],
    scopes: ['vault:read'],
  });
  page = await newPage(browser);
  await signIn(page);
});

after(async () => {
  await browser?.close();
});

/**
 * Makes the console see `mfa` (merged into the real answer) on GETs of the user and of the
 * users list until `page.unroute`: factors cannot be enrolled through the admin API (only
 * on the hosted pages), and the card must be seen with them.
 */
async function seeFactors(page, mfa) {
  const merge = (u) => (u.id === created.id ? { ...u, mfa: { ...u.mfa, ...mfa } } : u);
  await page.route(/\/v1\/users(\/[^/:?]+)?(\?.*)?$/, async (route) => {
    if (route.request().method() !== 'GET') return route.fallback();
    const response = await route.fetch();
    const body = await response.json();
    const json = Array.isArray(body.users) ? { ...body, users: body.users.map(merge) } : merge(body);
    await route.fulfill({ response, json });
  });
  // Its passkeys by name, as many as `mfa.passkeys` says (a passkey needs a browser
  // ceremony on a domain-named issuer: tests/e2e/passkeys.test.mjs registers real ones).
  const now = Math.floor(Date.now() / 1000);
  const passkeys = Array.from({ length: mfa.passkeys ?? 0 }, (_, i) => ({
    id: `pk-${i}`, name: i === 0 ? 'Work laptop' : `Security key ${i}`, created_at: now - 86400 * (30 - i),
    last_used_at: i === 0 ? now - 3600 : null,
  }));
  await page.route(`**/v1/users/${created.id}/passkeys`, (route) => route.fulfill({ json: { passkeys } }));
}

test('the user page shows the sign-in factors card', async () => {
  const fetched = await adminApi('GET', `/v1/users/${created.id}`);
  assert.deepEqual(
    Object.keys(fetched.mfa).sort(),
    ['passkeys', 'recovery_codes_left', 'required', 'totp'],
    'GET /v1/users/{id} carries mfa',
  );
  await page.goto(`${CONSOLE}users/${created.id}`);
  await page.getByRole('heading', { level: 1, name: 'Mina Factor' }).waitFor();
  const card = page.getByRole('region', { name: 'Sign-in factors' });
  await card.waitFor();
  const text = await card.textContent();
  assert.match(text, /Authenticator app\s*Not enrolled/);
  assert.match(text, /Passkeys\s*None/);
  assert.match(text, /Recovery codes\s*None \(they come with the authenticator app\)/);
  const toggle = card.getByRole('switch', { name: 'MFA required' });
  assert.equal(await toggle.isChecked(), fetched.mfa.required);
  // Nothing enrolled: nothing to reset.
  assert.equal(await card.getByRole('button', { name: 'Reset MFA' }).isDisabled(), true);
  // The users list has no "MFA" badge for a user without factors.
  await page.goto(`${CONSOLE}users?q=${encodeURIComponent(user.email)}`);
  const row = page.getByRole('row').filter({ hasText: user.email });
  await row.waitFor();
  assert.equal(await row.getByText('MFA', { exact: true }).count(), 0);

  // With an authenticator app, a passkey and 8 recovery codes (as the API will say).
  await seeFactors(page, { totp: true, passkeys: 1, recovery_codes_left: 8, required: true });
  await page.goto(`${CONSOLE}users?q=${encodeURIComponent(user.email)}`);
  await row.getByText('MFA', { exact: true }).waitFor();
  await page.goto(`${CONSOLE}users/${created.id}`);
  await card.getByText('Enrolled', { exact: true }).waitFor();
  const enrolled = await card.textContent();
  assert.match(enrolled, /Passkeys\s*1 passkey/);
  await card.getByText('Work laptop').waitFor();
  assert.match(await card.textContent(), /Work laptop · added 30 d ago · last used 1 h ago/);
  assert.match(enrolled, /Recovery codes\s*8 left/);
  assert.equal(await toggle.isChecked(), true);
  assert.equal(await card.getByRole('button', { name: 'Reset MFA' }).isEnabled(), true);
  await shotCard(page, card, 'mfa/user-factors', { docs: 'user-factors' });
  await page.unrouteAll();
  assert.deepEqual(page.consoleErrors, []);
});

test('"MFA required" and "Reset MFA" call the API, with a toast', async () => {
  await page.goto(`${CONSOLE}users/${created.id}`);
  const card = page.getByRole('region', { name: 'Sign-in factors' });
  const toggle = card.getByRole('switch', { name: 'MFA required' });
  await toggle.waitFor();
  assert.equal(await toggle.isChecked(), false);
  const required = page.waitForResponse((r) => r.url().endsWith(`/v1/users/${created.id}/mfa:require`));
  await toggle.check();
  const answer = await required;
  assert.equal(answer.status(), 200);
  assert.deepEqual(JSON.parse(answer.request().postData()), { required: true });
  await page.getByText(`${user.email} must now sign in with a second factor`).waitFor();
  assert.equal((await adminApi('GET', `/v1/users/${created.id}`)).mfa.required, true);
  assert.equal(await toggle.isChecked(), true);

  // Reset MFA, shown with factors (enrolled only on the hosted pages); the reset is real.
  await seeFactors(page, { totp: true, passkeys: 2, recovery_codes_left: 9 });
  await page.goto(`${CONSOLE}users/${created.id}`);
  await card.getByText('Enrolled', { exact: true }).waitFor();
  await card.getByRole('button', { name: 'Reset MFA' }).click();
  const dialog = page.getByRole('dialog', { name: `Reset MFA of ${user.email}?` });
  await dialog.getByText(/Removes their authenticator app, their recovery codes and their passkeys/).waitFor();
  await dialog.getByText(/MFA is required of them, so at their next sign-in they set up an authenticator app again/).waitFor();
  const resetAnswer = page.waitForResponse((r) => r.url().endsWith(`/v1/users/${created.id}/mfa:reset`));
  await dialog.getByRole('button', { name: 'Reset MFA' }).click();
  assert.equal((await resetAnswer).status(), 200);
  await page.getByText(`Second factors of ${user.email} removed`).waitFor();
  // The card shows the user the reset answered with.
  await card.getByText('Not enrolled', { exact: true }).waitFor();
  await page.unrouteAll();
  const events = await adminApi('GET', `/v1/audit-events?type=mfa.reset&limit=10`);
  const listed = JSON.stringify(events);
  assert.ok(listed.includes(created.id) || listed.includes(user.email), `audited mfa.reset: ${listed}`);

  const off = page.waitForResponse((r) => r.url().endsWith('/mfa:require'));
  await toggle.uncheck();
  assert.deepEqual(JSON.parse((await off).request().postData()), { required: false });
  await page.getByText(`MFA is no longer required of ${user.email}`).waitFor();
  assert.equal((await adminApi('GET', `/v1/users/${created.id}`)).mfa.required, false);
  assert.deepEqual(page.consoleErrors, []);
});

test('the product page saves the MFA policy', async () => {
  await page.goto(`${CONSOLE}products/${product.id}`);
  await page.getByRole('heading', { level: 1, name: product.name }).waitFor();
  const settings = page.getByRole('form', { name: 'Settings' });
  const optional = settings.getByRole('radio', { name: /^Optional/ });
  const required = settings.getByRole('radio', { name: /^Required/ });
  assert.equal(await optional.isChecked(), true, 'optional by default');
  await settings.getByText(/Users sign in with their password alone unless/).waitFor();
  await settings.getByText(/Every sign-in to this product needs a second factor/).waitFor();
  // Choosing a policy makes the card dirty; discarding puts the saved one back.
  await required.check();
  await settings.getByRole('button', { name: 'Discard changes' }).click();
  assert.equal(await optional.isChecked(), true);
  await shotCard(page, settings, 'mfa/product-settings');
  await required.check();
  const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/v1/products/${product.id}`));
  await settings.getByRole('button', { name: 'Save changes' }).click();
  const answer = await saved;
  assert.deepEqual(JSON.parse(answer.request().postData()), { mfa: 'required' });
  await page.getByText('Settings saved').waitFor();
  assert.equal((await adminApi('GET', `/v1/products/${product.id}`)).mfa, 'required');
  // After a reload the saved policy is shown.
  await page.goto(`${CONSOLE}products/${product.id}`);
  await required.waitFor();
  assert.equal(await required.isChecked(), true);
  assert.equal(await settings.getByRole('button', { name: 'Save changes' }).isDisabled(), true);
  assert.deepEqual(page.consoleErrors, []);
});

test('the inspector explains how the user of a real token signed in', async () => {
  // A password-only sign-in: the policy test above left the product requiring MFA.
  await adminApi('PATCH', `/v1/products/${product.id}`, { mfa: 'optional' });
  const tokens = await codeFlowLogin(await newPage(browser), {
    clientId: product.web_client.client_id,
    redirectUri: 'http://127.0.0.1:9/vault/callback',
    user,
  });
  await page.goto(`${CONSOLE}inspector`);
  await page.getByLabel('JWT', { exact: true }).fill(tokens.id_token);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('Signature valid').waitFor();
  const card = page.getByRole('region', { name: 'How the user signed in' });
  await card.getByText('Signed in with a password (1 factor, aal1).').waitFor();
  await card.getByText(/Password: something the user knows/).waitFor();
  await card.getByText(/aal1: one factor \(NIST SP 800-63B\)/).waitFor();
});

test('the inspector explains amr, acr/aal and auth_method one by one', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra) => ({
    iss: BASE, sub: created.id, aud: 'vault', exp: now + 600, iat: now, auth_time: now,
    sid: 'example-session', ...extra,
  });
  await page.goto(`${CONSOLE}inspector`);
  const jwt = page.getByLabel('JWT', { exact: true });
  const card = page.getByRole('region', { name: 'How the user signed in' });

  // A passwordless passkey sign-in.
  await jwt.fill(unsignedJwt(claims({ amr: ['hwk', 'user', 'mfa'], acr: 'aal2', aal: 'aal2', auth_method: 'passkey' })));
  await card.getByText("Signed in with a passkey unlocked with the device's PIN or biometric (2 factors, aal2).").waitFor();
  await card.getByText(/Hardware-bound key: a passkey/).waitFor();
  await card.getByText(/PIN or a biometric/).waitFor();
  await card.getByText(/Passwordless: the first factor was a passkey/).waitFor();

  // A password and an authenticator app code.
  await jwt.fill(unsignedJwt(claims({ amr: ['pwd', 'otp', 'mfa'], acr: 'aal2', aal: 'aal2', auth_method: 'password' })));
  await card.getByText('Signed in with a password and an authenticator app code (2 factors, aal2).').waitFor();
  for (const meaning of [
    /Password: something the user knows/,
    /One-time code: from an authenticator app \(TOTP\), or one of the user's single-use recovery codes/,
    /Multiple factors: more than one of the methods above was used/,
    /aal2: two factors of different kinds \(NIST SP 800-63B\)/,
    /The first factor was the password/,
  ]) {
    await card.getByText(meaning).waitFor();
  }
  // The claims table explains them too (no "custom claim" for aal / auth_method).
  const table = page.getByRole('table').filter({ hasText: 'What it means' }).last();
  for (const name of ['amr', 'acr', 'aal', 'auth_method']) {
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    assert.doesNotMatch(await row.textContent(), /A custom claim/, name);
  }
  await page.getByText('No signature').waitFor();
  await shotCard(page, card, 'mfa/inspector-signin', { docs: 'inspector-mfa' });

  // A token whose acr and aal disagree is called out.
  await jwt.fill(unsignedJwt(claims({ amr: ['pwd'], acr: 'aal2', aal: 'aal1' })));
  await card.getByText(/acr says aal2 but aal says aal1/).waitFor();
  assert.deepEqual(page.consoleErrors, []);
});
