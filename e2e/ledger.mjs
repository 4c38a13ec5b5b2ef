// The rectification ledger in a real browser (Debian's headless Chromium, driven by
// playwright-core) against `mingjing serve --demo` on a fresh SQLite file: the secretary
// opens an approved material of the demo county, raises a ledger item from one of its
// problem sentences (the measure prefilled by the engine) for a member; the member records
// progress with a photo as evidence and marks it done; the secretary verifies it (销号); the
// county's superior admin sees it counted on the campaign's dashboard and in the branch's row.
// Screenshots at 360 px and 1280 px go to ../screenshots (ignored by git).
//
// Usage: node ledger.mjs <path to the mingjing binary>

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { check, signIn, startServer, submitForm } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(here, '..', 'screenshots');

if (!binary) {
  console.error('usage: node ledger.mjs <path to mingjing>');
  process.exit(2);
}

// A 1×1 PNG: the evidence photo.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

async function shoot(page, name) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 360, height: 800 });
}

/** The page must not scroll sideways at 360 px. */
async function fitsPhone(page, name) {
  await page.setViewportSize({ width: 360, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  // Name what sticks out, so a failure says where to look.
  const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > 362 && !e.closest('.table-scroll'))
    .slice(0, 6)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`));
  check(wide <= 362, `${name}: the page is ${wide}px wide at 360px: ${culprits.join(', ')}`);
}

function login(browser, base, account) {
  return signIn(browser, base, account, { viewport: { width: 360, height: 800 } });
}

/** A day `days` from now in Beijing, as YYYY-MM-DD. */
function dayFromNow(days) {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'mingjing-e2e-ledger-'));
  const { server, base } = await startServer(binary, join(dir, 'e2e.db'));
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    // The member who will carry out the item, by the name their home page shows.
    const member = await login(browser, base, 'm0101');
    const ownerName = (await member.locator('p.hint').first().textContent()).split('，')[0].trim();
    check(ownerName.length > 0, 'the member has a name');

    // The secretary opens an approved material of the 2025 campaign.
    const secretary = await login(browser, base, 'secretary01');
    const campaign = secretary.locator('a.item-title', { hasText: '2025年度' }).first();
    const campaignUrl = await campaign.getAttribute('href');
    await secretary.goto(`${base}${campaignUrl}`);
    check((await secretary.content()).includes('整改台账'), 'the campaign page links to the ledger');
    const approved = secretary.locator('tr', { has: secretary.locator('.badge-approved') }).locator('a[href^="/materials/"]');
    check(await approved.count() > 0, 'the demo branch has an approved material');
    await submitForm(secretary, `a[href="${await approved.first().getAttribute('href')}"]`);
    check((await secretary.content()).includes('查摆的问题'), 'the material page lists its problems');
    await shoot(secretary, '21-material-problems');
    await fitsPhone(secretary, 'material problems');

    // An item from the first problem sentence, the engine's measure prefilled.
    await submitForm(secretary, 'a[href*="/rectification/new?from=material"]');
    const problem = (await secretary.locator('blockquote#problem').textContent()).trim();
    check(problem.length > 5, 'the problem is quoted');
    if ((await secretary.inputValue('textarea[name="measure"]')).trim() === '') {
      await secretary.fill('textarea[name="measure"]', '对照问题逐项制定措施，每月检查一次落实情况。');
    }
    await secretary.selectOption('select[name="owner"]', { label: ownerName });
    await secretary.fill('input[name="deadline"]', dayFromNow(60));
    await shoot(secretary, '22-new-item');
    await submitForm(secretary, 'form[action$="/rectification"] button[type="submit"]');
    check((await secretary.content()).includes('整改事项已建立'), `created: ${(await secretary.locator('main').innerText()).slice(0, 400)}`);
    const itemUrl = new URL(secretary.url()).pathname;

    // The owner: in progress, progress with a photo, done.
    await member.goto(`${base}${itemUrl}`);
    await member.selectOption('select[name="status"]', 'in_progress');
    await submitForm(member, 'form[action$="/status"] button[type="submit"]');
    check((await member.locator('#status').textContent()).includes('整改中'), 'in progress');
    const photo = join(dir, '整改现场.png');
    writeFileSync(photo, PNG);
    await member.fill('textarea[name="body"]', '已对照问题逐项整改，建立学习台账，附现场照片。');
    await member.setInputFiles('input[name="files"]', photo);
    await submitForm(member, 'form[action$="/notes"] button[type="submit"]');
    const noted = await member.content();
    check(noted.includes('整改进展已记录') && noted.includes('整改现场.png'), 'the note and its photo are kept');
    await member.selectOption('select[name="status"]', 'done');
    await submitForm(member, 'form[action$="/status"] button[type="submit"]');
    check((await member.locator('#status').textContent()).includes('已完成'), 'done');
    check(await member.locator('form[action$="/verify"]').count() === 0, 'the owner cannot verify');
    await shoot(member, '23-owner-done');
    await fitsPhone(member, 'item');

    // The secretary verifies.
    await secretary.goto(`${base}${itemUrl}`);
    await secretary.fill('textarea[name="note"]', '佐证材料齐全，整改到位。');
    await submitForm(secretary, 'form[action$="/verify"] button[type="submit"]');
    check((await secretary.locator('#status').textContent()).includes('已验收'), 'verified');
    await shoot(secretary, '24-verified');
    await submitForm(secretary, 'a[href$="/rectification"]');
    check((await secretary.content()).includes('已验收销号 1 项'), 'the ledger counts it');
    await shoot(secretary, '25-ledger');
    await fitsPhone(secretary, 'ledger');

    // The county's organization department sees it on the superior's dashboard, then in the branch's row.
    const admin = await login(browser, base, 'admin');
    await admin.goto(`${base}${campaignUrl}/overview`);
    const headers = (await admin.locator('table.progress thead th').allTextContents()).map((t) => t.trim());
    const col = headers.indexOf('整改已验收');
    check(col > 0, `the dashboard has a rectification column: ${headers}`);
    const cellsOf = async (row) => (await row.locator('th, td').allTextContents()).map((t) => t.trim());
    const total = await cellsOf(admin.locator('table.progress tr.total'));
    check(total[col] === '1/1', `the dashboard's total counts the verified item: ${total}`);
    const branchRow = admin.locator('table.progress tbody tr', { has: admin.locator('a', { hasText: '情况报告' }) })
      .filter({ has: admin.locator(`td:nth-child(${col + 1})`, { hasText: /^1\/1$/ }) });
    check(await branchRow.count() === 1, 'exactly one branch has the verified item');
    await shoot(admin, '26-superior-dashboard');
    await fitsPhone(admin, 'superior dashboard');
    const counted = admin.locator('table.progress tbody tr')
      .filter({ has: admin.locator(`td:nth-child(${col + 1})`, { hasText: /^1\/1$/ }) })
      .filter({ has: admin.locator('td:first-child a') });
    await Promise.all([admin.waitForNavigation(), counted.first().locator('td:first-child a').click()]);
    const drilled = await cellsOf(admin.locator('table.progress tr.total'));
    check(drilled[col] === '1/1', `the drill-down keeps the count: ${drilled}`);
    await shoot(admin, '27-superior-branch');
    console.log(`e2e ledger: all steps passed; screenshots in ${shots}`);
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`e2e ledger failed: ${error.stack || error}`);
  process.exit(1);
});
