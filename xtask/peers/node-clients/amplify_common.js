// Shared by the Amplify JS v5 benchmarks: an in-memory storage object, well-formed JWTs,
// and seeding a session into the reference key layout.
'use strict';

const { Buffer } = require('buffer');

/** The storage object handed to Auth.configure({ storage }): a Map behind the Storage API. */
class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  setItem(key, value) {
    this.map.set(key, String(value));
    return this.map.get(key);
  }
  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }
  removeItem(key) {
    return this.map.delete(key);
  }
  clear() {
    this.map.clear();
    return {};
  }
}

function b64url(obj) {
  return Buffer.from(JSON.stringify(obj), 'utf8').toString('base64url');
}

/** An unsigned but well-formed JWT (the clients decode, never verify, stored tokens). */
function jwt(claims) {
  const header = { kid: 'bench-key', alg: 'RS256' };
  return `${b64url(header)}.${b64url(claims)}.${Buffer.from('not-a-signature').toString('base64url')}`;
}

/** Replaces the exp (and iat) of a JWT, keeping everything else, signature included. */
function withExp(token, exp) {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  claims.exp = exp;
  if (claims.iat === undefined || claims.iat >= exp) claims.iat = exp - 3600;
  claims.auth_time = claims.iat;
  return `${h}.${b64url(claims)}.${s}`;
}

/**
 * Id and access tokens for `username` in `poolId`/`clientId` that expire at `exp`
 * (seconds since the epoch), shaped like the ones Cognito issues.
 */
function tokens({ poolId, clientId, username, sub, exp }) {
  const iat = Math.min(Math.floor(Date.now() / 1000), exp - 60);
  const iss = `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`;
  const idToken = jwt({
    sub,
    email_verified: true,
    iss,
    'cognito:username': username,
    origin_jti: '5b0c4b86-0d59-4b3c-8a8e-1f2d3c4b5a69',
    aud: clientId,
    event_id: 'a5c1a2b7-6a4f-4ab9-9ac3-8d7c6b5a4f3e',
    token_use: 'id',
    auth_time: iat,
    exp,
    iat,
    jti: '3c7d2f4a-1b5e-4c6d-8e9f-0a1b2c3d4e5f',
    email: `${username}@example.com`,
  });
  const accessToken = jwt({
    sub,
    iss,
    client_id: clientId,
    origin_jti: '5b0c4b86-0d59-4b3c-8a8e-1f2d3c4b5a69',
    event_id: 'a5c1a2b7-6a4f-4ab9-9ac3-8d7c6b5a4f3e',
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: iat,
    exp,
    iat,
    jti: '9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b',
    username,
  });
  return { idToken, accessToken };
}

/**
 * Writes a signed-in session into `storage` under the reference key layout, plus the
 * cached user data that Amplify's currentUserPoolUser reads instead of calling GetUser.
 */
function seed(storage, { clientId, username, sub, idToken, accessToken, refreshToken }) {
  const prefix = `CognitoIdentityServiceProvider.${clientId}`;
  storage.setItem(`${prefix}.LastAuthUser`, username);
  storage.setItem(`${prefix}.${username}.idToken`, idToken);
  storage.setItem(`${prefix}.${username}.accessToken`, accessToken);
  storage.setItem(`${prefix}.${username}.refreshToken`, refreshToken);
  storage.setItem(`${prefix}.${username}.clockDrift`, '0');
  storage.setItem(
    `${prefix}.${username}.userData`,
    JSON.stringify({
      UserAttributes: [
        { Name: 'sub', Value: sub },
        { Name: 'email', Value: `${username}@example.com` },
      ],
      Username: username,
    }),
  );
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Loads Amplify's Auth category quietly (aws-amplify logs through console at WARN+). */
function loadAuth() {
  const amplify = require('aws-amplify');
  const version = require('aws-amplify/package.json').version;
  return { Auth: amplify.Auth, version };
}

module.exports = { MemoryStorage, jwt, withExp, tokens, seed, median, loadAuth };
