// A first-time super-admin, from a fresh data dir, goes from the console's sign-in to a
// real access token of a product they just registered, explained in the token inspector,
// then finds the sign-in in the audit feed under their email, not an id. This test starts
// its OWN server (`tessera serve` on a free port, a new data dir, a super-admin made with
// the CLI) so that nothing other tests did is in the way. Every click and every typed field
// goes through `person`, which counts them: the total is printed and must stay at 15 or
// fewer (the budget for "no docs, under 2 minutes").
//
// Also: the console's test callback is an ordinary redirect URI of the product (listed,
// removable, and without it the product page offers to add it again).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, launch, newPage, shot, shotBoth, stopServer, waitForHealth } from './lib.mjs';

const BINARY = process.env.TESSERA_BINARY;
const OUT = process.env.E2E_OUT || 'target/e2e';
const admin = { email: 'first.admin@example.com', password: 'First-run-passphrase-42' };
const productName = 'Corner Shop';

let server;
let work;
/** The environment of this file's own server and the CLI commands on its data dir. */
let serverEnv = process.env;
let base;
let browser;
let page;

/** The person at the keyboard: every click and every field they fill is counted. */
const person = {
  clicks: 0,
  fields: 0,
  async click(locator) {
    this.clicks += 1;
    await locator.click();
  },
  async fill(locator, value) {
    this.fields += 1;
    await locator.fill(value);
  },
};

before(async () => {
  assert.ok(BINARY, 'TESSERA_BINARY is set (run with scripts/e2e.sh)');
  work = mkdtempSync(path.join(tmpdir(), 'tessera-first-token-'));
  const data = path.join(work, 'data');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = openSync(path.join(OUT, 'first-token-server.log'), 'w');
  // A fresh server has a fresh database too: on PostgreSQL (scripts/e2e.sh under
  // scripts/test-postgres.sh) one of its own, never the other tests' database.
  const env = { ...process.env };
  delete env.TESSERA_DATABASE_URL;
  serverEnv = env;
  const cluster = process.env.TESSERA_TEST_DATABASE_URL;
  if (cluster) {
    const name = `e2e_first_${port}`;
    execFileSync('psql', [`${cluster}/postgres`, '-qAtc', `CREATE DATABASE ${name}`]);
    env.TESSERA_DATABASE_URL = `${cluster}/${name}`;
  }
  server = spawn(BINARY, ['serve', '--data-dir', data, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', log, log],
    env,
  });
  await waitForHealth(base, 120, server);
  execFileSync(BINARY, ['superadmin', 'create', '--data-dir', data, '--email', admin.email, '--password-stdin'], {
    input: `${admin.password}\n`,
    stdio: ['pipe', 'ignore', 'inherit'],
    env,
  });
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no uncaught errors in the console page; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
  await stopServer(server, work);
});

/** The claims of a compact JWS, and whether its RS256 signature verifies with `jwks`. */
function checkJwt(jwt, jwks) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `the JWKS has the token's key ${header.kid}`);
  const valid = verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  return { header, claims, valid };
}

