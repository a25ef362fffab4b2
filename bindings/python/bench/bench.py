"""Micro-benchmark of the Python binding (run by scripts/bench-bindings.sh).

  JWT mint: b2c.mint_jwt vs PyJWT + cryptography (ES256, same claims)
  signing:  b2c.sign_payload vs hmac.new(key, data, hashlib.sha256).hexdigest() on 1 KiB

Per-op microseconds are the median of several timeit runs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import platform
import statistics
import sys
import time
import timeit

import jwt  # PyJWT
from cryptography.hazmat.primitives import serialization

import b2c

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def medians_us(fa, fb, number: int) -> "tuple[float, float]":
    """Median us/op of fa and fb, timed in alternating runs so that machine noise (other
    processes, frequency changes) hits both sides alike."""
    for _ in range(min(200, number)):  # warm-up
        fa()
        fb()
    ta, tb = [], []
    for _ in range(RUNS):
        ta.append(timeit.timeit(fa, number=number))
        tb.append(timeit.timeit(fb, number=number))
    return statistics.median(ta) / number * 1e6, statistics.median(tb) / number * 1e6


def main() -> int:
    key = b2c.Key.generate()
    crypto_key = serialization.load_pem_private_key(key.private_pem().encode(), password=None)
    public_pem = key.public_pem()

    def b2c_jwt() -> str:
        return b2c.mint_jwt(key, admin_id=42, device_ip="127.0.0.1", key_id="kid1")

    def pyjwt() -> str:
        now = int(time.time())
        claims = {"admin_id": 42, "device_ip": "127.0.0.1", "key_id": "kid1", "iss": "b2c",
                  "iat": now, "exp": now + 300}
        return jwt.encode(claims, crypto_key, algorithm="ES256")

    # Sanity: same claims, both verify.
    a = jwt.decode(b2c_jwt(), public_pem, algorithms=["ES256"])
    b = jwt.decode(pyjwt(), public_pem, algorithms=["ES256"])
    assert set(a) == set(b) and a["admin_id"] == b["admin_id"] == 42, (a, b)

    data = os.urandom(1024)
    hkey = os.urandom(32)
    assert b2c.sign_payload(hkey, data) == "sha256=" + hmac.new(hkey, data, hashlib.sha256).hexdigest()

    n_jwt = max(100, int(3000 * SCALE))
    n_sig = max(1000, int(100000 * SCALE))
    jb, jp = medians_us(b2c_jwt, pyjwt, n_jwt)
    sb, sp = medians_us(lambda: b2c.sign_payload(hkey, data),
                        lambda: hmac.new(hkey, data, hashlib.sha256).hexdigest(), n_sig)

    print(f"Python {platform.python_version()}, libb2c {b2c.version()}, PyJWT {jwt.__version__}, median of {RUNS} runs")
    print(f"  JWT mint ES256      b2c.mint_jwt             {jb:8.2f} us/op")
    print(f"                      PyJWT+cryptography       {jp:8.2f} us/op")
    print(f"                      ratio b2c/PyJWT          {jb / jp:8.2f}x  (target <= 0.80x) {'OK' if jb / jp <= 0.8 else 'MISSED'}")
    print(f"  sign 1 KiB          b2c.sign_payload         {sb:8.2f} us/op")
    print(f"                      hmac.new().hexdigest()   {sp:8.2f} us/op")
    print(f"                      ratio b2c/hmac           {sb / sp:8.2f}x  (target <= 1.00x) {'OK' if sb / sp <= 1.0 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
