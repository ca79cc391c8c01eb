// amazon-cognito-identity-js (the JavaScript reference client) against the local pool, run by
// tests/it/js_flow.rs with NODE_PATH set to a node_modules folder that has the library. The test
// makes a pool with AliasAttributes [email], a client without secret, user jsuser
// (Js-Passw0rd!, verified email jsemail@example.com) and admin-created jsnew (temporary password
// Temp-Passw0rd1!). Usage: node js_flow.js ENDPOINT POOL_ID CLIENT_ID
const { CognitoUserPool, CognitoUser, AuthenticationDetails, CognitoUserAttribute } = require('amazon-cognito-identity-js');
const [endpoint, poolId, clientId] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
function signIn(username, password) {
  return new Promise((resolve, reject) => {
    const user = new CognitoUser({ Username: username, Pool: pool });
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (s) => resolve({ user, s }),
      onFailure: reject,
      newPasswordRequired: (ua, req) => resolve({ user, challenge: 'NEW_PASSWORD_REQUIRED', ua, req }),
    });
  });
}
(async () => {
  const ok = await signIn('jsuser', 'Js-Passw0rd!');
  const idp = ok.s.getIdToken().decodePayload();
  console.log('srp ok', idp['cognito:username'], idp.email_verified);
  try { await signIn('jsuser', 'Wrong-Passw0rd!'); console.log('WRONG ACCEPTED'); process.exit(1); }
  catch (e) { console.log('wrong password:', e.code, e.message); }
  await new Promise((res, rej) => ok.user.getUserAttributes((e, a) => e ? rej(e) : res(a))).then(a => console.log('attrs', a.map(x => x.Name).join(',')));
  await new Promise((res, rej) => ok.user.refreshSession(ok.s.getRefreshToken(), (e, s) => e ? rej(e) : res(s)));
  console.log('refresh ok');
  await new Promise((res, rej) => ok.user.globalSignOut({ onSuccess: res, onFailure: rej }));
  console.log('global sign out ok');
  const after = await new Promise((res) => ok.user.refreshSession(ok.s.getRefreshToken(), (e) => res(e)));
  console.log('refresh after global sign out:', after ? after.code : 'ACCEPTED');
  const email = await signIn('jsemail@example.com', 'Js-Passw0rd!').catch(e => ({ e }));
  console.log('alias sign in:', email.e ? email.e.code : 'ok');
  const np = await signIn('jsnew', 'Temp-Passw0rd1!');
  console.log('challenge', np.challenge, JSON.stringify(np.req));
  await new Promise((res, rej) => np.user.completeNewPasswordChallenge('Final-Passw0rd1!', {}, { onSuccess: res, onFailure: rej }));
  console.log('new password ok');
})().catch(e => { console.error('FAILED', e); process.exit(1); });
