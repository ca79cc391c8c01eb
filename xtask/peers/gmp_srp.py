"""The client SRP work of one sign-in on GMP (through gmpy2), timed by `cargo xtask bench`.

usage: python gmp_srp.py VECTORS.jsonl ITERATIONS RUNS

The floor that userpool-srp's own big-number code is measured against (issue 13): the
same values as a real sign-in (A = g^a, u, x, S = (B - k*g^x)^(a + u*x) mod N, the HKDF
and the HMAC signature; docs/srp.md's steps), with GMP doing the two modular
exponentiations and Python's hashlib the hashing, which costs microseconds beside them.
The exponentiations use GMP's mpz_powm_sec (gmpy2.powmod_sec), its constant-time
routine, since userpool-srp is constant time; the variable-time mpz_powm is timed too and
reported as "median_ms_variable_time".

One operation = a random 128-byte a, A = g^a mod N, then the password claim signature
over a vector's challenge. Before timing, each vector is replayed with its fixed private a
and checked against its SRP_A and signature; vectors that do not match are reported in
"mismatches" and left out of the timing.
"""

import base64
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version

import gmpy2

N = gmpy2.mpz(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = gmpy2.mpz(2)


def pad(n):
    """The hex padding of docs/srp.md: the magnitude's bytes, with a 0x00 sign byte before a
    high bit; a negative value (only a salt) in two's complement."""
    if n < 0:
        # the shortest two's complement: -2^127 takes 16 bytes (0x80 0x00 ...), not 17
        length = (int(-n - 1).bit_length() + 8) // 8
        return (int(n) % (1 << (8 * length))).to_bytes(length, "big")
    h = format(int(n), "x")
    if len(h) % 2:
        h = "0" + h
    if h[0] in "89abcdef":
        h = "00" + h
    return bytes.fromhex(h)


def signed_hex(s):
    return -int(s[1:], 16) if s.startswith("-") else int(s, 16)


def h(*parts):
    d = hashlib.sha256()
    for p in parts:
        d.update(p)
    return d.digest()


K = gmpy2.mpz(int.from_bytes(h(pad(N), pad(G)), "big"))


def claim(v, small_a, powmod):
    big_a = powmod(G, small_a, N)
    b = gmpy2.mpz(signed_hex(v["srp_b_hex"]))
    salt = signed_hex(v["salt_hex"])
    u = gmpy2.mpz(int.from_bytes(h(pad(big_a), pad(b)), "big"))
    pool_name = v["pool_name"].encode()
    inner = h(pool_name + v["user_id_for_srp"].encode() + b":" + v["password"].encode())
    x = gmpy2.mpz(int.from_bytes(h(pad(salt), inner), "big"))
    base = (b - K * powmod(G, x, N)) % N
    s = powmod(base, small_a + u * x, N)
    prk = hmac.new(pad(u), pad(s), hashlib.sha256).digest()
    key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
    msg = (
        pool_name
        + v["user_id_for_srp"].encode()
        + base64.standard_b64decode(v["secret_block_b64"])
        + v["timestamp"].encode()
    )
    sig = base64.standard_b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    return format(int(big_a), "x"), sig


def one_sign_in(v, powmod):
    small_a = gmpy2.mpz(int.from_bytes(os.urandom(128), "big"))
    return claim(v, small_a, powmod)


def check(v):
    a = gmpy2.mpz(int(v["small_a_hex"], 16))
    return all(
        claim(v, a, p) == (v["srp_a_hex"], v["signature_b64"])
        for p in (gmpy2.powmod_sec, gmpy2.powmod)
    )


def timed(usable, iterations, runs, powmod):
    for i in range(min(3, iterations)):
        one_sign_in(usable[i % len(usable)], powmod)
    per_op = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        for i in range(iterations):
            one_sign_in(usable[i % len(usable)], powmod)
        per_op.append((time.perf_counter_ns() - t0) / 1e6 / iterations)
    return per_op


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with open(sys.argv[1], encoding="utf-8") as f:
        vectors = [json.loads(line) for line in f if line.strip()]
    mismatches = [v["case"] for v in vectors if not check(v)]
    usable = [v for v in vectors if v["case"] not in mismatches]
    if not usable:
        raise SystemExit("no vector verified")
    per_op = timed(usable, iterations, runs, gmpy2.powmod_sec)
    per_op_variable = timed(usable, iterations, runs, gmpy2.powmod)
    print(
        json.dumps(
            {
                "impl": "GMP (gmpy2.powmod_sec)",
                "version": f"gmpy2 {version('gmpy2')}, {gmpy2.mp_version()}",
                "runtime": f"{platform.python_implementation()} {platform.python_version()}",
                "unit": "ms",
                "per_op_ms": per_op,
                "median_ms": statistics.median(per_op),
                "median_ms_variable_time": statistics.median(per_op_variable),
                "iterations": iterations,
                "runs": runs,
                "vectors": len(usable),
                "mismatches": mismatches,
            }
        )
    )


if __name__ == "__main__":
    main()
