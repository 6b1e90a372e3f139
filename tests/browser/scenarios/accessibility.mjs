// Every page a person meets is usable with a keyboard alone and a screen reader: a language,
// a viewport, a bound label for every input, a focus ring that shows, a tab order that follows
// the page, and no sideways scrolling on a 360px phone.

import { assert, field, pathOf, press } from '../lib.mjs';

const EMAIL = 'keys@example.com';
const PASSWORD = 'typed with keys only 9';

async function checkPage(page, what) {
  const facts = await page.evaluate(() => {
    const visible = (el) => el.type !== 'hidden' && el.getClientRects().length > 0;
    const inputs = [...document.querySelectorAll('input, select, textarea')].filter(visible);
    const unlabelled = inputs
      .filter((el) => {
        const label = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        return !label || !label.innerText.trim();
      })
      .map((el) => el.name || el.outerHTML);
    const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    const danglingDescriptions = inputs
      .flatMap((el) => (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean))
      .filter((id) => !document.getElementById(id));
    const positiveTabindex = [...document.querySelectorAll('[tabindex]')]
      .filter((el) => el.tabIndex > 0).length;
    const unnamedButtons = [...document.querySelectorAll('button, a[href]')]
      .filter((el) => !el.innerText.trim() && !el.getAttribute('aria-label')).length;
    const images = [...document.querySelectorAll('img')].filter((img) => !img.alt).length;
    return {
      lang: document.documentElement.lang,
      viewport: document.querySelector('meta[name="viewport"]')?.content ?? '',
      h1: document.querySelectorAll('h1').length,
      unlabelled, duplicates, danglingDescriptions, positiveTabindex, unnamedButtons, images,
    };
  });
  assert.equal(facts.lang, 'en', `${what}: <html lang>`);
  assert.match(facts.viewport, /width=device-width/, `${what}: viewport`);
  assert.equal(facts.h1, 1, `${what}: one heading`);
  assert.deepEqual(facts.unlabelled, [], `${what}: inputs without a bound label`);
  assert.deepEqual(facts.duplicates, [], `${what}: duplicate ids`);
  assert.deepEqual(facts.danglingDescriptions, [], `${what}: aria-describedby to nothing`);
  assert.equal(facts.positiveTabindex, 0, `${what}: tabindex > 0 reorders the keyboard`);
  assert.equal(facts.unnamedButtons, 0, `${what}: buttons or links without a name`);
  assert.equal(facts.images, 0, `${what}: images without alt text`);
  await checkKeyboard(page, what);
  await checkPhone(page, what);
}

/** Tabbing from the top reaches every control once, in page order, each with a visible ring. */
async function checkKeyboard(page, what) {
  const expected = await page.evaluate(() =>
    [...document.querySelectorAll('a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled])')]
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => el.id || el.getAttribute('href') || el.name));
  await page.evaluate(() => document.activeElement?.blur());
  await page.locator('body').focus();
  const seen = [];
  for (let i = 0; i < expected.length; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return {
        key: el.id || el.getAttribute('href') || el.name,
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    assert.ok(focused.outline, `${what}: no visible focus on ${focused.key}`);
    seen.push(focused.key);
  }
  assert.deepEqual(seen, expected, `${what}: tab order`);
}

async function checkPhone(page, what) {
  const before = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: ${overflow}px wider than a 360px phone`);
  await page.setViewportSize(before);
}

export default async function ({ base, page }) {
  await page.goto(`${base}/self-service/registration/browser`);
  await checkPage(page, 'registration');

  // Sign up with the keyboard alone: type, Tab, type, Enter.
  await field(page, 'E-Mail').focus();
  await page.keyboard.type(EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.keyboard.press('Enter')]);
  await checkPage(page, 'session');

  await page.goto(`${base}/self-service/settings/browser`);
  assert.equal(pathOf(page), '/ui/settings');
  await checkPage(page, 'settings');

  await page.getByRole('link', { name: 'Sign out' }).click();
  await page.waitForLoadState('load');
  assert.equal(pathOf(page), '/ui/login');
  await checkPage(page, 'login');

  await field(page, 'ID').fill(EMAIL);
  await field(page, 'Password').fill('wrong password here');
  await press(page, 'Sign in with password');
  await checkPage(page, 'login with an error');

  await page.goto(`${base}/self-service/logout?token=forged`);
  await checkPage(page, 'error');
}
