// Browser scenarios of the edgedesk widget on the demo shop, run by
// browser_test.go against a real node: BASE (http://host:port), CHROMIUM,
// AGENT_TOKEN (staff token of agent Alice in group uk-en), SHOTS (screenshot
// directory), FAILS (screenshots of failures). Locators use the widget's
// public data-edgedesk hooks and auto-wait; nothing sleeps.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WAIT, launch, check, hook, messages, openShop, say } from './lib.mjs';

const { BASE, AGENT_TOKEN, AGENT_ES_TOKEN, CONTROL, SHOTS, FAILS } = process.env;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
mkdirSync(SHOTS, { recursive: true });

const browser = await launch();

const results = {};
const timings = {};
const notes = [];
let failures = 0;

// scenario runs fn with a fresh browser context per call of ctx(); a
// failure saves a screenshot of every page it opened.
async function scenario(name, fn) {
  const contexts = [];
  const ctx = async (opts = {}) => {
    const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
    c.setDefaultTimeout(WAIT);
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
    for (const c of [...contexts, spanishContext]) for (const p of c.pages()) {
      await p.screenshot({ path: join(FAILS, `${name.replace(/\W+/g, '_')}-${i++}.png`) }).catch(() => {});
    }
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
  }
  console.log(`${name}: ${results[name]}`);
}


// The widget's hooks: Playwright's CSS locators pierce open shadow roots.



// waitCount waits until the widget shows at least n messages from `from`.
async function waitCount(page, from, n) {
  await page.waitForFunction(([from, n]) =>
    document.querySelector('edgedesk-widget').shadowRoot.querySelectorAll(`[data-edgedesk=message][data-from=${from}]`).length >= n,
  [from, n]);
}

const seqs = (page) => page.evaluate(() => Array.from(
  document.querySelector('edgedesk-widget').shadowRoot.querySelectorAll('[data-edgedesk=message]'),
  (m) => m.getAttribute('data-seq')));

// history resumes the session from seq 0 on a second, raw WebSocket: what
// the node holds, in order.
async function history(context, session) {
  const page = await context.newPage();
  const msgs = await page.evaluate(([url, session]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const got = [];
    let last = -1;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, session, last_seq: 0 }));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'welcome') last = f.seq;
      if (f.type === 'msg') got.push({ seq: f.seq, from: f.from, text: f.text });
      if (f.type === 'error') reject(new Error(JSON.stringify(f)));
      if (last >= 0 && (got.length ? got[got.length - 1].seq : 0) >= last) { ws.close(); resolve(got); }
    };
  }), [BASE.replace('http', 'ws') + '/v1/ws', session]);
  await page.close();
  return msgs;
}

const session = (page) => page.evaluate(() => {
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k.startsWith('edgedesk:')) return JSON.parse(localStorage.getItem(k)).s;
  }
});

