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

// The pages watched (collectErrors) and their last API answers, for the failure's account.
const watched = new Set();
const answers = [];

// collectErrors(page, errors): the page's console errors and uncaught exceptions into errors;
// its last API answers (method, path, status, time) kept for run's account of a failure.
export function collectErrors(page, errors) {
  watched.add(page);
  page.on('close', () => watched.delete(page));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfinished', async (req) => {
    if (!req.url().includes('/api/')) return;
    const res = await req.response().catch(() => null);
    answers.push(`${new Date().toISOString()} ${req.method()} ${new URL(req.url()).pathname} ${res ? res.status() : '-'}`);
    if (answers.length > 15) answers.shift();
  });
  page.on('requestfailed', (req) => {
    if (!req.url().includes('/api/')) return;
    answers.push(`${new Date().toISOString()} ${req.method()} ${new URL(req.url()).pathname} failed: ${req.failure()?.errorText}`);
    if (answers.length > 15) answers.shift();
  });
}

// What a failed check leaves to read: each open page's address and the text on its screen,
// and the last API answers (a stream request stays open: it is listed when it ends).
async function account() {
  for (const page of watched) {
    const text = await page.evaluate(() => document.querySelector('main')?.innerText ?? document.body.innerText)
      .catch((e) => `(unreadable: ${e.message})`);
    console.error(`[browser] at failure: ${page.url()}\n[browser] on the screen: ${String(text).slice(0, 1500).replace(/\n+/g, ' | ')}`);
  }
  if (answers.length) console.error(`[browser] the last API answers:\n  ${answers.join('\n  ')}`);
}

// noScriptErrors(errors): none but the browser's own "Failed to load resource" (a 4xx the
// test provoked).
export const noScriptErrors = (errors) =>
  assert.deepEqual(errors.filter((e) => !/^Failed to load resource/.test(e)), [], 'no script errors');

// run(browser, onFailure, body): runs the checks; when one fails, onFailure's screenshots
// (their own failure does not hide the check's), the account of the pages (above) on stderr
// and the failure rethrown; the browser is
// closed either way.
export async function run(browser, onFailure, body) {
  try {
    await body();
  } catch (err) {
    await Promise.resolve().then(onFailure).catch(() => {});
    await account().catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
  console.log('[browser] all checks passed');
}
