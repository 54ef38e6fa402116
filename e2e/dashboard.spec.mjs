// Browser scenarios of the supervisor dashboard (/dashboard), run by
// dashboard_test.go against a real node: BASE (http://host:port), CHROMIUM,
// SUPERVISOR_TOKEN and AGENT_TOKEN (staff tokens, set as the sign-in cookie
// edgedesk_staff; the agent is Alice in group uk-en), SHOTS (screenshot
// directory), FAILS (screenshots of failures). The tokens are set as the
// cookie, not earned through the form: this spec is about the page; the
// sign-in flow to it (/console?next=/dashboard) is team.spec.mjs's, and a
// token minted elsewhere (an SSO, `edgedesk token staff`) is as valid a
// cookie as the form's (docs/STAFF.md). Locators use the page's
// documented data-edgedesk hooks (docs/DASHBOARD.md) and the widget's
// (README); they auto-wait, and every wait is for a condition.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WAIT, launch, check, hook, messages, openShop, say, axe } from './lib.mjs';

const { BASE, SUPERVISOR_TOKEN, AGENT_TOKEN, SHOTS, FAILS } = process.env;
mkdirSync(SHOTS, { recursive: true });

const browser = await launch();

const results = {};
let failures = 0;

// scenario runs fn with fresh browser contexts (ctx(opts, token) signs one
// in when token is given); a failure saves a screenshot of every page.
async function scenario(name, fn) {
  const contexts = [];
  const ctx = async (opts = {}, token) => {
    const c = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
    c.setDefaultTimeout(WAIT);
    if (token) await c.addCookies([{ name: 'edgedesk_staff', value: token, url: BASE }]);
    contexts.push(c);
    return c;
  };
  const t0 = Date.now();
  try {
    await fn(ctx);
    results[name] = `pass (${Date.now() - t0} ms)`;
  } catch (e) {
    failures++;
    results[name] = `FAIL: ${e.message.split('\n').slice(0, 6).join('\n')}`;
    let i = 0;
    for (const c of contexts) for (const p of c.pages()) {
      await p.screenshot({ path: join(FAILS, `${name.replace(/\W+/g, '_')}-${i++}.png`), fullPage: true }).catch(() => {});
    }
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
  }
  console.log(`${name}: ${results[name]}`);
}



// dashboard opens /dashboard and records the requests for the live stream.
async function dashboard(context, path = '/dashboard') {
  const page = await context.newPage();
  page.streams = [];
  page.on('request', (r) => { if (r.url().includes('/v1/admin/stats/live')) page.streams.push(r.url()); });
  const errors = page.errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(BASE + path);
  return page;
}

// metric is a tile's figure as a number (NaN for "—").
const metric = (page, name) => hook(page, 'tile', `[data-metric=${name}] .value`).textContent()
  .then((t) => (/\d/.test(t) ? Number(t.replace(/[^\d.]/g, '')) : NaN));

// until waits for the tile to show a number from min to max. The page runs
// under its CSP (script-src 'self'): the condition is data, not code.
async function until(page, name, min, max, what) {
  try {
    await page.waitForFunction(([name, min, max]) => {
      const t = document.querySelector(`[data-edgedesk=tile][data-metric=${name}] .value`).textContent;
      const v = Number(t.replace(/[^\d.]/g, ''));
      return /\d/.test(t) && v >= min && v <= max;
    }, [name, min, max]);
  } catch (e) {
    throw new Error(`tile ${name} never showed ${what} (shows ${await metric(page, name)}): ${e.message.split('\n')[0]}`);
  }
}


// ---- the widget, for the customer's side.



// agent connects Alice over the agent protocol in a page of context;
// window.frames_ collects what she receives.
async function agent(context) {
  const page = await context.newPage();
  await page.goto(BASE + '/healthz');
  await page.evaluate(([url, token]) => new Promise((resolve, reject) => {
    const ws = window.agent = new WebSocket(url);
    window.frames_ = [];
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, token }));
    ws.onmessage = (e) => { const f = JSON.parse(e.data); window.frames_.push(f); if (f.type === 'welcome') resolve(); if (f.type === 'error') reject(new Error(e.data)); };
  }), [BASE.replace('http', 'ws') + '/v1/agent/ws', AGENT_TOKEN]);
  return page;
}

