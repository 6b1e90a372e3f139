// A browser that runs into an error is sent to the error page, reads what happened there and
// gets a way on; an unknown flow sends it to a fresh one instead of an error.

import { assert, follow, pathOf, screenshot } from '../lib.mjs';

export default async function ({ base, page }) {
  const resp = await page.goto(`${base}/self-service/logout?token=forged`);
  assert.equal(pathOf(page), '/ui/error', 'sent on to the error page');
  assert.ok(new URL(page.url()).searchParams.get('id'), 'the error page names the stored error');
  assert.equal(resp.status(), 401);
  assert.equal(await page.locator('h1').innerText(), 'Something went wrong');
  const text = await page.locator('main').innerText();
  assert.match(text, /No active session was found in this request\./);
  assert.match(text, /session_inactive/);
  await screenshot(page, 'error');

  // Reloading the error page shows the same error.
  const again = await page.reload();
  assert.equal(again.status(), 401);
  assert.match(await page.locator('main').innerText(), /session_inactive/);

  await follow(page, 'Start again');
  assert.equal(pathOf(page), '/ui/login');

  await page.goto(`${base}/ui/login?flow=00000000-0000-4000-8000-000000000000`);
  assert.equal(pathOf(page), '/ui/login');
  const fresh = new URL(page.url()).searchParams.get('flow');
  assert.ok(fresh && fresh !== '00000000-0000-4000-8000-000000000000', 'a fresh flow');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
}
