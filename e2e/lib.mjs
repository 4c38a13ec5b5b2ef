// What the browser tests share: the demo server on a free port, signing in to the demo
// county, and a form submit that waits for the next page.
import { spawn } from 'node:child_process';

export const PASSWORD = 'Demo@2026';

export function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** Starts `mingjing serve --demo` on a free port with the SQLite file `dbPath`; resolves with its base URL. */
export function startServer(binary, dbPath) {
  return new Promise((resolve, reject) => {
    const server = spawn(binary, ['serve', '--demo', '--bind', '127.0.0.1:0', '--db', `sqlite://${dbPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 120000);
    server.stderr.on('data', (chunk) => {
      output += chunk.toString();
      const found = output.match(/http:\/\/(127\.0\.0\.1:\d+)\//);
      if (found) {
        clearTimeout(timer);
        resolve({ server, base: `http://${found[1]}` });
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** A new browser context of the given viewport, signed in as a demo `account`; resolves with its page. */
export async function signIn(browser, base, account, context) {
  const page = await (await browser.newContext({ locale: 'zh-CN', ...context })).newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name="account"]', account);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  check(!page.url().includes('/login'), `${account} could not sign in: ${page.url()}`);
  return page;
}

export async function submitForm(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}
