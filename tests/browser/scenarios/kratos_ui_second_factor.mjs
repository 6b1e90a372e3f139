// A Kratos UI (tests/peers/kratos-ui, calling Latchkey as Ory's reference UI does) with second
// factors: a user links an authenticator app and sets up recovery codes in settings; a password
// sign-in then lands on the second-factor step (a recovery code completes it); `refresh=true`
// asks for the password again; and after a password-only sign-in the UI's protected page sends
// the browser to `aal=aal2` with the relative `return_to=/sessions`, where the app's code
// brings the user back to that page.
//
// TOTP codes come from pyotp (lib.mjs), reading the secret off the page. Latchkey refuses a
// code twice, so the one step-up that uses the app takes the window after the enrolment's.

import { assert, field, pathOf, totp } from '../lib.mjs';
import {
  flowMessages, follow, form, press, serverRequests, shownFlow, shownSession, signInWithPassword,
  signUp, uiUrl,
} from '../kratos-ui.mjs';

const USER = { email: 'ada@example.com', password: 'correct horse battery 1', first: 'Ada', last: 'Lovelace' };
const SAVED = 1050001;

export default async function ({ base, page }) {
  const ui = uiUrl();
  const asked = serverRequests(page, base);
  await signUp(page, ui, USER);

  // Settings: link the app with the secret shown as text, then generate and confirm codes.
  await follow(page, 'Account Settings');
  shownFlow(page, '/settings');
  const secret = (await form(page, 'totp').locator('#totp_secret_key').innerText()).trim();
  assert.match(secret, /^[A-Z2-7]{16,}$/, `a base32 secret, got ${secret}`);
  assert.ok(await form(page, 'totp').locator('img#totp_qr').isVisible(), 'the QR code is shown');
  const enrolCode = totp(secret);
  await form(page, 'totp').getByLabel('Verify code', { exact: true }).fill(enrolCode);
  await press(form(page, 'totp'), page, 'Save');
  shownFlow(page, '/settings');
  assert.deepEqual(await flowMessages(page), [SAVED]);
  assert.equal(await form(page, 'totp').getByRole('button', { name: 'Unlink TOTP Authenticator App' }).count(), 1);

  // The code buttons are named `lookup_secret_regenerate` / `_confirm`, not `method`: the form
  // posts exactly what the nodes say, as the reference UI's forms do.
  await press(form(page, 'lookup_secret'), page, 'Generate new backup recovery codes');
  shownFlow(page, '/settings');
  const codes = await form(page, 'lookup_secret').locator('#lookup_secret_codes li').allInnerTexts();
  assert.ok(codes.length >= 8 && codes.every((c) => /^\S{8,}$/.test(c.trim())), `codes: ${codes}`);
  await press(form(page, 'lookup_secret'), page, 'Confirm backup recovery codes');
  assert.deepEqual(await flowMessages(page), [SAVED]);
  assert.equal(await form(page, 'lookup_secret').locator('#lookup_secret_codes').count(), 0, 'shown once');

  // Sign out, then in with the password: Latchkey sends the browser on to the second factor.
  await page.goto(`${ui}/`);
  await follow(page, 'Log out');
  await signInWithPassword(page, USER.email, USER.password);
  shownFlow(page, '/login');
  assert.equal(await page.locator('h1').innerText(), 'Second factor');
  assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0, 'only second factors');
  assert.equal(await form(page, 'totp').count(), 1);
  assert.equal(await form(page, 'lookup_secret').count(), 1);
  assert.ok(
    (await page.getByRole('link', { name: 'Log out', exact: true }).getAttribute('href')).startsWith(`${base}/self-service/logout?token=`),
    'the second-factor step offers a way out, as the reference UI does',
  );
  await form(page, 'lookup_secret').getByLabel('Backup recovery code', { exact: true }).fill(codes[0].trim());
  await press(form(page, 'lookup_secret'), page, 'Use backup recovery code');
  assert.equal(pathOf(page), '/welcome');
  await follow(page, 'Session Information');
  let session = await shownSession(page);
  assert.equal(session.aal, 'aal2');
  assert.deepEqual(session.methods, ['password', 'lookup_secret']);

  // refresh=true: the UI starts the flow with the other parameters present and empty; the
  // user proves it is them with the password and the session's authenticated_at moves on.
  const before = Date.parse(session.authenticatedAt);
  asked.length = 0;
  await page.goto(`${ui}/login?refresh=true`);
  shownFlow(page, '/login');
  assert.equal(asked[0], `GET ${base}/self-service/login/browser?aal=&refresh=true&return_to=&organization=&via=`);
  assert.equal(await page.locator('h1').innerText(), 'Confirm it is you');
  assert.equal(await page.getByLabel('ID', { exact: true }).count(), 0, 'the identifier is known');
  await form(page, 'password').getByLabel('Password', { exact: true }).fill(USER.password);
  await press(form(page, 'password'), page, 'Sign in');
  assert.equal(pathOf(page), '/welcome');
  await follow(page, 'Session Information');
  session = await shownSession(page);
  assert.ok(Date.parse(session.authenticatedAt) > before, `re-authenticated: ${session.authenticatedAt}`);
  assert.equal(session.aal, 'aal2');

  // A password-only session on the protected page: toSession answers 403 session_aal2_required
  // and the UI sends the browser to the second factor, returning to the relative /sessions.
  await follow(page, 'Log out');
  await signInWithPassword(page, USER.email, USER.password);
  assert.equal(await page.locator('h1').innerText(), 'Second factor');
  asked.length = 0;
  await page.goto(`${ui}/sessions`);
  shownFlow(page, '/login');
  assert.equal(asked[0], `GET ${base}/self-service/login/browser?aal=aal2&return_to=%2Fsessions`);
  assert.equal(await page.locator('h1').innerText(), 'Second factor');
  let code = totp(secret);
  if (code === enrolCode) code = totp(secret, 30);
  await form(page, 'totp').getByLabel('Authentication code', { exact: true }).fill(code);
  await press(form(page, 'totp'), page, 'Use Authenticator');
  session = await shownSession(page);
  assert.equal(session.aal, 'aal2');
  assert.deepEqual(session.methods, ['password', 'totp']);
}
