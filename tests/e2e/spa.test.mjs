// The SPA example (examples/spa) in real Chromium: a product for the SPA's origin is made
// through the admin API, the SPA (its own static server) sends the browser to Tessera's
// hosted sign-in page, and back on the SPA the code exchange and userinfo run by fetch
// from the SPA's origin (CORS). Then the product stops allowing that origin, and the same
// sign-in ends in an error on the SPA: the test needs CORS to pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { BASE, adminApi, fillLogin, freePort, launch, newPage, shot } from './lib.mjs';

const OUT = process.env.E2E_OUT || 'target/e2e';
const SPA_DIR = path.resolve('examples/spa');
const user = { email: 'sam.spa@example.com', password: 'Spa-passphrase-42', name: 'Sam Spa' };

let spa;
let spaUrl;
let product;
let browser;
let page;

/** Starts examples/spa/server.mjs for `clientId`; resolves when it listens. */
async function startSpa(clientId, port) {
  const log = openSync(path.join(OUT, 'spa-server.log'), 'w');
  const child = spawn(process.execPath, [path.join(SPA_DIR, 'server.mjs')], {
    env: { ...process.env, TESSERA_ISSUER: BASE, TESSERA_CLIENT_ID: clientId, PORT: String(port) },
    stdio: ['ignore', 'pipe', log],
  });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SPA server exited (${code}); see ${OUT}/spa-server.log`)));
    child.stdout.on('data', (chunk) => { if (chunk.toString().includes('listening on')) resolve(); });
  });
  return child;
}

before(async () => {
  assert.ok(existsSync(path.join(SPA_DIR, 'node_modules/oauth4webapi')), 'run npm ci in examples/spa (scripts/setup.sh)');
  const port = await freePort();
  spaUrl = `http://127.0.0.1:${port}`;
  product = await adminApi('POST', '/v1/products', { name: 'SPA', redirect_uris: [`${spaUrl}/callback`] });
  await adminApi('POST', '/v1/users', user);
  spa = await startSpa(product.web_client.client_id, port);
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  await browser?.close();
  spa?.kill('SIGTERM');
});

/** From the SPA's start page through Tessera's sign-in page back to the SPA. */
async function signInOnTheSpa() {
  await page.goto(spaUrl);
  await page.getByRole('button', { name: 'Sign in with Tessera' }).click();
  await page.waitForURL((url) => url.origin === BASE && url.pathname === '/login');
  await fillLogin(page, user);
  await page.waitForURL((url) => url.origin === spaUrl);
}

test('the SPA signs in from the browser and shows the email from userinfo', async () => {
  await signInOnTheSpa();
  await page.getByText(`Signed in as ${user.email}`).waitFor();
  assert.equal(await page.locator('#email').textContent(), user.email);
  assert.equal(new URL(page.url()).pathname, '/', 'the code left the address bar');
  assert.equal(await page.locator('#error').isHidden(), true);
  await shot(page, 'spa-signed-in');
});

test('without CORS for its origin the SPA cannot finish the sign-in', async () => {
  await adminApi('PATCH', `/v1/products/${product.id}`, { web_client: { allowed_origins: ['https://elsewhere.example'] } });
  page = await newPage(browser); // no SSO session yet: the sign-in page again
  await signInOnTheSpa();
  await page.locator('#error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#error').textContent(), /blocked the call to Tessera/);
  assert.equal(await page.locator('#profile').isHidden(), true);
  await shot(page, 'spa-refused');
});
