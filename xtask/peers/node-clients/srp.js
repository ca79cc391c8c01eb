// Client SRP work of one sign-in with amazon-cognito-identity-js (the JavaScript reference
// client), timed by `cargo xtask bench`.
//
// usage: node srp.js VECTORS.jsonl ITERATIONS RUNS
//
// One operation = what CognitoUser.authenticateUser does between receiving nothing and
// sending PASSWORD_VERIFIER: new AuthenticationHelper(poolName) (k, a random a, A = g^a),
// getPasswordAuthenticationKey(USER_ID_FOR_SRP, password, B, salt) (u, x, S, HKDF), and
// the HMAC-SHA256 signature over poolName || USER_ID_FOR_SRP || SECRET_BLOCK || TIMESTAMP.
// Inputs cycle through the vectors file. Before timing, each vector is replayed with its
// fixed private a and the signature compared with the expected one.
//
// Prints one JSON object: {"impl", "version", "unit": "ms", "per_op_ms": [one per run],
// "median_ms", "iterations", "runs", "vectors", "mismatches": [cases]}.
'use strict';

const fs = require('fs');
const { Buffer } = require('buffer');
const path = require('path');

const pkgDir = path.dirname(require.resolve('amazon-cognito-identity-js/package.json'));
const AuthenticationHelper = require(path.join(pkgDir, 'lib', 'AuthenticationHelper.js')).default;
const BigInteger = require(path.join(pkgDir, 'lib', 'BigInteger.js')).default;
const { Sha256 } = require('@aws-crypto/sha256-js');
const version = require('amazon-cognito-identity-js/package.json').version;

function usage() {
  console.error('usage: node srp.js VECTORS.jsonl ITERATIONS RUNS');
  process.exit(2);
}

const [vectorsPath, itArg, runsArg] = process.argv.slice(2);
if (!vectorsPath) usage();
const iterations = Number(itArg || 20);
const runs = Number(runsArg || 5);
if (!(iterations > 0) || !(runs > 0)) usage();

const vectors = fs
  .readFileSync(vectorsPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

// The key derivation of the library: its callbacks run synchronously, but do not rely on it.
function passwordKey(helper, v) {
  return new Promise((resolve, reject) => {
    helper.getPasswordAuthenticationKey(
      v.user_id_for_srp,
      v.password,
      new BigInteger(v.srp_b_hex, 16),
      new BigInteger(v.salt_hex, 16),
      (err, hkdf) => (err ? reject(err) : resolve(hkdf)),
    );
  });
}

// The signature exactly as CognitoUser.authenticateUserDefaultAuth computes it.
function signature(hkdf, v) {
  const msg = Buffer.concat([
    Buffer.from(v.pool_name, 'utf8'),
    Buffer.from(v.user_id_for_srp, 'utf8'),
    Buffer.from(v.secret_block_b64, 'base64'),
    Buffer.from(v.timestamp, 'utf8'),
  ]);
  const mac = new Sha256(hkdf);
  mac.update(msg);
  return Buffer.from(mac.digestSync()).toString('base64');
}

async function oneSignIn(v) {
  const helper = new AuthenticationHelper(v.pool_name);
  // A is what InitiateAuth sends: computed in the constructor, read as the client does.
  const srpA = await new Promise((resolve, reject) =>
    helper.getLargeAValue((err, a) => (err ? reject(err) : resolve(a.toString(16)))),
  );
  const hkdf = await passwordKey(helper, v);
  return [srpA, signature(hkdf, v)];
}

async function check(v) {
  const helper = new AuthenticationHelper(v.pool_name);
  helper.smallAValue = new BigInteger(v.small_a_hex, 16);
  helper.largeAValue = undefined;
  const srpA = await new Promise((resolve, reject) =>
    helper.getLargeAValue((err, a) => (err ? reject(err) : resolve(a.toString(16)))),
  );
  const hkdf = await passwordKey(helper, v);
  return srpA === v.srp_a_hex && signature(hkdf, v) === v.signature_b64;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const mismatches = [];
  for (const v of vectors) {
    let ok = false;
    try {
      ok = await check(v);
    } catch (e) {
      ok = false;
    }
    if (!ok) mismatches.push(v.case);
  }
  const usable = vectors.filter((v) => !mismatches.includes(v.case));
  if (usable.length === 0) throw new Error('no vector verified');
  // Warm-up: let the JIT settle.
  for (let i = 0; i < Math.min(5, iterations); i++) await oneSignIn(usable[i % usable.length]);
  const perOp = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await oneSignIn(usable[i % usable.length]);
    const t1 = process.hrtime.bigint();
    perOp.push(Number(t1 - t0) / 1e6 / iterations);
  }
  process.stdout.write(
    JSON.stringify({
      impl: 'amazon-cognito-identity-js',
      version,
      runtime: `node ${process.version}`,
      unit: 'ms',
      per_op_ms: perOp,
      median_ms: median(perOp),
      iterations,
      runs,
      vectors: usable.length,
      mismatches,
    }) + '\n',
  );
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
