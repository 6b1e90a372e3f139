// A Kratos UI (tests/peers/kratos-ui, calling Latchkey as Ory's reference UI does) when things
// go wrong: a `return_to` Latchkey does not allow sends the browser to the UI's error page,
// which fetches the stored error with getFlowError; a flow or error id Latchkey does not know
// is handled the way that UI handles it (a fresh flow; "Failed to fetch error details"); and
// the protected pages send a signed-out browser to sign in.

import { assert, pathOf } from '../lib.mjs';
import { serverRequests, shownFlow, uiUrl } from '../kratos-ui.mjs';

const FOREIGN = 'https://elsewhere.example/phish';

export default async function ({ base, page }) {
  const ui = uiUrl();
  const asked = serverRequests(page, base);

  // A forbidden return_to: Latchkey stores the error and sends the browser to the error UI.
  await page.goto(`${ui}/login?return_to=${encodeURIComponent(FOREIGN)}`);
  assert.equal(
    asked[0],
    `GET ${base}/self-service/login/browser?aal=&refresh=&return_to=${encodeURIComponent(FOREIGN)}&organization=&via=`,
  );
  assert.equal(pathOf(page), '/error', `on the error page, not ${page.url()}`);
  assert.match(new URL(page.url()).searchParams.get('id') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(await page.locator('h1').innerText(), 'An error occurred');
  assert.equal(await page.locator('#error-id').innerText(), 'self_service_flow_return_to_forbidden');
  assert.equal(await page.locator('#error-code').innerText(), '400');
  assert.match(await page.locator('#error-reason').innerText(), /return_to/);
  assert.ok(!page.url().includes('elsewhere.example'), 'the browser never went there');

  // A flow id Latchkey does not know (404): the UI starts a fresh flow.
  const unknown = '4f6a1a5e-58c4-4c5e-9a1e-1b2c3d4e5f60';
  await page.goto(`${ui}/login?flow=${unknown}`);
  const fresh = shownFlow(page, '/login');
  assert.notEqual(fresh, unknown);
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  await page.goto(`${ui}/registration?flow=${unknown}`);
  assert.notEqual(shownFlow(page, '/registration'), unknown);

  // An error id Latchkey does not know: the UI's own fallback, from a 404 in Kratos' shape.
  await page.goto(`${ui}/error?id=${unknown}`);
  assert.equal(pathOf(page), '/error');
  assert.equal(await page.locator('#error-id').innerText(), 'Failed to fetch error details');
  assert.ok((await page.locator('#error-message').innerText()).length > 0, 'with the server\'s message');

  // Signed out, the protected pages send the browser to sign in.
  for (const path of ['/sessions', '/settings']) {
    await page.goto(`${ui}${path}`);
    shownFlow(page, '/login');
  }
}
