// Browser scenarios of the agent console (/console), run by console_test.go
// against a real node: BASE, CHROMIUM, CONTROL (POST /open-teams opens
// every group), SHOTS, FAILS, and PASSWORD, the password of the accounts
// the test created with `edgedesk staff add`: ana@shop.example and
// bo@shop.example (agents of group es), sue@shop.example (supervisor).
// Everyone signs in through the page's form, against the node's real
// /v1/auth/login. Locators use the pages' data-edgedesk hooks and
// auto-wait; nothing sleeps.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WAIT, launch, check, hook, openShop, say, axe } from './lib.mjs';

const { BASE, CONTROL, SHOTS, FAILS, PASSWORD } = process.env;
mkdirSync(SHOTS, { recursive: true });
mkdirSync(FAILS, { recursive: true });

const browser = await launch(['--autoplay-policy=no-user-gesture-required']);
const contexts = [];
async function newContext(opts = {}) {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  c.setDefaultTimeout(WAIT);
  contexts.push(c);
  return c;
}
const widgetTyping = (page) => page.locator('edgedesk-widget .t');

// console_ opens /console in context and signs in through the form.
async function console_(context, email) {
  const page = await context.newPage();
  await page.goto(BASE + '/console');
  await signIn(page, email);
  return page;
}
async function signIn(page, email, password = PASSWORD) {
  await hook(page, 'login-email').fill(email);
  await hook(page, 'login-password').fill(password);
  await hook(page, 'login-submit', ':not([disabled])').click();
  await hook(page, 'connection', '[data-state=connected]').waitFor();
}


// axeOK scans page and fails on serious or critical violations.
async function axeOK(page, what) {
  const found = await axe(page);
  console.log(`axe, ${what}:`, JSON.stringify(found.all));
  check(!found.bad.length, `${what}: serious/critical violations: ${found.bad.join('; ')}`);
}

