// Shared pieces of the console end-to-end tests: the browser, signing in through the
// hosted login page, admin-API calls with the console's own token, screenshots.
// Environment (set by scripts/e2e.sh): TESSERA_URL, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD,
// E2E_OUT (screenshots and logs), SCREENSHOTS (optional: also write docs screenshots).
import { chromium } from 'playwright-core';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const BASE = required('TESSERA_URL');
export const CONSOLE = `${BASE}/console/`;
export const ADMIN = {
  email: required('E2E_ADMIN_EMAIL'),
  password: required('E2E_ADMIN_PASSWORD'),
};
const OUT = process.env.E2E_OUT || 'target/e2e';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with scripts/e2e.sh`);
  return value;
}

/** Debian's Chromium, headless, with the flags this machine needs (no downloads). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A fresh browser context (own cookies) at the console's minimum supported size. */
export async function newPage(browser, { colorScheme = 'light', width = 1024, height = 700 } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    colorScheme,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  // The console runs under a strict Content-Security-Policy: anything it blocks (an inline
  // style or script) shows as a console error, and fails the test like an uncaught one.
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      errors.push(message.text());
    }
  });
  page.consoleErrors = errors;
  // What the page logged as errors (a Rust panic's message and place), for the reports.
  const logged = [];
  page.on('console', (message) => {
    if (message.type() === 'error') logged.push(`${page.url()}: ${message.text()}`);
  });
  page.consoleLog = logged;
  // A reload of the console signs in again through the server, which asks the super-admin
  // to confirm: every navigation to the console answers that page as the user would.
  const goto = page.goto.bind(page);
  page.goto = async (url, options) => {
    const response = await goto(url, options);
    if (String(url).startsWith(CONSOLE)) await continueToConsole(page);
    return response;
  };
  return page;
}

/**
 * After the console (re)loads in a tab that was signed in: the server shows "Continue to
 * the Tessera console as …?" (its SSO session never hands the console a code silently), or,
 * once the session is older than 10 minutes, the login form with the email filled in.
 * Continues, then waits for the console. Does nothing on the signed-out landing page.
 */
export async function continueToConsole(page) {
  const confirm = page.getByRole('button', { name: 'Continue', exact: true });
  const shell = page.getByRole('button', { name: 'Sign out' });
  const signIn = page.getByRole('button', { name: /^Sign in/ });
  await confirm.or(shell).or(signIn).first().waitFor();
  const { pathname } = new URL(page.url());
  if (pathname === '/login/confirm') {
    await confirm.click();
  } else if (pathname === '/login' && (await page.getByLabel('Email').getAttribute('readonly')) !== null) {
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  } else {
    return;
  }
  await page.waitForURL((url) => url.pathname.startsWith('/console') && !url.pathname.includes('callback'));
  await shell.waitFor();
}

/** Fills the hosted login form (and the branch choice when asked). */
export async function fillLogin(page, { email, password, branch } = ADMIN) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (branch) {
    await page.getByLabel(branch).check();
    await page.getByRole('button', { name: 'Continue' }).click();
  }
}

/**
 * Opens the console and signs the super-admin in through the hosted login page;
 * `onLoginPage(page)` runs when that page is shown.
 */
export async function signIn(page, { onLoginPage } = {}) {
  await page.goto(CONSOLE);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/login/);
  if (onLoginPage) await onLoginPage(page);
  await fillLogin(page);
  await page.waitForURL((url) => url.pathname.startsWith('/console') && !url.pathname.includes('callback'));
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Navigates with the console's sidebar (client-side, no reload). */
export async function openNav(page, name) {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
}

/**
 * A screenshot in E2E_OUT (`name` may hold a subfolder); with `docs`, also written as
 * `docs.png` into SCREENSHOTS when that is set (the README's pictures). `fullPage`: the
 * whole scrollable page, not only the window.
 */
export async function shot(page, name, { docs, fullPage = false } = {}) {
  const file = path.join(OUT, `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage });
  if (docs && process.env.SCREENSHOTS) {
    mkdirSync(process.env.SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(process.env.SCREENSHOTS, `${docs}.png`), fullPage });
  }
}