// ---- a. Spanish customer: an FAQ answer, then the return flow with a quick reply.
let spanish; // the page, kept open for the accessibility scan and a screenshot
const spanishContext = await browser.newContext({ locale: 'es-ES', timezoneId: 'Europe/Madrid', viewport: { width: 1280, height: 800 } });
spanishContext.setDefaultTimeout(WAIT);
await scenario('a. es-ES: FAQ answer and return flow with a quick reply', async () => {
  const page = spanish = await openShop(spanishContext);
  await say(page, '¿Dónde está mi pedido 48213?');
  const answer = messages(page, 'bot').filter({ hasText: '48213' }).first();
  await answer.waitFor();
  check(/Pedido #48213/.test(await answer.textContent()), `answer not in Spanish: ${await answer.textContent()}`);

  // The return flow starts with "Puedo ayudarte con la devolución…".
  const flow = messages(page, 'bot').filter({ hasText: 'devolución' });
  let bots = await messages(page, 'bot').count();
  await say(page, 'quiero devolver mi pedido');
  await waitCount(page, 'bot', ++bots);
  if (!(await flow.count())) {
    notes.push(`the model did not start the return flow for "quiero devolver mi pedido" (answer: ${JSON.stringify(await messages(page, 'bot').last().textContent())}); used "Quiero devolver un producto y que me reembolsen" (node/bot_test.go)`);
    await say(page, 'Quiero devolver un producto y que me reembolsen');
    await waitCount(page, 'bot', ++bots);
  }
  await flow.first().waitFor();
  if (!(await hook(page, 'quick-reply').count())) { // the flow asks for the order number first
    await say(page, 'es el #48213');
    await waitCount(page, 'bot', ++bots);
  }
  const reply = hook(page, 'quick-reply').first();
  const choice = await reply.textContent();
  const before = await messages(page, 'bot').count();
  await reply.click();
  await messages(page, 'customer').filter({ hasText: choice }).and(page.locator('[data-seq]')).waitFor();
  await waitCount(page, 'bot', before + 1);
});

// ---- e. accessibility: axe-core on the open panel (the widget's shadow root host).
await scenario('e. axe-core: no serious or critical violation in the open panel', async () => {
  check(spanish, 'needs scenario a');
  await spanish.addScriptTag({ path: AXE });
  const found = await spanish.evaluate(async () => {
    const r = await window.axe.run({ include: [['edgedesk-widget']] }, { resultTypes: ['violations'] });
    const page = await window.axe.run(document, { resultTypes: ['violations'] });
    const brief = (v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`;
    return { widget: r.violations.map(brief), page: page.violations.map(brief), bad: r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map(brief) };
  });
  console.log('axe, widget:', JSON.stringify(found.widget), 'whole page:', JSON.stringify(found.page));
  check(!found.bad.length, `serious/critical violations: ${found.bad.join('; ')}`);
  // Keyboard: Escape closes and focus returns to the launcher.
  await hook(spanish, 'input').press('Escape');
  await hook(spanish, 'panel').waitFor({ state: 'hidden' });
  await spanish.waitForFunction(() => document.querySelector('edgedesk-widget').shadowRoot.activeElement?.dataset.edgedesk === 'launcher');
  await spanish.keyboard.press('Enter');
  await hook(spanish, 'panel').waitFor();
});

// ---- b + c. offline typing: pending, then delivered exactly once; a reload keeps it all.
await scenario('b. offline message: pending, then delivered exactly once', async (ctx) => {
  const context = await ctx({ locale: 'en-US' });
  const page = await openShop(context);
  await say(page, 'Where is my order 48213?');
  await waitCount(page, 'bot', 1);
  await context.setOffline(true);
  await hook(page, 'status', ':not([data-state=connected])').waitFor({ state: 'attached' });
  const text = 'Typed offline: is order 77881 shipped?';
  await hook(page, 'input').fill(text);
  await hook(page, 'send').click();
  const pending = messages(page, 'customer').filter({ hasText: text });
  await pending.and(page.locator('[data-pending]:not([data-seq])')).waitFor();
  await context.setOffline(false);
  await pending.and(page.locator('[data-seq]:not([data-pending])')).waitFor();
  await hook(page, 'status', '[data-state=connected]').waitFor({ state: 'attached' });
  const sid = await session(page);
  // The node's history and the page agree: same seqs, no gap, no duplicate.
  let held;
  await page.waitForFunction(() => document.querySelector('edgedesk-widget').shadowRoot.querySelectorAll('[data-edgedesk=message][data-from=bot]').length >= 2);
  held = await history(context, sid);
  const shown = await seqs(page);
  const want = held.map((m) => String(m.seq));
  check(JSON.stringify(shown) === JSON.stringify(want), `page seqs ${shown} != node seqs ${want}`);
  check(want.every((s, i) => +s === i + 1), `node seqs have a gap: ${want}`);
  check(held.filter((m) => m.text === text).length === 1, `the offline message is stored ${held.filter((m) => m.text === text).length} times`);

  await scenarioC(page, sid);
});

async function scenarioC(page, sid) {
  const before = await seqs(page);
  await page.reload();
  // The cached history is there at once, before the resume completes.
  const cached = await seqs(page);
  await hook(page, 'status', '[data-state=connected]').waitFor({ state: 'attached' });
  const after = await seqs(page);
  const ok = JSON.stringify(before) === JSON.stringify(after) && JSON.stringify(cached) === JSON.stringify(before) && sid === await session(page);
  results['c. reload keeps the conversation'] = ok ? 'pass' : `FAIL: before ${before}, cached ${cached}, after ${after}`;
  console.log(`c. reload keeps the conversation: ${results['c. reload keeps the conversation']}`);
  if (!ok) failures++;
}

// ---- d. Arabic: right-to-left panel; full-screen on a phone.
await scenario('d. ar: dir=rtl panel; 390x844 full-screen panel', async (ctx) => {
  const context = await ctx({ locale: 'ar-EG', timezoneId: 'Africa/Cairo' });
  const page = await openShop(context);
  check(await hook(page, 'panel').getAttribute('dir') === 'rtl', 'panel is not dir=rtl');
  await say(page, 'وين طلبي رقم 48213؟');
  await waitCount(page, 'bot', 1);
  const answer = await messages(page, 'bot').last().textContent();
  check(/48213/.test(answer) && /[\u0600-\u06FF]/.test(answer), `the answer is not Arabic with the number: ${answer}`);
  await page.screenshot({ path: join(SHOTS, 'demo-arabic.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => {
    const r = document.querySelector('edgedesk-widget').shadowRoot.querySelector('[data-edgedesk=panel]').getBoundingClientRect();
    return r.x === 0 && r.y === 0 && r.width === 390 && r.height === 844;
  });
});

// ---- g. screenshots: desktop and phone.
await scenario('g. screenshots', async (ctx) => {
  await spanish.screenshot({ path: join(SHOTS, 'demo-desktop.png') });
  const context = await ctx({ locale: 'en-GB', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await openShop(context);
  await say(page, 'Where is my order 48213?');
  await waitCount(page, 'bot', 1);
  await page.screenshot({ path: join(SHOTS, 'demo-phone.png') });
});

// ---- f. timings: medians of 20.
await scenario('f. timings', async (ctx) => {
  const median = (a) => { const s = [...a].sort((x, y) => x - y); return (s[9] + s[10]) / 2; };
  const ready = [];
  for (let i = 0; i < 20; i++) {
    const context = await ctx({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(BASE + '/demo');
    await hook(page, 'status', '[data-state=connected]').waitFor({ state: 'attached' });
    // From navigation start to the node's welcome (performance.mark by the widget).
    ready.push(await page.evaluate(() => performance.getEntriesByName('edgedesk:connected')[0].startTime));
    await context.close();
  }
  const context = await ctx({ locale: 'en-US' });
  const page = await openShop(context);
  const answer = [];
  for (let i = 0; i < 20; i++) {
    // Send by clicking in the page and time until the bot's answer is in the DOM.
    answer.push(await page.evaluate(() => new Promise((resolve) => {
      const root = document.querySelector('edgedesk-widget').shadowRoot;
      const n = root.querySelectorAll('[data-edgedesk=message][data-from=bot]').length;
      const t0 = performance.now();
      new MutationObserver((_, o) => {
        if (root.querySelectorAll('[data-edgedesk=message][data-from=bot]').length > n) { o.disconnect(); resolve(performance.now() - t0); }
      }).observe(root, { childList: true, subtree: true });
      root.querySelector('[data-edgedesk=input]').value = 'Where is my order 48213?';
      root.querySelector('[data-edgedesk=send]').click();
    })));
  }
  Object.assign(timings, {
    page_load_to_connected_ms: { median: +median(ready).toFixed(1), min: +Math.min(...ready).toFixed(1), max: +Math.max(...ready).toFixed(1) },
    send_to_bot_answer_rendered_ms: { median: +median(answer).toFixed(1), min: +Math.min(...answer).toFixed(1), max: +Math.max(...answer).toFixed(1) },
  });
});

// ---- leaving a message, agents, ratings and photos.

// agent connects an agent (Alice) in a second page of context, over the
// agent protocol (a WebSocket); window.frames_ collects what she receives.
async function agent(context, token = AGENT_TOKEN) {
  const agentPage = await context.newPage();
  await agentPage.goto(BASE + '/healthz');
  await agentPage.evaluate(([url, token]) => new Promise((resolve, reject) => {
    const ws = window.agent = new WebSocket(url);
    window.frames_ = [];
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, token }));
    ws.onmessage = (e) => { const f = JSON.parse(e.data); window.frames_.push(f); if (f.type === 'welcome') resolve(); if (f.type === 'error') reject(new Error(e.data)); };
  }), [BASE.replace('http', 'ws') + '/v1/agent/ws', token]);
  return agentPage;
}

// Leave a message: a Spanish customer whose team opens in about two hours
// asks for a person, leaves an email; the team opens (a routing reload)
// and its agent, already online, gets the chat with the message and the
// email; the customer is told someone is looking at it.
await scenario('h. team closed: "back at", leave an email (contact → ok), the team opens, the agent gets it', async (ctx) => {
  const context = await ctx({ locale: 'es-ES', timezoneId: 'Europe/Madrid' });
  const agentPage = await agent(context, AGENT_ES_TOKEN);
  const page = await openShop(context);
  await say(page, 'Quiero hablar con una persona, por favor');
  const closed = messages(page, 'system').and(page.locator('[data-notice=team_closed]'));
  await closed.waitFor();
  const form = hook(page, 'contact');
  await form.waitFor();
  check(/Volvemos/.test(await form.textContent()), `no "back at" in Spanish: ${await form.textContent()}`);
  await form.getByLabel('Correo electrónico').fill('lucia@example.com');
  await form.getByRole('button').click();
  const done = page.locator('[data-edgedesk=message] p[role=status], [data-edgedesk=error]');
  await done.first().waitFor();
  check(/Gracias/.test(await done.first().textContent()), `no thanks: ${await done.first().textContent()}`);
  const opened = await fetch(CONTROL + '/open-teams', { method: 'POST' });
  check(opened.ok, `opening the teams: HTTP ${opened.status}`);
  const assigned = await agentPage.waitForFunction(() => window.frames_.find((f) => f.type === 'assigned')).then((h) => h.jsonValue());
  check(assigned.customer && assigned.customer.email === 'lucia@example.com', `the agent's chat has no email: ${JSON.stringify(assigned.customer)}`);
  check(assigned.history.some((m) => m.from === 'customer' && /hablar con una persona/.test(m.text)), 'the agent\'s chat lacks the message');
  await messages(page, 'system').and(page.locator('[data-notice=picked_up]')).waitFor();
});

// An agent (Alice, in a second page: the agent protocol over a WebSocket)
// takes the chat, answers with her name shown, closes it; the customer rates it.
await scenario('i. agent chat, named; closed → rating (csat → ok)', async (ctx) => {
  const context = await ctx({ locale: 'en-GB', timezoneId: 'Europe/London' });
  const agentPage = await agent(context);
  const page = await openShop(context);
  await say(page, 'I want to talk to a human');
  const assigned = await agentPage.waitForFunction(() => window.frames_.find((f) => f.type === 'assigned')).then((h) => h.jsonValue());
  await agentPage.evaluate((s) => window.agent.send(JSON.stringify({ type: 'msg', cid: 'a1', session: s, text: 'Hi, I am Alice. Let me check order 48213.' })), assigned.session);
  const said = messages(page, 'agent').filter({ hasText: 'Let me check order 48213' });
  await said.waitFor();
  check((await said.textContent()).includes('Alice'), 'the agent message does not show her name');
  await agentPage.evaluate((s) => window.agent.send(JSON.stringify({ type: 'close', cid: 'a2', session: s })), assigned.session);
  await agentPage.waitForFunction(() => window.frames_.find((f) => f.type === 'ack' && f.cid === 'a2'));
  const closed = messages(page, 'system').and(page.locator('[data-notice=chat_closed]'));
  await closed.waitFor();
  const form = hook(page, 'csat');
  await form.getByLabel('4 of 5').check();
  await form.getByLabel('Comment (optional)').fill('Quick and kind');
  await form.getByRole('button').click();
  const done = page.locator('[data-edgedesk=message] p[role=status], [data-edgedesk=error]');
  await done.first().waitFor();
  const errs = hook(page, 'error');
  const err = (await errs.count()) ? await errs.last().getAttribute('data-code') : null;
  check(err === null, `csat refused: ${err}`);
  check(/Thank you/.test(await done.first().textContent()), `no thanks: ${await done.first().textContent()}`);
});

// Photos: the attach button shows when welcome.upload is present.
await scenario('j. upload a photo (POST /v1/files): thumbnail in the chat, the agent receives it, a reload refreshes an expired link', async (ctx) => {
  const context = await ctx({ locale: 'en-GB', timezoneId: 'Europe/London' });
  const agentPage = await agent(context);
  const page = await openShop(context);
  check(await hook(page, 'attach').isVisible(), 'no attach button: welcome had no upload token');
  await say(page, 'I want to talk to a human');
  const assigned = await agentPage.waitForFunction(() => window.frames_.find((f) => f.type === 'assigned')).then((h) => h.jsonValue());
  // A 1×1 PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const chooser = page.waitForEvent('filechooser');
  await hook(page, 'attach').click();
  await (await chooser).setFiles({ name: 'parcel.png', mimeType: 'image/png', buffer: png });
  const img = messages(page, 'customer').and(page.locator('[data-seq]')).locator('img');
  await img.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 1, await img.elementHandle());
  const got = await agentPage.waitForFunction((s) => window.frames_.find((f) => f.type === 'msg' && f.session === s && f.attachments), assigned.session).then((h) => h.jsonValue());
  const att = got.attachments[0];
  check(att.mime === 'image/png' && att.name === 'parcel.png' && /[?&]sig=/.test(att.url), `agent's attachment ${JSON.stringify(att)}`);
  const fetched = await agentPage.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength }; }, new URL(att.url, BASE).href);
  check(fetched.status === 200 && fetched.type === 'image/png' && fetched.size === png.length, `the agent's link: ${JSON.stringify(fetched)}`);
  const unsigned = await agentPage.evaluate(async (u) => (await fetch(u)).status, new URL(att.url.split('?')[0], BASE).href);
  check(unsigned === 403, `the file without its signature: HTTP ${unsigned}`);
  // The customer's cached link expires (files.link_ttl): a reload resumes
  // from before that message and shows the photo with a fresh link.
  await page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (!k.startsWith('edgedesk:')) continue;
      const st = JSON.parse(localStorage.getItem(k));
      st.msgs.forEach((m) => (m.att || []).forEach((a) => { a.url = a.url.replace(/exp=\d+/, 'exp=1'); }));
      localStorage.setItem(k, JSON.stringify(st));
    }
  });
  await page.reload();
  await page.waitForFunction(() => Array.from(
    document.querySelector('edgedesk-widget').shadowRoot.querySelectorAll('[data-edgedesk=message][data-from=customer] img'),
    (i) => i.complete && i.naturalWidth === 1 && !/exp=1&/.test(i.src)).includes(true));
});

