// Apps and agents in the console: a registration token made on its page registers an app
// (RFC 7591), which the Third-party apps page lists (unverified name, disable/enable); a
// user signing in to that app meets the consent page, and the console's user page lists
// the app under "Apps with access" and removes it; a product's Agents card adds an agent
// whose token exchange yields a token the inspector explains as "<agent> acting for
// <user>". Screenshots go to target/e2e/ (and docs/screenshots/ with SCREENSHOTS set).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, signIn, openNav, adminApi, shotBoth, shotCard, codeFlowLogin, BASE, CONSOLE,
} from './lib.mjs';

let browser;
let page;
const stamp = Date.now().toString(36);
const user = { email: `ann.${stamp}@example.com`, password: 'correct horse battery staple' };
const appRedirect = 'http://127.0.0.1:33418/callback';
const app = {};

before(async () => {
  browser = await launch();
  page = await newPage(browser);
  await signIn(page);
  app.user = await adminApi('POST', '/v1/users', { ...user, name: 'Ann Example' });
});

after(async () => {
  await browser?.close();
});

test('a registration token made in the console registers a third-party app', async () => {
  await openNav(page, 'Third-party apps');
  await page.getByRole('link', { name: 'Registration tokens' }).click();
  await page.getByLabel('Name').fill('Claude Desktop for support');
  await page.getByLabel('Registrations allowed').fill('2');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('registration-token').textContent()).trim();
  assert.match(token, /^[A-Za-z0-9_-]{30,}$/);
  await page.getByRole('cell', { name: /Claude Desktop for support/ }).waitFor();
  await page.locator('.toast').waitFor({ state: 'detached' });
  await shotBoth(page, 'e2e-registration-tokens', 'registration-tokens', { fullPage: true });

  const response = await fetch(`${BASE}/oauth/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Notes Assistant',
      redirect_uris: [appRedirect],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'openid profile email',
      software_id: 'notes-assistant',
      software_version: '1.4.2',
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  app.clientId = body.client_id;

  // The console keeps its session in memory: come back through its own links.
  await openNav(page, 'Third-party apps');
  await page.getByRole('link', { name: 'Registration tokens' }).click();
  await page.getByText('1 of 2').waitFor();
});

test('the app signs a user in after the consent page', async () => {
  const userPage = await newPage(browser);
  const tokens = await codeFlowLogin(userPage, {
    clientId: app.clientId,
    redirectUri: appRedirect,
    user,
    afterPassword: async (p) => {
      await p.getByRole('heading', { name: /Notes Assistant wants to access your Tessera account/ }).waitFor();
      await p.getByText('See your email address').waitFor();
      await shotBoth(p, 'e2e-consent', 'consent');
      await p.getByRole('button', { name: 'Allow' }).click();
    },
  });
  assert.ok(tokens.access_token);
  await userPage.close();
});

test('the Third-party apps page lists the app, and disables and enables it', async () => {
  await openNav(page, 'Third-party apps');
  const row = page.getByRole('row', { name: /Notes Assistant/ });
  await row.waitFor();
  await row.getByText('unverified').waitFor();
  await row.getByText(/with the token “Claude Desktop for support”/).waitFor();
  await shotBoth(page, 'e2e-third-party-apps', 'third-party-apps');
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByText('Disabled').waitFor();
  const listed = await adminApi('GET', '/v1/dynamic-clients');
  const mine = listed.dynamic_clients.find((c) => c.client_id === app.clientId);
  assert.ok(mine.disabled_at, 'disabled in the API');
  assert.equal(mine.consents, 1);
  await row.getByRole('button', { name: 'Enable' }).click();
  await row.getByText('Enabled').waitFor();
});

test("the user's page lists the app under Apps with access and removes it", async () => {
  await page.goto(`${CONSOLE}users/${app.user.id}`);
  const card = page.locator('.consents-card');
  await card.getByText('Notes Assistant').waitFor();
  await shotCard(page, card, 'e2e-user-consents', { docs: 'user-consents' });
  await card.getByRole('button', { name: 'Remove access' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove access' }).click();
  await card.getByText('No third-party apps').waitFor();
  const left = await adminApi('GET', `/v1/users/${app.user.id}/consents`);
  assert.equal(left.consents.length, 0);
});

test("a product's agent exchanges a user's token and the inspector names the chain", async () => {
  const product = await adminApi('POST', '/v1/products', {
    name: `Notes ${stamp}`,
    redirect_uris: ['https://notes.example/callback'],
    scopes: [`notes${stamp}:read`],
    audience: `https://notes-${stamp}.example/api`,
  });
  await page.goto(`${CONSOLE}products/${product.id}`);
  const card = page.locator('.agents-card');
  await card.getByLabel("New agent's name").fill('Support assistant');
  await card.getByRole('checkbox', { name: `notes${stamp}:read` }).check();
  await card.getByRole('button', { name: 'Add agent' }).click();
  const secret = (await card.getByTestId('client-secret').textContent()).trim();
  await card.getByRole('cell', { name: /Support assistant/ }).waitFor();
  // The card with its new secret is taller than the window: shoot it whole, not under
  // the sticky top bar, and without the toast.
  await page.locator('.toast').waitFor({ state: 'detached' });
  const size = page.viewportSize();
  await page.setViewportSize({ width: size.width, height: 1300 });
  await card.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await shotCard(page, card, 'e2e-product-agents', { docs: 'product-agents' });
  await page.setViewportSize(size);
  const agents = await adminApi('GET', `/v1/products/${product.id}/agents`);
  const agent = agents.agents[0];
  assert.equal(agent.client_secret, undefined, 'the secret is shown once');

  const userPage = await newPage(browser);
  const tokens = await codeFlowLogin(userPage, {
    clientId: product.web_client.client_id,
    redirectUri: 'https://notes.example/callback',
    user,
  });
  await userPage.close();
  const response = await fetch(`${BASE}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${agent.client_id}:${secret}`).toString('base64'),
    },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'openid profile',
    }),
  });
  const exchanged = await response.json();
  assert.equal(response.status, 200, JSON.stringify(exchanged));

  await page.goto(`${CONSOLE}inspector`);
  await page.getByLabel('JWT', { exact: true }).fill(exchanged.access_token);
  const who = page.locator('.insp-act');
  await who.getByTestId('act-summary').getByText('Support assistant acting for Ann Example').waitFor();
  await who.getByText(`agent of Notes ${stamp}`).waitFor();
  await shotCard(page, who, 'e2e-inspector-act', { docs: 'inspector-act' });
});
