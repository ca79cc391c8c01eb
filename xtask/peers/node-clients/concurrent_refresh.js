// Concurrent Auth.currentSession() calls of Amplify JS v5 at expiry, against a local
// Cognito-compatible server behind userpool-countproxy; run by `cargo xtask bench`.
//
// usage: node concurrent_refresh.js --endpoint URL --pool-id ID --client-id ID
//          --username NAME --password PW --counts URL [--concurrency 1000] [--runs 5]
//
// Signs in once (USER_PASSWORD_AUTH) for a real refresh token. Per run: Auth.configure
// with a new in-memory storage holding that refresh token and the id and access tokens
// rewritten to have expired an hour ago (plus the cached user data a signed-in Amplify
// app has), then --concurrency concurrent Auth.currentSession() calls. Reports the
// refresh calls the server saw (the proxy's `refreshes` count, which covers both refresh
// APIs, read before and after each run), the other calls, and the time until every call
// had tokens.
'use strict';

const { MemoryStorage, withExp, seed, median, loadAuth } = require('./amplify_common.js');

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.includes('=') ? a.slice(2).split(/=(.*)/s) : [a.slice(2), argv[++i]];
    out[k] = v;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
for (const k of ['endpoint', 'pool-id', 'client-id', 'username', 'password', 'counts']) {
  if (!args[k]) {
    console.error(`--${k} is required`);
    process.exit(2);
  }
}
const concurrency = Number(args.concurrency || 1000);
const runs = Number(args.runs || 5);
const endpoint = args.endpoint.replace(/\/?$/, '/');
const countsUrl = args.counts;

async function counts() {
  const r = await fetch(countsUrl);
  return r.json();
}

function refreshCalls(c) {
  return c.refreshes || 0;
}

async function signIn() {
  const r = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: args['client-id'],
      AuthParameters: { USERNAME: args.username, PASSWORD: args.password },
    }),
  });
  const body = await r.json();
  if (!r.ok || !body.AuthenticationResult) {
    throw new Error(`sign-in for a refresh token failed: ${r.status} ${JSON.stringify(body)}`);
  }
  return body.AuthenticationResult;
}

async function main() {
  const { Auth, version } = loadAuth();
  const tokens = await signIn();
  // Amplify keys the storage by the token's username (the sub when the server issues
  // one for an email-as-username pool).
  const accessClaims = JSON.parse(Buffer.from(tokens.AccessToken.split('.')[1], 'base64url'));
  const username = accessClaims.username || args.username;
  const sub = accessClaims.sub || 'unknown-sub';

  const perRun = [];
  let firstError = null;
  for (let r = 0; r < runs; r++) {
    const expired = Math.floor(Date.now() / 1000) - 3600;
    const storage = new MemoryStorage();
    seed(storage, {
      clientId: args['client-id'],
      username,
      sub,
      idToken: withExp(tokens.IdToken, expired),
      accessToken: withExp(tokens.AccessToken, expired),
      refreshToken: tokens.RefreshToken,
    });
    Auth.configure({
      region: 'us-east-1',
      userPoolId: args['pool-id'].includes('_') ? args['pool-id'] : `us-east-1_${args['pool-id']}`,
      userPoolWebClientId: args['client-id'],
      endpoint,
      storage,
    });
    const before = await counts();
    const floor = Math.floor(Date.now() / 1000);
    const t0 = process.hrtime.bigint();
    let lastDone = 0n;
    let errors = 0;
    await Promise.all(
      Array.from({ length: concurrency }, () =>
        Auth.currentSession().then(
          (s) => {
            const done = process.hrtime.bigint() - t0;
            if (done > lastDone) lastDone = done;
            if (s.getAccessToken().getExpiration() <= floor) {
              errors++;
              firstError = firstError || 'a session that is still expired';
            }
          },
          (e) => {
            errors++;
            firstError = firstError || String((e && e.message) || e);
          },
        ),
      ),
    );
    const after = await counts();
    const other = {};
    for (const [k, v] of Object.entries(after)) {
      if (k === 'total' || k === 'refreshes' || typeof v !== 'number') continue;
      if ((after.refresh_labels || []).includes(k)) continue;
      const d = v - (before[k] || 0);
      if (d > 0) other[k] = d;
    }
    perRun.push({
      refresh_calls: refreshCalls(after) - refreshCalls(before),
      other_calls: other,
      all_done_ms: Number(lastDone) / 1e6,
      errors,
    });
  }
  const calls = perRun.map((p) => p.refresh_calls);
  process.stdout.write(
    JSON.stringify({
      impl: 'aws-amplify',
      version,
      runtime: `node ${process.version}`,
      concurrency,
      refresh_calls: median(calls),
      refresh_calls_max: Math.max(...calls),
      all_done_ms: median(perRun.map((p) => p.all_done_ms)),
      errors: perRun.reduce((a, p) => a + p.errors, 0),
      first_error: firstError,
      runs: perRun,
    }) + '\n',
  );
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
