// Token verification with aws-jwt-verify (AWS's JavaScript verifier), timed by
// `cargo xtask bench` beside userpool-verify (`userpool-bench-verify`), over the same
// token file.
//
// usage: node verify.js TOKENS.json ITERATIONS RUNS
//
// TOKENS.json holds real access tokens of a userpool-local pool, its issuer, app client and
// JWKS. CognitoJwtVerifier derives the issuer from a pool id (always
// https://cognito-idp.<region>.amazonaws.com/<id>), so the local pool's tokens go through
// JwtVerifier with the local issuer and, as its custom check, the library's own
// validateCognitoJwtFields (token_use and client_id): the checks CognitoJwtVerifier makes,
// in the same order. The JWKS is loaded with cacheJwks (a warm cache: no I/O). Every token
// is verified once before timing and must pass. One operation = one verifySync of the next
// token (the library's fastest path; verify() adds a promise per call). aws-jwt-verify
// keeps no verified tokens: every call checks the signature. The harness compares this one
// run with both of userpool's rows (token cache off: the signature path; token cache warm:
// the hit path).
//
// Prints one JSON object: {"impl", "version", "runtime", "unit": "verifications/s",
// "per_run_per_sec": [one per run], "median_per_sec", "iterations", "runs", "tokens"}.
'use strict';

const fs = require('fs');
const path = require('path');
const { JwtVerifier } = require('aws-jwt-verify');
const { validateCognitoJwtFields } = require('aws-jwt-verify/cognito-verifier');
// The package exports no ./package.json: read it beside its entry point (dist/cjs/index.js).
const version = JSON.parse(
  fs.readFileSync(
    path.join(path.dirname(require.resolve('aws-jwt-verify')), '..', '..', 'package.json'),
    'utf8',
  ),
).version;

function usage() {
  console.error('usage: node verify.js TOKENS.json ITERATIONS RUNS');
  process.exit(2);
}

const [tokensPath, itArg, runsArg] = process.argv.slice(2);
if (!tokensPath) usage();
const iterations = Number(itArg || 20000);
const runs = Number(runsArg || 5);
if (!(iterations > 0) || !(runs > 0)) usage();

const set = JSON.parse(fs.readFileSync(tokensPath, 'utf8'));
const tokens = set.tokens;
if (!Array.isArray(tokens) || tokens.length === 0) throw new Error('no tokens');

const cognitoChecks = { tokenUse: 'access', clientId: set.client_id };
const verifier = JwtVerifier.create({
  issuer: set.issuer,
  jwksUri: `${set.issuer}/.well-known/jwks.json`,
  // Access tokens have no aud: the client is checked by validateCognitoJwtFields.
  audience: null,
  customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, cognitoChecks),
});
verifier.cacheJwks(JSON.parse(set.jwks));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

tokens.forEach((t, i) => {
  try {
    verifier.verifySync(t);
  } catch (e) {
    throw new Error(`token ${i} does not verify: ${e && e.message}`);
  }
});

// Warm-up: let the JIT settle.
let sink = 0;
for (let i = 0; i < Math.min(1000, iterations); i++) {
  sink += verifier.verifySync(tokens[i % tokens.length]).exp & 1;
}
const perSec = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    sink += verifier.verifySync(tokens[i % tokens.length]).exp & 1;
  }
  const t1 = process.hrtime.bigint();
  perSec.push(iterations / (Number(t1 - t0) / 1e9));
}
process.stdout.write(
  JSON.stringify({
    impl: 'aws-jwt-verify',
    version,
    runtime: `node ${process.version}`,
    unit: 'verifications/s',
    api: 'JwtVerifier.verifySync with validateCognitoJwtFields',
    per_run_per_sec: perSec,
    median_per_sec: median(perSec),
    iterations,
    runs,
    tokens: tokens.length,
    sink,
  }) + '\n',
);
