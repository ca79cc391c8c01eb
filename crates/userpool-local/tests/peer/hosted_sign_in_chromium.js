// The hosted sign-in in headless Chromium: open /oauth2/authorize, let the redirect reach
// the sign-in page, try a wrong password (the page says so), then sign in and follow the
// redirect to the app's callback, whose URL (with the code and the state) is the result.
// Screenshots go to the folder given. Run by tests/it/hosted_pages.rs.
//
// usage: node hosted_sign_in_chromium.js AUTHORIZE_URL CALLBACK USERNAME PASSWORD SCREENSHOT_DIR
'use strict';

const path = require('path');
const { main } = require('./browser_common');

const [authorizeUrl, callback, username, password, shots] = process.argv.slice(2);

main(async (context) => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(authorizeUrl);
  await page.waitForSelector('#signInFormUsername');
  const signInUrl = page.url();

  // A wrong password: the same page again, with the error.
  await page.fill('#signInFormUsername', username);
  await page.fill('#signInFormPassword', 'Not-the-Passw0rd');
  await Promise.all([
    page.waitForNavigation(),
    page.click('button[name="signInSubmitButton"]'),
  ]);
  const refused = (await page.textContent('#error')).trim();

  // The right one: the redirect to the callback.
  await page.fill('#signInFormUsername', username);
  await page.fill('#signInFormPassword', password);
  await page.screenshot({ path: path.join(shots, 'hosted-sign-in.png'), fullPage: true });
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(callback)),
    page.click('button[name="signInSubmitButton"]'),
  ]);
  await page.waitForSelector('#callback');
  await page.screenshot({ path: path.join(shots, 'hosted-callback.png'), fullPage: true });

  if (errors.length) { throw new Error(`errors in the page: ${errors.join('; ')}`); }
  return { signInUrl, refused, callbackUrl: page.url() };
});
