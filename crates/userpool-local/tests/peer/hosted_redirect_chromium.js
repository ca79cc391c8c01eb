// A person at the local pool's hosted sign-in page, in headless Chromium: open the
// authorize URL a client gave its browser, fill in the form, send it, and wait for the
// browser to land on the client's loopback callback. Screenshots go to the folder given.
// Run by crates/userpool/tests/hosted_redirect.rs (the facade's end-to-end test), as the
// Browser that sign_in_with_redirect opens.
//
// usage: node hosted_redirect_chromium.js AUTHORIZE_URL USERNAME PASSWORD SCREENSHOT_DIR
'use strict';

const path = require('path');
const { main } = require('./browser_common');

const [authorizeUrl, username, password, shots] = process.argv.slice(2);
const redirectUri = new URL(authorizeUrl).searchParams.get('redirect_uri');

main(async (context) => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(authorizeUrl);
  await page.waitForSelector('#signInFormUsername');
  await page.fill('#signInFormUsername', username);
  await page.fill('#signInFormPassword', password);
  await page.screenshot({ path: path.join(shots, 'hosted-sign-in.png'), fullPage: true });
  // The form's answer is a 302 to the loopback callback, where the client answers a page.
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`), { timeout: 30000 }),
    page.click('button[name="signInSubmitButton"]'),
  ]);
  await page.waitForLoadState('load');
  const finalText = await page.textContent('body');
  await page.screenshot({ path: path.join(shots, 'hosted-signed-in.png'), fullPage: true });

  if (errors.length) { throw new Error(`errors in the page: ${errors.join('; ')}`); }
  const finalUrl = new URL(page.url());
  // The code is single use and already redeemed, but it is still not printed.
  return {
    final_url: `${finalUrl.origin}${finalUrl.pathname}?${finalUrl.searchParams.has('code') ? 'code' : 'no-code'}`,
    final_text: finalText,
  };
});
