// Multi-factor sign-in in a real browser: a user of a product that requires MFA enrolls an
// authenticator app right after the password (the code typed is computed from the secret
// the page shows, as the app would), keeps the recovery codes shown once, and gets tokens
// that say two factors were used; the next sign-in asks for a code, and a recovery code
// does instead. Screenshots of the enrollment, the recovery codes and the code entry, in
// light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminApi, codeFlowLogin, jwtClaims, launch, newPage, shot, totp } from './lib.mjs';

const REDIRECT = 'https://vault.example/cb';
const RECOVERY_CODE = /\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b/gi;

let browser;
let product;

before(async () => {
  browser = await launch();
  product = await adminApi('POST', '/v1/products', {
    name: 'Vault',
    redirect_uris: [REDIRECT],
    post_logout_redirect_uris: [],
    scopes: [],
    mfa: 'required',
  });
});

after(async () => {
  await browser?.close();
});

/** The code form of the second-factor pages: types `code` and sends it. */
async function sendCode(page, code) {
  const field = page.locator('input[name="code"]');
  await field.fill(code);
  await page.locator('form:has(input[name="code"]) button[type="submit"]').click();
}

for (const scheme of ['light', 'dark']) {
  test(`enrollment at sign-in, then a code, then a recovery code (${scheme})`, async () => {
    const user = { email: `mia.${scheme}@vault.example`, password: `Mia-vault-${scheme}-passphrase` };
    await adminApi('POST', '/v1/users', { ...user, name: 'Mia Vault' });
    const login = { clientId: product.web_client.client_id, redirectUri: REDIRECT, user };

    // First sign-in: the password, then the authenticator app's enrollment.
    let recoveryCodes = [];
    const page = await newPage(browser, { colorScheme: scheme });
    const first = await codeFlowLogin(page, {
      ...login,
      afterPassword: async (p) => {
        await p.waitForURL(/\/login\/mfa\/setup/);
        const link = p.locator('a[href^="otpauth://totp/"]');
        const secret = new URL(await link.getAttribute('href')).searchParams.get('secret');
        assert.ok(secret, 'the otpauth link carries the secret');
        assert.equal(await p.locator('svg').count() > 0, true, 'a QR code is shown');
        await shot(p, `mfa/enroll-${scheme}`, { docs: `mfa-enroll-${scheme}` });
        await sendCode(p, totp(secret));
        const continueButton = p.getByRole('button', { name: 'Continue' });
        await continueButton.waitFor();
        recoveryCodes = (await p.locator('body').innerText()).match(RECOVERY_CODE) ?? [];
        await shot(p, `mfa/recovery-codes-${scheme}`, { docs: `mfa-recovery-codes-${scheme}` });
        await continueButton.click();
      },
    });
    assert.equal(new Set(recoveryCodes).size, 10, `ten recovery codes shown: ${recoveryCodes}`);
    for (const token of [first.id_token, first.access_token]) {
      const claims = jwtClaims(token);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'aal2');
      assert.equal(claims.aal, 'aal2');
      assert.equal(claims.auth_method, 'password');
    }
    await page.context().close();

    // Next sign-in (a new browser): the password, then the code page; a recovery code
    // works there too (the enrollment's code is spent for its time step).
    const again = await newPage(browser, { colorScheme: scheme });
    const second = await codeFlowLogin(again, {
      ...login,
      afterPassword: async (p) => {
        await p.waitForURL((url) => url.pathname === '/login/mfa');
        await shot(p, `mfa/code-${scheme}`, { docs: `mfa-code-${scheme}` });
        await sendCode(p, recoveryCodes[0]);
      },
    });
    assert.equal(jwtClaims(second.id_token).acr, 'aal2');
    await again.context().close();

    const { mfa } = await adminApi('GET', `/v1/users/${(await findUser(user.email)).id}`);
    assert.deepEqual(mfa, { totp: true, passkeys: 0, recovery_codes_left: 9, required: false });
  });
}

async function findUser(email) {
  const page = await adminApi('GET', `/v1/users?q=${encodeURIComponent(email)}`);
  const user = page.users.find((u) => u.email === email);
  assert.ok(user, `user ${email} listed`);
  return user;
}
