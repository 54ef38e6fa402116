// Issue 14's story end to end, run by team_test.go against one real node
// whose staff the test created with `edgedesk staff add`: agents Priya
// and Tom (uk-en), Max (uk-en, only ever locked out), supervisor Sue and
// admin Adam, all with PASSWORD. Environment: BASE, CHROMIUM, SHOTS, FAILS,
// EXPIRED_TOKEN (Tom's sign-in, expired), LOGIN_LIMIT
// (auth.login_max_failures), XSITE (a page on another origin that posts
// to the node with the browser's cookie: a new FAQ, a sign-in as Priya, a
// sign-out), FAQ_LINE (the FAQ it posts).
//
// Everyone signs in through a form: the console's (data-edgedesk hooks
// login-email, login-password, login-submit, login-error), the
// supervisor and the admin by way of the dashboard's "Sign in" link
// (/console?next=/dashboard). The one cookie set by hand is the expired
// one: no form can produce it. Locators use the pages' data-edgedesk
// hooks (docs/CONSOLE.md, docs/DASHBOARD.md, the widget's in README) and
// auto-wait; nothing sleeps.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WAIT, launch, check, hook, messages, openShop, say } from './lib.mjs';

const { BASE, SHOTS, FAILS, PASSWORD, EXPIRED_TOKEN, XSITE, FAQ_LINE } = process.env;
const LIMIT = Number(process.env.LOGIN_LIMIT);
mkdirSync(SHOTS, { recursive: true });
mkdirSync(FAILS, { recursive: true });

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
const contexts = [];
async function newContext(opts = {}) {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/London', ...opts });
  c.setDefaultTimeout(WAIT);
  contexts.push(c);
  return c;
}
const status = (page, method, path, body) => page.evaluate(async ([method, path, body]) =>
  (await fetch(path, { method, body, headers: body ? { 'Content-Type': 'text/plain' } : {} })).status, [method, path, body]);

// ---- steps: the story is one; each refusal is its own and runs even
// when another failed.
const results = {};
let failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results[name] = `pass (${Date.now() - t0} ms)`;
  } catch (e) {
    failed++;
    results[name] = `FAIL: ${e.message.split('\n').slice(0, 8).join('\n')}`;
    let i = 0;
    for (const c of contexts) for (const p of c.pages()) {
      await p.screenshot({ path: join(FAILS, `${name.replace(/\W+/g, '_').slice(0, 40)}-${i++}.png`) }).catch(() => {});
    }
  }
  console.log(`${name}: ${results[name]}`);
}

// signIn fills the console's form on page and waits for what follows.
async function signIn(page, email, password = PASSWORD) {
  await hook(page, 'login-email').fill(email);
  await hook(page, 'login-password').fill(password);
  await hook(page, 'login-submit', ':not([disabled])').click();
}

// agentConsole opens path (/console…) in a new context and signs email in.
async function agentConsole(email, path = '/console') {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await page.goto(BASE + path);
  await signIn(page, email);
  await hook(page, 'connection', '[data-state=connected]').waitFor();
  await hook(page, 'status', '[data-state=online]').waitFor();
  return page;
}