// ---- l. a device clock two hours ahead: links the node signs for 15
// minutes are fresh by the node's clock (welcome.server_time), so a click
// opens the photo instead of resuming for fresh links again and again.
await scenario('l. device clock 2 h ahead: a photo link opens (no resume loop)', async (ctx) => {
  const context = await ctx({ locale: 'en-GB', timezoneId: 'Europe/London' });
  await context.addInitScript(() => {
    const now = Date.now.bind(Date);
    Date.now = () => now() + 2 * 3600 * 1000;
  });
  const page = await openShop(context);
  check(await page.evaluate(() => Date.now() - performance.timeOrigin - performance.now()) > 3600e3, 'the page clock is not ahead');
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const chooser = page.waitForEvent('filechooser');
  await hook(page, 'attach').click();
  await (await chooser).setFiles({ name: 'parcel.png', mimeType: 'image/png', buffer: png });
  const link = messages(page, 'customer').and(page.locator('[data-seq]')).locator('a[target=_blank]');
  await link.waitFor();
  const popup = context.waitForEvent('page');
  await link.click();
  const opened = await popup;
  await opened.waitForLoadState();
  check(/\/v1\/files\/.+[?&]sig=/.test(opened.url()), `the link opened ${opened.url()}`);
  check(await hook(page, 'status', '[data-state=connected]').count() === 1, 'the widget dropped its connection');
});

// ---- k. a language the widget fetches its texts for (Thai): the panel
// speaks Thai, and the bot answers "where is my order" in Thai with the
// number.
await scenario('k. th-TH: texts fetched from the node, the Thai answer with the order number', async (ctx) => {
  const context = await ctx({ locale: 'th-TH', timezoneId: 'Asia/Bangkok' });
  const page = await openShop(context);
  check(await hook(page, 'input').getAttribute('placeholder') === 'พิมพ์ข้อความ…', 'the input is not in Thai');
  await say(page, 'ออเดอร์ 48213 ถึงไหนแล้วคะ');
  await waitCount(page, 'bot', 1);
  const answer = await messages(page, 'bot').last().textContent();
  check(/48213/.test(answer) && /[\u0E00-\u0E7F]/.test(answer), `the answer is not Thai with the number: ${answer}`);
});

await spanishContext.close();
await browser.close();
console.log(JSON.stringify({ results, timings, notes }, null, 2));
process.exit(failures ? 1 : 0);