let step = '';
const NOTE = 'Pidió reembolso del pedido 48213: ya revisé el envío';
try {
  await fetch(CONTROL + '/open-teams', { method: 'POST' }).then((r) => check(r.ok, `open-teams: ${r.status}`));

  // ---- 1. Sign-in form: a wrong password (the node's 401), then in.
  // (The rate limit's 429 is a step of team.spec.mjs.)
  step = 'sign-in form';
  // Ana's and Sue's pages get axe-core injected, which the console's CSP
  // would refuse: their contexts bypass it; Bo's page runs under it.
  const anaCtx = await newContext({ bypassCSP: true });
  const ana = await anaCtx.newPage();
  await ana.goto(BASE + '/console');
  await hook(ana, 'login-email').waitFor();
  await axeOK(ana, 'sign-in form');
  await ana.screenshot({ path: join(SHOTS, 'console-signin.png') });
  await hook(ana, 'login-email').fill('ana@shop.example');
  await hook(ana, 'login-password').fill('not the password');
  await hook(ana, 'login-submit').click();
  await hook(ana, 'login-error').filter({ hasText: 'wrong email or password' }).waitFor();
  check((await anaCtx.cookies()).length === 0, 'a failed sign-in set a cookie');
  await signIn(ana, 'ana@shop.example');
  const cookie = (await anaCtx.cookies()).find((c) => c.name === 'edgedesk_staff');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', `the staff cookie: ${JSON.stringify(cookie)}`);
  await hook(ana, 'me').filter({ hasText: 'Ana' }).waitFor();
  await hook(ana, 'status', '[data-state=online]').waitFor();

  // ---- 2. A Spanish customer asks for a person: the chat appears, with
  // the notification, the history, the facts and why it came here.
  step = 'new chat';
  const custCtx = await newContext({ locale: 'es-ES', timezoneId: 'America/Mexico_City' });
  const cust = await openShop(custCtx);
  await say(cust, '¿Dónde está mi pedido 48213?');
  await hook(cust, 'message', '[data-from=bot]').filter({ hasText: '48213' }).first().waitFor();
  await say(cust, 'Quiero hablar con una persona, por favor');
  const item = hook(ana, 'chat').first();
  await item.waitFor();
  await ana.waitForFunction(() => document.title === '(1) edgedesk console');
  check(Number(await item.getAttribute('data-unread')) >= 1, `unread ${await item.getAttribute('data-unread')}`);
  await hook(ana, 'announce').filter({ hasText: 'New chat' }).waitFor({ state: 'attached' }); // aria-live
  const sid = await item.getAttribute('data-session');
  await item.click();
  await hook(ana, 'message', '[data-from=customer]').filter({ hasText: 'hablar con una persona' }).waitFor();
  const first = hook(ana, 'message', '[data-from=customer]').first();
  const text = first.locator('[lang]').first();
  check(await text.getAttribute('lang') === 'es' && await text.getAttribute('dir') === 'ltr', 'customer message without lang and dir');
  check(Number(await first.getAttribute('data-seq')) === 1, `first message seq ${await first.getAttribute('data-seq')}`);
  await ana.waitForFunction(() => document.title === 'edgedesk console'); // read
  await hook(ana, 'entities').filter({ hasText: '48213' }).waitFor();
  await hook(ana, 'customer-local-time').filter({ hasText: 'America/Mexico_City' }).waitFor();
  await hook(ana, 'why').locator('summary').click();
  const why = await hook(ana, 'why').textContent();
  check(/es/.test(why) && /language/.test(why), `why: ${why}`);

  // ---- 3. Typing both ways, then replies: Enter sends, Shift+Enter is a new line.
  step = 'typing and replies';
  await hook(ana, 'reply').pressSequentially('Hola');
  await widgetTyping(cust).waitFor({ state: 'visible' });
  await hook(ana, 'reply').press('Shift+Enter');
  await hook(ana, 'reply').pressSequentially('soy Ana');
  check((await hook(ana, 'reply').inputValue()) === 'Hola\nsoy Ana', `reply box ${JSON.stringify(await hook(ana, 'reply').inputValue())}`);
  await hook(ana, 'reply').press('Enter');
  const got = hook(cust, 'message', '[data-from=agent]').filter({ hasText: 'soy Ana' });
  await got.waitFor();
  check((await got.textContent()).includes('Hola\nsoy Ana'), `customer got ${JSON.stringify(await got.textContent())}`);
  check((await hook(ana, 'reply').inputValue()) === '', 'the reply box was not emptied');
  await hook(ana, 'message', '[data-from=agent][data-seq]').filter({ hasText: 'soy Ana' }).waitFor();
  await widgetTyping(cust).waitFor({ state: 'hidden' });
  await hook(cust, 'input').pressSequentially('es que');
  await hook(ana, 'customer-typing').waitFor({ state: 'visible' });
  await say(cust, 'es que no llega');
  await hook(ana, 'message', '[data-from=customer]').filter({ hasText: 'no llega' }).waitFor();
  await hook(ana, 'customer-typing').waitFor({ state: 'hidden' });

  // ---- 4. A canned answer in the customer's language, with the order
  // number filled in, inserted for editing and sent.
  step = 'canned answer';
  await hook(ana, 'canned').click();
  await hook(ana, 'canned-search').fill('pedido');
  const canned = hook(ana, 'canned-answer', '[data-intent=track_order]');
  await canned.waitFor();
  check(await canned.getAttribute('lang') === 'es', `canned lang ${await canned.getAttribute('lang')}`);
  await canned.click();
  await hook(ana, 'reply').and(ana.locator(':focus')).waitFor();
  const inserted = await hook(ana, 'reply').inputValue();
  check(inserted.startsWith('Pedido #48213'), `inserted ${JSON.stringify(inserted)}`);
  await hook(ana, 'reply').press('End');
  await hook(ana, 'reply').pressSequentially(' ¿Algo más?');
  await hook(ana, 'send').click();
  await hook(cust, 'message', '[data-from=agent]').filter({ hasText: '¿Algo más?' }).waitFor();

  // ---- 4b. A reply typed offline waits, goes after the reconnect with
  // its cid, and is stored once.
  step = 'offline reply';
  await anaCtx.setOffline(true);
  await hook(ana, 'connection', '[data-state=offline]').waitFor();
  await hook(ana, 'reply').fill('Sigo aquí, un momento');
  await hook(ana, 'reply').press('Enter');
  await hook(ana, 'message', '[data-pending]:not([data-seq])').filter({ hasText: 'Sigo aquí' }).waitFor();
  await anaCtx.setOffline(false);
  await hook(ana, 'connection', '[data-state=connected]').waitFor({ timeout: 30000 });
  await hook(ana, 'message', '[data-from=agent][data-seq]').filter({ hasText: 'Sigo aquí' }).waitFor();
  await hook(cust, 'message', '[data-from=agent]').filter({ hasText: 'Sigo aquí' }).waitFor();
  await say(cust, 'vale, gracias'); // stored after any second copy would have been
  await hook(ana, 'message', '[data-from=customer]').filter({ hasText: 'vale, gracias' }).waitFor();
  const copies = await hook(ana, 'message', '[data-from=agent]').filter({ hasText: 'Sigo aquí' }).count();
  check(copies === 1, `the offline reply is shown ${copies} times`);

  // ---- 5. Accessibility of the console with a chat open; screenshots.
  step = 'axe';
  await axeOK(ana, 'console with a chat');
  await ana.screenshot({ path: join(SHOTS, 'console-chat.png') });
  // Keyboard: the transfer dialog opens from the keyboard, Escape closes it
  // and focus goes back to its button.
  await hook(ana, 'transfer').focus();
  await ana.keyboard.press('Enter');
  await hook(ana, 'transfer-target').and(ana.locator(':focus')).waitFor();
  await ana.keyboard.press('Escape');
  await hook(ana, 'transfer').and(ana.locator(':focus')).waitFor();

  // ---- 6. Transfer with a note to Bo, who sees history and note; the
  // customer never sees the note. Bo closes.
  step = 'transfer';
  const boCtx = await newContext();
  const bo = await console_(boCtx, 'bo@shop.example');
  await hook(ana, 'transfer').click();
  await hook(ana, 'transfer-target').locator('option[value="agent:bo"]:not([disabled])').waitFor({ state: 'attached' });
  await hook(ana, 'transfer-target').selectOption('agent:bo');
  await hook(ana, 'transfer-note').fill(NOTE);
  await hook(ana, 'transfer-submit').click();
  await hook(ana, 'chat', `[data-session="${sid}"]`).waitFor({ state: 'detached' });
  await hook(bo, 'chat', `[data-session="${sid}"]`).click();
  await hook(bo, 'note').filter({ hasText: NOTE }).waitFor();
  check((await hook(bo, 'note').textContent()).includes('Ana'), 'the note does not say who left it');
  await hook(bo, 'message', '[data-from=agent]').filter({ hasText: 'soy Ana' }).waitFor();
  await hook(bo, 'message', '[data-from=customer]').filter({ hasText: 'hablar con una persona' }).waitFor();
  const joined = hook(cust, 'message', '[data-from=system]').filter({ hasText: 'Bo' });
  await joined.waitFor(); // the customer was told Bo joined: the transfer reached them
  check(!(await cust.locator('edgedesk-widget').textContent()).includes('reembolso'), 'the customer sees the note');
  await bo.setViewportSize({ width: 375, height: 740 });
  await hook(bo, 'reply').waitFor();
  check(await bo.evaluate(() => document.documentElement.scrollWidth <= 375), 'the console scrolls sideways at 375 px');
  await bo.screenshot({ path: join(SHOTS, 'console-phone.png') });
  await bo.setViewportSize({ width: 1280, height: 800 });
  await hook(bo, 'close').click();
  await hook(bo, 'chat', `[data-session="${sid}"]`).waitFor({ state: 'detached' });
  await hook(cust, 'message', '[data-from=system]').last().waitFor();

  // ---- 7. Supervisor: the team's queues and agents; reassigning an
  // assigned and a waiting chat.
  step = 'supervisor';
  await hook(bo, 'status').selectOption('away');
  await hook(bo, 'status', '[data-state=away]').waitFor();
  const cust2Ctx = await newContext({ locale: 'es-ES', timezoneId: 'Europe/Madrid' });
  const cust2 = await openShop(cust2Ctx);
  await say(cust2, 'Quiero hablar con una persona');
  await hook(ana, 'chat').first().waitFor(); // Bo is away: Ana has it
  const sid2 = await hook(ana, 'chat').first().getAttribute('data-session');
  const sueCtx = await newContext({ bypassCSP: true });
  const sue = await console_(sueCtx, 'sue@shop.example');
  await sue.getByRole('button', { name: 'Team' }).click();
  await hook(sue, 'team').waitFor();
  const es = hook(sue, 'queue', '[data-group=es]');
  await es.locator('[data-edgedesk=agent-row][data-agent=bo][data-status=away]').waitFor();
  await es.locator('[data-edgedesk=agent-row][data-agent=ana][data-status=online]').filter({ hasText: '1/5' }).waitFor();
  // Reassign Ana's chat to the uk-en group, where nobody is online: it waits there.
  await es.locator(`[data-edgedesk=reassign][data-session="${sid2}"]`).click();
  await hook(sue, 'transfer-target').locator('option[value="group:uk-en"]').waitFor({ state: 'attached' });
  await hook(sue, 'transfer-target').selectOption('group:uk-en');
  await hook(sue, 'transfer-note').fill('Habla inglés también');
  await hook(sue, 'transfer-submit').click();
  await hook(ana, 'chat').first().waitFor({ state: 'detached' });
  const uk = hook(sue, 'queue', '[data-group=uk-en]');
  await uk.locator('li', { hasText: 'waiting' }).waitFor();
  await sue.screenshot({ path: join(SHOTS, 'console-team.png') });
  await axeOK(sue, 'team view');
  // Bo back online; Sue gives him the waiting chat.
  await hook(bo, 'status').selectOption('online');
  await es.locator('[data-edgedesk=agent-row][data-agent=bo][data-status=online]').waitFor();
  await uk.locator('[data-edgedesk=reassign]').first().click();
  await hook(sue, 'transfer-target').locator('option[value="agent:bo"]:not([disabled])').waitFor({ state: 'attached' });
  await hook(sue, 'transfer-target').selectOption('agent:bo');
  await hook(sue, 'transfer-submit').click();
  await hook(bo, 'chat').first().click();
  await hook(bo, 'note').filter({ hasText: 'Sue' }).filter({ hasText: 'Habla inglés también' }).waitFor(); // the note left when it went to the queue
  check(await hook(bo, 'chat').first().getAttribute('data-session') === sid2, 'Bo got another chat');
  await uk.locator('text=Nobody waiting.').waitFor();

  // ---- 8. An expired sign-in: the node refuses the reconnect
  // (unauthorized) and the page asks to sign in again. Signing out.
  step = 'expiry and sign-out';
  await boCtx.clearCookies();
  await boCtx.setOffline(true);
  await hook(bo, 'connection', '[data-state=offline]').waitFor();
  await boCtx.setOffline(false);
  await hook(bo, 'login-error').filter({ hasText: 'expired' }).waitFor({ timeout: 30000 });
  await hook(bo, 'login-email').and(bo.locator(':focus')).waitFor();
  const loggedOut = sue.waitForResponse((r) => r.url() === BASE + '/v1/auth/logout' && r.request().method() === 'POST');
  await hook(sue, 'signout').click();
  await hook(sue, 'login-email').waitFor();
  check((await loggedOut).status() === 204, `POST /v1/auth/logout: HTTP ${(await loggedOut).status()}`);
  check(!(await sueCtx.cookies()).some((c) => c.name === 'edgedesk_staff'), 'the cookie outlived the sign-out');
  const me = await sue.evaluate(async () => (await fetch('/v1/auth/me')).status);
  check(me === 401, `GET /v1/auth/me after signing out: HTTP ${me}`);
  check(await sue.title() === 'edgedesk console', `title after sign-out: ${await sue.title()}`);
  console.log('all console scenarios passed');
} catch (e) {
  console.log(`FAIL at ${step}: ${e.message.split('\n').slice(0, 8).join('\n')}`);
  let i = 0;
  for (const c of contexts) for (const p of c.pages()) {
    await p.screenshot({ path: join(FAILS, `${step.replace(/\W+/g, '_')}-${i++}.png`) }).catch(() => {});
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
