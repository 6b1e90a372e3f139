// A browser that runs into an error reads what happened and gets a way on; an unknown flow
// sends it to a fresh one instead of an error.

import { assert, follow, pathOf, screenshot } from '../lib.mjs';

export default async function ({ base, page }) {
  const resp = await page.goto(`${base}/self-service/logout?token=forged`);
  assert.equal(resp.status(), 401);
  assert.equal(await page.locator('h1').innerText(), 'Something went wrong');
  const text = await page.locator('main').innerText();
  assert.match(text, /No active session was found in this request\./);
  assert.match(text, /session_inactive/);
  await screenshot(page, 'error');
  await follow(page, 'Start again');
  assert.equal(pathOf(page), '/ui/login');

  await page.goto(`${base}/ui/login?flow=00000000-0000-4000-8000-000000000000`);
  assert.equal(pathOf(page), '/ui/login');
  const fresh = new URL(page.url()).searchParams.get('flow');
  assert.ok(fresh && fresh !== '00000000-0000-4000-8000-000000000000', 'a fresh flow');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
}
