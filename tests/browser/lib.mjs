// Shared pieces of the browser scenarios: a fresh headless Chromium per scenario, a TOTP oracle
// independent of the server, screenshots on request, and checks a person would make.

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export { assert };

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Without the background-networking flags Chromium tries to reach its update and sync
// services, which a closed network turns into stalls.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The server under test, from the environment the runner sets. */
export function server() {
  const url = process.env.LATCHKEY_PUBLIC_URL;
  assert.ok(url, 'LATCHKEY_PUBLIC_URL names the server under test');
  return { url: url.replace(/\/$/, ''), admin: process.env.LATCHKEY_ADMIN_URL };
}

/**
 * A fresh browser with its own profile. `options.javaScriptEnabled` is false by default: the
 * pages must work without JavaScript. Closed by `close()`.
 */
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport || { width: 800, height: 900 },
    javaScriptEnabled: options.javaScriptEnabled ?? false,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] || (await context.newPage());
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** The TOTP code for `secret` at now + `offset` seconds, computed by pyotp. */
export function totp(secret, offset = 0) {
  const code = execFileSync(process.env.LATCHKEY_TEST_PYTHON || 'python3', [
    '-c',
    'import pyotp, sys, time; print(pyotp.TOTP(sys.argv[1]).at(time.time() + int(sys.argv[2])))',
    secret,
    String(offset),
  ]);
  return code.toString().trim();
}

let screenshotDirChecked;

/** The writable directory screenshots go to, or null (not asked for, or not writable). */
function screenshotDir() {
  if (screenshotDirChecked !== undefined) return screenshotDirChecked;
  const dir = process.env.LATCHKEY_SCREENSHOT_DIR;
  screenshotDirChecked = null;
  if (dir) {
    try {
      // Not `recursive`: on some special file systems that loops forever.
      if (!existsSync(dir)) mkdirSync(dir);
      accessSync(dir, constants.W_OK);
      screenshotDirChecked = dir;
    } catch (err) {
      console.warn(`screenshots skipped: ${dir} is not writable (${err.code || err.message})`);
    }
  }
  return screenshotDirChecked;
}

/**
 * Saves `<name>.png` of a whole page, or of one element (a locator), when
 * LATCHKEY_SCREENSHOT_DIR is set.
 */
export async function screenshot(target, name) {
  const dir = screenshotDir();
  if (!dir) return;
  const whole = typeof target.goto === 'function';
  try {
    await target.screenshot({ path: join(dir, `${name}.png`), ...(whole ? { fullPage: true } : {}) });
  } catch (err) {
    console.warn(`screenshot ${name} skipped: ${err.message}`);
  }
}

/** The input a visible label names, found the way a person would: by the label's text. */
export function field(page, label) {
  return page.getByLabel(label, { exact: true });
}

/** Submits the form holding the button with this text (as a user clicking it). */
export async function press(page, text) {
  await Promise.all([
    page.waitForLoadState('load'),
    page.getByRole('button', { name: text, exact: true }).click(),
  ]);
}

/** Follows the link with this text. */
export async function follow(page, text) {
  await page.getByRole('link', { name: text, exact: true }).click();
  await page.waitForLoadState('load');
}

/** The path of the page the browser is on. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** The session page's facts, as shown. */
export async function shownSession(page) {
  assert.equal(pathOf(page), '/', `on the session page, not ${page.url()}`);
  const aal = (await page.locator('#session-aal').getAttribute('data-aal')) ?? '';
  const methods = await page.locator('#session-methods li').evaluateAll((items) =>
    items.map((li) => li.getAttribute('data-method')),
  );
  const authenticatedAt = await page.locator('#session-authenticated-at').getAttribute('datetime');
  return { aal, methods, authenticatedAt };
}
