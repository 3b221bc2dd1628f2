// Passkeys in a real browser: Chromium's virtual WebAuthn authenticator (CDP
// `WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident keys, user verification).
// A user signs in to the account page /account with the password, adds a passkey, signs
// out, then signs in to a product with "Sign in with a passkey" (no password), and the
// product's ID token says so: `amr` has `hwk` and `user` (and `mfa`), `acr` is `aal2`, which
// the console's token inspector explains. Then the passkey as the second factor after a
// password (`amr` pwd hwk mfa), and a user who must have MFA enrolling a passkey right
// after the password instead of an authenticator app.
//
// This file starts its OWN server with the issuer `http://localhost:PORT`: WebAuthn takes
// the relying-party id from the issuer's host, and browsers refuse an IP address as one.
// Screenshots: the account page and the sign-in page with the passkey button, light and
// dark (README: account-*, passkey-signin-*).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { launch, newPage, shotBoth } from './lib.mjs';
import { ownServer } from './own-server.mjs';

const user = { email: 'pat.passkey@example.com', password: 'Passkey-person-passphrase-42' };
const REDIRECT = 'http://localhost:9/shop/callback';

let srv;
let base;
let browser;
let page;
let clientId;
let productId;
/** An admin API token (client_credentials, scope admin). */
let adminToken;
/** The ID token of the passwordless sign-in (the inspector explains it below). */
let passwordlessIdToken;

/** A product with a web client whose redirect URI the test intercepts. */
async function createProduct() {
  const product = await srv.admin('POST', '/products', {
    name: 'Corner Shop', redirect_uris: [REDIRECT], post_logout_redirect_uris: [], scopes: ['orders:read'], server_client: false,
  });
  assert.equal(product.status, 201, JSON.stringify(product.body));
  productId = product.body.id;
  return product.body.web_client.client_id;
}

before(async () => {
  srv = await ownServer('passkeys', { host: 'localhost' });
  base = srv.base;
  adminToken = srv.token;
  srv.superadmin(user.email, user.password);
  clientId = await createProduct();
  browser = await launch();
  page = await newPage(browser);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no script or CSP errors; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
  await srv?.stop();
});

/** The claims of a compact JWS (the signature is the server's business here). */
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

/**
 * The product's sign-in in `page` (code + PKCE; `extra` authorize parameters): `act` does
 * what the person does on the hosted pages; returns the tokens of the code exchange.
 */
async function productSignIn(act, extra = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${base}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid', state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    ...extra,
  }).toString();
  let callback;
  await page.route(`${REDIRECT}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Signed in</h1>' });
  });
  await page.goto(authorize.toString());
  await act();
  await page.getByRole('heading', { name: 'Signed in' }).waitFor();
  await page.unroute(`${REDIRECT}**`);
  assert.equal(callback?.searchParams.get('state'), state, `callback ${callback}`);
  const answer = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: REDIRECT,
      code_verifier: verifier, client_id: clientId,
    }),
  });
  const tokens = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(tokens));
  return tokens;
}

test('a passkey added on the account page signs in without a password (amr hwk user)', async () => {
  // The account page signs in through the hosted login, like any client.
  await page.goto(`${base}/account`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByText('This browser').waitFor();

  await page.getByLabel('Name of the new passkey').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Your passkey is added.').waitFor();
  await page.getByText('Work laptop', { exact: true }).waitFor();
  await shotBoth(page, 'passkeys/account', 'account', { fullPage: true });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'You are signed out' }).waitFor();

  // The product's sign-in, passwordless.
  const tokens = await productSignIn(async () => {
    const passkeyButton = page.getByRole('button', { name: 'Sign in with a passkey' });
    await passkeyButton.waitFor();
    await shotBoth(page, 'passkeys/signin', 'passkey-signin');
    await passkeyButton.click();
  });
  passwordlessIdToken = tokens.id_token;
  const id = claimsOf(tokens.id_token);
  assert.ok(id.amr.includes('hwk') && id.amr.includes('user'), `amr ${JSON.stringify(id.amr)}`);
  assert.ok(!id.amr.includes('pwd'), `no password was typed: ${JSON.stringify(id.amr)}`);
  assert.equal(id.acr, 'aal2');
  assert.equal(id.auth_method, 'passkey');
  assert.equal(claimsOf(tokens.access_token).auth_method, 'passkey');

  // The account page (signed in silently by the passkey's session) shows the use.
  await page.goto(`${base}/account`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.doesNotMatch(await page.locator('ul.passkeys').innerText(), /last used never/);
});

test('after the password, the passkey is the second factor (amr pwd hwk mfa)', async () => {
  // A fresh sign-in (prompt=login): the password, then the second-factor step, where the
  // passkey answers instead of a code.
  const tokens = await productSignIn(async () => {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login/mfa');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
  }, { prompt: 'login' });
  for (const token of [tokens.id_token, tokens.access_token]) {
    const claims = claimsOf(token);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, 'aal2');
    assert.equal(claims.auth_method, 'password');
  }
});

test("the console's token inspector explains the passkey sign-in", async () => {
  assert.ok(passwordlessIdToken, 'the passwordless test ran first');
  // The super-admin's console, on this browser's live session: confirmed, not typed again.
  await page.goto(`${base}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  // Client-side (a reload would sign the console in again).
  await page.getByRole('navigation').getByRole('link', { name: 'Token inspector', exact: true }).click();
  await page.getByLabel('JWT', { exact: true }).fill(passwordlessIdToken);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('Signature valid').waitFor();
  const card = page.getByRole('region', { name: 'How the user signed in' });
  await card.getByText("Signed in with a passkey unlocked with the device's PIN or biometric (2 factors, aal2).").waitFor();
  await card.getByText(/Hardware-bound key: a passkey/).waitFor();
});

/** An admin API call with the test's admin token. */
async function admin(method, apiPath, body) {
  const answer = await fetch(`${base}${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(answer.ok, `${method} ${apiPath}: ${answer.status} ${await answer.clone().text()}`);
  return answer.json();
}

test('a user who must have MFA enrolls a passkey right after the password', async () => {
  const quinn = { email: 'quinn@example.com', password: 'Quinn-enrolls-a-passkey-1' };
  const created = await admin('POST', '/v1/users', { ...quinn, name: 'Quinn' });
  await admin('PATCH', `/v1/products/${productId}`, { mfa: 'required' });
  const tokens = await productSignIn(async () => {
    await page.getByLabel('Email').fill(quinn.email);
    await page.getByLabel('Password').fill(quinn.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login/mfa/setup');
    await page.getByRole('button', { name: 'Use a passkey instead' }).click();
  }, { prompt: 'login' });
  for (const token of [tokens.id_token, tokens.access_token]) {
    const claims = claimsOf(token);
    assert.equal(claims.sub, created.id);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, 'aal2');
  }
  const { mfa } = await admin('GET', `/v1/users/${created.id}`);
  assert.deepEqual(mfa, { totp: false, passkeys: 1, recovery_codes_left: 0, required: false });
});