test('from the console sign-in to the first access token of a new product, counted', async () => {
  const consoleUrl = `${base}/console/`;
  await page.goto(consoleUrl);
  // Sign in to the console.
  await person.click(page.getByRole('button', { name: 'Sign in', exact: true }));
  await page.waitForURL(/\/login/);
  await person.fill(page.getByLabel('Email'), admin.email);
  await person.fill(page.getByLabel('Password'), admin.password);
  await person.click(page.getByRole('button', { name: 'Sign in', exact: true }));
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The dashboard's first-run checklist starts the wizard; register a product with the
  // console's test callback.
  await person.click(page.getByRole('main').getByRole('link', { name: 'Register a product', exact: true }));
  await person.fill(page.getByLabel('Product name'), productName);
  await person.click(page.getByRole('button', { name: 'Next' }));
  await person.click(page.getByRole('button', { name: 'Add the test callback' }));
  await person.click(page.getByRole('button', { name: 'Next' }));
  await person.click(page.getByRole('button', { name: 'Create product' }));
  const clientId = (await page.getByTestId('client-id').textContent()).trim();
  await shot(page, 'first-token/registered');

  // Try its sign-in: the hosted page (the SSO session signs the super-admin in at once),
  // back to the console's callback, the console confirms its own session, the inspector.
  await person.click(page.getByRole('button', { name: 'Try sign-in' }));
  const confirm = page.getByRole('button', { name: 'Continue', exact: true });
  await confirm.waitFor();
  assert.equal(new URL(page.url()).pathname, '/login/confirm', 'the console asks to confirm its own session');
  await person.click(confirm);
  await page.waitForURL((url) => url.pathname === '/console/inspector');
  await page.getByRole('heading', { name: `Signed in to ${productName} as ${admin.email}` }).waitFor();
  await page.getByText('Signature valid', { exact: true }).waitFor();
  await shotBoth(page, 'first-token/inspector', 'try-signin-inspector');

  // The token in the field is the product's access token, signed by this issuer.
  const jwt = (await page.getByLabel('JWT', { exact: false }).first().inputValue()).trim();
  const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
  const { claims, valid } = checkJwt(jwt, jwks);
  assert.ok(valid, 'the access token the inspector shows verifies against the JWKS');
  assert.equal(claims.iss, base);
  assert.equal(claims.client_id, clientId, 'an access token of the new product’s web client');

  // The events in the audit feed, under the email.
  await person.click(page.getByRole('link', { name: 'See it in the audit feed' }));
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  const feed = page.locator('main');
  await feed.getByText(admin.email).first().waitFor();
  await feed.getByText(productName).first().waitFor();
  const userId = claims.sub;
  const rowTexts = await page.locator('main table tbody tr, main [role="row"], main li').allInnerTexts();
  assert.ok(rowTexts.length > 0, 'the feed lists events');
  assert.ok(!rowTexts.some((t) => t.includes(userId)), 'no row shows the user id where the email belongs');
  await shot(page, 'first-token/audit');

  const total = person.clicks + person.fields;
  console.log(`first token: ${person.clicks} clicks + ${person.fields} fields = ${total} actions (budget 15)`);
  assert.ok(total <= 15, `${total} actions from the console's sign-in to the token and its audit event`);
});

test('the test callback is an ordinary redirect URI: listed, removable, offered again', async () => {
  await person.click(page.getByRole('navigation').getByRole('link', { name: 'Products', exact: true }));
  await page.getByRole('link', { name: productName }).click();
  const callback = `${base}/console/try-callback`;
  const card = page.locator('#try-signin');
  await card.getByRole('button', { name: 'Try sign-in' }).waitFor();
  await card.scrollIntoViewIfNeeded();
  await shotBoth(page, 'first-token/product', 'try-signin');
  await page.getByRole('button', { name: `Remove ${callback}` }).click();
  await card.getByRole('button', { name: "Add the console's test callback" }).waitFor();
  assert.equal(await card.getByRole('button', { name: 'Try sign-in' }).count(), 0, 'no try without the callback');
  await card.getByRole('button', { name: "Add the console's test callback" }).click();
  await card.getByRole('button', { name: 'Try sign-in' }).waitFor();
  await page.getByRole('button', { name: `Remove ${callback}` }).waitFor();
});

/** An admin-API call on this test's own server, with an admin client made by the CLI. */
let ownAdminToken;
async function ownAdminApi(method, apiPath, body) {
  if (!ownAdminToken) {
    const out = execFileSync(BINARY, ['admin-client', 'create', '--data-dir', path.join(work, 'data'), '--name', 'first-token'], { encoding: 'utf8', env: serverEnv });
    const { client_id: id, client_secret: secret } = JSON.parse(out);
    const answer = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64'),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    ownAdminToken = (await answer.json()).access_token;
  }
  const response = await fetch(`${base}${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${ownAdminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${apiPath} → ${response.status}`);
  return response.json();
}

test('"Sign in as someone else": a test user signs in to the product; the console signs in again and shows their token', async () => {
  const tester = { email: 'tester@example.com', password: 'Tester-passphrase-1234' };
  await ownAdminApi('POST', '/v1/users', { email: tester.email, password: tester.password, name: 'Test User' });
  await page.locator('#try-signin').getByRole('button', { name: 'Sign in as someone else' }).click();
  await page.waitForURL(/\/login/);
  await page.getByLabel('Email').fill(tester.email);
  await page.getByLabel('Password').fill(tester.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  // The browser's session is now the tester's, who is no super-admin: the console says so
  // and offers to sign in as someone else; the super-admin does, and lands on the token.
  const other = page.getByRole('button', { name: /someone else/i });
  await other.waitFor();
  await other.click();
  await page.waitForURL(/\/login/);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/console/inspector');
  await page.getByRole('heading', { name: `Signed in to ${productName} as ${tester.email}` }).waitFor();
  await page.getByText('Signature valid', { exact: true }).waitFor();
});
