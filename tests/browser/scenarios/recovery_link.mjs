// Recovery by link from the built-in pages: the address typed on the recovery page, the link
// read from the mail the SMTP peer received (LATCHKEY_MAIL_FILE, one JSON object per line),
// and the link followed in the same browser, which lands signed in on the settings page with
// the password form. LATCHKEY_RECOVERY_EMAIL is the registered address.

import { readFileSync } from 'node:fs';
import { assert, field, pathOf, press, screenshot } from '../lib.mjs';

/** The link in the first recovery mail to `to`, waiting for it up to 15 seconds. */
async function linkMailedTo(file, to) {
  const deadline = Date.now() + 15000;
  for (;;) {
    let lines = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch {
      // Nothing received yet.
    }
    const mail = lines.map((l) => JSON.parse(l)).find((m) => (m.to || '').includes(to) && /Recover/.test(m.subject || ''));
    if (mail) {
      const link = (mail.text || '').match(/https?:\/\/\S*token=[0-9a-f]+/);
      assert.ok(link, `a link in the mail: ${mail.text}`);
      return link[0];
    }
    assert.ok(Date.now() < deadline, `no mail to ${to} in ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export default async function ({ base, page }) {
  const email = process.env.LATCHKEY_RECOVERY_EMAIL;
  const mails = process.env.LATCHKEY_MAIL_FILE;
  assert.ok(email && mails, 'LATCHKEY_RECOVERY_EMAIL and LATCHKEY_MAIL_FILE are set');

  await page.goto(`${base}/self-service/recovery/browser`);
  assert.equal(pathOf(page), '/ui/recovery');
  await field(page, 'Email').fill(email);
  await press(page, 'Submit');
  assert.equal(pathOf(page), '/ui/recovery', 'the form is shown again');
  assert.match(await page.locator('main').innerText(), /recovery link has been sent/);
  await screenshot(page, 'recovery-link-sent');

  const link = await linkMailedTo(mails, email);
  assert.ok(link.startsWith(`${base}/self-service/recovery?flow=`), link);
  await page.goto(link);
  await page.waitForLoadState('load');
  assert.equal(pathOf(page), '/ui/settings', `on the settings page, not ${page.url()}`);
  assert.match(await page.locator('main').innerText(), /successfully recovered your account/);
  const password = page.locator('input[name="password"]');
  assert.equal(await password.count(), 1, 'the password form is shown');
  assert.ok(await password.isVisible());
  await screenshot(page, 'recovery-link-settings');
}
