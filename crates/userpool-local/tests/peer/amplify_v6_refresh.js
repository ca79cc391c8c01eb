// Amplify JS v6 (aws-amplify 6.x, xtask/peers/amplify-v6) against the local pool: an SRP
// sign-in, then a forced refresh, as every Amplify v6 app does once its access token
// expires. Run by tests/it/amplify_v6.rs (with NODE_PATH naming the installed
// node_modules).
//
// Usage: node amplify_v6_refresh.js ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD TOKENS_FILE
//
// Prints one line per step for the Rust test: the operations Amplify sent (read from the
// requests themselves, by wrapping fetch, so the flow is what went over the wire and not
// what the library's documentation promises), the sign-in flow, and whether the refresh
// answered a new refresh token. The refresh tokens themselves go to TOKENS_FILE, not to
// stdout: the test's failure messages quote stdout.
'use strict';

const fs = require('fs');

const [endpoint, poolId, clientId, username, password, tokensFile] = process.argv.slice(2);
if (!tokensFile) {
  console.error('usage: node amplify_v6_refresh.js ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD TOKENS_FILE');
  process.exit(2);
}

// Every request Amplify sends to the pool: its X-Amz-Target operation, and for InitiateAuth
// the AuthFlow. Amplify v6 calls the global fetch.
const sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
  const target = headers.get('x-amz-target') || '';
  const operation = target.split('.').pop() || '(no target)';
  let flow;
  if (operation === 'InitiateAuth' && init && typeof init.body === 'string') {
    flow = JSON.parse(init.body).AuthFlow;
  }
  sent.push(flow ? `${operation}(${flow})` : operation);
  return realFetch(input, init);
};

const { Amplify } = require('aws-amplify');
const { signIn, fetchAuthSession } = require('aws-amplify/auth');
const { cognitoUserPoolsTokenProvider } = require('aws-amplify/auth/cognito');

// The token store, in memory and readable here (Amplify's default in Node is in memory
// too, but not reachable from outside). Set after Amplify.configure, which installs the
// default storage.
const store = new Map();
const keyValueStorage = {
  setItem: async (k, v) => { store.set(k, v); },
  getItem: async (k) => (store.has(k) ? store.get(k) : null),
  removeItem: async (k) => { store.delete(k); },
  clear: async () => { store.clear(); },
};

function storedRefreshToken() {
  for (const [k, v] of store) {
    if (k.startsWith(`CognitoIdentityServiceProvider.${clientId}.`) && k.endsWith('.refreshToken')) {
      return v;
    }
  }
  return null;
}

(async () => {
  Amplify.configure({
    Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint } },
  });
  cognitoUserPoolsTokenProvider.setKeyValueStorage(keyValueStorage);

  const result = await signIn({ username, password, options: { authFlowType: 'USER_SRP_AUTH' } });
  console.log(`sign-in: signed in ${result.isSignedIn}, next step ${result.nextStep.signInStep}`);
  console.log(`sign-in operations: ${sent.join(',')}`);
  const before = storedRefreshToken();
  const first = await fetchAuthSession();
  if (!before || !first.tokens) {
    throw new Error('no tokens after the sign-in');
  }

  const mark = sent.length;
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  const after = storedRefreshToken();
  console.log(`refresh operations: ${sent.slice(mark).join(',')}`);
  if (!refreshed.tokens || !refreshed.tokens.accessToken) {
    throw new Error('fetchAuthSession({ forceRefresh: true }) answered no tokens');
  }
  const newAccess = refreshed.tokens.accessToken.toString();
  console.log(`refresh: new access token ${newAccess !== first.tokens.accessToken.toString()}`);
  console.log(`refresh: refresh token replaced ${after !== before}`);
  // No signOut here: it would revoke the session, and the test goes on with these tokens.
  fs.writeFileSync(tokensFile, JSON.stringify({ before, after, accessToken: newAccess }));
  console.log('amplify v6 flow ok');
})().catch((e) => {
  console.error('FAILED', e && e.name, e && e.message);
  console.error(`operations sent: ${sent.join(',')}`);
  console.error(e);
  process.exit(1);
});
