"""Logs and statistics: the library's events through Python logging (process-wide and per
handle), b2c.Stats against the sandbox's own counters, callback safety."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional

import pytest

import b2c
from b2c import _log
from conftest import Sandbox, control, make_logger, record_log_line, request_id

PROCESSEXT = "/api/admin/fees/v2/fee/feeservice/processext"
SECRETS = ("sandbox-password", "sbx_", "b2b-", "eyJ", "PRIVATE KEY")


class Event(NamedTuple):
    level: int
    target: Optional[str]
    event: Optional[str]
    message: str


class Collect(logging.Handler):
    """Keeps a copy of every record it gets."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.events: List[Event] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(
            Event(record.levelno, getattr(record, "b2c_target", None), getattr(record, "b2c_event", None),
                  record.getMessage())
        )

    def named(self, event: str, needle: Optional[str] = None) -> List[Event]:
        return [e for e in self.events if e.event == event and (needle is None or needle in e.message)]

    def count(self, event: str, needle: Optional[str] = None) -> int:
        return len(self.named(event, needle))

    def dump(self) -> str:
        return "\n".join(f"{logging.getLevelName(e.level)} {e.target} {e.event}: {e.message}" for e in self.events)


def assert_no_secret(events: List[Event]) -> None:
    for e in events:
        for s in SECRETS:
            assert s not in e.message, (s, e)


@contextlib.contextmanager
def routed(level: Any) -> Iterator[Collect]:
    """The process-wide routing at ``level`` with a collecting handler on the "b2c" logger;
    afterwards the session's level (DEBUG) again."""
    logger = logging.getLogger("b2c")
    h = Collect()
    logger.addHandler(h)
    old = logger.level
    b2c.set_log_level(level)
    try:
        yield h
    finally:
        logger.removeHandler(h)
        logger.setLevel(old)
        b2c.set_log_level()


def _b2binpay(sandbox: Sandbox) -> b2c.B2binpay:
    return b2c.B2binpay(base_url=sandbox.url + "/b2binpay", login="sandbox-login", password="sandbox-password")


def _suspicious_refresh(sandbox: Sandbox, bp: b2c.B2binpay) -> None:
    """Log in, let the sandbox use up the refresh token, refresh: a replay, rejected, so the
    handle drops its tokens and logs in again (one suspicious event)."""
    bp.login()
    assert control(sandbox, "b2binpay/consume-refresh")["consumed"] >= 1
    bp.refresh()


def _delta(before: Dict[str, int], after: Dict[str, int]) -> Dict[str, int]:
    return {k: after[k] - before[k] for k in before}


# ---- levels -------------------------------------------------------------------------------


def test_level_mapping() -> None:
    assert b2c.TRACE == 5 and logging.getLevelName(5) == "TRACE"
    # the native max level that delivers exactly what a logger at that level keeps
    assert _log.native_level(logging.WARNING) == 2
    assert _log.native_level(logging.ERROR) == 1
    assert _log.native_level(logging.CRITICAL) == 1
    assert _log.native_level(logging.INFO) == 3
    assert _log.native_level(logging.INFO - 5) == 3  # DEBUG records would be dropped
    assert _log.native_level(logging.DEBUG) == 4
    assert _log.native_level(b2c.TRACE) == 5
    assert _log.native_level(logging.NOTSET) == 5
    for name, level in [("debug", 10), ("DEBUG", 10), ("Info", 20), ("warning", 30), ("warn", 30),
                        ("error", 40), ("critical", 50), ("trace", 5)]:
        assert _log.python_level(name) == level, name
    assert _log.python_level(25) == 25
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.set_log_level("chatty")
    with pytest.raises(ValueError):
        b2c.set_log_level("")
    with pytest.raises(TypeError):
        b2c.set_log_level(True)
    with pytest.raises(TypeError):
        b2c.set_log_level(1.5)  # type: ignore[arg-type]
    assert logging.getLogger("b2c").level == logging.DEBUG  # the failed calls changed nothing


