// The supervisor's, manager's and hq's screens in a real browser (Debian's chromium, driven by
// playwright-core) against a running stack and gateway (tests/e2e/075_console_supervisor.sh):
// a return approved; a complaint's clock ticking, then escalated by the manual clock and shown
// by the live stream; QA scoring; a lead import with its progress bar and rejected rows;
// reports as tables, charts and CSV; hq's branches side by side and customers masked.
// Usage: GW_URL=... SHOTS_DIR=... RETURN_ID=... COMPLAINT_ID=... LEADS_CSV=... node supervisor.test.mjs
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { collectErrors, launch, noScriptErrors, run, screenshot, settings, step } from './harness.mjs';

const { GW_URL: url, RETURN_ID: rid, COMPLAINT_ID: complaint, LEADS_CSV: leads } =
  settings('RETURN_ID', 'COMPLAINT_ID', 'LEADS_CSV');
const browser = await launch();
let page;
const shot = async (name) => screenshot(page, name);
const errors = [];
async function signIn(login, password) {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page = await ctx.newPage();
  collectErrors(page, errors);
  await page.goto(url);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#nav:not([hidden])');
  return ctx;
}
async function downloaded(click) {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), 'utf8') };
}

await run(browser, () => page && shot('failure'), async () => {
  // ---- the manager approves a return
  const manager = await signIn('M001', 'manager-pass-1');
  await page.waitForSelector(`#returns tr[data-return="${rid}"]`);
  assert.match(await page.textContent(`#returns tr[data-return="${rid}"]`), /¥168\.00/);
  await shot('01-returns');
  await page.click(`#returns tr[data-return="${rid}"] button:not(.secondary)`);
  await page.waitForSelector(`#returns tr[data-return="${rid}"]`, { state: 'detached' });
  await shot('02-approved');
  step(`return ${rid} approved in the browser (refund 168.00 shown)`);

  // ---- the wallboard: the open supervisor alerts (none) and an agent's absence recorded
  await page.click('#nav-wallboard');
  await page.waitForSelector('#supervisor-alerts-empty');
  await page.fill('#absence-agent', 'A001');
  await page.fill('#absence-from', '2026-11-13');
  await page.fill('#absence-until', '2026-11-14');
  await page.click('#absence-form button[type=submit]');
  await page.waitForSelector('#absence-result[data-unplaced]');
  assert.match(await page.textContent('#absence-result'), /A001 2026-11-13 – 2026-11-14/);
  step('wallboard: no open supervisor alerts; A001 absent 13-14 November recorded');

  // ---- QA: the sampled call scored 4
  await page.click('#nav-qa');
  await page.fill('#qa-date', '2026-11-12');
  await page.click('#qa-form button[type=submit]');
  const qaRow = '#qa tr[data-contact]';
  await page.waitForSelector(qaRow);
  await page.selectOption(`${qaRow} select`, '4');
  await page.fill(`${qaRow} input[name=note]`, '礼貌，讲解清楚');
  await page.click(`${qaRow} .qa-save`);
  await page.waitForSelector('#qa tr[data-score="4"]');
  await shot('05-qa');
  step('QA: the sampled call scored 4');

  // ---- lead import: the bar runs to the end, the rejected rows come back as a CSV file
  await page.click('#nav-import');
  await page.setInputFiles('#import-file', leads);
  await page.click('#import-start');
  await page.waitForSelector('#import-status[data-rejected]', { timeout: 60000 });
  assert.equal(await page.getAttribute('#import-progress', 'data-done'), '120');
  assert.equal(await page.evaluate(() => document.querySelector('#import-progress').max), 120);
  assert.equal(await page.getAttribute('#import-status', 'data-rejected'), '3');
  assert.equal(await page.getAttribute('#import-status', 'data-added'), '117');
  await shot('06-import');
  const rej = await downloaded(() => page.click('#import-rejects'));
  const lines = rej.text.replace(/^\ufeff/, '').trim().split('\r\n');
  assert.equal(lines[0], 'line,field,reason,name,phone,region,note');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), ['11', '52', '99']);
  assert.match(lines[1], /^11,phone,.*,Lead K,12345,chaoyang,"imported, row 10"$/);
  step('import: 120 rows, the bar at 120/120, 117 added, the 3 rejected rows downloaded');

  // ---- reports: tables, charts, CSV
  await page.click('#nav-reports');
  await page.waitForSelector('.report-branch h2');
  for (const kind of ['bars', 'funnel', 'trend']) await page.waitForSelector(`.chart[data-chart="${kind}"] canvas`);
  assert.ok(Number(await page.getAttribute('.chart[data-chart="trend"]', 'data-points')) === 6, 'six days of trend');
  const csv = await downloaded(() => page.click('button.csv >> nth=0'));
  assert.match(csv.name, /^agent-daily_BJ01_2026-11-12_/);
  assert.match(csv.text, /^\ufeffagent,name,tasks_due,attempts,contacts/);
  assert.match(csv.text, /\r\nA001,Li Na,\d+,1,1,[\d.]+,1,168\.00,/, "A001: one attempt, one contact, one order of 168.00");
  await shot('07-report-agent-daily');
  for (const name of ['branch-weekly', 'collection', 'complaints', 'repurchase', 'sales-attribution']) {
    await page.selectOption('#report-name', name);
    await page.waitForSelector(`.report-branch h2:has-text("${name === 'branch-weekly' ? '分公司周报' : ''}")`);
    await page.waitForFunction((n) => document.querySelector('#report-name').value === n && document.querySelector('.report-branch h2'), name);
    await page.waitForSelector('.report-branch table.report, .report-branch .error');
    assert.equal(await page.locator('.report-branch .error').count(), 0, `${name} renders`);
    if (name === 'branch-weekly') await shot('08-report-weekly');
  }
  step('reports: every report as tables; agent-daily with bars, funnel and trend charts and a CSV file');
  // ---- plan templates: step 1 of monthly-course moved to day 12
  await page.click('#nav-plans');
  const step1 = '[data-plan="monthly-course"] tr[data-step="1"]';
  await page.waitForSelector(step1);
  await page.fill(`${step1} input[name=offset_days]`, '12');
  const edited = await page.$(`${step1} input[name=offset_days]`);
  await page.click(`${step1} .step-save`);
  // the plans read again after the save: a new row (not the edited input) showing 12
  await page.waitForFunction(([sel, old]) => {
    const input = document.querySelector(sel);
    return input && input !== old && input.value === '12';
  }, [`${step1} input[name=offset_days]`, edited]);
  await shot('11-plans');
  step('plan templates: step 1 of monthly-course saved with offset 12');

  // ---- complaints: the clock ticks each second; the escalation arrives by the stream
  await page.click('#nav-complaints');
  const row = `#complaints tr[data-complaint="${complaint}"]`;
  await page.waitForSelector(`${row}[data-sla="ok"]`);
  const c1 = await page.textContent(`${row} .countdown`);
  assert.match(c1, /^2[34]:\d\d:\d\d$/, `a day left: ${c1}`);
  assert.equal((await page.textContent(`${row} .level`)).trim(), 'L0');
  await page.evaluate(() => { window.__noReload = true; });
  await shot('03-complaint-clock');
  execFileSync('huifang', ['clock', 'advance', '25h'], { stdio: 'ignore' });
  await page.waitForSelector(`${row}[data-sla="failed"]`);
  await page.waitForSelector(`${row} .level:has-text("L1")`);
  assert.ok(await page.evaluate(() => window.__noReload === true), 'no reload');
  await shot('04-complaint-escalated');
  step(`complaint ${complaint}: ${c1} left, then escalated to L1 and failed, by the stream, no reload`);

  await manager.close();

  // ---- hq: branches side by side, customers masked, nothing to edit
  const hq = await signIn('Q001', 'hq-pass-1');
  await page.waitForSelector('.report-branch[data-branch="BJ01"] table.report');
  await page.waitForSelector('.report-branch[data-branch="SH01"] table.report');
  await page.waitForSelector('.report-branch[data-branch="SH01"] .chart canvas');
  await shot('09-hq-side-by-side');
  step('hq: BJ01 and SH01 side by side');
  await page.goto(`${url}/#/customers`);
  await page.fill('#customer-q', 'Wang');
  await page.press('#customer-q', 'Enter');
  await page.waitForSelector('#customer-results tr[data-customer]');
  assert.doesNotMatch(await page.textContent('#customer-results'), /13812345678/, 'the phone is masked for hq');
  await page.click('#customer-results tr[data-customer] a');
  await page.waitForSelector('#customer-profile');
  assert.doesNotMatch(await page.textContent('#customer-profile'), /13812345678/);
  assert.equal(await page.locator('#customer-edit, #customer-opt-out, #customer-dnd').count(), 0, 'no edit forms for hq');
  await shot('10-hq-customer-masked');
  step('hq: customers masked, no edit forms');
  await hq.close();
  noScriptErrors(errors);
});
