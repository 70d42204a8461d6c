// The console in a real browser (Debian's chromium, driven by playwright-core) against a
// running stack and gateway: an agent signs in, sees today's bag and the next-call card
// (the phone shown only there), logs an outcome with the keyboard; the agent cannot open the
// manager's return queue (the page says so, and the API refuses the approval naming the
// role); a manager opens it. Meanwhile the manager's wallboard, open in another browser,
// counts the agent's call done within a second of the outcome being logged, without a
// reload (the live stream). Screenshots go to SHOTS_DIR.
// Usage: GW_URL=http://127.0.0.1:PORT SHOTS_DIR=DIR CARE_TASK=ID node console.test.mjs
import assert from 'node:assert/strict';
import { collectErrors, launch, noScriptErrors, run, screenshot, settings, step } from './harness.mjs';

const { GW_URL: url, CARE_TASK: care } = settings('CARE_TASK');
const browser = await launch();
let page;
const shot = async (name) => screenshot(page, name);
let wall;
const wallShot = async (name) => screenshot(wall, name);
const doneOf = async (agentId) => Number(await wall.getAttribute(`#wallboard tr[data-agent="${agentId}"]`, 'data-done'));
await run(browser, () => page && shot('failure'), async () => {
  // ---- the manager's wallboard, in a browser of its own, before the agent starts
  const board = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1200, height: 800 } });
  wall = await board.newPage();
  const wallErrors = [];
  wall.on('pageerror', (e) => wallErrors.push(String(e)));
  await wall.goto(url);
  await wall.fill('#login', 'M001');
  await wall.fill('#password', 'manager-pass-1');
  await wall.press('#password', 'Enter');
  await wall.waitForSelector('#nav-wallboard:not([hidden])');
  await wall.click('#nav-wallboard');
  await wall.waitForSelector('#wallboard tr[data-agent="A001"]');
  await wall.waitForSelector('#live:has-text("实时")');
  const doneBefore = await doneOf('A001');
  await wall.evaluate(() => { window.__noReload = true; });
  step(`wallboard open: A001 has ${doneBefore} done`);

  const agent = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1200, height: 800 } });
  page = await agent.newPage();
  const consoleErrors = [];
  collectErrors(page, consoleErrors);

  // ---- sign in, in Chinese by default
  await page.goto(url);
  await page.waitForSelector('#login-form');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.textContent('#login-form h1'), '登录');
  await shot('01-login');
  step('login form in zh-CN');
  await page.fill('#login', 'A001');
  await page.fill('#password', 'wrong-password');
  await page.press('#password', 'Enter');
  await page.waitForSelector('#login-form .error');
  assert.match(await page.textContent('#login-form .error'), /wrong login or password/);
  await page.fill('#password', 'agent-pass-1');
  await page.press('#password', 'Enter');

  // ---- my day: the bag and the next-call card
  await page.waitForSelector(`#bag tr[data-task="${care}"]`);
  assert.match(await page.textContent('#who'), /A001|Li Na/);
  await shot('02-my-day');
  step("today's bag shows the care call");
  assert.equal(await page.locator('text=13812345678').count(), 0, 'no phone number before the card');
  // ---- the call claimed in another tab of the agent: the bag follows, by the live stream alone
  await page.evaluate(() => { window.__noReload = true; });
  const elsewhere = await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1/tasks/next', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{}' });
    return r.status;
  });
  assert.equal(elsewhere, 200);
  await page.waitForSelector(`#bag tr[data-task="${care}"][data-state="claimed"]`);
  assert.ok(await page.evaluate(() => window.__noReload === true), 'my day was not reloaded');
  step('a call claimed in another tab shows as claimed in the bag, no reload');
  await page.keyboard.press('n');
  await page.waitForSelector('#card-phone');
  assert.equal((await page.textContent('#card-phone')).trim(), '13812345678');
  assert.equal((await page.textContent('#card-customer')).trim(), 'Wang Fang');
  assert.equal((await page.textContent('#card-purpose')).trim(), 'care');
  await page.waitForSelector(`#bag tr[data-task="${care}"][data-state="claimed"]`);
  await shot('03-next-call');
  step('next-call card with the phone, by the N key');

  // ---- the outcome, by the keyboard: 1 = connected
  await page.keyboard.press('1');
  assert.ok(await page.isChecked('#outcome-connected'), 'key 1 chose connected');
  await page.keyboard.press('8');
  assert.ok(await page.isChecked('#outcome-callback'), 'key 8 chose callback');
  await page.keyboard.press('1');
  await page.selectOption('#effect', 'good');
  await page.fill('#note', '早饭后服用，效果好');
  await shot('04-outcome-form');
  await page.press('#save-outcome', 'Enter');
  await page.waitForSelector('#toast.show');
  const logged = Date.now();
  assert.match(await page.textContent('#toast'), /已记录/);
  // ---- the wallboard follows within a second, without a reload
  await wall.waitForSelector(`#wallboard tr[data-agent="A001"][data-done="${doneBefore + 1}"]`, { timeout: 1000 });
  const lag = Date.now() - logged;
  assert.ok(await wall.evaluate(() => window.__noReload === true), 'the wallboard was not reloaded');
  assert.ok(lag <= 1000, `the wallboard took ${lag} ms`);
  await wallShot('09-wallboard');
  step(`wallboard counted the call done ${lag} ms after it was logged, no reload`);
  assert.deepEqual(wallErrors, [], 'no script errors on the wallboard');
  await board.close();
  await page.waitForSelector('#next-call');
  await shot('05-logged');
  step('outcome logged');

  // ---- English by the switch
  await page.click('#lang');
  await page.waitForSelector('text=My day');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await shot('06-english');
  step('English switch');

  // ---- the manager's return queue is not the agent's
  await page.goto(`${url}/#/returns`);
  await page.waitForSelector('#forbidden');
  assert.match(await page.textContent('#forbidden'), /managers and admins.*phone/);
  await shot('07-agent-no-returns');
  const refused = await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1/returns/1/approve', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{}' });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error, /return_decide needs the role manager or admin; A001 is phone/);
  step('agent refused the return queue (page and API)');
  // refused requests (the 401 before signing in, the wrong password, the 403 above) show as
  // "Failed to load resource"; anything else is a script error
  noScriptErrors(consoleErrors);
  await agent.close();

  // ---- the manager opens it
  const manager = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1200, height: 800 } });
  page = await manager.newPage();
  await page.goto(url);
  await page.fill('#login', 'M001');
  await page.fill('#password', 'manager-pass-1');
  await page.press('#password', 'Enter');
  await page.waitForSelector('#returns-empty, #returns table');
  assert.equal(await page.locator('#forbidden').count(), 0);
  await shot('08-manager-returns');
  step('manager sees the return queue');
  await manager.close();
});
