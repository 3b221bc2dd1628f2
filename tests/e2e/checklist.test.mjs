// The dashboard's first-run checklist and its hourly chart, and the empty products page,
// in real headless Chromium. This file sorts first, so it normally meets the server as
// scripts/e2e.sh starts it (a super-admin, no products): the fresh-server checks need
// that, and are skipped (not failed) when another file registered products before.
// Screenshots: dashboard-first-run-{light,dark} (the checklist, a chart tooltip) and
// products-empty-{light,dark}.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, shot, adminApi, CONSOLE } from './lib.mjs';

let browser;
let page;
let fresh;

before(async () => {
  browser = await launch();
  fresh = (await adminApi('GET', '/v1/stats')).counts.products === 0;
  page = await newPage(browser);
  await signIn(page);
});

after(async () => {
  if (page) assert.deepEqual(page.consoleErrors, [], `no uncaught errors in the console page; logged: ${page.consoleLog.join(' | ')}`);
  await browser?.close();
});

const checklist = () => page.getByTestId('setup-checklist');

/** The dashboard, once its figures are in (the checklist, or the link that shows it). */
async function dashboard() {
  await page.goto(CONSOLE);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await checklist().or(page.getByRole('button', { name: 'Show setup checklist' })).first().waitFor();
  await page.locator('.chart').waitFor();
}

/** Light, then dark: `take(scheme)` for each, back to light afterwards. */
async function inBothSchemes(take) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() => document.fonts.ready);
    // Colours ease over 0.12 s.
    await page.waitForTimeout(300);
    await take(scheme);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('on a fresh server the checklist has step 1 next, and its button opens the wizard', async (t) => {
  if (!fresh) return t.skip('products were registered before this file ran');
  await dashboard();
  const steps = checklist().locator('li.checklist-step');
  assert.deepEqual(
    await steps.evaluateAll((items) => items.map((li) => li.dataset.state)),
    ['next', 'todo', 'todo', 'todo'],
  );
  assert.match(await checklist().textContent(), /0 of 4 done/);
  // Before any product, "Try sign-in" has nowhere to go.
  assert.ok(await steps.nth(1).getByRole('button', { name: 'Try sign-in' }).isDisabled());
  await steps.first().getByRole('link', { name: 'Register a product' }).click();
  await page.getByRole('heading', { level: 1, name: 'Register a product' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/console/products/new');
});

test('the empty products page says what to do, with a button that does it', async (t) => {
  if (!fresh) return t.skip('products were registered before this file ran');
  await page.goto(`${CONSOLE}products`);
  const empty = page.locator('.empty');
  await empty.getByText('No products yet').waitFor();
  await inBothSchemes((scheme) => shot(page, `checklist/products-empty-${scheme}`, { docs: `products-empty-${scheme}` }));
  await empty.getByRole('button', { name: 'Register a product' }).click();
  await page.getByRole('heading', { level: 1, name: 'Register a product' }).waitFor();
});

test('the hourly chart counts in whole numbers, and pointing or focusing a bar shows its hour and count', async () => {
  await dashboard();
  const ticks = await page.locator('.chart .axis-y').allTextContents();
  assert.ok(ticks.length >= 2, `y ticks: ${ticks}`);
  for (const tick of ticks) assert.match(tick, /^\d+$/, `a whole-number tick: ${ticks}`);
  assert.equal(ticks[0], '0');

  // The current hour holds this sign-in's token at least.
  const tip = page.getByTestId('chart-tooltip');
  const now = page.locator('.chart .bar-slot').last();
  await now.hover();
  await tip.waitFor({ state: 'visible' });
  assert.match(await tip.textContent(), /^\d\d:00–\d\d:00 \(now\) · [1-9]\d* tokens?$/);
  await page.mouse.move(0, 0);
  await tip.waitFor({ state: 'hidden' });

  // The keyboard: one tab stop for the bars, arrows move between them.
  await now.focus();
  await tip.waitFor({ state: 'visible' });
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.slot), '23');
  assert.match(await tip.textContent(), /^\d\d:00–\d\d:00 · \d+ tokens?$/, 'the hour before, not "now"');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.slot), '24');
  const tabStops = await page.locator('.chart .bar-slot[tabindex="0"]').count();
  assert.equal(tabStops, 1, 'the bars are one tab stop');
  if (fresh) {
    // The focused bar keeps its tooltip while the page is back at the top for the picture.
    await page.evaluate(() => window.scrollTo(0, 0));
    await inBothSchemes((scheme) => shot(page, `checklist/dashboard-${scheme}`, { docs: `dashboard-first-run-${scheme}`, fullPage: true }));
  }
});

test('dismissing the checklist hides it, also after a reload; "Show setup checklist" brings it back', async () => {
  await dashboard();
  const show = page.getByRole('button', { name: 'Show setup checklist' });
  // Every step done already (other files ran first): it starts hidden.
  if (await show.isVisible()) await show.click();
  await checklist().getByRole('button', { name: 'Dismiss the setup checklist' }).click();
  await checklist().waitFor({ state: 'detached' });
  await show.waitFor();

  await dashboard();
  await show.waitFor();
  assert.equal(await checklist().count(), 0, 'still hidden after a reload');

  await show.click();
  await checklist().waitFor();
  assert.equal(await show.count(), 0);
});
