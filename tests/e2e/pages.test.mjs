// A tour of every console page, in light and in dark colours, at the smallest supported
// window (1024×700): each page must render its heading with nothing left loading, show
// no error banner, not scroll sideways, and keep every control reachable with the
// keyboard. A screenshot of each lands in target/e2e/pages/ (and in docs/screenshots/ when
// SCREENSHOTS is set: `SCREENSHOTS=docs/screenshots scripts/e2e.sh`).
//
// Runs after console.test.mjs on the same server; seeds the data it shows through the
// admin API (products, users, a business with branches, roles, memberships, real logins),
// and throttles an account and a client (wrong passwords, wrong secrets) for the users page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, signIn, shot, codeFlowLogin, wrongPasswords, adminApi, BASE, CONSOLE,
} from './lib.mjs';

let browser;
const stamp = Date.now().toString(36);
const seeded = {};

before(async () => {
  browser = await launch();
  seeded.shop = await adminApi('POST', '/v1/products', {
    name: 'Corner Shop',
    redirect_uris: ['http://127.0.0.1:9/shop/callback', 'https://shop.example/callback'],
    post_logout_redirect_uris: ['https://shop.example/'],
    scopes: ['orders:read', 'orders:write', 'shelf:read'],
    server_client: true,
  });
  await adminApi('POST', '/v1/products', {
    name: 'Timesheets',
    redirect_uris: ['https://time.example/cb'],
    post_logout_redirect_uris: [],
    scopes: ['shifts:read'],
    server_client: false,
  });
  const people = [
    ['Ada Lovelace', 'ada'], ['Grace Hopper', 'grace'], ['Linus Pauling', 'linus'],
    ['Mary Jackson', 'mary'], ['Alan Turing', 'alan'],
  ];
  seeded.users = [];
  for (const [name, handle] of people) {
    seeded.users.push(await adminApi('POST', '/v1/users', {
      email: `${handle}.${stamp}@example.com`, name, password: `Long-passphrase-${handle}-42`,
    }));
  }
  await adminApi('POST', `/v1/users/${seeded.users[4].id}/suspend`);
  seeded.business = await adminApi('POST', '/v1/businesses', { name: 'Harbour Bakery' });
  const branch = (name) => adminApi('POST', `/v1/businesses/${seeded.business.id}/branches`, { name });
  seeded.north = await branch('North quay');
  seeded.south = await branch('South market');
  const role = (name, scopes) => adminApi('POST', `/v1/businesses/${seeded.business.id}/roles`, { name, scopes });
  seeded.clerk = await role('clerk', ['orders:read', 'shelf:read']);
  seeded.manager = await role('manager', ['orders:read', 'orders:write', 'shelf:read']);
  const member = (user, branchId, roleId) => adminApi('POST', '/v1/memberships', {
    user_id: user.id, business_id: seeded.business.id, branch_id: branchId, role_id: roleId,
  });
  await member(seeded.users[0], null, seeded.manager.id);
  await member(seeded.users[1], seeded.north.id, seeded.clerk.id);
  await member(seeded.users[2], seeded.south.id, seeded.clerk.id);

  // Real sign-ins, so the dashboard chart, the audit log and the sessions list have data.
  const page = await newPage(browser);
  seeded.tokens = await codeFlowLogin(page, {
    clientId: seeded.shop.web_client.client_id,
    redirectUri: 'http://127.0.0.1:9/shop/callback',
    user: { email: seeded.users[1].email, password: 'Long-passphrase-grace-42' },
  });
  await page.context().close();
});

after(async () => {
  await browser?.close();
});

/**
 * Pauses Mary's sign-in (wrong passwords on the hosted login) and the Corner Shop server
 * client (wrong secrets), so the users page shows its throttle panel. A first pause lasts
 * a minute: each colour scheme throttles again just before its visit.
 */
