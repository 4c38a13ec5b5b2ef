// The whole path of a material through a real browser (Debian's headless Chromium, driven
// by playwright-core), against a real `mingjing serve --demo` on a fresh SQLite file:
// the superior admin opens a campaign and uploads a web template; a member uploads the
// example material and submits it; the secretary sees the repeated sentence and the copied
// passage marked, returns it with a note on a passage; the member revises; the secretary
// approves. Then a roster import with a bad row. Screenshots at 360 px and 1280 px go to
// ../screenshots (ignored by git).
//
// Usage: node flow.mjs <path to the mingjing binary>

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { check, signIn, startServer, submitForm } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(here, '..', 'screenshots');
const example = readFileSync(join(here, '..', 'examples', 'material-2021-county.txt'), 'utf8');

if (!binary) {
  console.error('usage: node flow.mjs <path to mingjing>');
  process.exit(2);
}

async function shoot(page, name) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 360, height: 800 });
}

/** The page must not scroll sideways at 360 px: the layout is one column. */
async function fitsPhone(page, name) {
  await page.setViewportSize({ width: 360, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 362, `${name}: the page is ${wide}px wide at 360px`);
}

function login(browser, base, account) {
  return signIn(browser, base, account, { viewport: { width: 360, height: 800 } });
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'mingjing-e2e-'));
  const { server, base } = await startServer(binary, join(dir, 'e2e.db'));
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    // The superior admin opens a campaign from the built-in year that matches the example.
    const admin = await login(browser, base, 'admin');
    await shoot(admin, '01-admin-home');
    const campaignId = await openCampaign(admin);
    // ... and uploads a web template that contains one of the example's paragraphs.
    const copied = example.split('\n').find((line) => line.startsWith('一是') && line.length > 60)
      || example.split('\n').filter((line) => line.length > 60)[3];
    check(copied, 'a long paragraph of the example to copy');
    const templateFile = join(dir, '网上范文.txt');
    writeFileSync(templateFile, `对照检查材料范文\n一、存在的问题\n${copied}\n`);
    await admin.goto(`${base}/templates`);
    await admin.setInputFiles('input[name="file"]', templateFile);
    await submitForm(admin, 'form[action="/templates"] button[type="submit"]');
    check((await admin.content()).includes('网上范文'), 'the template is listed');

    // A member uploads the example and submits it.
    const member = await login(browser, base, 'm0102');
    await member.goto(`${base}/campaigns/${campaignId}`);
    const exampleFile = join(dir, '对照检查材料.txt');
    writeFileSync(exampleFile, example);
    await member.setInputFiles('form.upload input[name="file"]', exampleFile);
    await submitForm(member, 'form.upload button[type="submit"]');
    check((await member.content()).includes('请逐栏核对'), 'the upload is split into blocks for checking');
    check((await member.inputValue('textarea[name="aspect_0"]')).length > 20, 'the first aspect is filled');
    await shoot(member, '02-member-editor');
    await fitsPhone(member, 'editor');
    await submitForm(member, 'button[value="submit"]');
    check((await member.content()).includes('已提交'), 'submitted');

    // The secretary sees the repeated sentence and the copied passage marked.
    const secretary = await login(browser, base, 'secretary01');
    await secretary.goto(`${base}/campaigns/${campaignId}`);
    await shoot(secretary, '03-secretary-list');
    await submitForm(secretary, 'a[href^="/materials/"]');
    check(await secretary.locator('mark.repeat').count() > 0, 'the repeated sentence is marked');
    check(await secretary.locator('mark.copy, mark.near').count() > 0, 'the copied passage is marked');
    check((await secretary.content()).includes('参考范文《网上范文》'), 'the template is named as the source');
    await shoot(secretary, '04-secretary-review');
    await fitsPhone(secretary, 'review');
    // Returns it with a note on the copied paragraph and a comment.
    const paragraph = secretary.locator('details.note-input').first();
    await paragraph.locator('summary').click();
    await paragraph.locator('textarea').fill('这一段与网上范文相同，请用自己的话写出具体表现。');
    await secretary.fill('textarea[name="comment"]', '请修改后重新提交。');
    await submitForm(secretary, 'button[value="return"]');
    check((await secretary.content()).includes('已退回'), 'returned');

    // The member sees the note and revises in the whole-text editor.
    await member.goto(`${base}/campaigns/${campaignId}`);
    const editor = await member.content();
    check(editor.includes('这一段与网上范文相同'), 'the member sees the passage note');
    await shoot(member, '05-member-returned');
    await member.goto(`${base}/campaigns/${campaignId}?mode=text`);
    const body = await member.inputValue('textarea[name="body"]');
    await member.fill('textarea[name="body"]', body.replace(copied, '一是学习上满足于完成规定篇目，今年自学笔记只有三篇，没有结合窗口服务的实际思考。'));
    await submitForm(member, 'button[value="submit"]');
    check((await member.content()).includes('已提交'), `resubmitted: ${(await member.locator('main').innerText()).slice(0, 600)}`);

    // The secretary approves the revision.
    await secretary.goto(`${base}/campaigns/${campaignId}`);
    await submitForm(secretary, 'a[href^="/materials/"]');
    await submitForm(secretary, 'button[value="approve"]');
    check((await secretary.content()).includes('已通过'), 'approved');
    await shoot(secretary, '06-secretary-approved');

    await rosterImport(browser, base, dir);
    console.log(`e2e: all steps passed; screenshots in ${shots}`);
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates the 2021 campaign from its built-in template; returns its id. */
async function openCampaign(admin) {
  const base = new URL(admin.url()).origin;
  await admin.goto(`${base}/campaigns/new`);
  await submitForm(admin, 'a[href="/campaigns/new?from=2021-county"]');
  const title = '2021年度组织生活会（浏览器测试）';
  await admin.fill('input[name="title"]', title);
  await shoot(admin, '01-admin-campaign-form');
  await submitForm(admin, 'form button[type="submit"].button-primary');
  const link = admin.locator('a.item-title', { hasText: title });
  check(await link.count() === 1, 'the new campaign is listed');
  return (await link.getAttribute('href')).split('/')[2];
}

