// Pieces of the `kratos_ui_*` scenarios, which drive the Kratos UI of tests/peers/kratos-ui (a
// front end written for Kratos, calling Latchkey as Ory's reference UI does) rather than the
// built-in pages. tests/blackbox/kratos_ui.rs starts both servers and names the UI in
// KRATOS_UI_URL.

import { assert, field, pathOf } from './lib.mjs';

/** The UI under test. */
export function uiUrl() {
  const url = process.env.KRATOS_UI_URL;
  assert.ok(url, 'KRATOS_UI_URL names the Kratos UI under test');
  return url.replace(/\/$/, '');
}

/**
 * Every request the browser makes to the server (`base`), each hop of a redirect chain
 * included, as `METHOD url` strings in order: what the UI sent the browser to.
 */
export function serverRequests(page, base) {
  const seen = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${base}/`)) seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

/**
 * Runs `action` (a click that submits or follows a link) and waits until the page it leads
 * to, after every redirect, has loaded.
 */
export async function land(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

/** The form of one node group, as the UI renders a flow. */
export function form(page, group) {
  return page.locator(`form[data-group="${group}"]`);
}

/** Presses a button of a form, or of the page, by its text. */
export async function press(scope, page, text) {
  await land(page, () => scope.getByRole('button', { name: text, exact: true }).click());
}

/** Follows a link by its text. */
export async function follow(page, text) {
  await land(page, () => page.getByRole('link', { name: text, exact: true }).click());
}

/** The flow the page shows (its `?flow=`), checking the page is the UI's `path`. */
export function shownFlow(page, path) {
  assert.equal(pathOf(page), path, `on the UI's ${path}, not ${page.url()}`);
  const id = new URL(page.url()).searchParams.get('flow');
  assert.match(id ?? '', /^[0-9a-f-]{36}$/, `a flow id in ${page.url()}`);
  return id;
}

/** The ids of the messages the flow shows above its forms. */
export async function flowMessages(page) {
  return page.locator('#flow-messages li').evaluateAll((items) => items.map((li) => Number(li.dataset.id)));
}

/** The UI's session page, as shown. */
export async function shownSession(page) {
  assert.equal(pathOf(page), '/sessions', `on the session page, not ${page.url()}`);
  const text = (id) => page.locator(`#session-${id}`).innerText();
  return {
    email: await text('trait-email'),
    name: JSON.parse(await text('trait-name')),
    aal: await text('aal'),
    authenticatedAt: await text('authenticated-at'),
    methods: await page.locator('#session-methods li').evaluateAll((items) => items.map((li) => li.dataset.method)),
  };
}

/** Signs up through the UI's registration page; the browser ends on the UI's welcome page. */
export async function signUp(page, ui, { email, password, first, last }) {
  await page.goto(`${ui}/registration`);
  shownFlow(page, '/registration');
  assert.equal(await page.locator('h1').innerText(), 'Create account');
  await field(page, 'E-Mail').fill(email);
  await field(page, 'First Name').fill(first);
  await field(page, 'Last Name').fill(last);
  await field(page, 'Password').fill(password);
  await press(form(page, 'password'), page, 'Sign up');
  assert.equal(pathOf(page), '/welcome', `signed up, then on ${page.url()}`);
  assert.equal(await page.locator('#signed-in-as').innerText(), `Signed in as ${email}`);
}

/** Signs in with a password on the UI's sign-in page the browser is on. */
export async function signInWithPassword(page, identifier, password) {
  shownFlow(page, '/login');
  await field(page, 'ID').fill(identifier);
  await field(page, 'Password').fill(password);
  await press(form(page, 'password'), page, 'Sign in with password');
}