/** A client_credentials-free admin token: an admin client made with the CLI, once. */
let adminToken;
export async function adminApi(method, apiPath, body) {
  if (!adminToken) adminToken = await mintAdminToken();
  const response = await fetch(`${BASE}${apiPath}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${apiPath} → ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function mintAdminToken() {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(
    required('TESSERA_BINARY'),
    ['admin-client', 'create', '--data-dir', required('TESSERA_DATA_DIR'), '--name', `e2e-${Date.now()}`],
    { encoding: 'utf8' },
  );
  const { client_id, client_secret } = JSON.parse(out);
  const response = await fetch(`${BASE}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(client_id)}:${encodeURIComponent(client_secret)}`).toString('base64'),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`admin token: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** The /oauth/authorize URL of a code + PKCE sign-in (the verifier is thrown away). */
function authorizeUrl(clientId, redirectUri, state = randomBytes(16).toString('base64url')) {
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${BASE}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return authorize.toString();
}

/**
 * Tries `password` (a wrong one) `times` times on the hosted login page of `clientId`, as
 * a person guessing would, each from a fresh authorization request; stops at the first
 * 429 (the throttle). Returns the HTTP statuses of the POST /login answers.
 */
export async function wrongPasswords(page, { clientId, redirectUri, email, password, times }) {
  const statuses = [];
  for (let i = 0; i < times; i += 1) {
    await page.goto(authorizeUrl(clientId, redirectUri));
    await page.waitForURL(/\/login/);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login');
    await fillLogin(page, { email, password });
    const status = (await answer).status();
    statuses.push(status);
    if (status === 429) break;
  }
  return statuses;
}

/**
 * The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret` at `time` (ms), as an
 * authenticator app computes it.
 */
export function totp(secret, time = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

/** The claims of a JWT (not verified: for reading what a test just received). */
export function jwtClaims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/**
 * A real authorization-code + PKCE login for `clientId` in `page` (its own browser
 * context): the browser goes to /oauth/authorize, signs in on the hosted page and is
 * redirected to `redirectUri` (which need not answer: the code is read from the URL);
 * then the code is exchanged at the token endpoint like the product's backend would.
 */
export async function codeFlowLogin(page, { clientId, clientSecret, redirectUri, user, afterPassword }) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${BASE}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  let callback;
  await page.route(`${redirectUri}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Signed in</h1>' });
  });
  await page.goto(authorize.toString());
  await fillLogin(page, user);
  // A second factor (or its enrollment) between the password and the product.
  if (afterPassword) await afterPassword(page);
  await page.getByRole('heading', { name: 'Signed in' }).waitFor();
  if (!callback || callback.searchParams.get('state') !== state) {
    throw new Error(`unexpected callback ${callback}`);
  }
  const form = {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code'),
    redirect_uri: redirectUri,
    code_verifier: verifier,
    client_id: clientId,
  };
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (clientSecret) {
    headers.authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  }
  const response = await fetch(`${BASE}/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
  const tokens = await response.json();
  if (!response.ok) throw new Error(`token exchange: ${JSON.stringify(tokens)}`);
  return tokens;
}

/** A free TCP port on 127.0.0.1 (for a test that starts its own server). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until the server `child` (a spawned `tessera serve`) answers `${url}/health`. */
export async function waitForHealth(url, seconds, child) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`no /health answer within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a server a test file started itself (SIGTERM, then waits) and removes `work`. */
export async function stopServer(child, work) {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (work) rmSync(work, { recursive: true, force: true });
}

/**
 * A screenshot in the light and the dark scheme (`name`-light/-dark; README: `docs`-light/
 * -dark), waiting out the colour transitions.
 */
export async function shotBoth(p, name, docs, { fullPage = false } = {}) {
  await p.mouse.move(0, 0);
  await shot(p, `${name}-light`, { docs: `${docs}-light`, fullPage });
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.waitForTimeout(600);
  await shot(p, `${name}-dark`, { docs: `${docs}-dark`, fullPage });
  await p.emulateMedia({ colorScheme: 'light' });
  await p.waitForTimeout(600);
}

/**
 * A picture of one element (a card) in light and in dark colours: `${name}-light/dark` in
 * E2E_OUT and, with `docs`, `${docs}-light/dark.png` in SCREENSHOTS when that is set.
 */
export async function shotCard(page, locator, name, { docs } = {}) {
  await page.mouse.move(0, 0);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(600); // the colour transitions
    await locator.scrollIntoViewIfNeeded();
    const file = path.join(OUT, `${name}-${scheme}.png`);
    mkdirSync(path.dirname(file), { recursive: true });
    await locator.screenshot({ path: file });
    if (docs && process.env.SCREENSHOTS) {
      mkdirSync(process.env.SCREENSHOTS, { recursive: true });
      await locator.screenshot({ path: path.join(process.env.SCREENSHOTS, `${docs}-${scheme}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** An unsigned compact JWT (`alg: none`) of `claims`: what the inspector decodes anyway. */
export function unsignedJwt(claims, header = { alg: 'none', typ: 'JWT' }) {
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part(header)}.${part(claims)}.`;
}
