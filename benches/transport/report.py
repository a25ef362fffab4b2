"""Tables and target lines of scripts/bench-transport.sh, from its results file.

    python3 report.py RESULTS_FILE

Each line of RESULTS_FILE is one run of one client in one sitting:
    sitting=<s> client=<name> calls=<n> wall_us=<total> cpu_us=<total> [key=value ...]
(wrk's line also has wrk_requests/wrk_duration_us; execbench's has median_us etc.).
Per client: the median over sittings of its per-sitting figure. Per ratio (b2c / peer):
computed in every sitting, then the median and the min-max over sittings.
Only the standard library; prints, never fails on a missed target.
"""

import collections
import statistics
import sys

MET, NOT_MET = "MET", "NOT MET"


def load(path):
    """{client: {sitting: [record, ...]}} with numeric values where they parse."""
    data = collections.defaultdict(lambda: collections.defaultdict(list))
    with open(path) as f:
        for line in f:
            rec = {}
            for tok in line.split():
                k, _, v = tok.partition("=")
                try:
                    rec[k] = float(v)
                except ValueError:
                    rec[k] = v
            if "client" in rec:
                data[rec["client"]][int(rec["sitting"])].append(rec)
    return data


class Series:
    """One client's per-sitting figures: {sitting: value}."""

    def __init__(self, by_sitting):
        self.v = dict(by_sitting)

    def med(self):
        return statistics.median(self.v.values()) if self.v else None

    def __bool__(self):
        return bool(self.v)


def per_sitting(data, client, fn):
    return Series({s: fn(recs) for s, recs in sorted(data.get(client, {}).items()) if recs})


def ratio(a: Series, b: Series):
    """(median, min, max) of a/b over the sittings both have, or None."""
    common = sorted(set(a.v) & set(b.v))
    r = [a.v[s] / b.v[s] for s in common if b.v[s]]
    if not r:
        return None
    return statistics.median(r), min(r), max(r)


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}"


def fmt_ratio(r):
    return "—" if r is None else f"{r[0]:.2f}× ({r[1]:.2f}–{r[2]:.2f})"


def table(title, note, columns, rows):
    """Plain aligned text; the first column left-aligned, the others right-aligned."""
    print(f"\n{title}")
    if note:
        print(f"  ({note})")
    widths = [max(len(str(r[i])) for r in [columns] + rows) for i in range(len(columns))]
    for r in [columns] + rows:
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r)]
        print("  " + "  |  ".join(cells))


# ---- per-sitting figures of each kind of client ------------------------------------------


def us_per_call(recs):
    r = recs[0]
    return r["wall_us"] / r["calls"]


def cpu_per_call(recs):
    r = recs[0]
    return r["cpu_us"] / r["calls"] if r.get("cpu_us") is not None else None


def wrk_us(recs):
    r = recs[0]
    return r["wrk_duration_us"] / r["wrk_requests"]


def wrk_cpu(recs):
    r = recs[0]  # the process's CPU (execbench, wait4) over its whole run, per request
    return r["cpu_us"] / r["wrk_requests"]


def calls_of(data, client):
    ns = {int(r.get("wrk_requests", r.get("calls", 0))) for recs in data.get(client, {}).values() for r in recs}
    if not ns:
        return "n/a"
    return str(min(ns)) if len(ns) == 1 else f"{min(ns)}–{max(ns)}"


