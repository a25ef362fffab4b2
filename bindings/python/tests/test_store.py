"""Many processes, one credential: shared handles, the file store, host token stores
(b2c.TokenStore) and b2c.RedisTokenStore against a real redis-server, all against the
sandbox's own counters (deltas of GET /_sandbox/stats)."""

from __future__ import annotations

import collections
import contextlib
import gc
import importlib.metadata
import json
import logging
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import b2c
from b2c import _native, _shared
from conftest import Sandbox, control, record_log_line, repo_header, request_id

SECRETS = ("sandbox-password", "sbx_", "b2b-", "eyJ", "PRIVATE KEY")
STORE_KEY = re.compile(r"(b2copy|b2binpay)-[0-9a-f]{40}")

_unique = iter(range(1, 1 << 30))


def unique(config: Dict[str, Any]) -> Dict[str, Any]:
    """The configuration with a user_agent no other test uses: a configuration of its own,
    so no shared client another test left in the registry (with its tokens) is reused."""
    return {**config, "user_agent": f"b2c-python-test/{os.getpid()}-{next(_unique)}"}


def b2copy_stats(sandbox: Sandbox) -> Dict[str, int]:
    return control(sandbox, "stats")["b2copy"]  # type: ignore[no-any-return]


def b2binpay_stats(sandbox: Sandbox) -> Dict[str, int]:
    return control(sandbox, "stats")["b2binpay"]  # type: ignore[no-any-return]


def delta(before: Dict[str, int], after: Dict[str, int]) -> Dict[str, int]:
    return {k: after[k] - before[k] for k in before if isinstance(before[k], int)}


def b2binpay_config(sandbox: Sandbox, **more: Any) -> Dict[str, Any]:
    return {"base_url": sandbox.url + "/b2binpay", "login": "sandbox-login", "password": "sandbox-password", **more}


def fee(c: b2c.Client, prefix: str = "st") -> None:
    assert c.fee_process("123456", request_id(prefix), wait=10).succeeded


class MemoryStore(b2c.TokenStore):
    """A TokenStore in this process's memory, with expiring locks owned by a thread."""

    def __init__(self) -> None:
        self.values: Dict[str, bytes] = {}
        self.locks: Dict[str, Tuple[int, float]] = {}
        self.cond = threading.Condition()
        self.calls: collections.Counter[str] = collections.Counter()

    def load(self, key: str) -> Optional[bytes]:
        with self.cond:
            self.calls["load"] += 1
            return self.values.get(key)

    def save(self, key: str, value: bytes) -> None:
        assert isinstance(value, bytes)
        with self.cond:
            self.calls["save"] += 1
            self.values[key] = value

    def lock(self, key: str, timeout_ms: int, lease_ms: int) -> bool:
        deadline = time.monotonic() + timeout_ms / 1000
        with self.cond:
            self.calls["lock"] += 1
            while True:
                now = time.monotonic()
                held = self.locks.get(key)
                if held is None or held[1] <= now:
                    self.locks[key] = (threading.get_ident(), now + lease_ms / 1000)
                    return True
                if now >= deadline:
                    return False
                self.cond.wait(min(deadline, held[1]) - now)

    def unlock(self, key: str) -> None:
        with self.cond:
            self.calls["unlock"] += 1
            held = self.locks.get(key)
            if held is not None and held[0] == threading.get_ident():
                del self.locks[key]
                self.cond.notify_all()


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def events(self, name: str) -> List[logging.LogRecord]:
        return [r for r in self.records if getattr(r, "b2c_event", None) == name]


@contextlib.contextmanager
def collected(name: str = "b2c") -> Iterator[Collect]:
    h = Collect()
    logging.getLogger(name).addHandler(h)
    try:
        yield h
    finally:
        logging.getLogger(name).removeHandler(h)


def assert_no_secret(texts: List[str]) -> None:
    for t in texts:
        for s in SECRETS:
            assert s not in t, (s, t)


# ---- the ABI pieces mirror the header ------------------------------------------------------


def test_store_result_mirrors_header() -> None:
    body = re.search(r"typedef enum \{(.*?)\} b2c_store_result;", repo_header().read_text(), re.S)
    assert body, "b2c_store_result not found in the header"
    in_header = {m.group(1): int(m.group(2)) for m in re.finditer(r"B2C_STORE_(\w+)\s*=\s*(-?\d+)", body.group(1))}
    assert in_header == {r.name: r.value for r in b2c.StoreResult}
    assert in_header["ERROR"] == -1


