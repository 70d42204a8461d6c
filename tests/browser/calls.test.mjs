// The call log's screens in a real browser (tests/e2e/078_console_consult_alerts.sh): an agent
// logs a consultation on the hotline's form (#/consult) and a regulator's call; the manager's
// wallboard shows the call log's alert (live, from alert_raised) and acknowledges it with a
// note; the agent's wallboard is refused. The wallboard's orders column counts A001's order. Screenshots go to SHOTS_DIR.
// Usage: GW_URL=http://127.0.0.1:PORT SHOTS_DIR=DIR node calls.test.mjs
import assert from 'node:assert/strict';
import { collectErrors, launch, noScriptErrors, run, screenshot, settings, step } from './harness.mjs';

const { GW_URL: url } = settings();
const browser = await launch();
const pages = [];
const shot = screenshot;
const errors = [];
async function signIn(login, password) {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  pages.push(page);
  collectErrors(page, errors);
  await page.goto(url);
  await page.waitForSelector('#login-form');
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.click('#sign-in');
  await page.waitForSelector('#nav:not([hidden])');
  return page;
}
const shootAll = async () => {
  for (const [i, p] of pages.entries()) await shot(p, `failure-${i}`).catch(() => {});
};
await run(browser, shootAll, async () => {
  // ---- the manager's wallboard first: the alert must arrive live
  const manager = await signIn('M001', 'manager-pass-1');
  await manager.goto(`${url}/#/wallboard`);
  await manager.waitForSelector('#calllog-alerts-empty');
  await manager.waitForSelector('#wallboard tr[data-agent="A001"][data-orders="1"][data-behind]');
  step(`the wallboard: A001 with 1 order, ${await manager.getAttribute('#wallboard tr[data-agent="A001"]', 'data-behind')} behind plan`);
  await manager.waitForSelector('#live:has-text("实时")');
  step('the manager\'s wallboard: no call log alerts yet');

  // ---- the agent's hotline form: a caller who bought
  const agent = await signIn('A001', 'agent-pass-1');
  await agent.click('#nav-consult');
  await agent.waitForSelector('#consult-form');
  await agent.waitForSelector('#consultations-empty');
  await agent.fill('#co-name', 'Han Mei');
  await agent.fill('#co-phone', '13955556666');
  await agent.selectOption('#co-gender', 'f');
  await agent.fill('#co-age', '62');
  await agent.fill('#co-region', 'chaoyang');
  await agent.fill('#co-address', '朝阳区建国路 88 号');
  await agent.fill('#co-complaint', '失眠');
  await agent.fill('#co-media', '晚报广告');
  await agent.selectOption('#co-outcome', 'bought');
  await agent.fill('#co-product', 'VC30');
  await agent.fill('#co-quantity', '2');
  await shot(agent, '01-consult-form');
  await agent.click('#co-save');
  await agent.waitForSelector('#consult-result[data-consultation]');
  await agent.waitForSelector('#consultations tr[data-consultation][data-regulator="false"]:has-text("Han Mei")');
  const bought = await agent.textContent('#consult-result');
  assert.match(bought, /送货单 #\d+/, `a purchase opens a delivery: ${bought}`);
  step(`a consultation logged on the form: ${bought.trim()}`);

  // ---- a regulator's call: the manager is alerted
  await agent.check('#co-regulator');
  await agent.waitForSelector('#co-regulator-fields:not([hidden])');
  await agent.fill('#co-name', 'Officer Liu');
  await agent.fill('#co-phone', '13700009999');
  await agent.fill('#co-unit', '朝阳区市场监督管理局');
  await agent.fill('#co-position', '科员');
  await agent.fill('#co-contact', '010-65001234');
  await agent.click('#co-save');
  await agent.waitForSelector('#consultations tr[data-regulator="true"]');
  const regulator = await agent.textContent('#consult-result');
  assert.match(regulator, /已提醒经理 #\d+/, `a regulator's call alerts the manager: ${regulator}`);
  await shot(agent, '02-consultations');
  step(`a regulator's call logged: ${regulator.trim()}`);

  // ---- the wallboard got it live (no reload) and the manager acknowledges it
  await manager.waitForSelector('#calllog-alerts li[data-acked="false"]');
  await shot(manager, '03-wallboard-alert');
  await manager.fill('#calllog-alerts li[data-acked="false"] input', '已回电说明广告内容');
  await manager.click('#calllog-alerts li[data-acked="false"] button');
  await manager.waitForSelector('#calllog-alerts li[data-acked="true"]:has-text("M001")');
  await manager.waitForSelector('#calllog-alerts li[data-acked="true"]:has-text("已回电说明广告内容")');
  await shot(manager, '04-wallboard-acked');
  step('the manager acknowledged the alert on the wallboard, with a note');

  // ---- the agent may not acknowledge (API), nor see the wallboard
  const refused = await agent.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json();
    const list = await (await fetch('/api/v1/alerts')).json();
    const r = await fetch(`/api/v1/alerts/${list.alerts[0].id}/ack`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{}' });
    return { status: r.status, body: await r.json() };
  });
  assert.ok([403, 409].includes(refused.status), `the agent's ack refused: ${JSON.stringify(refused)}`);
  await agent.goto(`${url}/#/wallboard`);
  await agent.waitForSelector('#forbidden');
  step(`the agent may not acknowledge (${refused.status}: ${refused.body.error}) nor open the wallboard`);
  noScriptErrors(errors);
});