// ---- a. refusals: an agent, and a visitor who is not signed in.
await scenario('a. an agent opening /dashboard is refused, and so is a visitor not signed in; neither opens the stream', async (ctx) => {
  const page = await dashboard(await ctx({}, AGENT_TOKEN));
  const refused = hook(page, 'refused');
  await refused.waitFor();
  check(/for supervisors and admins/.test(await refused.textContent()), `the agent's refusal: ${await refused.textContent()}`);
  check(await refused.getByRole('link').getAttribute('href') === '/console', 'the refusal does not link to the console');
  check(await hook(page, 'tile').first().isHidden(), 'the agent sees the tiles');
  await hook(page, 'live-status', '[data-state=refused]').waitFor({ state: 'attached' });
  check(page.streams.length === 0, `the agent's page opened the stream: ${page.streams}`);
  // The server refuses too: the page is not the lock.
  const status = await page.evaluate(async () => (await fetch('/v1/admin/stats')).status);
  check(status === 403, `GET /v1/admin/stats as an agent: HTTP ${status}`);

  const anon = await dashboard(await ctx());
  await hook(anon, 'refused').waitFor();
  const link = hook(anon, 'refused').getByRole('link');
  check(await link.getAttribute('href') === '/console?next=/dashboard', `the sign-in link: ${await link.getAttribute('href')}`);
  check(anon.streams.length === 0, `the visitor's page opened the stream: ${anon.streams}`);
  check(!page.errors.length && !anon.errors.length, `script errors: ${page.errors} ${anon.errors}`);
});

// ---- b. live: the supervisor's dashboard follows a customer's chat, the
// hand-over, the top intent and the rating without a reload.
await scenario('b. supervisor: tiles fill; a chat, its top intent, the hand-over and the CSAT appear live', async (ctx) => {
  const board = await dashboard(await ctx({ locale: 'en-GB', timezoneId: 'Europe/London' }, SUPERVISOR_TOKEN));
  await hook(board, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  for (const m of ['customers_connected', 'agents_online', 'agents_away', 'conversations', 'handovers', 'csat_count']) {
    await until(board, m, 0, Infinity, 'a number');
  }
  check(await hook(board, 'group-row', '[data-group=uk-en]').count() === 1, 'no row for group uk-en');
  check(await hook(board, 'forecast', '[data-group=uk-en]').count() === 1, 'no forecast for group uk-en');
  const conv0 = await metric(board, 'conversations');
  const hand0 = await metric(board, 'handovers');
  const csat0 = await metric(board, 'csat_count');
  await board.evaluate(() => { window.notReloaded = true; });

  const customer = await ctx({ locale: 'en-GB', timezoneId: 'Europe/London' });
  const alice = await agent(customer);
  const shop = await openShop(customer);
  await until(board, 'customers_connected', 1, Infinity, 'the customer connected');
  await say(shop, 'Where is my order 48213?');
  await messages(shop, 'bot').first().waitFor();
  await until(board, 'conversations', conv0 + 1, Infinity, `more than ${conv0} conversations`);
  const intent = hook(board, 'top-intent', '[data-window=hour]').first();
  await intent.waitFor();
  check(Number(await intent.getAttribute('data-count')) >= 1, `top intent count ${await intent.getAttribute('data-count')}`);
  check((await intent.textContent()).includes(await intent.getAttribute('data-count')), 'the top intent does not show its count');
  check(!/_/.test(await intent.locator('.name').textContent()), `the intent is not readable: ${await intent.locator('.name').textContent()}`);

  await say(shop, 'I want to talk to a human');
  // This customer's chat (the widget keeps its session in localStorage).
  const sid = await shop.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k.startsWith('edgedesk:')) return JSON.parse(localStorage.getItem(k)).s;
    }
  });
  const assigned = await alice.waitForFunction((sid) => window.frames_.find((f) => f.type === 'assigned' && f.session === sid), sid).then((h) => h.jsonValue());
  // The node classified the question (the agent's history says as what):
  // that intent is among the top intents of the hour and of the day.
  const asked = assigned.history.find((m) => m.from === 'customer' && /48213/.test(m.text));
  check(asked && asked.intent, `the agent's history has no intent for the question: ${JSON.stringify(asked)}`);
  for (const w of ['hour', 'day']) {
    const top = hook(board, 'top-intent', `[data-window=${w}][data-intent="${asked.intent}"]`);
    await top.waitFor();
    check(Number(await top.getAttribute('data-count')) >= 1, `${asked.intent} (${w}) counts ${await top.getAttribute('data-count')}`);
  }
  await until(board, 'handovers', hand0 + 1, Infinity, `more than ${hand0} hand-overs`);
  await hook(board, 'handover-reason').first().waitFor();

  await alice.evaluate((s) => window.agent.send(JSON.stringify({ type: 'msg', cid: 'a1', session: s, text: 'Hi, Alice here. Order 48213 left today.' })), assigned.session);
  await messages(shop, 'agent').first().waitFor();
  await alice.evaluate((s) => window.agent.send(JSON.stringify({ type: 'close', cid: 'a2', session: s })), assigned.session);
  const form = hook(shop, 'csat');
  await form.getByLabel('5 of 5').check();
  await form.getByRole('button').click();
  await shop.locator('[data-edgedesk=message] p[role=status]').first().waitFor();
  await until(board, 'csat_count', csat0 + 1, Infinity, `more than ${csat0} ratings`);
  await until(board, 'csat_average', 1, 5, 'an average between 1 and 5');
  const row = hook(board, 'group-row', '[data-group=uk-en]');
  await board.waitForFunction(() => /\d/.test(document.querySelector('[data-edgedesk=group-row][data-group=uk-en] td:last-child').textContent));

  check(await board.evaluate(() => window.notReloaded === true), 'the dashboard reloaded');
  check(board.streams.length === 1, `the stream was opened ${board.streams.length} times`);
  check(!board.errors.length, `script errors: ${board.errors}`);
  console.log('uk-en row:', JSON.stringify(await row.locator('th, td').allTextContents()));
});