# ---- B2COPY: a flow through the process-wide routing, a client's own logger, stats -------


def test_b2copy_flow_logs_and_stats(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    b0 = control(sandbox, "stats")["b2copy"]
    with routed("info") as log, b2c.Client(**config) as c:
        c.fee_process("123456", request_id("log"))
        assert log.count("auth", "no tokens held") == 1, log.dump()

        control(sandbox, "b2copy/expire-access")
        c.fee_process("123456", request_id("log"))
        assert log.count("unauthorized", "401") == 1, log.dump()
        assert log.count("refresh", "401") == 1, log.dump()  # the reason is the 401

        control(sandbox, "faults", {"path": PROCESSEXT, "fault": "503", "times": 1})
        c.fee_process("123456", request_id("log"))
        assert log.count("retry", "status_5xx") == 1, log.dump()

        # each exactly once, at INFO, from the b2copy part; nothing at DEBUG
        for name in ("auth", "unauthorized", "refresh", "retry"):
            assert [(e.level, e.target) for e in log.named(name)] == [(logging.INFO, "b2copy")], log.dump()
        assert log.count("request") == 0, log.dump()
        assert all(e.level >= logging.INFO for e in log.events)

        # The client's own logger takes its events instead of the process-wide one.
        own = Collect()
        seen = len(log.events)
        c.set_logger(make_logger("own", own), "debug")
        c.fee_process("123456", request_id("log"))
        assert own.count("request", "processext") == 1, own.dump()
        assert all(e.target in ("http", "dns", "b2copy") for e in own.events), own.dump()
        assert len(log.events) == seen, log.dump()

        # The statistics agree with the sandbox's counters.
        b1 = control(sandbox, "stats")["b2copy"]
        s = c.stats()
        d = _delta(b0, b1)
        assert d["faults_injected"] == 1
        assert isinstance(s, b2c.Stats)
        assert s.auth_exchanges == d["auth_ok"] == 1
        assert s.refreshes == d["refresh_ok"] == 1
        assert s.unauthorized == 1
        assert s.retries_by_cause.get("status_5xx") == 1 and s.retries == 1
        assert s.latency["processext"].count == d["process_calls"] + d["faults_injected"]
        assert s.requests == d["auth_ok"] + d["refresh_ok"] + d["process_calls"] + d["faults_injected"]
        assert s.latency["authexternalcrm"].count == 1 and s.latency["refreshtoken"].count == 1
        lat = s.latency["processext"]
        assert isinstance(lat, b2c.Latency)
        assert 0 < lat.p50_us <= lat.p90_us <= lat.p99_us <= lat.max_us
        assert s.connections_opened >= 1 and s.reauths == 0 and s.suspicious == 0
        assert s.deadline_exceeded == 0
        assert json.loads(s.raw_json)["requests"] == s.requests
        assert not any(x in s.raw_json for x in SECRETS)

        # Removed: the process-wide routing applies again.
        c.set_logger(None)
        mine = len(own.events)
        control(sandbox, "b2copy/expire-access")
        c.fee_process("123456", request_id("log"))
        assert log.count("unauthorized", "401") == 2 and log.count("refresh") == 2, log.dump()
        assert len(own.events) == mine, own.dump()
    assert_no_secret(log.events + own.events)


def test_client_logger_level(config: Dict[str, Any]) -> None:
    got = Collect()
    with b2c.Client(**config) as c:
        c.set_logger(make_logger("lvl", got), "info")
        c.fee_process("123456", request_id("lvl"))
        assert got.count("auth") == 1 and got.count("request") == 0, got.dump()
        # no level: the logger's own effective level
        c.set_logger(make_logger("lvl", got, level=logging.DEBUG))
        c.fee_process("123456", request_id("lvl"))
        assert got.count("request") == 1, got.dump()
        c.set_logger(make_logger("lvl", got, level=logging.WARNING))
        c.fee_process("123456", request_id("lvl"))
        assert got.count("request") == 1, got.dump()
        with pytest.raises(TypeError):
            c.set_logger(object())
        with pytest.raises(TypeError):  # its process() would drop b2c_target / b2c_event
            c.set_logger(logging.LoggerAdapter(make_logger("lvl", got), {}))
        with pytest.raises(b2c.InvalidArgumentError):
            c.set_logger(make_logger("lvl", got), "loud")
    assert_no_secret(got.events)


def test_stats_and_set_logger_on_a_closed_handle(config: Dict[str, Any], sandbox: Sandbox) -> None:
    c = b2c.Client(**config)
    assert c.stats() == b2c.Stats(raw_json=c.stats().raw_json)  # nothing happened yet: all 0
    c.close()
    bp = _b2binpay(sandbox)
    bp.close()
    for h in (c, bp):
        with pytest.raises(b2c.ClosedError):
            h.stats()
        with pytest.raises(b2c.ClosedError):
            h.set_logger(make_logger("closed"))
        with pytest.raises(b2c.ClosedError):
            h.set_logger(None)


# ---- B2BINPAY --------------------------------------------------------------------------------


def test_b2binpay_suspicious_refresh_reaches_the_logger_at_warning(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    with routed("warning") as log, _b2binpay(sandbox) as bp:
        capfd.readouterr()
        _suspicious_refresh(sandbox, bp)
        assert [(e.level, e.target, e.event) for e in log.events] == [
            (logging.WARNING, "b2binpay", "suspicious_refresh")
        ], log.dump()
        assert "suspicious" not in capfd.readouterr().err.lower()  # not the library's own line
        s = bp.stats()
        assert s.suspicious == 1 == bp.counters().suspicious
        assert s.auth_exchanges == 2 and s.latency["token"].count == 2
        assert s.latency["token_refresh"].count == 1
        assert not any(x in s.raw_json for x in SECRETS)
    assert_no_secret(log.events)


def test_b2binpay_own_logger(sandbox: Sandbox) -> None:
    own = Collect()
    with routed("debug") as log, _b2binpay(sandbox) as bp:
        bp.set_logger(make_logger("bp", own), logging.INFO)
        _suspicious_refresh(sandbox, bp)
        assert [e.level for e in own.named("suspicious_refresh")] == [logging.WARNING], own.dump()
        assert own.count("auth") == 2, own.dump()  # the explicit login, the one after the replay
        assert own.count("request") == 0, own.dump()
        assert all(e.target in ("b2binpay", "http", "dns") for e in own.events), own.dump()
        assert log.events == [], log.dump()
        bp.set_logger(None)
        _suspicious_refresh(sandbox, bp)
        assert log.count("suspicious_refresh") == 1 and log.count("request") >= 3, log.dump()
        assert own.count("suspicious_refresh") == 1
        assert bp.stats().suspicious == 2
    assert_no_secret(own.events + log.events)


def test_above_warning_the_suspicious_event_is_dropped_not_written_to_stderr(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    # The "b2c" logger above WARNING: the routing asks for ERROR only. A callback is still
    # installed, so the library writes no stderr line either: the logger's level decides.
    with routed("error") as log, _b2binpay(sandbox) as bp:
        capfd.readouterr()
        _suspicious_refresh(sandbox, bp)
        err = capfd.readouterr().err
        assert "suspicious" not in err.lower(), err
        assert log.events == []
        assert bp.stats().suspicious == 1  # still counted


STDERR_CHILD = r"""
import sys, urllib.request
import b2c
from b2c import _log, _native

url = sys.argv[1]
_log._remove_global(_native.lib())  # no callback at all: the library's own stderr line

def suspicious(bp):
    bp.login()
    req = urllib.request.Request(url + "/_sandbox/b2binpay/consume-refresh", data=b"{}", method="POST",
                                 headers={"content-type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()
    bp.refresh()

with b2c.B2binpay(base_url=url + "/b2binpay", login="sandbox-login", password="sandbox-password") as bp:
    suspicious(bp)
    sys.stderr.flush()
    print("---", file=sys.stderr, flush=True)
    b2c.set_log_stderr(False)
    suspicious(bp)
    b2c.set_log_stderr(True)
    print(bp.stats().suspicious)
"""


def test_set_log_stderr_switches_the_librarys_own_line(sandbox: Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "stderr_child.py"
    script.write_text(STDERR_CHILD)
    out = subprocess.run(
        [sys.executable, str(script), sandbox.url], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    for line in out.stderr.splitlines():
        if line != "---":
            record_log_line(line)
    assert out.returncode == 0, out.stderr
    on, off = out.stderr.split("---\n")
    assert "suspicious_refresh" in on and "SUSPICIOUS" in on, out.stderr
    assert off == "", out.stderr
    assert out.stdout.strip() == "2"
    for s in SECRETS:
        assert s not in out.stderr


# ---- the routing installed when the library loads (a fresh interpreter) ----------------------

CHILD = r"""
import json, logging, sys, urllib.request
import b2c

mode, url = sys.argv[1], sys.argv[2]
lines = []

class Keep(logging.Handler):
    def emit(self, r):
        lines.append([r.levelno, r.b2c_target, r.b2c_event, r.getMessage()])

logging.getLogger("b2c").addHandler(Keep())
if mode == "info":
    logging.getLogger("b2c").setLevel(logging.INFO)  # before the library loads
if mode == "resync":
    b2c.version()  # loads the library: routing at WARNING
    logging.getLogger("b2c").setLevel(logging.INFO)
    b2c.set_log_level()  # the documented re-sync

def post(action):
    req = urllib.request.Request(url + "/_sandbox/" + action, data=b"{}", method="POST",
                                 headers={"content-type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()

with b2c.B2binpay(base_url=url + "/b2binpay", login="sandbox-login", password="sandbox-password") as bp:
    bp.login()
    post("b2binpay/consume-refresh")
    bp.refresh()
print(json.dumps(lines))
"""


@pytest.mark.parametrize("mode", ["default", "info", "resync"])
def test_routing_is_installed_when_the_library_loads(sandbox: Sandbox, tmp_path: Path, mode: str) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    out = subprocess.run(
        [sys.executable, str(script), mode, sandbox.url], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    for line in out.stderr.splitlines():
        record_log_line(line)
    assert out.returncode == 0, out.stderr
    events = [Event(*e) for e in json.loads(out.stdout)]
    for e in events:
        record_log_line(f"{logging.getLevelName(e.level)} {e.target} {e.event}: {e.message}")
    assert "SUSPICIOUS" not in out.stderr and "suspicious_refresh" not in out.stderr, out.stderr
    got = [(e.level, e.target, e.event) for e in events]
    if mode == "default":  # WARNING: only the suspicious refresh
        assert got == [(logging.WARNING, "b2binpay", "suspicious_refresh")]
    else:
        assert got == [
            (logging.INFO, "b2binpay", "auth"),
            (logging.WARNING, "b2binpay", "suspicious_refresh"),
            (logging.INFO, "b2binpay", "auth"),
        ]
    assert_no_secret(events)


# ---- callback safety --------------------------------------------------------------------------


class Raising(logging.Handler):
    def __init__(self, exc: BaseException) -> None:
        super().__init__(logging.NOTSET)
        self.exc = exc
        self.calls = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.calls += 1
        raise self.exc


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt(), SystemExit(3)])
def test_an_exception_while_logging_never_reaches_c(
    config: Dict[str, Any], capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    boom = Raising(exc)
    with b2c.Client(**config) as c:
        c.set_logger(make_logger("boom", boom), "debug")
        assert c.fee_process("123456", request_id("boom"), wait=5).succeeded
        assert c.fee_process("123456", request_id("boom"), wait=5).succeeded
    assert boom.calls >= 4  # auth, requests...: each raised and was dropped
    assert unraisable == []
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_the_process_wide_routing_survives_a_raising_handler(
    config: Dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    boom = Raising(ValueError("no"))
    logger = logging.getLogger("b2c")
    logger.addHandler(boom)
    try:
        with b2c.Client(**config) as c:
            assert c.fee_process("123456", request_id("boom"), wait=5).succeeded
    finally:
        logger.removeHandler(boom)
    assert boom.calls >= 1 and unraisable == []


def test_a_handle_logger_survives_garbage_collection(config: Dict[str, Any]) -> None:
    got = Collect()
    with b2c.Client(**config) as c:
        c.set_logger(make_logger("gc", got), logging.DEBUG)  # only the client holds it now
        gc.collect()
        assert c.fee_process("123456", request_id("gc"), wait=5).succeeded
        gc.collect()
        c.set_logger(None)
        gc.collect()
        c.set_logger(make_logger("gc", got), logging.DEBUG)  # reuses the same native callback
        gc.collect()
        assert c.fee_process("123456", request_id("gc"), wait=5).succeeded
    assert got.count("request") >= 6 and got.count("auth") == 1, got.dump()
    assert_no_secret(got.events)


def test_loggers_swapped_while_other_threads_log(config: Dict[str, Any]) -> None:
    a, b = Collect(), Collect()
    la, lb = make_logger("a", a), make_logger("b", b)
    stop = threading.Event()
    errors: List[BaseException] = []
    calls = [0]
    with routed("debug") as log, b2c.Client(**config) as c:

        def worker() -> None:
            try:
                while not stop.is_set():
                    c.fee_process("123456", request_id("swap"))
                    calls[0] += 1
            except BaseException as e:  # noqa: B902
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for i in range(150):
                c.set_logger([la, lb, None][i % 3], "debug")
                if i % 10 == 0:
                    b2c.set_log_level(["info", "debug"][i // 10 % 2])
                time.sleep(0.001)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        b2c.set_log_level("debug")
        c.set_logger(la, "debug")
        before = a.count("request")
        c.fee_process("123456", request_id("swap"))
        assert a.count("request") == before + 1
    assert not errors, errors
    assert calls[0] > 0
    assert_no_secret(a.events + b.events + log.events)


# ---- Stats parsing ------------------------------------------------------------------------------


def test_stats_from_json_tolerates_unknown_and_missing_keys() -> None:
    text = json.dumps({
        "requests": 7,
        "retries": 2,
        "retries_by_cause": {"status_5xx": 1, "reset": 1, "a_new_cause": 4},
        "auth_exchanges": 1,
        "refreshes": 3,
        "unauthorized": 1,
        "suspicious": 0,
        "store_loads": 2,
        "store_adopted": 1,
        "a_new_counter": 9,
        "a_new_object": {"x": [1, 2, {"y": "z"}]},
        "latency": {
            "processext": {"count": 5, "p50_us": 10, "p90_us": 20, "p99_us": 30, "max_us": 40, "p999_us": 41},
            "a_new_endpoint": {"count": 1},
        },
        "big": 2**63 + 5,
    })
    s = b2c.Stats.from_json(text)
    assert (s.requests, s.retries, s.auth_exchanges, s.refreshes, s.unauthorized) == (7, 2, 1, 3, 1)
    assert (s.store_loads, s.store_adopted) == (2, 1)
    assert (s.reauths, s.tls_handshakes, s.tls_resumed, s.dns_lookups, s.deadline_exceeded) == (0, 0, 0, 0, 0)
    assert s.retries_by_cause == {"status_5xx": 1, "reset": 1, "a_new_cause": 4}
    assert s.latency["processext"] == b2c.Latency(5, 10, 20, 30, 40)
    assert s.latency["processext"].p99_us == 30
    assert s.latency["a_new_endpoint"] == b2c.Latency(1, 0, 0, 0, 0)
    assert s.raw_json == text
    assert "raw_json" not in repr(s)
    u64 = b2c.Stats.from_json('{"requests": 18446744073709551615}')
    assert u64.requests == 2**64 - 1  # 64-bit counters stay exact
    with pytest.raises(ValueError):
        b2c.Stats.from_json("[]")
