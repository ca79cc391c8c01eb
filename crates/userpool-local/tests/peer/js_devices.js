// amazon-cognito-identity-js (the JavaScript reference client, xtask/peers/node-clients)
// remembering a device on the local pool, then signing in with it. Run by
// tests/it/js_devices.rs (with NODE_PATH naming the installed node_modules), once per
// phase, so that the test can look at the pool through the admin API in between:
//
//   remember        SRP sign-in; the library confirms the new device itself (ConfirmDevice
//                   with the verifier it generates), then setDeviceStatusRemembered, then
//                   signOut (revoking the refresh token).
//   device-sign-in  a new CognitoUser on the same storage, as after an app restart: the SRP
//                   sign-in finds the device in the storage, and the library answers
//                   DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER; then refreshSession
//                   (which sends the device key) and listDevices.
//   forget          the session kept in the storage (getCurrentUser, getSession), then
//                   forgetDevice, then an SRP sign-in again (a new device).
//
// Usage: node js_devices.js PHASE ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD STORAGE_FILE
//
// STORAGE_FILE is the library's storage (tokens, and the device key, group key and random
// password under the reference key layout), kept as JSON between the phases. Nothing
// secret is printed: the test's failure messages quote stdout.
'use strict';

const fs = require('fs');

const [phase, endpoint, poolId, clientId, username, password, storageFile] = process.argv.slice(2);
if (!storageFile) {
  console.error('usage: node js_devices.js PHASE ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD STORAGE_FILE');
  process.exit(2);
}

// Every request the library sends: its operation, and for RespondToAuthChallenge the
// challenge answered. The library calls the global fetch (isomorphic-unfetch keeps Node's).
const sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const headers = new Headers((init && init.headers) || undefined);
  const operation = (headers.get('x-amz-target') || '(no target)').split('.').pop();
  let detail;
  if (init && typeof init.body === 'string') {
    const body = JSON.parse(init.body);
    detail = operation === 'RespondToAuthChallenge' ? body.ChallengeName : undefined;
  }
  sent.push(detail ? `${operation}(${detail})` : operation);
  return realFetch(input, init);
};

const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');

// The library's synchronous Storage interface, kept in STORAGE_FILE.
const storage = (() => {
  let items = fs.existsSync(storageFile) ? JSON.parse(fs.readFileSync(storageFile, 'utf8')) : {};
  const save = () => fs.writeFileSync(storageFile, JSON.stringify(items));
  return {
    setItem(k, v) { items[k] = String(v); save(); return items[k]; },
    getItem(k) { return Object.prototype.hasOwnProperty.call(items, k) ? items[k] : null; },
    removeItem(k) { delete items[k]; save(); },
    clear() { items = {}; save(); },
  };
})();

const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint, Storage: storage });
const deviceKeyItem = `CognitoIdentityServiceProvider.${clientId}.${username}.deviceKey`;

function signIn(user) {
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session, userConfirmationNecessary) => resolve({ session, userConfirmationNecessary }),
      onFailure: reject,
      mfaRequired: () => reject(new Error('unexpected MFA challenge')),
      totpRequired: () => reject(new Error('unexpected TOTP challenge')),
      newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
    });
  });
}

// The library's `{ onSuccess, onFailure }` callbacks as a promise.
function call(method, ...args) {
  return new Promise((resolve, reject) => method(...args, { onSuccess: resolve, onFailure: reject }));
}

function printDevices(list) {
  const shown = list.Devices.map((d) => {
    const attr = (name) => (d.DeviceAttributes.find((a) => a.Name === name) || {}).Value;
    return `${d.DeviceKey}:${attr('dev:device_remembered_status')}`;
  });
  console.log(`devices: ${list.Devices.length} [${shown.join(',')}]`);
}

const phases = {
  async remember() {
    const user = new CognitoUser({ Username: username, Pool: pool, Storage: storage });
    const { userConfirmationNecessary } = await signIn(user);
    console.log(`sign-in operations: ${sent.join(',')}`);
    console.log(`user confirmation necessary: ${userConfirmationNecessary === true}`);
    const deviceKey = storage.getItem(deviceKeyItem);
    if (!deviceKey) {
      throw new Error('the library stored no device key after the sign-in');
    }
    console.log(`device key: ${deviceKey}`);
    await call(user.setDeviceStatusRemembered.bind(user));
    console.log('remembered');
    await new Promise((resolve, reject) => user.signOut((e) => (e ? reject(e) : resolve())));
    console.log('signed out');
  },

  async 'device-sign-in'() {
    const user = new CognitoUser({ Username: username, Pool: pool, Storage: storage });
    const known = storage.getItem(deviceKeyItem);
    const { session } = await signIn(user);
    console.log(`sign-in operations: ${sent.join(',')}`);
    console.log(`same device: ${known !== null && storage.getItem(deviceKeyItem) === known}`);
    // The library's refresh names the device too (REFRESH_TOKEN_AUTH with DEVICE_KEY).
    const mark = sent.length;
    const refreshed = await new Promise((resolve, reject) =>
      user.refreshSession(session.getRefreshToken(), (e, s) => (e ? reject(e) : resolve(s))));
    console.log(`refresh operations: ${sent.slice(mark).join(',')}`);
    console.log(`refreshed: ${refreshed.isValid()}`);
    printDevices(await new Promise((resolve, reject) =>
      user.listDevices(10, null, { onSuccess: resolve, onFailure: reject })));
  },

  async forget() {
    const user = pool.getCurrentUser();
    if (!user) {
      throw new Error('no current user in the storage');
    }
    await new Promise((resolve, reject) => user.getSession((e, s) => (e ? reject(e) : resolve(s))));
    // getCurrentUser does not read the device from the storage; forgetDevice needs it
    // (Amplify v5 reads it the same way before forgetting).
    user.getCachedDeviceKeyAndPassword();
    await call(user.forgetDevice.bind(user));
    console.log(`forgotten; device key still stored: ${storage.getItem(deviceKeyItem) !== null}`);
    // Signing in again, the library has no device to offer: a new one is handed out and
    // confirmed, as on a first sign-in.
    const mark = sent.length;
    await signIn(new CognitoUser({ Username: username, Pool: pool, Storage: storage }));
    console.log(`sign-in operations: ${sent.slice(mark).join(',')}`);
    console.log(`new device key: ${storage.getItem(deviceKeyItem)}`);
  },
};

(async () => {
  const run = phases[phase];
  if (!run) {
    throw new Error(`unknown phase ${phase}`);
  }
  await run();
  console.log(`phase ${phase} ok`);
})().catch((e) => {
  console.error('FAILED', e && e.code, e && e.message);
  console.error(`operations sent: ${sent.join(',')}`);
  console.error(e);
  process.exit(1);
});
