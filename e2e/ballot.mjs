// The secret ballot (民主测评) in a real browser, against `mingjing serve --demo` on a fresh SQLite file: the
// secretary of the first demo branch opens a round through the UI for five members present; the five vote at the
// same time on phone-sized pages (360×640); one tries to vote a second time and is refused; the secretary closes
// the round and sees exactly the counts the five chose. Screenshots go to ../screenshots.
//
// Usage: node ballot.mjs <path to the mingjing binary>

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { check, signIn, startServer, submitForm } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(here, '..', 'screenshots');
const GRADES = ['优秀', '合格', '基本合格', '不合格'];
const VOTERS = ['secretary01', 'm0101', 'm0102', 'm0103', 'm0104'];

if (!binary) {
  console.error('usage: node ballot.mjs <path to mingjing>');
  process.exit(2);
}

/** Signs in on a phone-sized page of its own; resolves with the page and the name shown in the header. */
async function login(browser, base, account) {
  const page = await signIn(browser, base, account, { viewport: { width: 360, height: 640 }, isMobile: true });
  const name = (await page.locator('.user-name').textContent()).trim();
  return { page, name };
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'mingjing-ballot-'));
  const { server, base } = await startServer(binary, join(dir, 'ballot.db'));
  let browser;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    const voters = [];
    for (const account of VOTERS) {
      voters.push({ account, ...(await login(browser, base, account)) });
    }
    const names = voters.map((v) => v.name);
    check(new Set(names).size === names.length, `the five voters have distinct names: ${names}`);

    // The secretary finds the 2025 campaign and its appraisal page through the links.
    const secretary = voters[0].page;
    await secretary.goto(`${base}/`);
    const campaignLink = secretary.locator('a.item-title', { hasText: '2025年度' }).first();
    const campaignId = (await campaignLink.getAttribute('href')).split('/')[2];
    await submitForm(secretary, `a.item-title[href="/campaigns/${campaignId}"]`);
    await submitForm(secretary, `a[href="/campaigns/${campaignId}/appraisal"]`);
    const branchUrl = secretary.url();
    check(branchUrl.includes('/orgs/') && branchUrl.endsWith('/appraisal'), `the branch's appraisal page opens: ${branchUrl}`);

    // Only the five are present; the full members among them are graded.
    for (const box of await secretary.locator('form.open-round input[type="checkbox"]').all()) {
      await box.uncheck();
    }
    const graded = [];
    for (const name of names) {
      const row = secretary.locator('form.open-round tr', { hasText: name }).first();
      await row.locator('input[name^="p_"]').check();
      if ((await row.textContent()).includes('正式党员')) {
        await row.locator('input[name^="r_"]').check();
        graded.push(name);
      }
    }
    check(graded.length >= 3, `at least three full members among the five: ${graded}`);
    await submitForm(secretary, 'form.open-round button[type="submit"]');
    check((await secretary.content()).includes('投票进行中'), 'the round is open');
    await secretary.screenshot({ path: join(shots, '11-ballot-round-open-360.png'), fullPage: true });

    // Every voter opens the ballot from their appraisal page.
    for (const voter of voters) {
      await voter.page.goto(`${base}/campaigns/${campaignId}/appraisal/mine`);
      await submitForm(voter.page, 'a[href^="/ballots/"]');
      const listed = await voter.page.locator('fieldset.ballot-member legend').allTextContents();
      check(listed.length === graded.length, `${voter.account} sees ${listed.length} members to grade`);
    }
    // Voter i gives the j-th graded member grade (i + j) mod 4; the expected counts follow.
    const expected = Object.fromEntries(graded.map((name) => [name, [0, 0, 0, 0]]));
    for (const [i, voter] of voters.entries()) {
      for (const [j, name] of graded.entries()) {
        const grade = (i + j) % GRADES.length;
        await voter.page.locator('fieldset.ballot-member', { hasText: name }).first()
          .locator('label', { hasText: new RegExp(`^\\s*${GRADES[grade]}$`) }).locator('input').check();
        expected[name][grade] += 1;
      }
    }
    await voters[1].page.screenshot({ path: join(shots, '12-ballot-phone-360.png'), fullPage: true });
    // All five submit at the same moment.
    await Promise.all(voters.map((voter) => submitForm(voter.page, 'form.ballot-form button[type="submit"]')));
    for (const voter of voters) {
      check((await voter.page.content()).includes('投票成功'), `${voter.account}'s ballot is counted`);
    }

    // One goes back and submits again: refused, and nothing changes.
    const again = voters[2].page;
    await again.goBack();
    if (await again.locator('form.ballot-form').count() === 0) {
      await again.goto(`${base}${new URL(again.url()).pathname}`);
    }
    if (await again.locator('form.ballot-form').count() > 0) {
      for (const name of graded) {
        await again.locator('fieldset.ballot-member', { hasText: name }).first()
          .locator('label', { hasText: /^\s*优秀$/ }).locator('input').check();
      }
      await submitForm(again, 'form.ballot-form button[type="submit"]');
    }
    check((await again.content()).includes('您已经投过票了'), 'a second vote is refused');
    await again.screenshot({ path: join(shots, '13-ballot-refused-360.png'), fullPage: true });

    // The secretary closes the round and reads the counts.
    await secretary.goto(branchUrl);
    check((await secretary.locator('strong.cast').textContent()).trim() === '5', 'five ballots cast');
    check(!(await secretary.content()).includes('<h3>测评结果'), 'no result before the close');
    await submitForm(secretary, 'button[name="close"]');
    for (const name of graded) {
      const row = secretary.locator('table.results tr', { hasText: name }).first();
      const counts = (await row.locator('td.count').allTextContents()).map(Number);
      check(JSON.stringify(counts) === JSON.stringify(expected[name]), `${name}: ${counts} ≠ ${expected[name]}`);
    }
    const content = await secretary.content();
    check(content.includes(`选择总数 ${5 * graded.length} = 5 × ${graded.length}，核对无误`), 'choices = voters × members graded');
    await secretary.screenshot({ path: join(shots, '14-ballot-results-360.png'), fullPage: true });
    const wide = await secretary.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 362, `the results page is ${wide}px wide at 360px`);
    console.log(`e2e ballot: five phones voted at once, a second vote was refused, counts match; screenshots in ${shots}`);
  } finally {
    if (browser) {
      await browser.close();
    }
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`e2e ballot failed: ${error.stack || error}`);
  process.exit(1);
});
