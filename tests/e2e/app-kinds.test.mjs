// Every kind of app in the console: the wizard asks what kind of app a product is and
// registers its sign-in client to match (a server-side web app gets a secret, shown once;
// a backend service gets only a server client), and the product page's "Sign-in client"
// card edits the client's settings (CORS origins, DPoP, native) and rotates its secret.
// Screenshots of the kind choice and the card go to target/e2e/ (and docs/screenshots/
// with SCREENSHOTS set).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, openNav, adminApi, shotBoth, shotCard, BASE } from './lib.mjs';

let browser;
let page;
const stamp = Date.now().toString(36);
const created = {};

before(async () => {
  browser = await launch();
  page = await newPage(browser);
  await signIn(page);
});

after(async () => {
  await browser?.close();
});

/** POST /oauth/token with Basic credentials and a made-up code. */
async function exchangeBogusCode(clientId, secret) {
  const response = await fetch(`${BASE}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'not-a-code',
      redirect_uri: 'https://rails.example/auth/callback',
      code_verifier: 'v'.repeat(43),
    }),
  });
  return { status: response.status, body: await response.json() };
}

async function startWizard(name) {
  await openNav(page, 'Products');
  await page.getByRole('button', { name: 'Register a product' }).first().click();
  await page.getByLabel('Product name').fill(name);
}

test('a server-side web app gets a confidential sign-in client and its secret once', async () => {
  await startWizard(`Rails ${stamp}`);
  const kinds = page.getByRole('group', { name: 'What kind of app is it?' });
  assert.equal(await kinds.getByRole('radio', { name: /Browser app/ }).isChecked(), true, 'browser app is the default');
  await kinds.getByRole('radio', { name: /Server-side web app/ }).check();
  await shotBoth(page, 'e2e-wizard-app-kind', 'wizard-app-kind');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Redirect URI').first().fill('https://rails.example/auth/callback');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Create product' }).click();

  const secretBox = page.getByTestId('client-secret');
  await secretBox.waitFor();
  const secret = (await secretBox.textContent()).trim();
  assert.match(secret, /^[A-Za-z0-9_-]{40,}$/, 'the web client secret is shown once');
  await page.getByText('Server-side web app').first().waitFor();
  const clientId = (await page.getByTestId('client-id').textContent()).trim();

  const products = await adminApi('GET', '/v1/products');
  created.web = products.products.find((p) => p.name === `Rails ${stamp}`);
  assert.equal(created.web.web_client.token_endpoint_auth_method, 'client_secret_basic');
  assert.equal(created.web.web_client.client_secret, undefined, 'the secret is never shown again');
  assert.equal(created.web.server_client, null, 'no server client was asked for');

  // The shown secret authenticates the client: the made-up code is what is refused.
  const right = await exchangeBogusCode(clientId, secret);
  assert.equal(right.status, 400, JSON.stringify(right.body));
  assert.equal(right.body.error, 'invalid_grant');
  const wrong = await exchangeBogusCode(clientId, `${secret}x`);
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid_client');
  created.clientId = clientId;
  created.secret = secret;
});

test('a backend service skips the redirect URIs and gets a server client', async () => {
  await startWizard(`Batch ${stamp}`);
  await page.getByRole('radio', { name: /Backend service only/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'Server client?' }).waitFor();
  assert.equal(await page.getByLabel('Create a server client').isChecked(), true);
  assert.equal(await page.getByLabel('Create a server client').isDisabled(), true);
  await page.getByLabel('Server client scopes').fill(`batch${stamp}:run`);
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.getByTestId('server-client-id').waitFor();
  const products = await adminApi('GET', '/v1/products');
  const batch = products.products.find((p) => p.name === `Batch ${stamp}`);
  assert.ok(batch.server_client, 'a server client was created');
  assert.deepEqual(batch.web_client.redirect_uris, [], 'no redirect URIs');
});

test('the Sign-in client card edits the client settings and rotates the secret', async () => {
  await page.goto(`${BASE}/console/products/${created.web.id}`);
  const card = page.getByRole('form', { name: 'Sign-in client' });
  await card.waitFor();
  assert.equal(await card.getByLabel('Token endpoint authentication').inputValue(), 'client_secret_basic');
  await card.getByLabel('Allowed browser origins (CORS)').fill('https://rails.example\nhttps://admin.rails.example');
  await card.getByRole('switch', { name: 'Require DPoP-bound access tokens' }).check();
  await card.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Sign-in client saved').waitFor();
  const saved = await adminApi('GET', `/v1/products/${created.web.id}`);
  assert.deepEqual(saved.web_client.allowed_origins, ['https://rails.example', 'https://admin.rails.example']);
  assert.equal(saved.web_client.dpop_bound_access_tokens, true);

  // A refused value shows under its field and saves nothing.
  await card.getByLabel('Allowed browser origins (CORS)').fill('https://rails.example/path');
  await card.getByRole('button', { name: 'Save changes' }).click();
  await card.getByText(/is not an origin/).waitFor();
  await card.getByRole('button', { name: 'Discard changes' }).click();
  await page.getByText('Sign-in client saved').waitFor({ state: 'hidden' });
  // Tall enough for the whole card below the sticky top bar.
  await page.setViewportSize({ width: 1024, height: 1200 });
  await shotCard(page, card, 'e2e-product-sign-in-client', { docs: 'product-sign-in-client' });
  await page.setViewportSize({ width: 1024, height: 700 });

  await card.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
  const secretBox = card.getByTestId('client-secret');
  await secretBox.waitFor();
  const rotated = (await secretBox.textContent()).trim();
  assert.notEqual(rotated, created.secret, 'a new secret is shown');
  assert.equal((await exchangeBogusCode(created.clientId, created.secret)).status, 401, 'the old secret stops working');
  assert.equal((await exchangeBogusCode(created.clientId, rotated)).status, 400, 'the new one works');
});
