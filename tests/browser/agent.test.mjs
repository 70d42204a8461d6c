// The agent's screens in a real browser (Debian's chromium, driven by playwright-core) against
// a running stack and gateway (tests/e2e/074_console_agent.sh): the daily loop by the keyboard
// alone; the outcome form with every field of the record sheet; a callback due now
// highlighted (the test moves the manual clock with `huifang clock advance`); tomorrow's preview; the customer screens (search, profile, timeline, edit,
// do-not-disturb, opt-out); the supervisors' pages refused. Screenshots go to SHOTS_DIR.
// Usage: GW_URL=http://127.0.0.1:PORT SHOTS_DIR=DIR CUSTOMER=ID node agent.test.mjs
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { collectErrors, launch, noScriptErrors, run, screenshot, settings, step } from './harness.mjs';

const { GW_URL: url, CUSTOMER: customer } = settings('CUSTOMER');
const browser = await launch();
let page;
const shot = async (name) => screenshot(page, name);
const claimed = () => page.getAttribute('#card h2', 'data-task').catch(() => null);
await run(browser, () => page && shot('failure'), async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  page = await ctx.newPage();
  const errors = [];
  collectErrors(page, errors);
  const k = page.keyboard;

  // ---- the loop by the keyboard alone: sign in, N, an outcome key, Enter
  await page.goto(url);
  await page.waitForSelector('#login-form');
  await k.type('A001');
  await k.press('Tab');
  await k.type('agent-pass-1');
  await k.press('Enter');
  await page.waitForSelector('#bag tr[data-task]');
  await page.waitForSelector('#tomorrow h2:has-text("2026-11-13")');
  await shot('01-keyboard-login');
  const bagSize = await page.locator('#bag tr[data-task]').count();
  assert.ok(bagSize >= 3, `three care calls in the bag, not ${bagSize}`);
  step(`signed in by the keyboard; ${bagSize} calls today, tomorrow's preview shown`);
  await k.press('n');
  await page.waitForSelector('#card-phone');
  const first = await claimed();
  assert.ok(await page.evaluate(() => document.activeElement?.name === 'outcome'), 'the outcome has the focus');
  await k.press('2');
  assert.ok(await page.isChecked('#outcome-no-answer'), 'key 2 chose no answer');
  await k.press('Enter');
  await page.waitForSelector('#toast.show:has-text("无人接听")');
  await page.waitForSelector('#next-call');
  assert.ok(await page.evaluate(() => document.activeElement?.id === 'next-call'), 'the focus is back on "next call"');
  step(`keyboard-only: N, 2, Enter logged "no answer" for task ${first}`);

  // ---- the full record sheet
  await k.press('n');
  await page.waitForSelector('#card-phone');
  await k.press('1');
  await page.selectOption('#effect', 'good');
  await page.fill('#usage_dose', '每日两次，每次一片');
  await page.fill('#usage_timing', '早饭后');
  await page.fill('#usage_other', '降压药');
  await page.fill('#usage_diet', '少盐');
  await page.fill('#advice', '坚持服用，多喝水');
  await page.fill('#order_product', 'VC30');
  await page.fill('#order_qty', '2');
  await page.selectOption('#delivery', 'home');
  await page.fill('#ref_name', 'Sun Hao');
  await page.fill('#ref_phone', '13911112222');
  await page.fill('#ref_region', 'chaoyang');
  await page.check('#event_accepted');
  await page.fill('#event', '健康讲座 11月20日');
  await page.check('#typical_case');
  await page.check('#typical_consent');
  await page.fill('#next_date', '2026-11-26');
  await page.fill('#note', '客户很满意');
  await shot('02-full-form');
  await page.click('#save-outcome');
  await page.waitForSelector('#toast.show:has-text("已接通")');
  await page.waitForSelector('#next-call');
  await shot('03-logged');
  step('the full record sheet saved (usage, effect, advice, order and delivery, referral, invitation, typical case, next date)');

  // ---- a callback in 20 minutes (the manual clock stands at 10:00): highlighted as due soon
  await k.press('n');
  await page.waitForSelector('#card-phone');
  await k.press('8');
  await page.fill('#callback_at', '2026-11-12T10:20');
  await page.click('#save-outcome');
  await page.waitForSelector('#toast.show:has-text("要求回电")');
  // the scheduler puts the callback in the bag at its time: the clock moves to 10:20
  execFileSync('huifang', ['clock', 'advance', '20m'], { stdio: 'ignore' });
  await page.waitForSelector('#bag tr[data-origin="callback"][data-urgency]');
  await page.waitForSelector('#callbacks-soon');
  await shot('04-callback-soon');
  step('the callback due in 20 minutes is highlighted in the bag');

  // ---- customers: search by phone, the profile and its timeline, an edit, DND, opt-out
  await page.click('#nav-customers');
  await page.waitForSelector('#customer-q');
  await page.fill('#customer-q', '13812345678');
  await page.press('#customer-q', 'Enter');
  await page.waitForSelector(`#customer-results tr[data-customer="${customer}"]`);
  await shot('05-customer-search');
  await page.click(`#customer-results tr[data-customer="${customer}"] a >> nth=1`);
  await page.waitForSelector('#customer-profile');
  assert.equal((await page.textContent('#customer-profile dd[data-field="phone"]')).trim(), '13812345678');
  await page.waitForSelector('#customer-timeline li[data-kind="purchase"]');
  await page.waitForSelector('#customer-timeline li[data-kind="source"]');
  // the call just worked is in the timeline (calllog's contact_list), with its outcome
  await page.waitForSelector('#customer-timeline li[data-kind="contact"]');
  step(`the timeline shows the customer's contact: ${(await page.textContent('#customer-timeline li[data-kind="contact"]')).trim()}`);
  await shot('06-customer-profile');
  await page.fill('#edit-hobbies', '太极拳');
  await page.click('#customer-edit button[type=submit]');
  await page.waitForSelector('#customer-profile dd[data-field="hobbies"]:has-text("太极拳")');
  await page.waitForSelector('#customer-timeline li[data-kind="change"]:has-text("hobbies")');
  await page.fill('#dnd-until', '2026-11-20');
  await page.selectOption('#dnd-reason', 'hospital');
  await page.click('#customer-dnd button[type=submit]');
  await page.waitForSelector('#customer-profile dd[data-field="dnd_until"]:has-text("2026-11-20")');
  page.once('dialog', (d) => d.accept());
  await page.fill('#opt-out-reason', '不需要回访');
  await page.click('#customer-opt-out button[type=submit]');
  await page.waitForSelector('#customer-profile dd[data-field="opt_out_reason"]:has-text("不需要回访")');
  await shot('07-customer-changed');
  step('customer found by phone; profile and timeline; edit, do-not-disturb and opt-out saved');
  // bad input is said, naming the field, and changes nothing
  await page.fill('#edit-birth', '2099-01-01');
  await page.click('#customer-edit button[type=submit]');
  await page.waitForSelector('#customer-edit .error:has-text("birth")');
  step('a birth date in the future refused, naming the field');

  // ---- the supervisors' pages are not the agent's
  assert.ok(await page.isHidden('#nav-complaints'), 'no complaints link for an agent');
  await page.goto(`${url}/#/complaints`);
  await page.waitForSelector('#forbidden');
  await shot('08-agent-no-complaints');
  const refused = await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1/reviews/1/score', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{"score":3}' });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error, /review_score needs the role/);
  step('the agent is refused the complaints page and QA scoring (page and API)');
  noScriptErrors(errors);
});