async function throttleSomeone() {
  const guesser = await newPage(browser);
  const statuses = await wrongPasswords(guesser, {
    clientId: seeded.shop.web_client.client_id,
    redirectUri: 'http://127.0.0.1:9/shop/callback',
    email: seeded.users[3].email,
    password: 'a-wrong-guess-123',
    times: 6,
  });
  await guesser.context().close();
  assert.equal(statuses.at(-1), 429, `the account is throttled: ${statuses}`);
  const basic = Buffer.from(`${seeded.shop.server_client.client_id}:wrong-secret`).toString('base64');
  let last;
  for (let i = 0; i < 11 && last !== 429; i += 1) {
    const response = await fetch(`${BASE}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    last = response.status;
  }
  assert.equal(last, 429, 'the client is throttled');
}

/** Waits until the page shows `heading` and nothing is loading any more. */
async function settled(page, heading) {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.loading, .spinner').length === 0);
  // Let fonts and transitions finish before the picture.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(250);
}

/** What a person notices at once: error banners, a sideways scroll, unreachable controls. */
async function checkQuality(page, where) {
  const problems = await page.evaluate(() => {
    const found = [];
    for (const banner of document.querySelectorAll('.error-banner, [role=alert]')) {
      if (banner.textContent.trim()) found.push(`error shown: ${banner.textContent.trim()}`);
    }
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) {
      found.push(`the page scrolls sideways (${doc.scrollWidth} > ${doc.clientWidth})`);
    }
    for (const table of document.querySelectorAll('main table')) {
      const box = table.parentElement;
      if (box.scrollWidth > box.clientWidth + 1) {
        found.push(`a table is cut off (${box.scrollWidth} > ${box.clientWidth}): ${table.querySelector('th')?.textContent}`);
      }
    }
    for (const el of document.querySelectorAll('main button, main a[href], main input, main select, main textarea')) {
      if (el.disabled || el.offsetParent === null) continue;
      // Tabs use a roving tabindex: one tab of the list is in the tab order, arrows move.
      const list = el.getAttribute('role') === 'tab' && el.closest('[role=tablist]');
      if (list && [...list.querySelectorAll('[role=tab]')].some((t) => t.tabIndex === 0)) continue;
      if (el.tabIndex < 0) found.push(`not keyboard reachable: ${el.outerHTML.slice(0, 80)}`);
    }
    return found;
  });
  assert.deepEqual(problems, [], `${where}: ${problems.join('; ')}`);
}

/** One visit: open `path`, wait for `heading`, optionally act, check, take the picture. */
async function visit(page, scheme, name, path, heading, act) {
  await page.goto(`${CONSOLE}${path}`);
  await settled(page, heading);
  if (act) {
    await act(page);
    await page.waitForFunction(() => document.querySelectorAll('.loading, .spinner').length === 0);
    await page.waitForTimeout(250);
  }
  await checkQuality(page, `${name} (${scheme})`);
  await shot(page, `pages/${scheme}-${name}`, { docs: `${name}-${scheme}`, fullPage: true });
}

/**
 * Keyboard: a new page puts focus on its heading; the skip link comes first in the tab
 * order; Tab moves on to a control and the focused control shows a focus ring.
 */
async function checkKeyboard(page, scheme) {
  await page.goto(CONSOLE);
  await settled(page, 'Dashboard');
  const start = await page.evaluate(() => ({
    focused: document.activeElement.tagName,
    first: document.querySelector('a[href], button, input, select, textarea').textContent.trim(),
  }));
  assert.equal(start.focused, 'H1', `${scheme}: a new page focuses its heading`);
  assert.equal(start.first, 'Skip to content', `${scheme}: the skip link comes first`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName,
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
      shadow: style.boxShadow !== 'none',
    };
  });
  assert.ok(['A', 'BUTTON', 'INPUT'].includes(focused.tag), `${scheme}: Tab reaches a control`);
  assert.ok(focused.outline || focused.shadow, `${scheme}: the focused control shows a focus ring`);
}

for (const scheme of ['light', 'dark']) {
  test(`every console page renders well in ${scheme} colours at 1024×700`, async () => {
    const page = await newPage(browser, { colorScheme: scheme });
    await page.goto(CONSOLE);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await checkQuality(page, `sign-in (${scheme})`);
    await shot(page, `pages/${scheme}-signin`, { docs: `signin-${scheme}` });
    await signIn(page, {
      onLoginPage: async (p) => {
        await p.getByRole('heading', { name: 'Sign in' }).waitFor();
        await checkQuality(p, `hosted sign-in page (${scheme})`);
        await shot(p, `pages/${scheme}-hosted-login`, { docs: `hosted-login-${scheme}` });
      },
    });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g).map(Number);
    const light = (r + g + b) / 3 > 128;
    assert.equal(light, scheme === 'light', `the ${scheme} scheme is followed (body ${background})`);
    await checkKeyboard(page, scheme);

    await visit(page, scheme, 'dashboard', '', 'Dashboard');
    await visit(page, scheme, 'products', 'products', 'Products');
    await visit(page, scheme, 'product-wizard', 'products/new', 'Register a product');
    // The wizard's last step: the secret shown once, the integration snippet.
    await page.getByLabel('Product name').fill(`Kiosk (${scheme})`);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Redirect URI').first().fill('https://kiosk.example/callback');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel(/server client/i).check();
    await page.getByLabel('Server client scopes').fill(`kiosk-${scheme}:read`);
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByTestId('client-secret').waitFor();
    await page.evaluate(() => document.fonts.ready);
    await checkQuality(page, `product registered (${scheme})`);
    await shot(page, `pages/${scheme}-product-registered`, {
      docs: `product-registered-${scheme}`, fullPage: true,
    });
    await visit(page, scheme, 'product', `products/${seeded.shop.id}`, 'Corner Shop');
    await throttleSomeone();
    await visit(page, scheme, 'users', 'users', 'Users', async (p) => {
      await p.getByRole('heading', { name: 'Throttled accounts' }).waitFor();
    });
    await visit(page, scheme, 'user', `users/${seeded.users[1].id}`, 'Grace Hopper');
    await visit(page, scheme, 'businesses', 'businesses', 'Businesses');
    await visit(page, scheme, 'business', `businesses/${seeded.business.id}`, 'Harbour Bakery');
    await visit(page, scheme, 'keys', 'keys', 'Signing keys');
    await visit(page, scheme, 'audit', 'audit', 'Audit log', async (p) => {
      await p.locator('tr[data-event-type="token.issued"]').first().getByRole('button').first().click();
      await p.getByRole('button', { name: 'Open in inspector' }).waitFor();
    });
    await visit(page, scheme, 'inspector', 'inspector', 'Token inspector', async (p) => {
      await p.getByLabel('JWT', { exact: true }).fill(seeded.tokens.access_token);
      await p.getByRole('button', { name: 'Verify' }).click();
      await p.getByText('Signature valid').waitFor();
    });
    await visit(page, scheme, 'settings', 'settings', 'Settings');
    assert.deepEqual(page.consoleErrors, [], `no uncaught errors in the console page; logged: ${page.consoleLog.join(' | ')}`);
    await page.context().close();
  });
}