// ---- c. the group filter reopens the stream with ?group=, and a reload keeps it.
await scenario('c. the group filter reopens the stream for one group', async (ctx) => {
  const board = await dashboard(await ctx({}, SUPERVISOR_TOKEN));
  await hook(board, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  const filter = hook(board, 'group-filter');
  await filter.locator('option[value=uk-en]').waitFor({ state: 'attached' });
  const reopened = board.waitForRequest((r) => r.url().endsWith('/v1/admin/stats/live?group=uk-en'));
  await filter.selectOption('uk-en');
  await reopened;
  await hook(board, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  check(new URL(board.url()).searchParams.get('group') === 'uk-en', `the address does not keep the group: ${board.url()}`);
  await board.reload();
  await hook(board, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  check(await filter.inputValue() === 'uk-en', `after a reload the filter is ${await filter.inputValue()}`);
  check(board.streams.at(-1).endsWith('?group=uk-en'), `after a reload the stream is ${board.streams.at(-1)}`);
});

// ---- d. accessibility and layout: axe-core on a laptop and at 375 px,
// the keyboard reaches the filter with a visible focus, no sideways scroll
// on a phone; screenshots.
// axe-core is injected as an inline script, which the page's CSP refuses:
// these two contexts bypass it (scenarios a to c run under it).
await scenario('d. axe-core clean on a laptop and a phone; keyboard; screenshots', async (ctx) => {
  const board = await dashboard(await ctx({ locale: 'en-GB', timezoneId: 'Europe/London', bypassCSP: true }, SUPERVISOR_TOKEN));
  await hook(board, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  await hook(board, 'forecast-hour').first().waitFor({ state: 'attached' });
  let found = (await axe(board)).all;
  console.log('axe, laptop:', JSON.stringify(found));
  check(!found.length, `violations on a laptop: ${found.join('; ')}`);
  await board.keyboard.press('Tab');
  check(await board.evaluate(() => document.activeElement.className) === 'skip', 'Tab does not reach the skip link first');
  await board.keyboard.press('Tab');
  const focused = await board.evaluate(() => ({ hook: document.activeElement.dataset.edgedesk, outline: getComputedStyle(document.activeElement).outlineStyle }));
  check(focused.hook === 'group-filter' && focused.outline !== 'none', `the second Tab: ${JSON.stringify(focused)}`);
  await board.evaluate(() => document.activeElement.blur());
  await board.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

  const phone = await dashboard(await ctx({ locale: 'en-GB', timezoneId: 'Europe/London', viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, bypassCSP: true }, SUPERVISOR_TOKEN));
  await hook(phone, 'live-status', '[data-state=live]').waitFor({ state: 'attached' });
  await hook(phone, 'forecast-hour').first().waitFor({ state: 'attached' });
  found = (await axe(phone)).all;
  console.log('axe, phone:', JSON.stringify(found));
  check(!found.length, `violations at 375 px: ${found.join('; ')}`);
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 375, `the page is ${wide} px wide at 375 px`);
  await phone.screenshot({ path: join(SHOTS, 'dashboard-phone.png') });
});

await browser.close();
console.log(JSON.stringify({ results }, null, 2));
process.exit(failures ? 1 : 0);