// dashboardSignIn opens /dashboard not signed in, follows its "Sign in"
// link to the console's form and comes back: the flow a supervisor sees.
async function dashboardSignIn(email, opts = {}) {
  const ctx = await newContext(opts);
  const page = await ctx.newPage();
  page.streams = [];
  page.errors = [];
  page.on('request', (r) => { if (r.url().includes('/v1/admin/stats/live')) page.streams.push(r.url()); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(BASE + '/dashboard');
  const link = hook(page, 'refused').getByRole('link');
  await link.waitFor();
  check(await link.getAttribute('href') === '/console?next=/dashboard', `the sign-in link: ${await link.getAttribute('href')}`);
  await link.click();
  await page.waitForURL(BASE + '/console?next=/dashboard');
  await signIn(page, email);
  await page.waitForURL(BASE + '/dashboard');
  await hook(page, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  check(page.streams.length === 1, `streams opened: ${page.streams}`);
  return page;
}

// figure is a dashboard tile's number (NaN for "—").
const figure = (board, metric) => hook(board, 'tile', `[data-metric=${metric}] .value`).textContent()
  .then((t) => (/\d/.test(t) ? Number(t.replace(/[^\d.]/g, '')) : NaN));
// until waits for a tile to show a number from min to max (the page's CSP
// allows no eval: the condition is data).
async function until(board, metric, min, max = Infinity) {
  try {
    await board.waitForFunction(([metric, min, max]) => {
      const t = document.querySelector(`[data-edgedesk=tile][data-metric=${metric}] .value`).textContent;
      const v = Number(t.replace(/[^\d.]/g, ''));
      return /\d/.test(t) && v >= min && v <= max;
    }, [metric, min, max]);
  } catch (e) {
    throw new Error(`tile ${metric} never showed ${min} to ${max} (shows ${await figure(board, metric)}): ${e.message.split('\n')[0]}`);
  }
}
// count is the number in a hook's text or attribute, 0 when absent.
async function count(loc, attr) {
  if (!(await loc.count())) return 0;
  const v = attr ? await loc.first().getAttribute(attr) : await loc.first().textContent();
  return Number((v.match(/\d+/) || ['0'])[0]);
}

// The widget's side (hooks in README / docs/PROTOCOL.md).

let board, priya, tom, shop, sid;
const QUESTION = 'Where is my order 48213?';
const ASK = 'I want to talk to a human';
const REPLY = "Hi, I'm Priya: order 48213 left our warehouse this morning.";
const NOTE = 'Asks for the delivery date; Tom knows the courier';

await step('story: sign-in, chat, hand-over, reply, transfer, close, rating, live dashboard', async () => {
  // The supervisor opens the dashboard first and keeps it open.
  board = await dashboardSignIn('sue@shop.example');
  for (const m of ['conversations', 'handovers', 'csat_count']) await until(board, m, 0);
  const conv0 = await figure(board, 'conversations');
  const hand0 = await figure(board, 'handovers');
  const csat0 = await figure(board, 'csat_count');
  const requested0 = await count(hook(board, 'handover-reason', '[data-reason=requested]'));
  await board.evaluate(() => { window.edgedeskNotReloaded = true; });

  // Her link says to go on to another site once signed in: the console
  // stays (next= is followed only to a page of this node).
  const away = `/console?next=${encodeURIComponent('//' + new URL(XSITE).host + '/')}`;
  priya = await agentConsole('priya@shop.example', away);
  await hook(priya, 'me').filter({ hasText: 'Priya' }).waitFor();
  check(priya.url() === BASE + away, `signed in, Priya is at ${priya.url()}`);

  // The customer: a question the bot answers, then a person.
  const custCtx = await newContext();
  shop = await openShop(custCtx);
  await say(shop, QUESTION);
  await hook(shop, 'message', '[data-from=bot]').filter({ hasText: '48213' }).first().waitFor();
  await until(board, 'conversations', conv0 + 1);
  await say(shop, ASK);

  // Priya gets it, with its history and why it came to her.
  const item = hook(priya, 'chat').first();
  await item.waitFor();
  sid = await item.getAttribute('data-session');
  await item.click();
  const pane = hook(priya, 'chat-pane');
  await pane.locator('[data-edgedesk=message][data-from=customer]').filter({ hasText: QUESTION }).waitFor();
  await pane.locator('[data-edgedesk=message][data-from=bot]').filter({ hasText: '48213' }).first().waitFor();
  await pane.locator('[data-edgedesk=message][data-from=customer]').filter({ hasText: ASK }).waitFor();
  await hook(priya, 'entities').filter({ hasText: '48213' }).waitFor();
  await hook(priya, 'why').locator('summary').click();
  const why = await hook(priya, 'why').textContent();
  check(/language en/.test(why) && /uk-en/.test(why), `why here: ${why}`);

  // The dashboard: the hand-over, requested by the customer, and the
  // question's intent (as the node classified it: the admin API's
  // session, read by the supervisor) among the top intents.
  await until(board, 'handovers', hand0 + 1);
  const requested = hook(board, 'handover-reason', '[data-reason=requested]');
  await board.waitForFunction(([n]) => {
    const e = document.querySelector('[data-edgedesk=handover-reason][data-reason=requested]');
    return e && Number((e.textContent.match(/\d+/) || ['0'])[0]) >= n;
  }, [requested0 + 1]);
  const story = await board.evaluate(async (sid) => (await fetch(`/v1/admin/sessions/${sid}`)).json(), sid);
  const asked = story.messages.find((m) => m.from === 'customer' && m.text === QUESTION);
  check(asked && asked.intent, `the question has no intent: ${JSON.stringify(asked)}`);
  for (const w of ['hour', 'day']) {
    const top = hook(board, 'top-intent', `[data-window=${w}][data-intent="${asked.intent}"]`);
    await top.waitFor();
    check(await count(top, 'data-count') >= 1, `${asked.intent} (${w}) counts ${await top.getAttribute('data-count')}`);
  }
  console.log(`top intent: ${asked.intent}; hand-overs requested: ${await count(requested)}`);

  // Priya answers; the customer sees it.
  await hook(priya, 'reply').fill(REPLY);
  await hook(priya, 'reply').press('Enter');
  await hook(shop, 'message', '[data-from=agent]').filter({ hasText: 'left our warehouse' }).waitFor();
  await hook(priya, 'message', '[data-from=agent][data-seq]').filter({ hasText: 'left our warehouse' }).waitFor();
  await priya.screenshot({ path: join(SHOTS, 'console-story.png') });

  // Tom signs in (after the hand-over, so the chat was Priya's) and
  // Priya transfers the chat to him with a note; he sees the history.
  tom = await agentConsole('tom@shop.example');
  await hook(priya, 'transfer').click();
  await hook(priya, 'transfer-target').locator('option[value="agent:tom"]:not([disabled])').waitFor({ state: 'attached' });
  await hook(priya, 'transfer-target').selectOption('agent:tom');
  await hook(priya, 'transfer-note').fill(NOTE);
  await hook(priya, 'transfer-submit').click();
  await hook(priya, 'chat', `[data-session="${sid}"]`).waitFor({ state: 'detached' });
  await hook(tom, 'chat', `[data-session="${sid}"]`).click();
  await hook(tom, 'note').filter({ hasText: NOTE }).filter({ hasText: 'Priya' }).waitFor();
  for (const [from, text] of [['customer', QUESTION], ['bot', '48213'], ['customer', ASK], ['agent', 'left our warehouse']]) {
    await hook(tom, 'message', `[data-from=${from}]`).filter({ hasText: text }).first().waitFor();
  }
  await hook(shop, 'message', '[data-from=system]').filter({ hasText: 'Tom' }).waitFor();
  check(!(await shop.locator('edgedesk-widget').textContent()).includes('courier'), 'the customer sees the note');
  const moved = await board.evaluate(async (sid) => (await fetch(`/v1/admin/sessions/${sid}`)).json(), sid);
  check(moved.chat && moved.chat.agent && moved.chat.agent.id === 'tom', `the chat is with ${JSON.stringify(moved.chat)}`);
  check(moved.decisions.some((d) => d.why.some((w) => /transferred by agent priya/.test(w))), `decisions: ${JSON.stringify(moved.decisions)}`);

  // Tom closes; the customer rates 5; the dashboard counts it.
  await hook(tom, 'close').click();
  await hook(tom, 'chat', `[data-session="${sid}"]`).waitFor({ state: 'detached' });
  const form = hook(shop, 'csat');
  await form.getByLabel('5 of 5').check();
  await form.getByRole('button').click();
  await shop.locator('[data-edgedesk=message] p[role=status]').first().waitFor();
  await until(board, 'csat_count', csat0 + 1);
  await until(board, 'csat_average', 5, 5); // the node's one rating
  await board.waitForFunction(() => /5\.0/.test(document.querySelector('[data-edgedesk=group-row][data-group=uk-en] td:last-child').textContent));

  check(await board.evaluate(() => window.edgedeskNotReloaded === true), 'the dashboard reloaded');
  check(board.streams.length === 1, `the dashboard opened the stream ${board.streams.length} times`);
  check(!board.errors.length, `script errors on the dashboard: ${board.errors}`);
  await board.screenshot({ path: join(SHOTS, 'dashboard-story.png'), fullPage: true });
});

await step(`refused: ${LIMIT} wrong passwords, then even the right one (429)`, async () => {
  const ctx = await newContext();
  const page = await ctx.newPage();
  await page.goto(BASE + '/console');
  for (let i = 1; i <= LIMIT; i++) {
    const answer = page.waitForResponse((r) => r.url() === BASE + '/v1/auth/login');
    await signIn(page, 'max@shop.example', `wrong password ${i}`);
    check((await answer).status() === 401, `wrong password ${i}: HTTP ${(await answer).status()}`);
    await hook(page, 'login-error').filter({ hasText: 'wrong email or password' }).waitFor();
  }
  const answer = page.waitForResponse((r) => r.url() === BASE + '/v1/auth/login');
  await signIn(page, 'max@shop.example');
  const r = await answer;
  const wait = Number(r.headers()['retry-after']);
  check(r.status() === 429 && wait >= 1, `the right password after ${LIMIT} failures: HTTP ${r.status()}, Retry-After ${wait}`);
  const msg = hook(page, 'login-error');
  await msg.filter({ hasText: `Too many failed sign-ins; try again in ${wait} s.` }).waitFor();
  check(!/try again.*try again/i.test(await msg.textContent()), `the message repeats itself: ${await msg.textContent()}`);
  check(await hook(page, 'login-submit').isDisabled(), 'the button can be pressed again at once');
  check(await hook(page, 'connection').isHidden(), 'the console opened');
  check(!(await ctx.cookies()).length, 'a refused sign-in set a cookie');
});

await step('refused: an agent opening /dashboard (and the stats API)', async () => {
  const page = await priya.context().newPage();
  const streams = [];
  page.on('request', (r) => { if (r.resourceType() === 'eventsource') streams.push(r.url()); });
  await page.goto(BASE + '/dashboard');
  const refused = hook(page, 'refused');
  await refused.waitFor();
  check(/for supervisors and admins/.test(await refused.textContent()), `the refusal: ${await refused.textContent()}`);
  check(await refused.getByRole('link').getAttribute('href') === '/console', 'the refusal does not send her to the console');
  check(await hook(page, 'tile').first().isHidden(), 'the agent sees the figures');
  for (const path of ['/v1/admin/stats', '/v1/admin/stats/live', `/v1/admin/sessions/${sid}`]) {
    const s = await status(page, 'GET', path);
    check(s === 403, `GET ${path} as an agent: HTTP ${s}`);
  }
  check(!streams.length, `the agent's page opened the stream: ${streams}`);
  await page.close();
});

await step('refused: an expired cookie brings the sign-in form back', async () => {
  const ctx = tom.context();
  const real = (await ctx.cookies()).find((c) => c.name === 'edgedesk_staff');
  check(real, 'Tom has no cookie');
  await ctx.addCookies([{ ...real, value: EXPIRED_TOKEN }]);
  // The console open all along: its next connection is refused.
  await ctx.setOffline(true);
  await hook(tom, 'connection', '[data-state=offline]').waitFor();
  await ctx.setOffline(false);
  await hook(tom, 'login-error').filter({ hasText: 'expired' }).waitFor({ timeout: 30000 });
  await hook(tom, 'login-email').and(tom.locator(':focus')).waitFor();
  // A new page: the form at once, and the node says why.
  const page = await ctx.newPage();
  await page.goto(BASE + '/console');
  await hook(page, 'login-email').waitFor();
  check(await hook(page, 'connection').isHidden(), 'the console opened with an expired cookie');
  check(await status(page, 'GET', '/v1/auth/me') === 401, '/v1/auth/me accepted the expired cookie');
  await page.close();
  // Signing in again works.
  await signIn(tom, 'tom@shop.example');
  await hook(tom, 'connection', '[data-state=connected]').waitFor();
});

await step('refused: cross-site POSTs with the admin\'s cookie (403, nothing changed)', async () => {
  const admin = await dashboardSignIn('adam@shop.example');
  const version = async () => admin.evaluate(async () => (await fetch('/v1/admin/faq')).headers.get('X-Edgedesk-Faq-Version'));
  const v0 = await version();
  check(v0, 'the FAQ has no version');
  const page = await admin.context().newPage();
  // What the browser put on the wire, cookies included, from the DevTools
  // protocol (Playwright's allHeaders() may miss these extra headers).
  const wire = new Map(); // url → {headers, sent: cookie names}
  const urls = new Map(); // requestId → url
  const cdp = await admin.context().newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => wire.set(e.requestId, {
    headers: Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v])),
    sent: e.associatedCookies.filter((c) => !c.blockedReasons.length).map((c) => c.cookie.name),
  }));
  await cdp.send('Network.enable');
  const onWire = async (url) => {
    for (const t0 = Date.now(); Date.now() - t0 < WAIT; await new Promise((r) => setTimeout(r, 50))) {
      for (const [id, w] of wire) if (urls.get(id) === url) return w;
    }
    throw new Error(`no request to ${url} seen on the wire`);
  };
  const isPost = (path) => (r) => r.url() === BASE + path && r.request().method() === 'POST';
  const faq = page.waitForResponse(isPost('/v1/admin/faq'));
  const login = page.waitForResponse(isPost('/v1/auth/login'));
  const logout = page.waitForResponse(isPost('/v1/auth/logout'));
  await page.goto(XSITE);
  const origin = new URL(XSITE).origin;
  for (const [what, answer] of [['POST /v1/admin/faq', await faq], ['POST /v1/auth/login', await login], ['POST /v1/auth/logout', await logout]]) {
    const w = await onWire(answer.url());
    check(w.sent.includes('edgedesk_staff'), `${what}: the browser did not send the cookie (${JSON.stringify(w)}): the test would prove nothing`);
    const h = w.headers;
    check(!answer.headers()['set-cookie'], `${what}: the node set a cookie: ${answer.headers()['set-cookie']}`);
    check(h.origin === origin, `${what}: Origin ${h.origin}`);
    check(answer.status() === 403, `${what} from ${origin}: HTTP ${answer.status()}`);
  }
  // Nothing changed: same FAQ, still signed in, the dashboard still live.
  check(await version() === v0, `the FAQ changed: version ${v0} → ${await version()}`);
  const me = await admin.evaluate(async () => { const r = await fetch('/v1/auth/me'); return { status: r.status, body: await r.json() }; });
  check(me.status === 200 && me.body.id === 'adam', `after the cross-site sign-in and sign-out: ${JSON.stringify(me)}`);
  await hook(admin, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  // The same POST from the node's own page is accepted: the origin was
  // the only difference.
  const own = await status(admin, 'POST', '/v1/admin/faq', FAQ_LINE + '\n');
  check(own === 200 && Number(await version()) === Number(v0) + 1, `the same POST from the node's page: HTTP ${own}, version ${await version()}`);
});

await browser.close();
console.log(JSON.stringify({ results }, null, 2));
if (failed) process.exit(1);
console.log('all team scenarios passed');
