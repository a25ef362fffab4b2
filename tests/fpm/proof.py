#!/usr/bin/env python3
"""Driver of the PHP-FPM proof (started by scripts/proof-fpm.sh, which runs nginx and the
php-fpm pool and removes everything at exit).

Five runs, each against a fresh b2c-sandbox on loopback (so its counters are per run); the
page (tests/fpm/page.php) reads its configuration from $PROOF_CONFIG, rewritten per run:

 1. shared handles + file store: authexternalcrm exchanges == 1, connections <= 4, 0 failed
 2. shared handles, no store: exchanges <= 4 (one per worker), 0 failed
 3. shared + file store, access tokens of 2 s, ~10 s of load: refreshes about
    run time / (0.8 x 2 s), never two exchanges at once, 0 failed
 4. B2BINPAY shared + file store, access tokens of 1 s (single-use refresh tokens): no
    refresh token sent twice, no suspicious event, 0 failed
 5. kill -9 of the worker holding the store's lock in the middle of an exchange: the other
    requests complete within their deadline, the record is valid afterwards (a later run
    makes at most 1 extra exchange), FPM replaces the worker

Environment: PROOF_DIR (the temp dir), B2C_REL, PROOF_URL (nginx), PROOF_CONFIG,
PROOF_FPM_PID_FILE, PROOF_KEY (private key), PROOF_PUB (public key), PROOF_WORKERS (4).
PROOF_FPM_API=new is the control: a `new B2c\Client` / `new B2c\B2binpay` per request, as
PHP code without shared handles does; the runs then fail their bounds.
"""

import glob
import json
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402

DIR = os.environ["PROOF_DIR"]
REL = os.environ["B2C_REL"]
URL = os.environ["PROOF_URL"].rstrip("/")
CONFIG = os.environ["PROOF_CONFIG"]
FPM_PID_FILE = os.environ["PROOF_FPM_PID_FILE"]
KEY = os.environ["PROOF_KEY"]
PUB = os.environ["PROOF_PUB"]
WORKERS = int(os.environ.get("PROOF_WORKERS", "4"))
REQUESTS = int(os.environ.get("PROOF_REQUESTS", "2000"))
CONCURRENCY = 8
API = os.environ.get("PROOF_FPM_API", "shared")
DEADLINE_MS = 10000
PATH_AUTH = "/api/admin/auth/v2/admin/adminservice/authexternalcrm"


def title(text):
    return text + ("  [control: a new handle per request]" if API != "shared" else "")


def log(msg=""):
    print(msg, flush=True)


# ---------------------------------------------------------------- sandbox


class Sandbox:
    """A b2c-sandbox on an ephemeral loopback port; counts its own control calls."""

    def __init__(self, name, *extra):
        self.name = name
        self.control_calls = 0
        self.err = open(os.path.join(DIR, "sandbox-%s.log" % name), "wb")
        args = [os.path.join(REL, "b2c-sandbox"), "--port", "0", "--register", "kid1:42:" + PUB,
                "--pending-polls", "0"] + list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err)
        # For the shell's exit trap, should this script die first; removed by stop().
        self.pid_file = os.path.join(DIR, "sandbox-%s.pid" % name)
        with open(self.pid_file, "w") as f:
            f.write("%d\n" % self.proc.pid)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().decode() if ready else ""
        prefix = "b2c-sandbox listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError("sandbox did not start: %r" % line)
        self.url = line[len(prefix):].strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError("sandbox is not on loopback: %s" % self.url)

    def control(self, action, body=None):
        """GET /_sandbox/stats, or POST /_sandbox/ACTION with a JSON body (one connection)."""
        self.control_calls += 1
        if action == "stats":
            req = urllib.request.Request(self.url + "/_sandbox/stats", headers={"Connection": "close"})
        else:
            req = urllib.request.Request(self.url + "/_sandbox/" + action, method="POST",
                                         data=json.dumps(body or {}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Connection": "close"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stats(self):
        return self.control("stats")

    def connections(self, stats):
        """server.connections minus the connections of this script's own control calls."""
        return stats["server"]["connections"] - self.control_calls

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.err.close()
        try:
            os.unlink(self.pid_file)
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------- pool and page


def fpm_master():
    with open(FPM_PID_FILE) as f:
        return int(f.read().strip())


def workers():
    """PIDs of the pool's worker processes (children of the FPM master)."""
    master = fpm_master()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master and fields[0] != "Z":
            out.append(int(d))
    return sorted(out)


def wait_workers(exclude=(), timeout=15.0):
    """Wait until the pool has WORKERS workers, none of them in exclude."""
    end = time.monotonic() + timeout
    while True:
        w = workers()
        if len(w) == WORKERS and not set(w) & set(exclude):
            return w
        if time.monotonic() > end:
            raise RuntimeError("the pool has workers %s (wanted %d, none of %s)" % (w, WORKERS, list(exclude)))
        time.sleep(0.05)


def reload_pool():
    """SIGUSR2 to the FPM master: every worker is replaced (their memory is gone)."""
    old = workers()
    os.kill(fpm_master(), signal.SIGUSR2)
    return wait_workers(exclude=old)


def write_config(api="shared", b2copy=None, b2binpay=None):
    tmp = CONFIG + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"api": api, "b2copy": b2copy or {}, "b2binpay": b2binpay or {}}, f)
    os.replace(tmp, CONFIG)  # a worker reads the old or the new file, never half of one


