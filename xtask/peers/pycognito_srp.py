"""Client SRP work of one sign-in with pycognito's AWSSRP helper, timed by `cargo xtask bench`.

usage: python pycognito_srp.py VECTORS.jsonl ITERATIONS RUNS

One operation = AWSSRP(...) (k, a random a, A = g^a; given a stand-in client so that no
boto3 client is built), get_password_authentication_key(USER_ID_FOR_SRP, password, B, salt)
(u, x, S, HKDF) and the HMAC-SHA256 signature, as AWSSRP.process_challenge computes them
(with the vector's TIMESTAMP instead of the clock). Inputs cycle through the vectors file.
Before timing, each vector is replayed with its fixed private a; vectors whose signature
does not match are reported in "mismatches" and left out of the timing.

Prints one JSON object like the Node script does.
"""

import base64
import hashlib
import hmac
import json
import platform
import statistics
import sys
import time
from importlib.metadata import version

from pycognito.aws_srp import AWSSRP, hex_to_long


class _NoClient:
    """Stands in for the boto3 client, which the SRP computation never calls."""


_NO_CLIENT = _NoClient()


def _pool_id(v):
    return v["pool_id"] if "_" in v["pool_id"] else "us-east-1_" + v["pool_name"]


def _signature(srp, v):
    hkdf = srp.get_password_authentication_key(
        v["user_id_for_srp"], v["password"], hex_to_long(v["srp_b_hex"]), v["salt_hex"]
    )
    msg = (
        bytearray(_pool_id(v).split("_")[1], "utf-8")
        + bytearray(v["user_id_for_srp"], "utf-8")
        + bytearray(base64.standard_b64decode(v["secret_block_b64"]))
        + bytearray(v["timestamp"], "utf-8")
    )
    mac = hmac.new(hkdf, msg, digestmod=hashlib.sha256)
    return base64.standard_b64encode(mac.digest()).decode("utf-8")


def _helper(v):
    return AWSSRP(v["username"], v["password"], _pool_id(v), "bench-client", client=_NO_CLIENT)


def one_sign_in(v):
    srp = _helper(v)
    srp_a = format(srp.large_a_value, "x")
    return srp_a, _signature(srp, v)


def check(v):
    srp = _helper(v)
    srp.small_a_value = int(v["small_a_hex"], 16)
    srp.large_a_value = srp.calculate_a()
    return format(srp.large_a_value, "x") == v["srp_a_hex"] and _signature(srp, v) == v["signature_b64"]


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with open(sys.argv[1], encoding="utf-8") as f:
        vectors = [json.loads(line) for line in f if line.strip()]
    mismatches = []
    for v in vectors:
        try:
            ok = check(v)
        except Exception:  # a vector the helper cannot handle counts as a mismatch
            ok = False
        if not ok:
            mismatches.append(v["case"])
    usable = [v for v in vectors if v["case"] not in mismatches]
    if not usable:
        raise SystemExit("no vector verified")
    for i in range(min(3, iterations)):
        one_sign_in(usable[i % len(usable)])
    per_op = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        for i in range(iterations):
            one_sign_in(usable[i % len(usable)])
        per_op.append((time.perf_counter_ns() - t0) / 1e6 / iterations)
    print(
        json.dumps(
            {
                "impl": "pycognito",
                "version": version("pycognito"),
                "runtime": f"{platform.python_implementation()} {platform.python_version()}",
                "unit": "ms",
                "per_op_ms": per_op,
                "median_ms": statistics.median(per_op),
                "iterations": iterations,
                "runs": runs,
                "vectors": len(usable),
                "mismatches": mismatches,
            }
        )
    )


if __name__ == "__main__":
    main()