def main():
    data = load(sys.argv[1])
    targets = []  # (text, measured, verdict)

    def target(text, measured, ok):
        """A target line under the table just printed, and again in the summary."""
        verdict = "n/a" if ok is None else (MET if ok else NOT_MET)
        targets.append((text, measured, verdict))
        print(f"  target: {text} — measured {measured or 'n/a'} — {verdict}")

    cols = ["client", "µs/call (median)", "CPU µs/call", "ratio b2c/peer (median, min–max)"]

    # -- HTTP, C ------------------------------------------------------------------------
    wrk_w, wrk_c = per_sitting(data, "wrk", wrk_us), per_sitting(data, "wrk", wrk_cpu)
    cu_w, cu_c = per_sitting(data, "c-curl-http", us_per_call), per_sitting(data, "c-curl-http", cpu_per_call)
    b_w, b_c = per_sitting(data, "c-b2c-http", us_per_call), per_sitting(data, "c-b2c-http", cpu_per_call)
    r_wrk, r_curl = ratio(b_w, wrk_w), ratio(b_w, cu_w)
    table(
        "HTTP keep-alive, one connection, C",
        f"calls per run: wrk ~{calls_of(data, 'wrk')} (fixed duration), libcurl {calls_of(data, 'c-curl-http')}, "
        f"b2c {calls_of(data, 'c-b2c-http')}; wrk's CPU is its whole process (wait4)",
        cols,
        [
            ["wrk -t1 -c1 (floor)", fmt(wrk_w.med()), fmt(wrk_c.med()), fmt_ratio(r_wrk)],
            ["libcurl, one easy handle", fmt(cu_w.med()), fmt(cu_c.med()), fmt_ratio(r_curl)],
            ["b2c C ABI (b2c_fee_process)", fmt(b_w.med()), fmt(b_c.med()), "—"],
        ],
    )
    target("b2c C ABI ≤ 1.3× wrk (http)", r_wrk and f"{r_wrk[0]:.2f}×", r_wrk and r_wrk[0] <= 1.3)
    target("b2c C ABI ≤ 1.0× libcurl (http)", r_curl and f"{r_curl[0]:.2f}×", r_curl and r_curl[0] <= 1.0)

    # -- Logging cost ------------------------------------------------------------------
    n_w, n_c = per_sitting(data, "c-b2c-nolog", us_per_call), per_sitting(data, "c-b2c-nolog", cpu_per_call)
    lw_w, lw_c = per_sitting(data, "c-b2c-logwarn", us_per_call), per_sitting(data, "c-b2c-logwarn", cpu_per_call)
    ld_w, ld_c = per_sitting(data, "c-b2c-logdebug", us_per_call), per_sitting(data, "c-b2c-logdebug", cpu_per_call)
    r_warn, r_debug = ratio(lw_w, n_w), ratio(ld_w, n_w)
    r_warn_cpu = ratio(lw_c, n_c)
    table(
        "Logging on the fee-call path, b2c C ABI, http",
        f"calls per run: {calls_of(data, 'c-b2c-nolog')}; ratio = with callback / without",
        ["client", "µs/call (median)", "CPU µs/call", "ratio to no callback (median, min–max)"],
        [
            ["no log callback", fmt(n_w.med()), fmt(n_c.med()), "—"],
            ["callback at warn (no event on success)", fmt(lw_w.med()), fmt(lw_c.med()), fmt_ratio(r_warn)],
            ["callback at debug (one event per call)", fmt(ld_w.med()), fmt(ld_c.med()), fmt_ratio(r_debug)],
        ],
    )
    print(f"  CPU ratio, callback at warn / none: {fmt_ratio(r_warn_cpu)}")
    # "Nothing measurable": within the spread the same client shows between sittings.
    target(
        "logging available but quiet costs nothing measurable (warn/none ≤ 1.05×)",
        r_warn and f"{r_warn[0]:.2f}×",
        r_warn and r_warn[0] <= 1.05,
    )

    # -- HTTPS, C -----------------------------------------------------------------------
    cu_w, cu_c = per_sitting(data, "c-curl-https", us_per_call), per_sitting(data, "c-curl-https", cpu_per_call)
    b_w, b_c = per_sitting(data, "c-b2c-https", us_per_call), per_sitting(data, "c-b2c-https", cpu_per_call)
    r = ratio(b_w, cu_w)
    table(
        "HTTPS keep-alive, one connection, C (TLS handshake once, in the warm-up)",
        f"calls per run: {calls_of(data, 'c-b2c-https')}",
        cols,
        [
            ["libcurl + OpenSSL, one easy handle", fmt(cu_w.med()), fmt(cu_c.med()), fmt_ratio(r)],
            ["b2c C ABI (rustls)", fmt(b_w.med()), fmt(b_c.med()), "—"],
        ],
    )
    target("b2c C ABI ≤ 1.1× libcurl (https)", r and f"{r[0]:.2f}×", r and r[0] <= 1.1)

    # -- PHP ----------------------------------------------------------------------------
    pc_w, pc_c = per_sitting(data, "php-curl", us_per_call), per_sitting(data, "php-curl", cpu_per_call)
    pf_w, pf_c = per_sitting(data, "php-ffi", us_per_call), per_sitting(data, "php-ffi", cpu_per_call)
    r = ratio(pf_w, pc_w)
    table(
        "PHP (CLI), http",
        f"calls per run: {calls_of(data, 'php-ffi')}",
        cols,
        [
            ["PHP curl, one handle (+ json_decode)", fmt(pc_w.med()), fmt(pc_c.med()), fmt_ratio(r)],
            ["b2c via PHP FFI (B2c\\Client::feeProcess)", fmt(pf_w.med()), fmt(pf_c.med()), "—"],
        ],
    )
    target("PHP FFI ≤ 1.0× PHP curl", r and f"{r[0]:.2f}×", r and r[0] <= 1.0)

    # -- Python -------------------------------------------------------------------------
    rq_w, rq_c = per_sitting(data, "py-requests", us_per_call), per_sitting(data, "py-requests", cpu_per_call)
    pb_w, pb_c = per_sitting(data, "py-b2c", us_per_call), per_sitting(data, "py-b2c", cpu_per_call)
    r = ratio(pb_w, rq_w)
    table(
        "Python, http",
        f"calls per run: requests {calls_of(data, 'py-requests')}, b2c {calls_of(data, 'py-b2c')}",
        cols,
        [
            ["requests.Session().post (+ .json())", fmt(rq_w.med()), fmt(rq_c.med()), fmt_ratio(r)],
            ["b2c (ctypes, Client.fee_process)", fmt(pb_w.med()), fmt(pb_c.med()), "—"],
        ],
    )
    target(
        "Python b2c ≥ 10× faster than requests.Session (ratio ≤ 0.10×)",
        r and f"{r[0]:.3f}× = {1 / r[0]:.1f}× faster",
        r and r[0] <= 0.10,
    )

    # -- 16 threads ---------------------------------------------------------------------
    def cps(recs):
        return recs[0]["calls_per_s"]

    def conns(recs):
        return recs[0]["new_conns"]

    sh, se = per_sitting(data, "thr-shared", cps), per_sitting(data, "thr-separate", cps)
    sh_n, se_n = per_sitting(data, "thr-shared", conns), per_sitting(data, "thr-separate", conns)
    r = ratio(sh, se)
    recs = [x for v in data.get("thr-shared", {}).values() for x in v]
    threads = int(recs[0]["threads"]) if recs and "threads" in recs[0] else 16
    method = recs[0].get("conn_method", "?") if recs else "?"
    tcols = ["client", "calls/s (median)", "µs/call", "CPU µs/call", "ratio shared/separate", "new conns after warm-up (max)"]
    table(
        f"{threads} threads, b2c C ABI, http",
        f"total calls per run: {calls_of(data, 'thr-shared')}; connections counted with {method}",
        tcols,
        [
            [
                f"{threads} threads, each its own client",
                fmt(se.med(), 0),
                fmt(per_sitting(data, "thr-separate", us_per_call).med(), 2),
                fmt(per_sitting(data, "thr-separate", cpu_per_call).med(), 2),
                "—",
                fmt(max(se_n.v.values()) if se_n else None, 0),
            ],
            [
                f"{threads} threads, one shared client",
                fmt(sh.med(), 0),
                fmt(per_sitting(data, "thr-shared", us_per_call).med(), 2),
                fmt(per_sitting(data, "thr-shared", cpu_per_call).med(), 2),
                fmt_ratio(r),
                fmt(max(sh_n.v.values()) if sh_n else None, 0),
            ],
        ],
    )
    shared_new = max(sh_n.v.values()) if sh_n else None
    target(f"{threads} threads: shared ≥ 0.9× separate (calls/s)", r and f"{r[0]:.2f}×", r and r[0] >= 0.9)
    target(
        f"{threads} threads: no new connection after warm-up (shared client)",
        "n/a" if shared_new is None else f"{shared_new:.0f} new",
        None if shared_new is None else shared_new == 0,
    )

    # -- one-shot process ---------------------------------------------------------------
    def exec_ms(recs):
        return recs[0]["median_us"] / 1000

    def exec_cpu_ms(recs):
        return recs[0]["cpu_us"] / recs[0]["calls"] / 1000

    ob, oc = per_sitting(data, "os-b2c", exec_ms), per_sitting(data, "os-curl", exec_ms)
    r = ratio(ob, oc)
    table(
        "One-shot process, http: start, key, authenticate (authexternalcrm), one fee call, exit",
        f"executions per sitting: {calls_of(data, 'os-b2c')}; ms per execution, fork+exec+wait",
        ["client", "ms/exec (median)", "CPU ms/exec", "ratio b2c/peer (median, min–max)"],
        [
            ["C + OpenSSL (EVP ES256) + libcurl", fmt(oc.med(), 2), fmt(per_sitting(data, "os-curl", exec_cpu_ms).med(), 2), fmt_ratio(r)],
            ["C + libb2c", fmt(ob.med(), 2), fmt(per_sitting(data, "os-b2c", exec_cpu_ms).med(), 2), "—"],
            [
                "(reference) empty main, linked with libcurl + libcrypto",
                fmt(per_sitting(data, "os-empty-curl", exec_ms).med(), 2),
                fmt(per_sitting(data, "os-empty-curl", exec_cpu_ms).med(), 2),
                "",
            ],
            [
                "(reference) empty main, linked with libb2c",
                fmt(per_sitting(data, "os-empty-b2c", exec_ms).med(), 2),
                fmt(per_sitting(data, "os-empty-b2c", exec_cpu_ms).med(), 2),
                "",
            ],
        ],
    )
    target("one-shot ≤ 1.5× C+OpenSSL+libcurl", r and f"{r[0]:.2f}×", r and r[0] <= 1.5)

    # -- first signature ----------------------------------------------------------------
    first = per_sitting(data, "fs", lambda recs: statistics.median(x["wall_us"] for x in recs) / 1000)
    first_all = [x["wall_us"] / 1000 for v in data.get("fs", {}).values() for x in v]
    load_ms = per_sitting(data, "fs", lambda recs: statistics.median(x["key_from_pem_us"] for x in recs) / 1000)
    steady = per_sitting(data, "fs-steady", lambda recs: recs[0]["steady_mint_us"])
    runs = {len(v) for v in data.get("fs", {}).values()}
    fmax = max(first_all) if first_all else None
    table(
        "First signature in a fresh process (b2c_key_from_pem, then the first b2c_jwt_mint)",
        f"processes per sitting: {'/'.join(map(str, sorted(runs))) or 'n/a'}; median over sittings of each sitting's median",
        ["measure", "median", "max (all runs)"],
        [
            ["first b2c_jwt_mint, ms", fmt(first.med(), 3), fmt(fmax, 3)],
            ["b2c_key_from_pem before it, ms", fmt(load_ms.med(), 3), ""],
            ["steady-state b2c_jwt_mint, µs", fmt(steady.med(), 1), ""],
        ],
    )
    target(
        "first signature ≤ 2 ms (median; max shown)",
        first and f"{first.med():.3f} ms (max {fmax:.3f} ms)",
        first and first.med() <= 2.0,
    )

    # -- b2c_client_new -----------------------------------------------------------------
    cn = per_sitting(data, "cn", lambda recs: recs[0]["new_median_us"])
    cf = per_sitting(data, "cn", lambda recs: recs[0]["free_median_us"])
    table(
        "b2c_client_new with private_key_pem (no network), then b2c_client_free",
        f"calls per sitting: {calls_of(data, 'cn')}",
        ["measure", "µs/call (median)", "CPU µs/call (new+free)"],
        [
            ["b2c_client_new", fmt(cn.med(), 1), fmt(per_sitting(data, "cn", cpu_per_call).med(), 1)],
            ["b2c_client_free", fmt(cf.med(), 1), ""],
        ],
    )
    target("b2c_client_new ≤ 100 µs", cn and f"{cn.med():.1f} µs", cn and cn.med() <= 100)

    # -- targets ------------------------------------------------------------------------
    print("\nTargets (judged on the median over sittings)")
    w0 = max(len(t[0]) for t in targets)
    w1 = max(len(str(t[1])) for t in targets)
    for text, measured, verdict in targets:
        print(f"  {text.ljust(w0)}  {str(measured or 'n/a').rjust(w1)}  {verdict}")
    met = sum(1 for t in targets if t[2] == MET)
    print(f"  {met} of {len(targets)} targets met")


if __name__ == "__main__":
    main()
