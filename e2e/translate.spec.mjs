// Translation in the widget, run by translate_test.go against a real node
// translating through a real Apertium APY: BASE, CHROMIUM, AGENT_TOKEN
// (Alice, English only), SHOTS, FAILS. A Spanish customer asks for a
// person; Alice, who writes English, answers; the customer reads Spanish,
// marked "Traducido", and can show the original and back with a toggle
// button (keyboard too); Alice reads the customer's next message in
// English with the original.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { launch, check, hook, messages, openShop, say, axe } from './lib.mjs';

const { BASE, AGENT_TOKEN, SHOTS, FAILS } = process.env;
mkdirSync(SHOTS, { recursive: true });
const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'es-ES', timezoneId: 'Europe/Madrid' });
context.setDefaultTimeout(30000);
let failed = false;
try {
  const agentPage = await context.newPage();
  await agentPage.goto(BASE + '/healthz');
  await agentPage.evaluate(([url, token]) => new Promise((resolve, reject) => {
    const ws = window.agent = new WebSocket(url);
    window.frames_ = [];
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, token }));
    ws.onmessage = (e) => { const f = JSON.parse(e.data); window.frames_.push(f); if (f.type === 'welcome') resolve(); if (f.type === 'error') reject(new Error(e.data)); };
  }), [BASE.replace('http', 'ws') + '/v1/agent/ws', AGENT_TOKEN]);

  const page = await openShop(context);
  await say(page, 'Quiero hablar con una persona, por favor');
  const assigned = await agentPage.waitForFunction(() => window.frames_.find((f) => f.type === 'assigned')).then((h) => h.jsonValue());
  check(assigned.needs_translation, 'the chat is not marked needs_translation');

  const original = 'I will send you the return label for your Edgeflux kettle today.';
  await agentPage.evaluate(([session, text]) => window.agent.send(JSON.stringify({ type: 'msg', cid: 'a1', session, text })), [assigned.session, original]);
  const reply = messages(page, 'agent').last();
  await reply.waitFor();
  const shown = () => reply.locator('span').first().textContent();
  const spanish = await shown();
  check(/etiqueta de devolución/.test(spanish) && /Edgeflux/.test(spanish), `the reply is not Spanish with the glossary's terms: ${spanish}`);
  const mark = reply.locator('[data-edgedesk=translated]');
  check(/Traducido/.test(await mark.textContent()), `no "Traducido" mark: ${await mark.textContent()}`);
  const toggle = mark.getByRole('button', { name: 'Ver original' });
  check(await toggle.getAttribute('aria-pressed') === 'false', 'the toggle starts pressed');
  await toggle.click();
  check(await shown() === original, `"Ver original" shows ${await shown()}`);
  check(await toggle.getAttribute('aria-pressed') === 'true', 'the toggle is not pressed after a click');
  check(await reply.locator('span[lang=en]').count() === 1, 'the original is not marked lang=en');
  await toggle.focus();
  await page.keyboard.press('Enter');
  check(await shown() === spanish, `Enter did not bring the translation back: ${await shown()}`);
  await page.screenshot({ path: join(SHOTS, 'widget-translated.png') });
  const a = await axe(page);
  check(a.bad.length === 0, `axe: ${a.bad.join('; ')}`);

  await say(page, '¿Dónde está mi pedido?');
  const got = await agentPage.waitForFunction(() => window.frames_.find((f) => f.type === 'msg' && f.from === 'customer' && f.translation)).then((h) => h.jsonValue());
  check(got.translation.status === 'translated' && got.translation.to === 'en' && /where/i.test(got.translation.text) && /pedido/.test(got.text),
    `the agent got ${JSON.stringify(got)}`);
  console.log('translation: pass');
} catch (e) {
  failed = true;
  console.log(`translation: FAIL: ${e.message}`);
  let i = 0;
  for (const p of context.pages()) await p.screenshot({ path: join(FAILS, `translation-${i++}.png`) }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
