// A Kratos UI (tests/peers/kratos-ui, calling Latchkey as Ory's reference UI does) when a
// credential change needs a recent sign-in: once `privileged_session_max_age` has passed, the
// password form's submission sends the browser to `login/browser?refresh=true` with
// `return_to` naming the same settings flow; the user confirms with the current password, is
// brought back to that flow, and the change goes through. The new password then signs in.

import { assert, pathOf } from '../lib.mjs';
import {
  flowMessages, follow, form, press, serverRequests, shownFlow, signInWithPassword, signUp, uiUrl,
} from '../kratos-ui.mjs';

const USER = { email: 'barbara@example.com', password: 'correct horse battery 1', first: 'Barbara', last: 'Liskov' };
const NEW_PASSWORD = 'a different horse battery 2';
const SAVED = 1050001;

export default async function ({ base, page }) {
  const ui = uiUrl();
  const window = Number(process.env.PRIVILEGED_SESSION_MAX_AGE_SECS);
  assert.ok(window > 0 && window < 60, 'PRIVILEGED_SESSION_MAX_AGE_SECS names a short window');
  const asked = serverRequests(page, base);

  await signUp(page, ui, USER);
  const signedUpAt = Date.now();
  await follow(page, 'Account Settings');
  const settingsFlow = shownFlow(page, '/settings');

  // Let the sign-in grow old, as it would over a long visit.
  await page.waitForTimeout(Math.max(0, signedUpAt + window * 1000 + 500 - Date.now()));
  await form(page, 'password').getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  asked.length = 0;
  await press(form(page, 'password'), page, 'Save');
  shownFlow(page, '/login');
  assert.equal(await page.locator('h1').innerText(), 'Confirm it is you');
  const refresh = new URL(asked.find((r) => r.startsWith(`GET ${base}/self-service/login/browser?`)).slice(4));
  assert.equal(refresh.searchParams.get('refresh'), 'true');
  const back = new URL(refresh.searchParams.get('return_to'));
  assert.equal(`${back.origin}${back.pathname}`, `${ui}/settings`);
  assert.equal(back.searchParams.get('flow'), settingsFlow, 'back to the same settings flow');

  await form(page, 'password').getByLabel('Password', { exact: true }).fill(USER.password);
  await press(form(page, 'password'), page, 'Sign in');
  assert.equal(shownFlow(page, '/settings'), settingsFlow);
  await form(page, 'password').getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await press(form(page, 'password'), page, 'Save');
  assert.equal(shownFlow(page, '/settings'), settingsFlow);
  assert.deepEqual(await flowMessages(page), [SAVED]);

  await page.goto(`${ui}/`);
  await follow(page, 'Log out');
  await signInWithPassword(page, USER.email, NEW_PASSWORD);
  assert.equal(pathOf(page), '/welcome');
}
