// A newcomer signs up with a password, links an authenticator app in settings (the code comes
// from pyotp, reading the secret off the page), signs out, and signs in again: the password
// first, then the second factor; the session page then shows aal2 and both methods.

import {
  assert, field, follow, pathOf, press, screenshot, shownSession, totp,
} from '../lib.mjs';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery 1';

export default async function ({ base, page }) {
  await page.goto(`${base}/`);
  assert.equal(pathOf(page), '/ui/login', 'a newcomer lands on the sign-in page');
  await screenshot(page, 'login');

  await follow(page, 'Create one');
  assert.equal(pathOf(page), '/ui/registration');
  await field(page, 'E-Mail').fill(EMAIL);
  await field(page, 'Password').fill(PASSWORD);
  await screenshot(page, 'registration');
  await press(page, 'Sign up');

  let session = await shownSession(page);
  assert.equal(session.aal, 'aal1');
  assert.deepEqual(session.methods, ['password']);
  assert.match(await page.locator('main').innerText(), new RegExp(EMAIL));

  // Settings: the TOTP section shows the secret as text; an independent oracle computes the code.
  await follow(page, 'Account settings');
  assert.equal(pathOf(page), '/ui/settings');
  const totpForm = page.locator('form[data-group="totp"]');
  const secret = (await totpForm.locator('#totp_secret_key').innerText()).trim();
  assert.match(secret, /^[A-Z2-7]{16,}$/, `a base32 secret, got ${secret}`);
  assert.ok(await totpForm.locator('img#totp_qr').isVisible(), 'the QR code is shown');
  await screenshot(page, 'settings');
  const enrolCode = totp(secret);
  await totpForm.getByLabel('Verify code', { exact: true }).fill(enrolCode);
  await screenshot(totpForm, 'totp-enrolment');
  await Promise.all([
    page.waitForLoadState('load'),
    totpForm.getByRole('button', { name: 'Save', exact: true }).click(),
  ]);
  assert.equal(pathOf(page), '/ui/settings');
  assert.match(await page.locator('#flow-messages').innerText(), /Your changes have been saved!/);
  assert.ok(
    await page.getByRole('button', { name: 'Unlink TOTP Authenticator App' }).isVisible(),
    'the app is linked',
  );

  // Recovery codes: buttons that are not `method` buttons, and a text node listing the codes.
  const codesForm = () => page.locator('form[data-group="lookup_secret"]');
  await Promise.all([
    page.waitForLoadState('load'),
    codesForm().getByRole('button', { name: 'Generate new backup recovery codes' }).click(),
  ]);
  const codes = await codesForm().locator('#lookup_secret_codes li').allInnerTexts();
  assert.ok(codes.length >= 8 && codes.every((c) => c.trim().length >= 8), `codes: ${codes}`);
  await Promise.all([
    page.waitForLoadState('load'),
    codesForm().getByRole('button', { name: 'Confirm backup recovery codes' }).click(),
  ]);
  assert.match(await page.locator('#flow-messages').innerText(), /Your changes have been saved!/);
  assert.equal(await codesForm().locator('#lookup_secret_codes').count(), 0, 'shown once');

  await follow(page, 'Back to your account');
  session = await shownSession(page);
  assert.equal(session.aal, 'aal2', 'setting up the app proved it');

  // Sign out, then sign in: the password is not enough any more.
  await follow(page, 'Sign out');
  assert.equal(pathOf(page), '/ui/login', 'signing out lands on the sign-in page');
  await field(page, 'ID').fill(EMAIL);
  await field(page, 'Password').fill(PASSWORD);
  await press(page, 'Sign in with password');
  assert.equal(pathOf(page), '/ui/login');
  assert.equal(await page.locator('h1').innerText(), 'Confirm with your authenticator');
  assert.equal(await page.getByLabel('Password').count(), 0, 'only second factors are asked for');
  assert.equal(await page.getByLabel('Backup recovery code').count(), 1, 'either second factor');

  // The session page knows the second factor is due and offers it.
  await page.goto(`${base}/`);
  session = await shownSession(page);
  assert.equal(session.aal, 'aal1');
  await follow(page, 'Confirm with your authenticator');
  assert.equal(pathOf(page), '/ui/login');
  await screenshot(page, 'second-factor');

  // The code that linked the app is spent: use the next one when the window has not moved on.
  let code = totp(secret);
  if (code === enrolCode) code = totp(secret, 30);
  await field(page, 'Authentication code').fill(code);
  await press(page, 'Use Authenticator');

  session = await shownSession(page);
  assert.equal(session.aal, 'aal2');
  assert.deepEqual(session.methods, ['password', 'totp']);
  const since = Date.now() - Date.parse(session.authenticatedAt);
  assert.ok(since >= 0 && since < 120_000, `authenticated_at is the step-up: ${session.authenticatedAt}`);
  await screenshot(page, 'session');
}