/** Imports a roster with one bad row: the preview names the problem and nothing is written. */
async function rosterImport(browser, base, dir) {
  const secretary = await login(browser, base, 'secretary01');
  await submitForm(secretary, 'a[href^="/orgs/"]');
  const branch = (await secretary.locator('h1').first().textContent()).trim();
  await submitForm(secretary, 'a[href$="/roster/import"]');
  const header = '姓名,性别,公民身份号码,所在党支部,人员类别,入党时间,职务,联系电话';
  const good = `测试甲,男,${idNumber('11010119800101001')},${branch},正式党员,2005-07-01,科员,13800000001`;
  const bad = `测试乙,女,${idNumber('11010119850202002')},${branch},正式党员,2010-13-45,科员,13800000002`;
  const file = join(dir, '花名册.csv');
  writeFileSync(file, `${header}\n${good}\n${bad}\n`);
  await secretary.setInputFiles('input[name="file"]', file);
  await submitForm(secretary, 'form[action$="/roster/import"] button[type="submit"]');
  const preview = await secretary.content();
  check(preview.includes('其中 <strong>1</strong> 行有问题'), 'the preview counts the bad row');
  check(await secretary.locator('form[action$="/confirm"]').count() === 0, 'nothing can be confirmed while a row is bad');
  await shoot(secretary, '07-roster-preview');
  // Corrected, the file imports in one go.
  writeFileSync(file, `${header}\n${good}\n${bad.replace('2010-13-45', '2010-12-01')}\n`);
  await submitForm(secretary, '.alert a[href$="/roster/import"]');
  await secretary.setInputFiles('input[name="file"]', file);
  await submitForm(secretary, 'form[action$="/roster/import"] button[type="submit"]');
  await submitForm(secretary, 'form[action$="/confirm"] button[type="submit"]');
  check((await secretary.content()).includes('测试乙'), 'both people are on the roster after confirming');
}

/** A valid 18-digit ID number (GB 11643 check digit) from its first 17 digits. */
function idNumber(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = first17.split('').reduce((acc, digit, i) => acc + Number(digit) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

main().catch((error) => {
  console.error(`e2e failed: ${error.stack || error}`);
  process.exit(1);
});