def b2copy_config(sb, store=None):
    c = {"base_url": sb.url, "admin_id": 42, "device_ip": "127.0.0.1", "key_id": "kid1",
         "private_key_path": KEY, "call_deadline_ms": DEADLINE_MS}
    if store:
        c["token_store"] = {"type": "file", "path": store}
    return c


def b2binpay_config(sb, store=None):
    c = {"base_url": sb.url + "/b2binpay", "login": "sandbox-login", "password": "sandbox-password",
         "deadline_ms": DEADLINE_MS}
    if store:
        c["token_store"] = {"type": "file", "path": store}
    return c


def store_dir(name):
    d = os.path.join(DIR, "store-" + name)
    os.mkdir(d, 0o700)
    os.chmod(d, 0o700)
    return d


def get(path):
    with urllib.request.urlopen(URL + path, timeout=30) as r:
        return json.loads(r.read())


# ---------------------------------------------------------------- reporting


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def verdict(self, checks):
        """checks: list of (text, ok). Prints one PASS/FAIL line."""
        bad = [t for t, ok in checks if not ok]
        if bad:
            self.failed += 1
            log("  FAIL: " + "; ".join(bad) + "  (ok: " + "; ".join(t for t, ok in checks if ok) + ")")
        else:
            self.passed += 1
            log("  PASS: " + "; ".join(t for t, _ in checks))


def answers(results):
    return [r.body for r in results if r.ok]


def apis(results):
    return sorted({b.get("api") for b in answers(results)})


def warnings_of(results):
    w = {}
    for r in results:
        for e in (r.body or {}).get("warnings", []) if isinstance(r.body, dict) else []:
            w[e] = w.get(e, 0) + 1
    return w


def print_load(s, results):
    log("  requests %d, failed %d, latency median %.1f ms, p99 %.1f ms (max %.1f ms, %.1f s)"
        % (s["requests"], s["failed"], s["median_ms"], s["p99_ms"], s["max_ms"], s["wall_s"]))
    for why, n in sorted(s["errors"].items(), key=lambda kv: -kv[1])[:5]:
        log("    %d x %s" % (n, why[:300]))
    pids = sorted({b["pid"] for b in answers(results)})
    log("  served by %d workers %s, api %s" % (len(pids), pids, ",".join(str(a) for a in apis(results))))


def api_check(results):
    a = apis(results)
    return ("api %s == shared" % ",".join(map(str, a)), a == ["shared"])  # not the control


def warn_check(results):
    w = warnings_of(results)
    for e, n in list(w.items())[:3]:
        log("    log: %d x %s" % (n, e[:300]))
    return ("log warnings %d == 0" % sum(w.values()), not w)


# ---------------------------------------------------------------- runs


def b2copy_run(rep, name, text, store, sandbox_args=(), duration=None):
    log(title(text))
    sb = Sandbox(name, *sandbox_args)
    try:
        d = store_dir(name) if store else None
        write_config(API, b2copy=b2copy_config(sb, d))
        results, wall = load.run(URL + "/fee", REQUESTS, CONCURRENCY, duration=duration, timeout=30)
        st = sb.stats()
        s = load.summary(results, wall)
        print_load(s, results)
        b = st["b2copy"]
        conns = sb.connections(st)
        log("  exchanges: auth %d, refresh %d (rejected %d, most at once %d); processext %d; connections %d"
            % (b["auth_ok"], b["refresh_ok"], b["refresh_rejected"], b["exchanges_concurrent_max"],
               b["process_calls"], conns))
        return s, b, conns, results
    finally:
        sb.stop()


