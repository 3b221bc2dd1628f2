// Names, not ids: after a real sign-in to a product, the audit page shows the user's email
// and the product's name (the ids on hover), its filters take an email and a product name
// (with suggestions), and the user's and the product's pages list their recent activity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, shot, codeFlowLogin, adminApi, CONSOLE } from './lib.mjs';

let browser;
let page;
const stamp = Date.now().toString(36);
const redirect = 'http://127.0.0.1:9/names/callback';
const person = { email: `noor.${stamp}@example.com`, password: 'Names-not-ids-passphrase-1' };
const seeded = {};

before(async () => {
  browser = await launch();
  seeded.product = await adminApi('POST', '/v1/products', {
    name: `Bakery App ${stamp}`,
    redirect_uris: [redirect],
    post_logout_redirect_uris: [],
    scopes: [`bread-${stamp}:read`],
    server_client: false,
  });
  seeded.user = await adminApi('POST', '/v1/users', { ...person, name: 'Noor Haddad' });
  const signer = await newPage(browser);
  await codeFlowLogin(signer, {
    clientId: seeded.product.web_client.client_id,
    redirectUri: redirect,
    user: person,
  });
  await signer.context().close();
  page = await newPage(browser);
  await signIn(page);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no uncaught errors; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
});

/** The audit table's rows of `type` that mention `text`. */
function rows(type, text) {
  return page.locator(`tr[data-event-type="${type}"]`, { hasText: text });
}

test('the audit page shows the email and the product name, not the ids', async () => {
  await page.goto(`${CONSOLE}audit`);
  const row = rows('token.issued', person.email).first();
  await row.waitFor();
  const text = await row.textContent();
  assert.ok(text.includes(seeded.product.name), `the product's name is shown: ${text}`);
  assert.ok(!text.includes(seeded.user.id), `the user id is not shown: ${text}`);
  assert.ok(!text.includes(seeded.product.web_client.client_id), `the client id is not shown: ${text}`);
  // The ids are a hover away, and in the detail.
  assert.equal(await row.getByText(person.email).getAttribute('title'), seeded.user.id);
  await row.getByRole('button').first().click();
  const detail = page.getByRole('dialog', { name: 'Event details' });
  const facts = detail.locator('dl');
  await facts.getByText(person.email).waitFor();
  await facts.getByText(seeded.user.id).waitFor();
  await facts.getByText(seeded.product.name, { exact: true }).waitFor();
  await facts.getByText(seeded.product.web_client.client_id).waitFor();
  await shot(page, 'names-audit-detail');
  await detail.getByRole('button', { name: 'Close event details' }).click();
  await detail.waitFor({ state: 'detached' });
});

test('the audit filters take an email and a product name, with suggestions', async () => {
  const user = page.getByLabel('User', { exact: true });
  await user.fill(`noor.${stamp}`);
  // Suggestions come from the user search.
  await page.locator(`#audit-user-options option[value="${person.email}"]`).waitFor({ state: 'attached' });
  await user.fill(person.email);
  await user.press('Enter');
  await rows('login.succeeded', person.email).first().waitFor();
  const types = await page.locator('tr[data-event-type]').evaluateAll((trs) => trs.map((tr) => tr.textContent));
  assert.ok(types.length >= 2, `the user's events are listed: ${types.length}`);
  for (const t of types) assert.ok(t.includes(person.email), `only the user's events: ${t}`);

  await user.fill('');
  const product = page.getByLabel('Product', { exact: true });
  await page.locator(`#audit-product-options option[value="${seeded.product.name}"]`).waitFor({ state: 'attached' });
  await product.fill(seeded.product.name);
  await product.press('Enter');
  await rows('token.issued', person.email).first().waitFor();
  const all = await page.locator('tr[data-event-type]').evaluateAll((trs) => trs.map((tr) => tr.textContent));
  for (const t of all) assert.ok(t.includes(seeded.product.name), `only the product's events: ${t}`);
  await shot(page, 'names-audit-filtered');

  await product.fill('No such product');
  await product.press('Enter');
  await page.getByText('No events match these filters').waitFor();
});

test("the user's and the product's pages list their recent activity", async () => {
  await page.goto(`${CONSOLE}users/${seeded.user.id}`);
  const card = page.locator('section.recent-activity');
  await card.getByText('Token issued').first().waitFor();
  assert.ok((await card.textContent()).includes(seeded.product.name), 'names in the card');
  await shot(page, 'names-user-activity', { fullPage: true });
  await card.getByRole('link', { name: 'View all in audit log' }).click();
  await page.waitForURL(/\/console\/audit\?user=/);
  assert.equal(await page.getByLabel('User', { exact: true }).inputValue(), person.email);
  await rows('login.succeeded', person.email).first().waitFor();

  await page.goto(`${CONSOLE}products/${seeded.product.id}`);
  await card.getByText(person.email).first().waitFor();
  await shot(page, 'names-product-activity', { fullPage: true });
});
