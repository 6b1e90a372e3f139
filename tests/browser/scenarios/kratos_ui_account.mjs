// A Kratos UI (tests/peers/kratos-ui, calling Latchkey as Ory's reference UI does) in front of
// Latchkey: a newcomer signs up, reads their session, changes their name and their password in
// settings, signs out through the logout link, and signs in again with the new password.
// Along the way the browser is sent to Latchkey's init URLs exactly as that UI builds them:
// login with every parameter present and empty, settings with an empty `return_to`.

import { assert, field, pathOf } from '../lib.mjs';
import {
  flowMessages, follow, form, land, press, serverRequests, shownFlow, shownSession,
  signInWithPassword, signUp, uiUrl,
} from '../kratos-ui.mjs';

const USER = { email: 'grace@example.com', password: 'correct horse battery 1', first: 'Grace', last: 'Hopper' };
const NEW_PASSWORD = 'a different horse battery 2';
const SAVED = 1050001;
const INVALID_CREDENTIALS = 4000006;

export default async function ({ base, page }) {
  const ui = uiUrl();
  const asked = serverRequests(page, base);

  await signUp(page, ui, USER);
  // No parameter was set, and the reference UI still appends the (empty) query's `?`.
  assert.equal(asked[0], `GET ${base}/self-service/registration/browser?`);

  await follow(page, 'Session Information');
  let session = await shownSession(page);
  assert.equal(session.email, USER.email);
  assert.deepEqual(session.name, { first: 'Grace', last: 'Hopper' }, 'nested traits from form fields');
  assert.equal(session.aal, 'aal1');
  assert.deepEqual(session.methods, ['password']);

  // Settings: the UI starts the flow with an empty return_to, then shows one form per group.
  asked.length = 0;
  await follow(page, 'Account Settings');
  const settingsFlow = shownFlow(page, '/settings');
  assert.equal(asked[0], `GET ${base}/self-service/settings/browser?return_to=`);
  const profile = form(page, 'profile');
  assert.equal(await profile.getByLabel('First Name', { exact: true }).inputValue(), 'Grace');
  await profile.getByLabel('First Name', { exact: true }).fill('Augusta');
  await press(profile, page, 'Save');
  assert.equal(shownFlow(page, '/settings'), settingsFlow, 'back on the same settings flow');
  assert.deepEqual(await flowMessages(page), [SAVED]);
  assert.equal(await form(page, 'profile').getByLabel('First Name', { exact: true }).inputValue(), 'Augusta');

  await form(page, 'password').getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await press(form(page, 'password'), page, 'Save');
  shownFlow(page, '/settings');
  assert.deepEqual(await flowMessages(page), [SAVED]);

  // Sign out with the link the UI got from createBrowserLogoutFlow: Latchkey ends the session
  // and sends the browser to logout's return URL, the UI's sign-in page.
  await page.goto(`${ui}/`);
  assert.equal(pathOf(page), '/welcome');
  const logoutHref = await page.getByRole('link', { name: 'Log out', exact: true }).getAttribute('href');
  assert.ok(logoutHref.startsWith(`${base}/self-service/logout?token=`), `a logout URL: ${logoutHref}`);
  asked.length = 0;
  await follow(page, 'Log out');
  shownFlow(page, '/login');
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  assert.deepEqual(asked, [
    `GET ${logoutHref}`,
    `GET ${base}/self-service/login/browser?aal=&refresh=&return_to=&organization=&via=`,
  ]);

  // The session is gone: the protected page sends the browser to sign in.
  await page.goto(`${ui}/sessions`);
  shownFlow(page, '/login');

  // The old password no longer works; the new one does.
  await signInWithPassword(page, USER.email, USER.password);
  shownFlow(page, '/login');
  assert.deepEqual(await flowMessages(page), [INVALID_CREDENTIALS]);
  assert.equal(await field(page, 'ID').inputValue(), USER.email, 'the identifier is kept');
  await signInWithPassword(page, USER.email, NEW_PASSWORD);
  assert.equal(pathOf(page), '/welcome');

  await land(page, () => page.getByRole('link', { name: 'Session Information', exact: true }).click());
  session = await shownSession(page);
  assert.deepEqual(session.name, { first: 'Augusta', last: 'Hopper' });
  assert.deepEqual(session.methods, ['password']);
}
