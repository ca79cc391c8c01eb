// What every browser test script shares: Debian's Chromium, headless, launched through
// playwright-core (xtask/peers/browser) with the flags this machine's closed network needs
// (without the background-networking ones Chromium keeps dialling Google's hosts, and the
// refused connections slow every page). Run by the Rust tests through peer::run_browser_script,
// which sets NODE_PATH and USERPOOL_CHROMIUM.
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A fresh browser with an empty profile; the caller closes it.
async function launch() {
  const executablePath = process.env.USERPOOL_CHROMIUM || '/usr/bin/chromium';
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userpool-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Runs `body(context)` with a fresh browser, prints its result as the last line of JSON,
// and exits non-zero (with the error) when it throws: the Rust test reads the last line.
async function main(body) {
  const browser = await launch();
  try {
    const result = await body(browser.context);
    console.log(JSON.stringify(result === undefined ? {} : result));
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

module.exports = { launch, main, FLAGS };
