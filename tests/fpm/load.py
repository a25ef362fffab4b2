#!/usr/bin/env python3
"""HTTP load client of the PHP-FPM proof: N GET requests at concurrency C on loopback.

Each thread keeps one HTTP/1.1 keep-alive connection to nginx (reopened after an error). A
request counts as failed when it raises, times out, answers a status other than 200, or
answers a JSON body without "ok": true. With a duration, request i is not sent before
start + i * duration / N (an even pace, for runs that must last that long).

    python3 load.py URL [-n 2000] [-c 8] [--duration S] [--timeout S]
prints one JSON summary line.
"""

import argparse
import http.client
import json
import math
import threading
import time
import urllib.parse


class Result:
    __slots__ = ("index", "sent", "ms", "status", "body", "error")

    def __init__(self, index):
        self.index = index
        self.sent = 0.0
        self.ms = 0.0
        self.status = 0
        self.body = None
        self.error = None

    @property
    def ok(self):
        return self.error is None and self.status == 200 and isinstance(self.body, dict) and self.body.get("ok") is True


def run(url, n=2000, concurrency=8, duration=None, timeout=30.0, on_start=None):
    """Send n requests; returns (results in index order, wall seconds)."""
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the load client only targets loopback, not %r" % u.hostname)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    results = [Result(i) for i in range(n)]
    lock = threading.Lock()
    nxt = [0]
    start = time.monotonic()
    if on_start:
        on_start()

    def worker():
        conn = None
        while True:
            with lock:
                i = nxt[0]
                if i >= n:
                    break
                nxt[0] += 1
            r = results[i]
            if duration:
                due = start + i * duration / n
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            t0 = time.monotonic()
            r.sent = t0 - start
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
                conn.request("GET", path, headers={"Connection": "keep-alive"})
                resp = conn.getresponse()
                data = resp.read()
                r.status = resp.status
                try:
                    r.body = json.loads(data)
                except ValueError:
                    r.body = None
                    r.error = "HTTP %d, not JSON: %r" % (resp.status, data[:200])
                if resp.will_close:
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001 - every failure is a failed request
                r.error = "%s: %s" % (type(e).__name__, e)
                if conn is not None:
                    conn.close()
                conn = None
            r.ms = (time.monotonic() - t0) * 1000.0
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - start


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    if not s:
        return 0.0
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]


def summary(results, wall):
    lat = [r.ms for r in results]
    failed = [r for r in results if not r.ok]
    errors = {}
    for r in failed:
        why = r.error or ("HTTP %d: %s" % (r.status, (r.body or {}).get("error", r.body)))
        errors[why] = errors.get(why, 0) + 1
    return {
        "requests": len(results),
        "failed": len(failed),
        "median_ms": round(percentile(lat, 50), 1),
        "p99_ms": round(percentile(lat, 99), 1),
        "max_ms": round(max(lat) if lat else 0.0, 1),
        "wall_s": round(wall, 2),
        "errors": errors,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("-c", type=int, default=8)
    ap.add_argument("--duration", type=float, default=None)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    results, wall = run(a.url, a.n, a.c, a.duration, a.timeout)
    print(json.dumps(summary(results, wall)))


if __name__ == "__main__":
    main()
