// A server-rendered Kratos self-service UI that talks to the server the way Ory's reference UI
// (kratos-selfservice-ui-node, src/routes/*.ts and src/pkg/*.ts) does, with the same SDK
// (`@ory/client`, the version that UI pins), so a test can prove an existing Kratos front end
// works unchanged. It is written from scratch; what each route mirrors:
//
//   GET /             303 to the relative `welcome`, as the reference's router does.
//   GET /welcome      setSession: toSession({cookie}); a 403 starts the second factor
//                     (login/browser?aal=aal2&return_to=<this request's relative URL>), any
//                     other error renders signed out; the logout link comes from
//                     createBrowserLogoutFlow({cookie, returnTo: return_to || ""}).
//   GET /login        without ?flow=: 303 to login/browser?aal=&refresh=&return_to=
//                     &organization=&via= (every parameter, empty or not); with it:
//                     getLoginFlow({id, cookie}), the nodes as a form posting to ui.action, a
//                     sign-up link (registration/browser?return_to=…) and, for aal2 or refresh
//                     flows, a logout link; SDK errors go through redirectOnSoftError.
//   GET /registration without ?flow=: 303 to registration/browser with only the parameters
//                     that are set; with it: getRegistrationFlow({id, cookie}).
//   GET /settings     requireAuth (skipped when ?flow= is a UUID), then settings/browser
//                     ?return_to= or getSettingsFlow({id, cookie}), one form per node group.
//   GET /sessions     requireAuth: toSession({cookie}); 403 → login/browser?aal=aal2
//                     &return_to=/sessions (relative), other errors → login/browser; then the
//                     session, with createBrowserLogoutFlow({cookie}).
//   GET /error        getFlowError({id}); a failed fetch is shown as "Failed to fetch error
//                     details", both with status 200.
//
// redirectOnSoftError (the reference's only SDK error handler): no response → the 500 page;
// 401 → login/browser?return_to=<the flow's init URL>; 403/404/410 → `redirect_browser_to` when
// the error is session_aal2_required, else the flow's init URL (a fresh flow); anything else →
// the 500 page. Form submissions go from the browser straight to the server, never through here.
//
// Environment: KRATOS_PUBLIC_URL (the server, for the SDK and the browser), PORT. Prints its URL
// on stdout once listening.

import http from 'node:http';
import { Configuration, FrontendApi } from '@ory/client';

const kratos = (process.env.KRATOS_PUBLIC_URL || '').replace(/\/$/, '');
if (!kratos) {
  console.error('KRATOS_PUBLIC_URL names the Kratos public API');
  process.exit(2);
}
const frontend = new FrontendApi(new Configuration({ basePath: kratos }));

const isUUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const isSet = (value) => typeof value === 'string' && value.length > 0;
const initUrl = (flow, query) => `${kratos}/self-service/${flow}/browser${query ? `?${query}` : ''}`;

// ---- responses ------------------------------------------------------------------------------

const escape = (value) =>
  String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function redirect(res, location, status = 302) {
  res.writeHead(status, { Location: location });
  res.end();
}

function page(res, title, body, status = 200) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

function messages(list, id) {
  if (!list || list.length === 0) return '';
  const items = list.map((m) => `<li data-id="${m.id}" data-type="${escape(m.type)}">${escape(m.text)}</li>`);
  return `<ul${id ? ` id="${id}"` : ''} class="messages">${items.join('')}</ul>`;
}

// ---- ui.nodes as HTML -----------------------------------------------------------------------

function label(node) {
  const a = node.attributes;
  if (a.node_type === 'a') return a.title?.text || '';
  if (a.node_type === 'input' && a.label?.text) return a.label.text;
  return node.meta?.label?.text || '';
}

function renderNode(node) {
  const a = node.attributes;
  const text = label(node);
  switch (a.node_type) {
    case 'input': {
      if (a.type === 'hidden') {
        return `<input type="hidden" name="${escape(a.name)}" value="${escape(a.value)}">`;
      }
      if (a.type === 'submit' || a.type === 'button') {
        return `<button type="submit" name="${escape(a.name)}" value="${escape(a.value)}">${escape(text)}</button>`;
      }
      const value = a.type === 'checkbox' ? 'true' : a.value;
      const checked = a.type === 'checkbox' && a.value === true ? ' checked' : '';
      return `<label>${escape(text)} <input type="${escape(a.type)}" name="${escape(a.name)}"${
        value === undefined || value === null ? '' : ` value="${escape(value)}"`
      }${a.required ? ' required' : ''}${a.disabled ? ' disabled' : ''}${
        a.autocomplete ? ` autocomplete="${escape(a.autocomplete)}"` : ''
      }${checked}></label>${messages(node.messages)}`;
    }
    case 'text': {
      const secrets = a.text?.context?.secrets;
      const shown = Array.isArray(secrets)
        ? `<ul id="${escape(a.id)}">${secrets.map((s) => `<li>${escape(s.text)}</li>`).join('')}</ul>`
        : `<code id="${escape(a.id)}">${escape(a.text?.text)}</code>`;
      return `<div class="text"><p>${escape(text)}</p>${shown}</div>`;
    }
    case 'img':
      return `<img id="${escape(a.id)}" src="${escape(a.src)}" alt="${escape(text)}">`;
    case 'a':
      return `<a id="${escape(a.id)}" href="${escape(a.href)}">${escape(text)}</a>`;
    default:
      return ''; // scripts (WebAuthn) need JavaScript, which this UI does without
  }
}