def run1(rep):
    s, b, conns, results = b2copy_run(
        rep, "run1", "run 1: shared handles + file store (%d requests, concurrency %d)" % (REQUESTS, CONCURRENCY), True)
    rep.verdict([
        ("auth exchanges %d == 1" % b["auth_ok"], b["auth_ok"] == 1),
        ("connections %d <= %d" % (conns, WORKERS), conns <= WORKERS),
        ("failed %d == 0" % s["failed"], s["failed"] == 0),
        api_check(results), warn_check(results),
    ])


def run2(rep):
    s, b, conns, results = b2copy_run(
        rep, "run2", "run 2: shared handles, no store (%d requests, concurrency %d)" % (REQUESTS, CONCURRENCY), False)
    rep.verdict([
        ("auth exchanges %d <= %d" % (b["auth_ok"], WORKERS), 1 <= b["auth_ok"] <= WORKERS),
        ("failed %d == 0" % s["failed"], s["failed"] == 0),
        api_check(results), warn_check(results),
    ])


def run3(rep):
    ttl, secs = 2, 10.0
    s, b, conns, results = b2copy_run(
        rep, "run3", "run 3: shared + file store, access tokens of %d s, %d requests over %.0f s" % (ttl, REQUESTS, secs),
        True, ("--access-ttl", str(ttl)), duration=secs)
    expected = s["wall_s"] / (0.8 * ttl)
    slack = max(2.0, 0.25 * expected)
    log("  expected refreshes: %.1f s / (0.8 x %d s) = %.1f (+- %.1f)" % (s["wall_s"], ttl, expected, slack))
    rep.verdict([
        ("refreshes %d ~ %.1f" % (b["refresh_ok"], expected), abs(b["refresh_ok"] - expected) <= slack),
        ("auth exchanges %d == 1" % b["auth_ok"], b["auth_ok"] == 1),
        ("refresh rejected %d == 0" % b["refresh_rejected"], b["refresh_rejected"] == 0),
        ("exchanges at once %d == 1" % b["exchanges_concurrent_max"], b["exchanges_concurrent_max"] == 1),
        ("failed %d == 0" % s["failed"], s["failed"] == 0),
        api_check(results), warn_check(results),
    ])


def run4(rep):
    ttl, secs = 1, 6.0
    log(title("run 4: B2BINPAY shared + file store, access tokens of %d s (single-use refresh tokens), "
              "%d requests over %.0f s" % (ttl, REQUESTS, secs)))
    sb = Sandbox("run4", "--b2binpay-access-ttl", str(ttl))
    try:
        d = store_dir("run4")
        write_config(API, b2binpay=b2binpay_config(sb, d))
        results, wall = load.run(URL + "/b2binpay", REQUESTS, CONCURRENCY, duration=secs, timeout=30)
        st = sb.stats()
    finally:
        sb.stop()
    s = load.summary(results, wall)
    print_load(s, results)
    p = st["b2binpay"]
    conns = sb.connections(st)
    # Each worker's native handle counts its own history: the last answer of a pid has it all.
    last = {}
    for body in answers(results):
        last[body["pid"]] = body
    suspicious = sum(b["suspicious"] for b in last.values())
    suspicious_now = sum(1 for body in answers(results) if body.get("suspicious_now"))
    tokens = len({body["token_sha"] for body in answers(results)})
    expected = s["wall_s"] / (0.8 * ttl)
    log("  exchanges: logins %d, refresh %d (rejected %d, replayed %d); connections %d; "
        "%d distinct access tokens served; expected refreshes ~%.1f"
        % (p["token_ok"], p["refresh_ok"], p["refresh_rejected"], p["refresh_replayed"], conns, tokens, expected))
    log("  handles' counters: logins %d, refreshes %d, suspicious %d (answers flagged suspicious: %d)"
        % (sum(b["logins"] for b in last.values()), sum(b["refreshes"] for b in last.values()),
           suspicious, suspicious_now))
    rep.verdict([
        ("refresh tokens sent twice %d == 0" % p["refresh_replayed"], p["refresh_replayed"] == 0),
        ("suspicious %d == 0" % (suspicious + suspicious_now), suspicious + suspicious_now == 0),
        ("failed %d == 0" % s["failed"], s["failed"] == 0),
        ("logins %d == 1" % p["token_ok"], p["token_ok"] == 1),
        ("refreshes %d >= 1" % p["refresh_ok"], p["refresh_ok"] >= 1),
        api_check(results), warn_check(results),
    ])


