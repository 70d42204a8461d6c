// The doctor's home-visit sheet in a real browser (tests/e2e/079_console_visit.sh): the doctor
// signs in, opens the visit in the bag with N, and the outcome form carries the patient
// service sheet (blood pressure, pulse, symptoms, findings), saved as calllog's visit_log.
// Screenshots go to SHOTS_DIR.
// Usage: GW_URL=http://127.0.0.1:PORT SHOTS_DIR=DIR node visit.test.mjs
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const url = process.env.GW_URL;
const shots = process.env.SHOTS_DIR;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
assert.ok(url && shots, 'GW_URL and SHOTS_DIR must be set');
mkdirSync(shots, { recursive: true });

const step = (text) => console.log(`[browser] ${text}`);
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
let page;
const shot = async (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
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
  assert.deepEqual(errors.filter((e) => !/^Failed to load resource/.test(e)), [], 'no script errors');
} catch (err) {
  if (page) await shot('failure').catch(() => {});
  throw err;
} finally {
  await browser.close();
}
console.log('[browser] all checks passed');
