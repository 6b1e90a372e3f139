// Runs one browser scenario against a running server:
//   LATCHKEY_PUBLIC_URL=http://127.0.0.1:4433 node run.mjs <scenario>
// A scenario is `scenarios/<name>.mjs`, exporting a default async function that gets
// `{ base, admin, page, context, launch }`; it fails by throwing. The black-box tests in
// tests/blackbox/browser_ui.rs start the server (with whatever config the scenario needs) and
// call this script.

import { launch, server } from './lib.mjs';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: node run.mjs <scenario>');
  process.exit(2);
}

const scenario = (await import(`./scenarios/${name}.mjs`)).default;
const { url, admin } = server();
const started = Date.now();
const browser = await launch();
try {
  await scenario({ base: url, admin, page: browser.page, context: browser.context, launch });
  console.log(`scenario ${name}: passed in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`scenario ${name}: FAILED on ${browser.page.url()}`);
  console.error(err && err.stack ? err.stack : err);
  try {
    const text = await browser.page.locator('main').innerText({ timeout: 1000 });
    console.error(`--- the page said ---\n${text}`);
  } catch {
    // The page may be gone; the error above is what matters.
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
