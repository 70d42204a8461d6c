// What the browser scripts (*.test.mjs) share: their settings from the environment, one
// headless Debian chromium, screenshots into SHOTS_DIR, the script errors a page reports, and
// the end of a run (a screenshot on failure, the browser closed, "all checks passed").
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

export const step = (text) => console.log(`[browser] ${text}`);

// settings(...names): GW_URL, SHOTS_DIR and the variables named, each of them required, by
// name (SHOTS_DIR created).
export function settings(...names) {
  const all = ['GW_URL', 'SHOTS_DIR', ...names];
  const listed = `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
  assert.ok(all.every((n) => process.env[n]), `${listed} must be set`);
  mkdirSync(process.env.SHOTS_DIR, { recursive: true });
  return Object.fromEntries(all.map((n) => [n, process.env[n]]));
}

// launch(): chromium (CHROMIUM, or Debian's /usr/bin/chromium), headless.
export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });

// screenshot(page, name): the whole page as SHOTS_DIR/name.png.
export const screenshot = (page, name) =>
  page.screenshot({ path: `${process.env.SHOTS_DIR}/${name}.png`, fullPage: true });

// collectErrors(page, errors): the page's console errors and uncaught exceptions into errors.
export function collectErrors(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
}

// noScriptErrors(errors): none but the browser's own "Failed to load resource" (a 4xx the
// test provoked).
export const noScriptErrors = (errors) =>
  assert.deepEqual(errors.filter((e) => !/^Failed to load resource/.test(e)), [], 'no script errors');

// run(browser, onFailure, body): runs the checks; when one fails, onFailure's screenshots
// (their own failure does not hide the check's) and the failure rethrown; the browser is
// closed either way.
export async function run(browser, onFailure, body) {
  try {
    await body();
  } catch (err) {
    await Promise.resolve().then(onFailure).catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
  console.log('[browser] all checks passed');
}
