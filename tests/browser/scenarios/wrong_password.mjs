// Messages sit next to the fields they are about, and assistive technology is told so: a too
// short password at sign-up (a message on the password node) and a wrong password at sign-in
// (Kratos' flow-level "invalid credentials") are both described-by text of the password input.

import { assert, field, pathOf, press } from '../lib.mjs';

const EMAIL = 'grace@example.com';

/** The texts of the elements an input's aria-describedby names, and whether it is invalid. */
async function description(input) {
  return input.evaluate((el) => ({
    text: (el.getAttribute('aria-describedby') || '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.innerText ?? `<missing #${id}>`)
      .join('\n'),
    invalid: el.getAttribute('aria-invalid'),
  }));
}

/** Whether `message` comes after the input and before the form's first button. */
async function nextToField(input, message) {
  return input.evaluate((el, text) => {
    const form = el.closest('form');
    const found = [...form.querySelectorAll('.messages')].find((m) => m.innerText.includes(text));
    const button = form.querySelector('button');
    return Boolean(found)
      && Boolean(el.compareDocumentPosition(found) & Node.DOCUMENT_POSITION_FOLLOWING)
      && Boolean(found.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING);
  }, message);
}

export default async function ({ base, page }) {
  // Too short: the password plugin puts its message on the password node.
  await page.goto(`${base}/self-service/registration/browser`);
  await field(page, 'E-Mail').fill(EMAIL);
  await field(page, 'Password').fill('short');
  await press(page, 'Sign up');
  assert.equal(pathOf(page), '/ui/registration', 'the form is shown again');
  let password = field(page, 'Password');
  let described = await description(password);
  assert.equal(described.invalid, 'true');
  assert.match(described.text, /password/i, `the message: ${described.text}`);
  assert.equal(await field(page, 'E-Mail').inputValue(), EMAIL, 'what was typed is kept');
  assert.equal(await password.inputValue(), '', 'a password is never echoed');

  await password.fill('a long enough password 7');
  await press(page, 'Sign up');
  assert.equal(pathOf(page), '/');
  await page.getByRole('link', { name: 'Sign out' }).click();
  await page.waitForLoadState('load');

  // Wrong password.
  assert.equal(pathOf(page), '/ui/login');
  await field(page, 'ID').fill(EMAIL);
  await field(page, 'Password').fill('not the password');
  await press(page, 'Sign in with password');
  assert.equal(pathOf(page), '/ui/login');
  password = field(page, 'Password');
  described = await description(password);
  assert.equal(described.invalid, 'true');
  assert.match(described.text, /The provided credentials are invalid/);
  assert.ok(
    await nextToField(password, 'The provided credentials are invalid'),
    'the message is shown by the field, before the button',
  );
  assert.equal(await password.inputValue(), '');
  assert.equal(await field(page, 'ID').inputValue(), EMAIL);
  // The message reads as an error.
  assert.equal(
    await page.locator('.message.error').first().getAttribute('role'),
    'alert',
  );
}
