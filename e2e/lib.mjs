// Helpers the browser specs share: the browser, the pages' data-edgedesk
// hooks, the customer's side on the demo shop, and axe-core. Each spec
// (widget, console, dashboard, team) imports them; BASE and CHROMIUM come
// from the environment browser_test.go sets.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const { BASE, CHROMIUM = '/usr/bin/chromium' } = process.env;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// WAIT bounds every auto-waiting locator.
export const WAIT = 15000;

// launch starts Debian's chromium with what a test machine needs (no
// sandbox as root, no background traffic), plus extra flags.
export function launch(extra = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extra],
  });
}

export function check(ok, msg) {
  if (!ok) throw new Error(msg);
}

// hook finds a page's data-edgedesk hook; Playwright's CSS locators pierce
// the widget's open shadow root.
export const hook = (page, name, extra = '') => page.locator(`[data-edgedesk=${name}]${extra}`);
export const messages = (page, from) => hook(page, 'message', from ? `[data-from=${from}]` : '');

// openShop opens the demo shop in a new page of context, waits for the
// widget to connect, and opens its panel (focus moves to the input).
export async function openShop(context, path = '/demo') {
  const page = await context.newPage();
  await page.goto(BASE + path);
  await hook(page, 'status', '[data-state=connected]').waitFor({ state: 'attached' });
  await hook(page, 'launcher').click();
  await hook(page, 'panel').waitFor();
  await page.waitForFunction(() => document.querySelector('edgedesk-widget').shadowRoot.activeElement?.dataset.edgedesk === 'input');
  return page;
}

// say types text in the widget, sends it with Enter and waits until the
// node stored it (the message has its seq).
export async function say(page, text) {
  await hook(page, 'input').fill(text);
  await hook(page, 'input').press('Enter');
  await messages(page, 'customer').filter({ hasText: text }).last().and(page.locator('[data-seq]')).waitFor();
}

// axe runs axe-core on the whole page: every violation (all) and the
// serious or critical ones (bad), each as "impact id: targets". A page
// under a CSP without 'unsafe-inline' needs a context with bypassCSP.
export async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    const brief = (v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`;
    return { all: r.violations.map(brief), bad: r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map(brief) };
  });
}
