// The doctor's home-visit sheet in a real browser (tests/e2e/079_console_visit.sh): the doctor
// signs in, opens the visit in the bag with N, and the outcome form carries the patient
// service sheet (blood pressure, pulse, symptoms, findings), saved as calllog's visit_log.
// Screenshots go to SHOTS_DIR.
// Usage: GW_URL=http://127.0.0.1:PORT SHOTS_DIR=DIR node visit.test.mjs
import { collectErrors, launch, noScriptErrors, run, screenshot, settings, step } from './harness.mjs';

const { GW_URL: url } = settings();
const browser = await launch();
let page;
const shot = async (name) => screenshot(page, name);
await run(browser, () => page && shot('failure'), async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  page = await ctx.newPage();
  const errors = [];
  collectErrors(page, errors);
  await page.goto(url);
  await page.waitForSelector('#login-form');
  await page.fill('#login', 'DR01');
  await page.fill('#password', 'doctor-pass-1');
  await page.click('#sign-in');
  await page.waitForSelector('#bag tr[data-task]');
  step('the doctor signed in: the visit is in the bag');
  await page.keyboard.press('n');
  await page.waitForSelector('#card-phone');
  await page.waitForSelector('#visit-sheet');
  await page.check('#outcome-connected');
  await page.selectOption('#effect', 'good');
  await page.fill('#vis_bp', '135/88');
  await page.fill('#vis_pulse', '76');
  await page.fill('#vis_symptoms', '双臂皮疹');
  await page.fill('#vis_findings', '已停药，皮疹消退中');
  await page.fill('#advice', '停用一周后复诊');
  await page.fill('#note', '上门查看');
  await shot('01-visit-sheet');
  await page.click('#save-outcome');
  await page.waitForSelector('#toast.show:has-text("已接通")');
  await page.waitForSelector('#next-call');
  await shot('02-visit-logged');
  step('the home-visit sheet saved (blood pressure, pulse, symptoms, findings)');
  noScriptErrors(errors);
});
