// Signing up, out and in again through an OpenID provider from the built-in pages: the
// provider's button, the provider's own login and consent pages, and back to the session page,
// which names the provider. LATCHKEY_OIDC_PROVIDER is the provider's button label.

import { assert, field, follow, pathOf, screenshot, shownSession } from '../lib.mjs';

const LOGIN = 'ada@example.org';

/** At the provider: sign in as LOGIN and consent, until the browser is back at `base`. */
async function throughProvider(page, base) {
  for (let i = 0; i < 4 && !page.url().startsWith(base); i += 1) {
    const login = page.locator('input[name="login"]');
    if (await login.count()) {
      await login.fill(LOGIN);
      await page.locator('input[name="password"]').fill('any');
    }
    await Promise.all([
      page.waitForNavigation(),
      page.locator('form button[type="submit"]').first().click(),
    ]);
  }
  assert.ok(page.url().startsWith(base), `back at Latchkey, not ${page.url()}`);
}

export default async function ({ base, page }) {
  const provider = process.env.LATCHKEY_OIDC_PROVIDER;
  await page.goto(`${base}/`);
  assert.equal(pathOf(page), '/ui/login');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: `Sign in with ${provider}`, exact: true }).click(),
  ]);
  assert.ok(!page.url().startsWith(base), `sent to the provider: ${page.url()}`);
  await throughProvider(page, base);

  let session = await shownSession(page);
  assert.equal(session.aal, 'aal1');
  assert.deepEqual(session.methods, ['oidc']);
  assert.match(await page.locator('main').innerText(), new RegExp(LOGIN));
  await screenshot(page, 'session-oidc');

  // Signed out and in again: the same identity, through the provider's button.
  await follow(page, 'Sign out');
  assert.equal(pathOf(page), '/ui/login');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: `Sign in with ${provider}`, exact: true }).click(),
  ]);
  await throughProvider(page, base);
  session = await shownSession(page);
  assert.deepEqual(session.methods, ['oidc']);
  assert.equal(await field(page, 'Password').count(), 0);
}
