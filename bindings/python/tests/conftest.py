"""Fixtures: a real b2c-sandbox process on an ephemeral port, and a key registered with it."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import b2c

REPO = Path(__file__).resolve().parents[3]
KEY_FIXTURES = REPO / "tests" / "fixtures" / "keys"
ERROR_LOGIN = "666000"


def repo_header() -> Path:
    """include/b2c.h, or the header named by B2C_HEADER."""
    return Path(os.environ.get("B2C_HEADER") or REPO / "include" / "b2c.h")


def sandbox_binary() -> Path:
    """The b2c-sandbox executable, from the B2C_SANDBOX environment variable (set by
    scripts/test-python.sh to $B2C_REL/b2c-sandbox). There is no fall-back: a test that
    needs the sandbox errors out with this message."""
    value = os.environ.get("B2C_SANDBOX")
    if not value:
        pytest.fail(
            "B2C_SANDBOX is not set: point it at the b2c-sandbox executable "
            "(scripts/test-python.sh sets it to $B2C_REL/b2c-sandbox)",
            pytrace=False,
        )
    path = Path(value)
    if not path.is_file():
        pytest.fail(f"B2C_SANDBOX is set to {value!r}, which is not a file", pytrace=False)
    return path


class Sandbox:
    def __init__(self, args: List[str]) -> None:
        binary = sandbox_binary()
        self.proc = subprocess.Popen(
            [str(binary), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line: List[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(15)
        prefix = "b2c-sandbox listening on "
        if not line or not line[0].startswith(prefix):
            self.stop()
            raise RuntimeError(f"sandbox did not start: {line!r}")
        self.url = line[0][len(prefix):].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def start_sandbox(tmp: Path, key: b2c.Key, *extra: str, key_id: str = "kid1", admin_id: int = 42) -> Sandbox:
    pub = tmp / f"{key_id}.pub.pem"
    pub.write_text(key.public_pem())
    return Sandbox(["--register", f"{key_id}:{admin_id}:{pub}", *extra])


@pytest.fixture(scope="session", autouse=True)
def record_error_messages() -> Iterator[None]:
    """Every b2c.Error raised in the suite appends its text to $B2C_SCAN_DIR/python-errors.log
    when that is set (scripts/test-all.sh does), for the secret scan."""
    scan_dir = os.environ.get("B2C_SCAN_DIR")
    if not scan_dir:
        yield
        return
    log = open(Path(scan_dir) / "python-errors.log", "a", encoding="utf-8")
    original = b2c.Error.__init__

    def recording(self: b2c.Error, code: Any, message: str, http_status: int = 0) -> None:
        original(self, code, message, http_status)
        log.write(f"{self!s}\n")
        log.flush()

    b2c.Error.__init__ = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        b2c.Error.__init__ = original  # type: ignore[method-assign]
        log.close()


def scan_line(record: logging.LogRecord) -> str:
    """The secret scan's line for one record: ``level target event: message``."""
    return (
        f"{record.levelname} {getattr(record, 'b2c_target', '?')} "
        f"{getattr(record, 'b2c_event', '?')}: {record.getMessage()}"
    )


class ScanHandler(logging.Handler):
    """Appends every record it gets to $B2C_SCAN_DIR/python-log-events.log (one line each)."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.NOTSET)
        self._file = open(path, "a", encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        self.write_line(scan_line(record))

    def write_line(self, line: str) -> None:
        with self.lock:  # type: ignore[union-attr]
            if not self._file.closed:
                self._file.write(line.replace("\n", "\\n") + "\n")
                self._file.flush()

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._file.close()
        super().close()


#: Set by the record_log_events session fixture when $B2C_SCAN_DIR is set.
SCAN_HANDLER: Optional[ScanHandler] = None


def record_log_line(line: str) -> None:
    """Hand a log line seen outside this process (a child interpreter) to the secret scan."""
    if SCAN_HANDLER is not None:
        SCAN_HANDLER.write_line(line)


def make_logger(name: str, *handlers: logging.Handler, level: int = logging.DEBUG) -> logging.Logger:
    """A stand-alone logger for a handle's own routing (set_logger): not registered with the
    logging manager, so no other logger's configuration leaks in; it also feeds the secret
    scan, so every record of the suite reaches python-log-events.log."""
    logger = logging.Logger(name, level)
    if SCAN_HANDLER is not None:
        logger.addHandler(SCAN_HANDLER)  # first: a test handler that raises comes after it
    for h in handlers:
        logger.addHandler(h)
    return logger


@pytest.fixture(scope="session", autouse=True)
def record_log_events() -> Iterator[None]:
    """For the whole session the library's events are routed at DEBUG to
    logging.getLogger("b2c") and, when $B2C_SCAN_DIR is set, every record it delivers is
    appended to $B2C_SCAN_DIR/python-log-events.log for the secret scan (the handle loggers
    of make_logger() write there too). Tests that need another level restore DEBUG after."""
    global SCAN_HANDLER
    logger = logging.getLogger("b2c")
    scan_dir = os.environ.get("B2C_SCAN_DIR")
    if scan_dir:
        SCAN_HANDLER = ScanHandler(Path(scan_dir) / "python-log-events.log")
        logger.addHandler(SCAN_HANDLER)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)  # what the routing installs at when the library loads
    try:
        b2c.set_log_level()  # loads it (or re-syncs, were it loaded already)
    except b2c.LibraryNotFoundError:
        pass  # the tests that need the library say so themselves
    try:
        yield
    finally:
        logger.setLevel(old_level)
        try:
            b2c.set_log_level()
        except b2c.LibraryNotFoundError:
            pass
        if SCAN_HANDLER is not None:
            logger.removeHandler(SCAN_HANDLER)
            SCAN_HANDLER.close()
            SCAN_HANDLER = None


@pytest.fixture(scope="session")
def key() -> Iterator[b2c.Key]:
    with b2c.Key.generate() as k:
        yield k


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory, key: b2c.Key) -> Iterator[Sandbox]:
    sb = start_sandbox(
        tmp_path_factory.mktemp("sandbox"), key, "--pending-polls", "2", "--error-login", ERROR_LOGIN
    )
    yield sb
    sb.stop()


@pytest.fixture()
def config(sandbox: Sandbox, key: b2c.Key) -> Dict[str, Any]:
    return {
        "base_url": sandbox.url,
        "admin_id": 42,
        "device_ip": "127.0.0.1",
        "key_id": "kid1",
        "private_key_pem": key.private_pem(),
        "poll_interval_ms": 20,
    }


@pytest.fixture()
def client(config: Dict[str, Any]) -> Iterator[b2c.Client]:
    with b2c.Client.from_dict(config) as c:
        yield c


_counter = iter(range(1, 1 << 30))
_counter_lock = threading.Lock()


def request_id(prefix: str = "wd") -> str:
    """A request id unique within the test session (the sandbox remembers them)."""
    with _counter_lock:
        n = next(_counter)
    return f"{prefix}-{os.getpid()}-{n}"


def control(sandbox: Sandbox, action: str, body: object = None) -> Dict[str, Any]:
    """GET /_sandbox/stats (action "stats") or POST /_sandbox/<action> with a JSON body."""
    import json
    import urllib.request

    if action == "stats":
        req = urllib.request.Request(sandbox.url + "/_sandbox/stats", method="GET")
    else:
        req = urllib.request.Request(
            sandbox.url + "/_sandbox/" + action,
            data=json.dumps(body if body is not None else {}).encode(),
            method="POST",
            headers={"content-type": "application/json"},
        )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200, (action, r.status)
        answer: Dict[str, Any] = json.loads(r.read())
        return answer
