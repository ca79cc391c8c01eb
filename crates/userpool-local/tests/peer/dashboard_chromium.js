// The local pool's dashboard in headless Chromium: load it, read a user's status and
// latest code from the page, copy the code with its button, confirm the user with the
// page's own form, and watch the page reload itself when a user signs up behind its back.
// Screenshots go to the folder given. Run by tests/it/dashboard.rs.
//
// usage: node dashboard_chromium.js ENDPOINT POOL_ID CLIENT_ID USERNAME SCREENSHOT_DIR
'use strict';

const path = require('path');
const { main } = require('./browser_common');

const [endpoint, poolId, clientId, username, shots] = process.argv.slice(2);

function row(name) {
  return `tr[data-pool="${poolId}"][data-user="${name}"]`;
}

main(async (context) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: endpoint });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // The browser asks for /favicon.ico on its own; the server has none (404), and that
    // is no error of the page.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) {
      errors.push(`${m.text()} (${m.location().url})`);
    }
  });

  await page.goto(`${endpoint}/`);
  await page.waitForSelector(row(username));
  const statusBefore = await page.textContent(`${row(username)} [data-status]`);
  const code = await page.getAttribute(`${row(username)} [data-code]`, 'data-code');
  await page.screenshot({ path: path.join(shots, 'dashboard-before.png'), fullPage: true });

  // The copy button puts the code on the clipboard.
  await page.click(`${row(username)} button[data-copy]`);
  await page.waitForFunction(
    (sel) => document.querySelector(sel).textContent !== 'Copy',
    `${row(username)} button[data-copy]`);
  const copied = await page.evaluate(() => navigator.clipboard.readText());

  // Confirm the user with the page's own form (CSRF token and all).
  await Promise.all([
    page.waitForNavigation(),
    page.click(`${row(username)} form[data-action="confirm"] button`),
  ]);
  // An error page (a refusal, say) has no notice: say what it does show.
  if (!(await page.$('#notice'))) {
    throw new Error(`no notice at ${page.url()}: ${await page.textContent('body')}`);
  }
  const notice = (await page.textContent('#notice')).trim();
  const statusAfter = await page.textContent(`${row(username)} [data-status]`);
  await page.screenshot({ path: path.join(shots, 'dashboard-after.png'), fullPage: true });

  // A sign-up through the API, not the page: the page reloads itself and shows it.
  const signUp = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.SignUp',
    },
    body: JSON.stringify({
      ClientId: clientId,
      Username: 'kate',
      Password: 'Corr3ct-Horse',
      UserAttributes: [{ Name: 'email', Value: 'kate@example.com' }],
    }),
  });
  if (!signUp.ok) { throw new Error(`SignUp: ${signUp.status} ${await signUp.text()}`); }
  await page.waitForSelector(row('kate'), { timeout: 30000 });
  const reloadedWith = await page.getAttribute(row('kate'), 'data-user');

  // The same page on a phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, 'dashboard-phone.png'), fullPage: true });
  // On the phone, a user's latest code and its actions are on screen, not off to the right.
  const phoneWidth = await page.evaluate(() => document.documentElement.clientWidth);
  const onScreen = async (sel) => {
    const box = await page.locator(sel).first().boundingBox();
    return box !== null && box.x >= 0 && box.x + box.width <= phoneWidth;
  };
  const phoneFits = (await onScreen(`${row('kate')} [data-code]`))
    && (await onScreen(`${row('kate')} form[data-action="confirm"] button`));

  if (errors.length) { throw new Error(`errors in the page: ${errors.join('; ')}`); }
  return {
    statusBefore: statusBefore.trim(),
    code,
    copied,
    statusAfter: statusAfter.trim(),
    notice,
    reloadedWith,
    phoneFits,
  };
});