/** One form per method group, each carrying the `default` group (the CSRF token, identifier). */
function forms(ui) {
  const common = ui.nodes.filter((n) => n.group === 'default');
  const groups = [...new Set(ui.nodes.map((n) => n.group).filter((g) => g !== 'default'))];
  return groups
    .map((group) => {
      const nodes = [...common, ...ui.nodes.filter((n) => n.group === group)];
      return `<form data-group="${escape(group)}" action="${escape(ui.action)}" method="${escape(ui.method)}">
${nodes.map(renderNode).join('\n')}</form>`;
    })
    .join('\n');
}

function flowPage(res, title, flow, links) {
  const nav = links.filter(([, href]) => href).map(([text, href]) => `<a href="${escape(href)}">${escape(text)}</a>`);
  page(res, title, `${messages(flow.ui.messages, 'flow-messages')}${forms(flow.ui)}<nav>${nav.join(' ')}</nav>`);
}

// ---- the reference's error handling ---------------------------------------------------------

function serverError(res, err) {
  console.error(`ui: ${err.message}${err.response ? ` (${err.response.status} ${JSON.stringify(err.response.data)})` : ''}`);
  page(res, 'Internal Server Error', `<p id="error-message">An internal server error occurred.</p>`, 500);
}

const redirectOnSoftError = (res, redirectTo) => (err) => {
  if (!err.response) return serverError(res, err);
  const { status, data } = err.response;
  if (status === 401) {
    return redirect(res, initUrl('login', new URLSearchParams({ return_to: redirectTo })));
  }
  if (status === 404 || status === 410 || status === 403) {
    if (data?.error?.id === 'session_aal2_required') {
      return redirect(res, data.redirect_browser_to || redirectTo);
    }
    return redirect(res, redirectTo);
  }
  return serverError(res, err);
};

/** A 403 from toSession means the second factor is due: start it, coming back here after. */
function maybeInitiate2FA(req, res, err) {
  if (err.response?.status !== 403) return false;
  const returnTo = req.headers['x-original-uri'] ?? req.url;
  redirect(res, initUrl('login', new URLSearchParams({ aal: 'aal2', return_to: returnTo })));
  return true;
}

async function session(req) {
  return (await frontend.toSession({ cookie: req.headers.cookie })).data;
}

async function logoutUrl(req, returnTo) {
  const params = { cookie: req.headers.cookie };
  if (returnTo !== undefined) params.returnTo = returnTo;
  return frontend
    .createBrowserLogoutFlow(params)
    .then(({ data }) => data.logout_url)
    .catch(() => '');
}

// ---- routes ---------------------------------------------------------------------------------

async function welcome(req, res, query) {
  let current;
  try {
    current = await session(req);
  } catch (err) {
    if (maybeInitiate2FA(req, res, err)) return;
  }
  const logout = await logoutUrl(req, query.get('return_to') || '');
  const links = current
    ? [['Session Information', 'sessions'], ['Account Settings', 'settings'], ['Log out', logout]]
    : [['Sign In', 'login'], ['Sign Up', 'registration']];
  const who = current ? `<p id="signed-in-as">Signed in as ${escape(current.identity.traits.email)}</p>` : '<p>Not signed in.</p>';
  page(res, 'Welcome', `${who}<nav>${links.map(([t, h]) => `<a href="${escape(h)}">${escape(t)}</a>`).join(' ')}</nav>`);
}

async function login(req, res, query) {
  const get = (name) => query.get(name) ?? '';
  const init = new URLSearchParams({
    aal: get('aal'), refresh: get('refresh'), return_to: get('return_to'),
    organization: get('organization'), via: get('via'),
  });
  if (isSet(query.get('login_challenge'))) init.append('login_challenge', query.get('login_challenge'));
  if (isSet(query.get('identity_schema'))) init.append('identity_schema', query.get('identity_schema'));
  const initFlowUrl = initUrl('login', init);
  const id = query.get('flow');
  if (!isSet(id)) return redirect(res, initFlowUrl, 303);

  return frontend
    .getLoginFlow({ id, cookie: req.headers.cookie })
    .then(async ({ data: flow }) => {
      const returnTo = get('return_to') || flow.return_to || '';
      const signUp = initUrl('registration', new URLSearchParams({ return_to: returnTo }));
      const logout = flow.requested_aal === 'aal2' || flow.refresh ? await logoutUrl(req, returnTo) : '';
      const title = flow.refresh ? 'Confirm it is you' : flow.requested_aal === 'aal2' ? 'Second factor' : 'Sign in';
      flowPage(res, title, flow, [['Sign up', flow.refresh ? '' : signUp], ['Log out', logout]]);
    })
    .catch(redirectOnSoftError(res, initFlowUrl));
}