def test_token_store_struct_mirrors_header() -> None:
    header = repo_header().read_text()
    assert "} b2c_token_store;" in header, "b2c_token_store not found in the header"
    text = header.split("} b2c_token_store;")[0].rsplit("typedef struct {", 1)[1]
    fields = re.findall(r"(?:\(\*\s*(\w+)\)|(\w+)\s*;)", re.sub(r"/\*.*?\*/", "", text, flags=re.S))
    names = [a or b for a, b in fields]
    assert names == [f[0] for f in _native.TokenStoreStruct._fields_]
    assert _native.TokenStoreStruct.struct_size.offset == 0
    assert _native.TokenStoreStruct.userdata.offset == _native.TokenStoreStruct.struct_size.size
    assert all(sizeof == 8 for sizeof in (_native.TokenStoreStruct.load.size, _native.TokenStoreStruct.unlock.size))
    # every callback's signature, as the header writes it
    assert "int32_t (*load)(void *userdata, const char *key, uint8_t *buf, size_t buf_len, size_t *out_len);" in text
    assert "int32_t (*save)(void *userdata, const char *key, const uint8_t *value, size_t value_len);" in text
    assert "int32_t (*lock)(void *userdata, const char *key, uint32_t timeout_ms, uint32_t lease_ms);" in text
    assert "void (*unlock)(void *userdata, const char *key);" in text


def test_token_store_is_an_abc() -> None:
    with pytest.raises(TypeError):
        b2c.TokenStore()  # type: ignore[abstract]

    class Partial(b2c.TokenStore):
        def load(self, key: str) -> Optional[bytes]:
            return None

    with pytest.raises(TypeError):
        Partial()  # type: ignore[abstract]
    assert isinstance(MemoryStore(), b2c.TokenStore)
    assert issubclass(b2c.RedisTokenStore, b2c.TokenStore)


def test_set_token_store_arguments(config: Dict[str, Any], sandbox: Sandbox) -> None:
    with b2c.Client(**config) as c:
        with pytest.raises(TypeError):
            c.set_token_store(object())
        with pytest.raises(TypeError):
            c.set_token_store({})
        c.set_token_store(None)  # detaching without a store is fine
    for h in (c, b2c.B2binpay(**b2binpay_config(sandbox))):
        h.close()
        with pytest.raises(b2c.ClosedError):
            h.set_token_store(MemoryStore())
        with pytest.raises(b2c.ClosedError):
            h.set_token_store(None)


# ---- shared handles --------------------------------------------------------------------------