def lock_holder(lock_path):
    """The PID holding an flock on lock_path, from /proc/locks (matched by inode), or None."""
    try:
        ino = os.stat(lock_path).st_ino
    except FileNotFoundError:
        return None
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            # "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"; waiters are "1: -> FLOCK ..."
            if len(parts) < 6 or parts[1] != "FLOCK":
                continue
            if int(parts[5].rsplit(":", 1)[1]) == ino:
                return int(parts[4])
    return None


def run5(rep):
    log(title("run 5: kill -9 of the worker holding the store's lock mid-exchange"))
    sb = Sandbox("run5")
    try:
        d = store_dir("run5")
        write_config(API, b2copy=b2copy_config(sb, d))
        warm, wall = load.run(URL + "/fee", 200, CONCURRENCY, timeout=30)
        ws = load.summary(warm, wall)
        base = sb.stats()["b2copy"]
        records = glob.glob(os.path.join(d, "b2copy-*.json"))
        log("  warm-up: %d requests, failed %d, auth exchanges %d, record %s"
            % (ws["requests"], ws["failed"], base["auth_ok"], "saved" if len(records) == 1 else "MISSING"))

        # New workers (no tokens in memory), no record: the next request must authenticate,
        # and its authexternalcrm is answered only after 3 s.
        before = reload_pool()
        for r in records:
            os.unlink(r)
        sb.control("faults", {"path": PATH_AUTH, "fault": "latency", "ms": 3000, "times": 1})
        lock_path = os.path.join(d, os.path.basename(records[0])[:-len(".json")] + ".lock") if records else None

        out = {}
        n = 16

        def fire():
            out["results"], out["wall"] = load.run(URL + "/fee", n, n, timeout=30)

        t = threading.Thread(target=fire)
        t0 = time.monotonic()
        t.start()
        holder = None
        while holder is None and time.monotonic() - t0 < 5 and lock_path:
            holder = lock_holder(lock_path)
            if holder is None:
                time.sleep(0.01)
        t_lock = time.monotonic()
        killed = False
        mid = None
        if holder is not None:
            time.sleep(0.5)  # the exchange is in flight: its answer is ~2.5 s away
            mid = sb.stats()["b2copy"]
            still = lock_holder(lock_path)
            # In flight: the sandbox has the authexternalcrm (its latency fault applied) and
            # has not answered it yet.
            if still == holder and holder in before and mid["faults_injected"] == 1 \
                    and mid["auth_ok"] == base["auth_ok"]:
                os.kill(holder, signal.SIGKILL)
                killed = True
                log("  lock holder: pid %d, a pool worker (/proc/locks: FLOCK on the lock file's inode); "
                    "its authexternalcrm reached the sandbox (3 s latency fault applied) and is "
                    "unanswered: kill -9 %.2f s after the burst began"
                    % (holder, time.monotonic() - t0))
            else:
                log("  lock holder %s (pool workers %s, holder now %s, sandbox %s): not killed"
                    % (holder, before, still, mid))
        else:
            log("  no worker was seen holding %s" % lock_path)
        t.join()
        results = out["results"]
        s = load.summary(results, out["wall"])
        print_load(s, results)
        # The killed worker's exchange is still answered (to nobody) when its 3 s are up:
        # count it in the burst, not in the later run.
        while time.monotonic() < t_lock + 3.5:
            time.sleep(0.05)
        after_kill = sb.stats()["b2copy"]
        try:
            now = wait_workers(exclude=[holder] if holder else [], timeout=10)
        except RuntimeError as e:
            now = workers()
            log("  " + str(e))
        replaced = killed and holder not in now and len(now) == WORKERS
        log("  workers before %s, after %s: %s" % (before, now,
            "pid %d replaced by %s" % (holder, sorted(set(now) - set(before))) if replaced else "NOT replaced"))
        if holder:
            try:
                with open(os.path.join(DIR, "php-fpm.log"), errors="replace") as f:
                    for line in f:
                        if "child %d " % holder in line and "exited" in line:
                            log("  php-fpm: " + line.strip())
            except OSError:
                pass
        ok_ms = [r.body.get("ms", 0) for r in results if r.ok]
        failed_502 = [r for r in results if not r.ok and r.status == 502]
        phase_auth = after_kill["auth_ok"] - base["auth_ok"]
        log("  exchanges in the burst: auth %d (the killed worker's, answered to nobody, and one "
            "successor's), refresh %d; "
            "slowest call in the page %d ms (deadline %d ms)"
            % (phase_auth, after_kill["refresh_ok"] - base["refresh_ok"], max(ok_ms or [0]), DEADLINE_MS))

        # The record afterwards: one file, mode 0600, a complete b2c record (values not shown).
        recs = glob.glob(os.path.join(d, "b2copy-*.json"))
        rec_ok = False
        if len(recs) == 1:
            mode = stat.S_IMODE(os.stat(recs[0]).st_mode)
            try:
                with open(recs[0]) as f:
                    rec = json.load(f)
                rec_ok = mode == 0o600 and isinstance(rec, dict) and rec.get("vendor") == "b2copy" \
                    and all(rec.get(k) for k in ("v", "access", "refresh", "obtained_ms"))
            except ValueError:
                rec = {}
            log("  record: %s, mode %o, fields %s" % (os.path.basename(recs[0])[:20] + "...", mode,
                                                       ",".join(sorted(rec))))
        else:
            log("  record: %d files" % len(recs))
        leftovers = [p for p in os.listdir(d) if p.endswith(".tmp")]

        # A later run with new workers: they adopt the stored record (at most 1 extra exchange).
        reload_pool()
        later, wall = load.run(URL + "/fee", 200, CONCURRENCY, timeout=30)
        ls = load.summary(later, wall)
        end = sb.stats()
        extra = end["b2copy"]["auth_ok"] - after_kill["auth_ok"]
        adopted = sum(1 for b in answers(later) if b.get("store_adopted", 0) > 0)
        log("  later run (new workers): %d requests, failed %d, latency median %.1f ms, p99 %.1f ms, "
            "extra exchanges %d, answers from workers that adopted the stored pair %d"
            % (ls["requests"], ls["failed"], ls["median_ms"], ls["p99_ms"], extra, adopted))
        log("  connections %d over the whole run (warm-up, burst, replacement and later workers)"
            % sb.connections(end))
    finally:
        sb.stop()
    rep.verdict([
        ("warm-up failed %d == 0" % ws["failed"], ws["failed"] == 0),
        ("holder killed mid-exchange", killed and mid is not None and mid["auth_ok"] == base["auth_ok"]),
        ("failed %d == 1 (the killed worker's request, 502: %d)" % (s["failed"], len(failed_502)),
         s["failed"] == 1 and len(failed_502) == 1),
        ("others OK within the deadline (%d ms <= %d)" % (max(ok_ms or [0]), DEADLINE_MS),
         len(ok_ms) == n - 1 and max(ok_ms or [0]) <= DEADLINE_MS),
        ("burst exchanges %d <= 2" % phase_auth, 1 <= phase_auth <= 2),
        ("record valid", rec_ok and not leftovers),
        ("later run failed %d == 0" % ls["failed"], ls["failed"] == 0),
        ("later run extra exchanges %d <= 1" % extra, extra <= 1),
        ("FPM replaced the worker", replaced),
        api_check(warm + later),
    ])


def main():
    rep = Report()
    write_config(API)
    ping = get("/ping")
    pids = wait_workers()
    log("pool: %d static workers %s, FFI mode %s (%s), libb2c %s, ffi.enable=%s; "
        "B2c\\Client::shared %s, B2c\\B2binpay::shared %s"
        % (len(pids), pids, ping.get("mode"), "preloaded" if ping.get("mode") == "scope" else "not preloaded",
           ping.get("version"), ping.get("ffi_enable"),
           "yes" if ping.get("client_shared") else "NO", "yes" if ping.get("b2binpay_shared") else "NO"))
    log()
    for run in (run1, run2, run3, run4, run5):
        try:
            run(rep)
        except Exception as e:  # noqa: BLE001 - a run that breaks is a failed run
            rep.failed += 1
            log("  FAIL: %s: %s" % (type(e).__name__, e))
        log()
    log("%d passed, %d failed" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
