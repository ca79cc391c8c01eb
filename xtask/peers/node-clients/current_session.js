// Auth.currentSession() of Amplify JS v5 with a valid session already in storage (no
// network), timed by `cargo xtask bench`.
//
// usage: node current_session.js ITERATIONS RUNS
//
// The storage is an in-memory object passed in Auth.configure({ storage }); the session is
// seeded under the reference key layout with unsigned, well-formed JWTs that expire in a
// year. The endpoint points at a closed loopback port: a call that went to the network
// would fail the run instead of being timed.
//
// Prints {"impl", "version", "unit": "us", "per_op_us": [one per run], "median_us", ...}.
'use strict';

const { MemoryStorage, tokens, seed, median, loadAuth } = require('./amplify_common.js');

const iterations = Number(process.argv[2] || 20000);
const runs = Number(process.argv[3] || 5);
if (!(iterations > 0) || !(runs > 0)) {
  console.error('usage: node current_session.js ITERATIONS RUNS');
  process.exit(2);
}

async function main() {
  const { Auth, version } = loadAuth();
  const poolId = 'us-east-1_BenchPool';
  const clientId = 'benchclient0123456789abcdef';
  const username = 'bench-user';
  const sub = '2f0b7c2e-7a51-4a4b-9a87-4c1f0e6d5b3a';
  const exp = Math.floor(Date.now() / 1000) + 365 * 24 * 3600;
  const storage = new MemoryStorage();
  const t = tokens({ poolId, clientId, username, sub, exp });
  seed(storage, { clientId, username, sub, ...t, refreshToken: 'bench-refresh-token' });
  Auth.configure({
    region: 'us-east-1',
    userPoolId: poolId,
    userPoolWebClientId: clientId,
    endpoint: 'http://127.0.0.1:9',
    storage,
  });

  const first = await Auth.currentSession();
  if (first.getAccessToken().getJwtToken() !== t.accessToken) {
    throw new Error('currentSession did not return the seeded session');
  }
  const warm = Math.min(2000, iterations);
  for (let i = 0; i < warm; i++) await Auth.currentSession();

  const perOp = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await Auth.currentSession();
    const t1 = process.hrtime.bigint();
    perOp.push(Number(t1 - t0) / 1e3 / iterations);
  }
  const last = await Auth.currentSession();
  if (last.getIdToken().getJwtToken() !== t.idToken) {
    throw new Error('the session changed during the run');
  }
  process.stdout.write(
    JSON.stringify({
      impl: 'aws-amplify',
      version,
      runtime: `node ${process.version}`,
      unit: 'us',
      per_op_us: perOp,
      median_us: median(perOp),
      iterations,
      runs,
    }) + '\n',
  );
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