async function registration(req, res, query) {
  const init = new URLSearchParams();
  for (const name of ['return_to', 'organization', 'identity_schema', 'after_verification_return_to']) {
    if (query.get(name)) init.set(name, query.get(name));
  }
  if (isSet(query.get('login_challenge'))) init.append('login_challenge', query.get('login_challenge'));
  const initFlowUrl = initUrl('registration', init);
  const id = query.get('flow');
  if (!isSet(id)) return redirect(res, initFlowUrl, 303);

  return frontend
    .getRegistrationFlow({ id, cookie: req.headers.cookie })
    .then(({ data: flow }) => {
      const signIn = initUrl('login', new URLSearchParams({ return_to: query.get('return_to') || flow.return_to || '' }));
      flowPage(res, 'Create account', flow, [['Sign in', signIn]]);
    })
    .catch(redirectOnSoftError(res, initFlowUrl));
}

/** The reference's requireAuth: true when the request may go on, having redirected otherwise. */
async function requireAuth(req, res, query) {
  if (req.url.includes('/settings') && isUUID.test(query.get('flow') ?? '')) return {};
  try {
    return await session(req);
  } catch (err) {
    if (!maybeInitiate2FA(req, res, err)) redirect(res, initUrl('login'));
    return null;
  }
}

async function settings(req, res, query) {
  if (!(await requireAuth(req, res, query))) return;
  const returnTo = query.get('return_to') ?? '';
  const initFlowUrl = initUrl('settings', new URLSearchParams({ return_to: returnTo }));
  const id = query.get('flow');
  if (!isSet(id)) return redirect(res, initFlowUrl, 303);

  return frontend
    .getSettingsFlow({ id, cookie: req.headers.cookie })
    .then(async ({ data: flow }) => {
      const logout = await logoutUrl(req, returnTo || flow.return_to || '');
      flowPage(res, 'Account settings', flow, [['Back', flow.return_to || initUrl('login')], ['Log out', logout]]);
    })
    .catch(redirectOnSoftError(res, initFlowUrl));
}

async function sessions(req, res, query) {
  const current = await requireAuth(req, res, query);
  if (!current) return;
  const logout = await logoutUrl(req);
  // As the reference: every trait, objects as JSON, then the assurance level and the methods.
  const facts = [
    ...Object.entries(current.identity.traits).map(([key, value]) =>
      [key, `trait-${key}`, typeof value === 'object' ? JSON.stringify(value) : value]),
    ['authentication level', 'aal', current.authenticator_assurance_level],
    ['authenticated at', 'authenticated-at', current.authenticated_at],
  ];
  const methods = (current.authentication_methods || []).map((m) => `<li data-method="${escape(m.method)}">${escape(m.method)}</li>`);
  page(res, 'Session Information', `<dl>${facts.map(([t, id, v]) => `<dt>${t}</dt><dd id="session-${id}">${escape(v)}</dd>`).join('')}</dl>
<ul id="session-methods">${methods.join('')}</ul>
<nav><a href="welcome">Overview</a> <a href="settings">Account Settings</a> <a href="${escape(logout)}">Log out</a></nav>`);
}

async function error(req, res, query) {
  const id = query.get('id');
  try {
    if (!isSet(id)) throw new Error('No error was found');
    const { data } = await frontend.getFlowError({ id });
    const e = data.error || {};
    page(res, 'An error occurred', `<p id="error-id">${escape(e.id)}</p><p id="error-code">${escape(e.code)}</p>
<p id="error-message">${escape(e.message)}</p><p id="error-reason">${escape(e.reason)}</p><a href="welcome">Go back</a>`);
  } catch (err) {
    const e = err.response?.data?.error || { message: err.message };
    page(res, 'An error occurred', `<p id="error-id">Failed to fetch error details</p><p id="error-message">${escape(e.message)}</p>`);
  }
}

const routes = { '/': null, '/welcome': welcome, '/login': login, '/registration': registration,
  '/settings': settings, '/sessions': sessions, '/error': error };

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://ui.invalid');
  console.error(`ui: ${req.method} ${url.pathname}${url.search}`);
  if (req.method !== 'GET' || !(url.pathname in routes)) return page(res, 'Page not found', '', 404);
  if (url.pathname === '/') return redirect(res, 'welcome', 303);
  routes[url.pathname](req, res, url.searchParams).catch((err) => serverError(res, err));
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