def test_shared_clients_are_one_native_client(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    cfg = unique(config)
    reordered = dict(reversed(list(cfg.items())))
    assert list(reordered) != list(cfg)
    b0 = b2copy_stats(sandbox)
    a = b2c.Client.shared(cfg)
    b = b2c.Client.shared(reordered)
    assert a._h is not b._h  # two handles...
    fee(a)
    a.close()
    with pytest.raises(b2c.ClosedError):
        a.fee_process("123456", request_id("st"))
    fee(b)  # ...one native client: its tokens
    d = delta(b0, b2copy_stats(sandbox))
    assert d["auth_ok"] == 1, d
    s = b.stats()
    assert s.auth_exchanges == 1
    assert s.latency["processext"].count == d["process_calls"] >= 2  # both handles' calls
    b.close()

    # The registry kept it after the last handle: the next shared() reuses its tokens.
    with b2c.Client.shared(json.dumps(cfg)) as c:  # a JSON text works too
        fee(c)
        assert c.stats().auth_exchanges == 1
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 1
    # Keyword arguments, merged over a mapping
    kw = dict(cfg)
    admin = kw.pop("admin_id")
    with b2c.Client.shared(kw, admin_id=admin) as c:
        fee(c)
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 1
    # A plain Client is never the shared one.
    with b2c.Client(**cfg) as plain:
        fee(plain)
        assert plain.stats().auth_exchanges == 1
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 2


def test_clear_shared_drops_the_idle_ones(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    idle_cfg, held_cfg = unique(config), unique(config)
    with b2c.Client.shared(idle_cfg) as c:
        fee(c)
    held = b2c.Client.shared(held_cfg)
    fee(held)
    gc.collect()
    b0 = b2copy_stats(sandbox)
    assert b2c.clear_shared() >= 1  # idle_cfg's (and any other test's idle ones)
    assert b2c.clear_shared() == 0
    with b2c.Client.shared(idle_cfg) as c:
        fee(c)  # a new native client: authenticates again
        assert c.stats().auth_exchanges == 1
    with b2c.Client.shared(held_cfg) as c:
        fee(c)  # still the held one: no exchange
        assert c.stats().auth_exchanges == 1
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 1
    held.close()
    assert b2c.clear_shared() == 2
    assert isinstance(b2c.clear_shared(), int)


def test_shared_b2binpay_handles(sandbox: Sandbox) -> None:
    cfg = unique(b2binpay_config(sandbox))
    b0 = b2binpay_stats(sandbox)
    a = b2c.B2binpay.shared(cfg)
    b = b2c.B2binpay.shared(dict(reversed(list(cfg.items()))))
    t1 = a.access_token()
    a.close()
    t2 = b.access_token()
    assert t1.token == t2.token and not t2.suspicious
    assert delta(b0, b2binpay_stats(sandbox))["token_ok"] == 1
    assert b.counters().logins == 1
    b.close()
    with b2c.B2binpay.shared(cfg) as c:
        assert c.access_token().token == t1.token
    assert delta(b0, b2binpay_stats(sandbox))["token_ok"] == 1


def test_shared_config_errors(config: Dict[str, Any]) -> None:
    with pytest.raises(b2c.InvalidArgumentError) as e:
        b2c.Client.shared({**config, "no_such_key": 1})
    assert e.value.code == b2c.Status.CONFIG
    with pytest.raises(TypeError):
        b2c.Client.shared(["base_url"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.Client.shared("[1, 2]")
    with pytest.raises(TypeError):
        b2c.Client.shared({**config, "user_agent": object()})
    # A Key and a path-like are converted as for Client(...)
    key = b2c.Key.from_pem(config["private_key_pem"])
    with b2c.Client.shared({**unique(config), "private_key_pem": key}) as c:
        assert not c.closed


def test_a_logger_set_through_a_shared_handle_outlives_it(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    # The native client keeps the callback after its handle is freed: the binding must keep
    # the ctypes callback alive (on the registry slot), and the next handle sees the logger.
    from conftest import make_logger

    got = Collect()
    cfg = unique(config)
    a = b2c.Client.shared(cfg)
    a.set_logger(make_logger("shared", got), "info")
    a.close()
    del a
    gc.collect()
    with b2c.Client.shared(cfg) as b:
        fee(b)
    assert [r.b2c_event for r in got.records if r.b2c_event == "auth"] == ["auth"]  # type: ignore[attr-defined]
    with b2c.Client.shared(cfg) as b:
        b.set_logger(None)
        fee(b)
    assert len([r for r in got.records if getattr(r, "b2c_event", "") == "auth"]) == 1
    assert_no_secret([r.getMessage() for r in got.records])


def test_a_store_set_through_a_shared_handle_outlives_it(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    cfg = unique(config)
    a = b2c.Client.shared(cfg)
    a.set_token_store(MemoryStore())  # only the native client refers to it now
    a.close()
    del a
    gc.collect()
    with b2c.Client.shared(cfg) as b:
        fee(b)
        s = b.stats()
        assert s.store_loads >= 1 and s.store_saves == 1 and s.store_errors == 0, s
        slot = b._h.store_bridge
        store = slot.store
        assert isinstance(store, MemoryStore) and store.calls["save"] == 1
        assert [k for k in store.values if STORE_KEY.fullmatch(k)] == list(store.values)
    key = _shared._slot_key("b2copy", _shared.canonical_json(cfg))
    assert key in _shared._slots
    gc.collect()
    b2c.clear_shared()  # nobody holds it: the native client goes, so may its callbacks
    assert key not in _shared._slots
    with b2c.Client.shared(cfg) as c:  # a new native client, no store
        fee(c)
        assert c.stats().store_loads == 0
        assert store.calls["save"] == 1


# ---- the file store (configuration key token_store) ----------------------------------------


def test_file_store_shared_by_two_clients(sandbox: Sandbox, config: Dict[str, Any], tmp_path: Path) -> None:
    directory = tmp_path / "tokens"  # missing: created 0700
    cfg = {**config, "token_store": {"type": "file", "path": str(directory)}}
    b0 = b2copy_stats(sandbox)
    with b2c.Client(**cfg) as a, b2c.Client(**cfg) as b:
        fee(a)
        fee(b)
        assert a.stats().auth_exchanges == 1 and b.stats().auth_exchanges == 0
        assert b.stats().store_adopted == 1
        control(sandbox, "b2copy/expire-access")
        fee(a)
        fee(b)
    d = delta(b0, b2copy_stats(sandbox))
    assert d["auth_ok"] == 1 and d["refresh_ok"] == 1 and d["refresh_rejected"] == 0, d
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    records = list(directory.iterdir())
    assert records and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in records if p.is_file())


def test_file_store_b2binpay(sandbox: Sandbox, tmp_path: Path) -> None:
    cfg = b2binpay_config(sandbox, token_store={"type": "file", "path": str(tmp_path / "bp")})
    b0 = b2binpay_stats(sandbox)
    with b2c.B2binpay(**cfg) as a, b2c.B2binpay(**cfg) as b:
        assert a.access_token().token == b.access_token().token
    assert delta(b0, b2binpay_stats(sandbox))["token_ok"] == 1


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o701])
def test_file_store_directory_must_be_private(config: Dict[str, Any], sandbox: Sandbox, tmp_path: Path, mode: int) -> None:
    directory = tmp_path / "open"
    directory.mkdir()
    directory.chmod(mode)
    for make in (
        lambda: b2c.Client(**config, token_store={"type": "file", "path": str(directory)}),
        lambda: b2c.B2binpay(**b2binpay_config(sandbox, token_store={"type": "file", "path": str(directory)})),
    ):
        with pytest.raises(b2c.InvalidArgumentError) as e:
            make()
        assert e.value.code == b2c.Status.CONFIG
        assert "token_store" in e.value.message


# ---- host stores (b2c.TokenStore) --------------------------------------------------------------


def test_host_store_shared_by_two_clients(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    store = MemoryStore()
    b0 = b2copy_stats(sandbox)
    with b2c.Client(**config) as a, b2c.Client(**config) as b:
        a.set_token_store(store)
        b.set_token_store(store)
        fee(a)
        fee(b)
        assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 1
        assert b.stats().store_adopted == 1 and b.stats().auth_exchanges == 0
        control(sandbox, "b2copy/expire-access")
        fee(a)
        fee(b)
        d = delta(b0, b2copy_stats(sandbox))
        assert d["auth_ok"] == 1 and d["refresh_ok"] == 1 and d["refresh_rejected"] == 0, d
        sa, sb = a.stats(), b.stats()
        assert sa.refreshes + sb.refreshes == 1
        assert sa.store_saves + sb.store_saves == 2  # the exchange's pair, the refresh's pair
        assert sa.store_errors == sb.store_errors == 0
    assert store.calls["lock"] == store.calls["unlock"] >= 2
    assert not store.locks
    (key,) = store.values
    assert key.startswith("b2copy-") and STORE_KEY.fullmatch(key)


def test_host_store_many_threads_one_exchange(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    store = MemoryStore()
    clients = [b2c.Client(**config) for _ in range(4)]
    errors: List[BaseException] = []
    b0 = b2copy_stats(sandbox)
    try:
        for c in clients:
            c.set_token_store(store)
        barrier = threading.Barrier(8)

        def work(c: b2c.Client) -> None:
            try:
                barrier.wait(10)
                for _ in range(3):
                    fee(c, "thr")
            except BaseException as e:  # noqa: B902
                errors.append(e)

        threads = [threading.Thread(target=work, args=(clients[i % 4],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for c in clients:
            c.close()
    assert not errors, errors
    d = delta(b0, b2copy_stats(sandbox))
    assert d["auth_ok"] == 1, d


def test_host_store_b2binpay(sandbox: Sandbox) -> None:
    store = MemoryStore()
    b0 = b2binpay_stats(sandbox)
    with b2c.B2binpay(**b2binpay_config(sandbox)) as a, b2c.B2binpay(**b2binpay_config(sandbox)) as b:
        a.set_token_store(store)
        b.set_token_store(store)
        assert a.access_token().token == b.access_token().token
        assert delta(b0, b2binpay_stats(sandbox))["token_ok"] == 1
        a.refresh()  # recorded as taken in the store before it is sent
        # b's renewal re-reads the store under its lock: it adopts a's pair, so the refresh
        # token a used up is never sent again (no replay, nothing suspicious).
        b.refresh()
        d = delta(b0, b2binpay_stats(sandbox))
        assert d["token_ok"] == 1 and d["refresh_ok"] == 1 and d["refresh_replayed"] == 0, d
        assert b.access_token().token == a.access_token().token
        assert b.counters().suspicious == 0 and a.counters().suspicious == 0
        assert b.stats().store_adopted >= 2
    assert any(k.startswith("b2binpay-") for k in store.values)


def test_detaching_the_store(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    store = MemoryStore()
    with b2c.Client(**config) as a:
        a.set_token_store(store)
        fee(a)
        saves = store.calls["save"]
        assert saves == 1
        a.set_token_store(None)
        control(sandbox, "b2copy/expire-access")
        fee(a)  # refreshed, not saved anywhere
        assert store.calls["save"] == saves
        assert a.stats().refreshes == 1
        # attaching again (another store): used from now on
        other = MemoryStore()
        a.set_token_store(other)
        control(sandbox, "b2copy/expire-access")
        fee(a)
        assert other.calls["save"] == 1 and store.calls["save"] == saves


def test_a_configured_file_store_is_replaced_by_a_host_store(config: Dict[str, Any], tmp_path: Path) -> None:
    directory = tmp_path / "fs"
    store = MemoryStore()
    with b2c.Client(**config, token_store={"type": "file", "path": str(directory)}) as c:
        c.set_token_store(store)
        fee(c)
    assert store.calls["save"] == 1
    assert [p for p in directory.iterdir() if p.is_file() and STORE_KEY.search(p.name)] == []


def test_a_store_survives_garbage_collection(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    calls: collections.Counter[str] = collections.Counter()

    class Counting(MemoryStore):
        def load(self, key: str) -> Optional[bytes]:
            calls["load"] += 1
            return super().load(key)

    b0 = b2copy_stats(sandbox)
    with b2c.Client(**config) as a, b2c.Client(**config) as b:
        a.set_token_store(Counting())  # only the client holds the store and its callbacks
        gc.collect()
        fee(a)
        gc.collect()
        # b gets the same store object through a's bridge
        b.set_token_store(a._h.store_bridge.store)
        gc.collect()
        fee(b)
    assert calls["load"] >= 2
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 1


class Failing(b2c.TokenStore):
    """Every method raises ``exc`` (or returns something of the wrong type)."""

    def __init__(self, exc: Optional[BaseException], bad_value: Any = None) -> None:
        self.exc = exc
        self.bad_value = bad_value
        self.calls: collections.Counter[str] = collections.Counter()

    def _fail(self, op: str) -> Any:
        self.calls[op] += 1
        if self.exc is not None:
            raise self.exc
        return self.bad_value

    def load(self, key: str) -> Optional[bytes]:
        return self._fail("load")  # type: ignore[no-any-return]

    def save(self, key: str, value: bytes) -> None:
        self._fail("save")

    def lock(self, key: str, timeout_ms: int, lease_ms: int) -> bool:
        return self._fail("lock")  # type: ignore[no-any-return]

    def unlock(self, key: str) -> None:
        self._fail("unlock")


@pytest.mark.parametrize(
    "store",
    [
        Failing(RuntimeError("store down")),
        Failing(KeyboardInterrupt()),
        Failing(SystemExit(2)),
        Failing(None, bad_value="a str, not bytes"),
        Failing(None, bad_value=12),
    ],
    ids=["RuntimeError", "KeyboardInterrupt", "SystemExit", "wrong-type-str", "wrong-type-int"],
)
def test_a_failing_store_is_tolerated(
    sandbox: Sandbox,
    config: Dict[str, Any],
    store: Failing,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    b0 = b2copy_stats(sandbox)
    with collected() as log, b2c.Client(**config) as c:
        c.set_token_store(store)
        fee(c)  # the store failed, b2c went on without it
        fee(c)
        s = c.stats()
    assert store.calls["load"] >= 1
    assert s.store_errors >= 1 and s.auth_exchanges == 1, s
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 1
    assert unraisable == []
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    native = log.events("store")  # the library's own warning
    assert native and all(r.levelno == logging.WARNING for r in native), [r.getMessage() for r in log.records]
    mine = log.events("store_callback")  # the binding's, naming the exception
    assert mine and all(r.name == "b2c.store" and r.levelno == logging.WARNING for r in mine)
    expected = type(store.exc).__name__ if store.exc is not None else "TypeError"
    assert any(expected in r.getMessage() for r in mine), [r.getMessage() for r in mine]
    assert_no_secret([r.getMessage() for r in log.records])


def test_a_store_whose_load_raises(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    # Only load fails: save/lock work; the call still succeeds.
    class LoadRaises(MemoryStore):
        def load(self, key: str) -> Optional[bytes]:
            raise ConnectionError("no route")

    store = LoadRaises()
    with b2c.Client(**config) as c:
        c.set_token_store(store)
        fee(c)
        assert c.stats().store_errors >= 1


def test_a_too_long_stored_value_is_ignored(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    store = MemoryStore()
    b0 = b2copy_stats(sandbox)
    with b2c.Client(**config) as c:
        c.set_token_store(store)
        fee(c)
        (key,) = store.values
        good = store.values[key]
    store.values[key] = b"x" * 70000  # longer than the library's buffer: BUFFER_TOO_SMALL
    with b2c.Client(**config) as c:
        c.set_token_store(store)
        fee(c)  # unreadable record: a new exchange, replaced
        assert c.stats().auth_exchanges == 1
    assert store.values[key] != b"x" * 70000 and store.values[key] != good
    assert delta(b0, b2copy_stats(sandbox))["auth_ok"] == 2


# ---- Redis ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, binary: str, directory: Path) -> None:
        import redis

        last = ""
        self.log = directory / "redis.log"
        for _ in range(5):  # another process may take the free port first: try another
            self.port = _free_port()
            self.proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(directory), "--daemonize", "no", "--protected-mode", "yes",
                 "--logfile", str(self.log)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if client.ping():
                        client.close()
                        return
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
            client.close()
            self.stop()
            last = self.log.read_text(errors="replace") if self.log.exists() else ""
        raise RuntimeError(f"redis-server did not start: {last}")

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def redis_server_binary() -> str:
    found = os.environ.get("B2C_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.isfile(found) or not os.access(found, os.X_OK):
        pytest.fail(
            f"redis-server not found ({found!r}): install it (the Debian package redis-server; "
            "scripts/install-deps.sh installs it), or set B2C_REDIS_SERVER",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = redis_server_binary()
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.fail(
            "redis-py is not installed in this venv: scripts/test-python.sh installs it "
            "(pip install 'b2c[redis]')",
            pytrace=False,
        )
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()
    assert server.proc.returncode is not None


def test_redis_store_values(redis_server: RedisServer) -> None:
    r = redis_server.client()
    store = b2c.RedisTokenStore(r, prefix="t-values:")
    assert repr(store) == "<b2c.RedisTokenStore prefix='t-values:'>"
    key = "b2copy-" + "ab" * 20
    assert store.load(key) is None
    value = b'{"a":"\x00\xff\n binary-safe"}'
    store.save(key, value)
    assert store.load(key) == value
    assert r.get("t-values:" + key) == value  # the value at <prefix><key>
    store.save(key, b"")
    assert store.load(key) == b""
    # a client with decode_responses: str answers come back as UTF-8 bytes
    import redis

    text_client = redis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True)
    store.save(key, b'{"t":"x"}')
    assert b2c.RedisTokenStore(text_client, prefix="t-values:").load(key) == b'{"t":"x"}'
    assert b2c.RedisTokenStore(r).prefix == "b2c:"
    with pytest.raises(TypeError):
        b2c.RedisTokenStore(None)
    with pytest.raises(TypeError):
        b2c.RedisTokenStore(r, prefix=b"x")  # type: ignore[arg-type]
    fu = b2c.RedisTokenStore.from_url(f"redis://127.0.0.1:{redis_server.port}/0", prefix="t-values:")
    assert fu.load(key) == b'{"t":"x"}'


def _set_calls(r: Any) -> int:
    """How many SET commands redis-server has executed (INFO commandstats)."""
    return int(r.info("commandstats").get("cmdstat_set", {}).get("calls", 0))


def test_redis_lock(redis_server: RedisServer) -> None:
    r = redis_server.client()
    a = b2c.RedisTokenStore(r, prefix="t-lock:")
    b = b2c.RedisTokenStore(redis_server.client(), prefix="t-lock:")  # another owner
    key = "b2copy-" + "cd" * 20
    lock_key = "t-lock:" + key + ":lock"
    assert a.lock(key, 1000, 10_000)
    owner = r.get(lock_key)
    assert owner and len(owner) == 32
    assert 9_000 < r.pttl(lock_key) <= 10_000  # the lease is the expiry

    # What redis-server counted, not the wall clock: a second owner keeps trying SET NX until
    # its timeout, then gives up; timeout 0 is exactly one attempt.
    sets = _set_calls(r)
    assert b.lock(key, 300, 10_000) is False  # a second owner times out
    assert _set_calls(r) - sets > 1
    sets = _set_calls(r)
    assert b.lock(key, 0, 10_000) is False  # timeout 0: one attempt
    assert _set_calls(r) - sets == 1

    b.unlock(key)  # not the owner: nothing released
    assert r.get(lock_key) == owner
    r2 = b2c.RedisTokenStore(r, prefix="t-lock:")
    r2._held[key] = [(threading.get_ident(), "not-the-owner-token")]  # a wrong owner token
    r2.unlock(key)  # the script compares: still held
    assert r.get(lock_key) == owner

    a.unlock(key)  # the owner releases
    assert r.get(lock_key) is None
    assert b.lock(key, 100, 10_000)
    b.unlock(key)
    assert r.get(lock_key) is None


def test_redis_lock_lease_expires(redis_server: RedisServer) -> None:
    r = redis_server.client()
    a = b2c.RedisTokenStore(r, prefix="t-lease:")
    b = b2c.RedisTokenStore(r, prefix="t-lease:")
    key = "b2binpay-" + "ef" * 20
    lock_key = "t-lease:" + key + ":lock"
    assert a.lock(key, 0, 300)  # a holder that dies: never unlocks
    a_owner = r.get(lock_key)
    sets, expired = _set_calls(r), r.info("stats")["expired_keys"]
    assert b.lock(key, 5000, 10_000)  # waits for the lease to run out
    b_owner = r.get(lock_key)
    # redis-server's own record: b tried more than once, a's lock key expired, b holds a new one.
    assert _set_calls(r) - sets > 1
    assert r.info("stats")["expired_keys"] > expired
    assert b_owner and b_owner != a_owner
    a.unlock(key)  # late: its lock expired and b holds a new one, which stays
    assert r.get(lock_key) == b_owner
    b.unlock(key)
    assert r.get(lock_key) is None


def test_redis_lock_many_threads(redis_server: RedisServer) -> None:
    store = b2c.RedisTokenStore(redis_server.client(), prefix="t-threads:")
    key = "b2copy-" + "12" * 20
    inside = [0]
    most = [0]
    guard = threading.Lock()
    errors: List[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                assert store.lock(key, 10_000, 10_000)
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                os.sched_yield()  # let the other threads try the lock while this one holds it
                with guard:
                    inside[0] -= 1
                store.unlock(key)
        except BaseException as e:  # noqa: B902
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert most[0] == 1
    assert store._held == {}


def test_redis_down_is_tolerated(sandbox: Sandbox, config: Dict[str, Any]) -> None:
    import redis
    from redis.backoff import NoBackoff

    # from_url fails fast (redis-py's own default retries for seconds, which would eat the
    # call's deadline): the call goes on without the store.
    store = b2c.RedisTokenStore.from_url(f"redis://127.0.0.1:{_free_port()}/0")
    retry = store.redis.get_retry()
    assert store.redis.connection_pool.connection_kwargs["socket_timeout"] == 1.0
    assert retry._retries == 1 and isinstance(retry._backoff, NoBackoff), retry  # fails fast
    with pytest.raises(redis.exceptions.ConnectionError):
        store.load("b2copy-" + "00" * 20)
    with collected() as log, b2c.Client(**config) as c:
        c.set_token_store(store)
        fee(c)
        assert c.stats().store_errors >= 1
    assert any("ConnectionError" in r.getMessage() for r in log.events("store_callback"))
    # explicit arguments win over from_url's defaults
    slow = b2c.RedisTokenStore.from_url("redis://127.0.0.1:1/0", socket_timeout=7.5)
    assert slow.redis.connection_pool.connection_kwargs["socket_timeout"] == 7.5


REDIS_CHILD = r"""
import json, sys
import b2c, redis

setup = json.loads(sys.stdin.readline())
r = redis.Redis(host="127.0.0.1", port=setup["port"], socket_timeout=10)
client = b2c.Client(**setup["config"])
client.set_token_store(b2c.RedisTokenStore(r, prefix=setup["prefix"]))
print("ready", flush=True)
for line in sys.stdin:
    command = line.split()
    if command[0] == "fee":
        result = client.fee_process("123456", command[1], wait=20)
        s = client.stats()
        print(json.dumps({"status": result.status.name, "auth": s.auth_exchanges, "refreshes": s.refreshes,
                          "adopted": s.store_adopted, "loads": s.store_loads, "saves": s.store_saves,
                          "errors": s.store_errors}), flush=True)
    elif command[0] == "quit":
        break
client.close()
"""


class Child:
    """A separate Python process (standing for another host) with its own Client on the
    Redis store."""

    def __init__(self, script: Path, setup: Dict[str, Any], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        self.send(json.dumps(setup))
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        assert line.strip() == "ready", line + self.finish()

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def answer(self) -> Dict[str, Any]:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise AssertionError("child ended: " + self.finish())
        return json.loads(line)  # type: ignore[no-any-return]

    def finish(self) -> str:
        try:
            out, err = self.proc.communicate("quit\n" if self.proc.poll() is None else None, timeout=30)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            self.proc.kill()
            out, err = self.proc.communicate()
        for line in (err or "").splitlines():
            record_log_line(line)
        return err or ""


def test_two_processes_share_one_token_through_redis(
    redis_server: RedisServer, sandbox: Sandbox, config: Dict[str, Any], tmp_path: Path
) -> None:
    script = tmp_path / "redis_child.py"
    script.write_text(REDIS_CHILD)
    prefix = f"t-procs-{os.getpid()}:"
    setup = {"port": redis_server.port, "prefix": prefix, "config": config}
    b0 = b2copy_stats(sandbox)
    children = [Child(script, setup, tmp_path) for _ in range(2)]
    try:
        # Both at once: one exchanges under the lock, the other adopts the pair it saved.
        for i, child in enumerate(children):
            child.send(f"fee {request_id(f'redis{i}')}")
        first = [child.answer() for child in children]
        assert all(a["status"] == "SUCCESS" and a["errors"] == 0 for a in first), first
        d = delta(b0, b2copy_stats(sandbox))
        assert d["auth_ok"] == 1, (d, first)
        assert sum(a["auth"] for a in first) == 1 and sum(a["adopted"] for a in first) == 1, first

        # Every access token 401s: both go on with ONE refresh (the other adopts its pair).
        control(sandbox, "b2copy/expire-access")
        for i, child in enumerate(children):
            child.send(f"fee {request_id(f'redis{i}')}")
        second = [child.answer() for child in children]
        assert all(a["status"] == "SUCCESS" and a["errors"] == 0 for a in second), second
        d = delta(b0, b2copy_stats(sandbox))
        assert d["auth_ok"] == 1 and d["refresh_ok"] == 1 and d["refresh_rejected"] == 0, (d, second)
        assert sum(a["refreshes"] for a in second) == 1, second
    finally:
        errs = [child.finish() for child in children]
    assert all(child.proc.returncode == 0 for child in children), errs
    assert_no_secret(errs)

    r = redis_server.client()
    keys = sorted(k.decode() for k in r.keys(prefix + "*"))
    assert len(keys) == 1 and STORE_KEY.fullmatch(keys[0][len(prefix):]), keys  # no lock left
    record = json.loads(r.get(keys[0]))  # JSON text (opaque to the binding)
    assert isinstance(record, dict)


# ---- packaging: redis-py is optional ---------------------------------------------------------------


def test_redis_is_an_optional_extra() -> None:
    meta = importlib.metadata.metadata("b2c")
    assert "redis" in (meta.get_all("Provides-Extra") or [])
    requires = meta.get_all("Requires-Dist") or []
    redis_reqs = [r for r in requires if r.lower().startswith("redis")]
    assert redis_reqs and all("extra ==" in r for r in redis_reqs), requires


CHILD_NO_REDIS = r"""
import sys
sys.modules["redis"] = None  # redis-py not installed
import b2c
assert "redis" not in sys.modules or sys.modules["redis"] is None
store = b2c.RedisTokenStore(object())  # any client object: redis-py itself is not needed
print(type(store).__name__)
try:
    b2c.RedisTokenStore.from_url("redis://127.0.0.1:1/0")
except ImportError as e:
    print("ImportError:", e)
"""


def test_import_b2c_does_not_need_redis(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", "import sys, b2c; b2c.version(); print('redis' in sys.modules)"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    out = subprocess.run([sys.executable, "-c", CHILD_NO_REDIS], capture_output=True, text=True, cwd=tmp_path,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "RedisTokenStore"
    assert lines[1].startswith("ImportError:") and "b2c[redis]" in lines[1], lines
