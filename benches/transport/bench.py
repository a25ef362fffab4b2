"""Python clients of scripts/bench-transport.sh, one fee call at a time.

    python bench.py requests|b2c BASE_URL N WARMUP KEY_PEM_FILE

requests: one requests.Session (keep-alive), .post(url, data=<the body b2c sends>,
          headers=Content-Type, Accept, Authorization: Bearer bench-access), .json(),
          status must be 2.
b2c:      b2c.Client (bindings/python/src on PYTHONPATH, B2C_LIBRARY names the library)
          with the bench configuration, authenticate() once, then
          fee_process("123456", "bench-1"); the result must be SUCCESS.
Prints: calls=N wall_us=.. cpu_us=.. (CPU = user+sys of this process, getrusage).
"""

import resource
import sys
import time

BODY = b'{"account_login":"123456","request_id":"bench-1"}'
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": "Bearer bench-access",
}


def cpu_us() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e6


def fail(msg: str) -> None:
    sys.stderr.write(f"bench.py: {msg}\n")
    sys.exit(1)


def main() -> None:
    if len(sys.argv) != 6:
        fail("usage: python bench.py requests|b2c BASE_URL N WARMUP KEY_PEM_FILE")
    mode, base, n, warm, key_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

    if mode == "requests":
        import requests

        session = requests.Session()
        session.trust_env = False  # loopback only: no proxy from the environment
        url = base + "/api/admin/fees/v2/fee/feeservice/processext"

        def call() -> None:
            r = session.post(url, data=BODY, headers=HEADERS, timeout=10)
            if r.status_code != 200 or r.json().get("status") != 2:
                fail(f"requests: HTTP {r.status_code} {r.text!r}")

    elif mode == "b2c":
        import b2c

        with open(key_file) as f:
            pem = f.read()
        client = b2c.Client(base_url=base, admin_id=1, device_ip="127.0.0.1", key_id="k", private_key_pem=pem)
        client.authenticate()
        success = b2c.FeeStatus.SUCCESS

        def call() -> None:
            r = client.fee_process("123456", "bench-1")
            if r.status != success:
                fail(f"fee_process: status {r.status!r}")

    else:
        fail(f"unknown mode {mode} (requests or b2c)")

    for _ in range(warm):
        call()
    t0 = time.perf_counter()
    c0 = cpu_us()
    for _ in range(n):
        call()
    c1 = cpu_us()
    t1 = time.perf_counter()
    print(f"calls={n} wall_us={(t1 - t0) * 1e6:.0f} cpu_us={c1 - c0:.0f}")


if __name__ == "__main__":
    main()
