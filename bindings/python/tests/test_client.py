from __future__ import annotations

import gc
import socket
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import b2c
from conftest import ERROR_LOGIN, KEY_FIXTURES, Sandbox, request_id, start_sandbox


def test_full_fee_flow_reports_progress(client: b2c.Client) -> None:
    client.authenticate()
    seen: List[Tuple[b2c.FeeStatus, int, int]] = []
    rid = request_id()
    result = client.fee_process("123456", rid, wait=5, on_progress=lambda s, a, ms: seen.append((s, a, ms)))
    assert result.status is b2c.FeeStatus.SUCCESS
    assert result.succeeded and not result.pending
    assert (result.account_login, result.request_id) == ("123456", rid)
    # --pending-polls 2: two PENDING answers, then SUCCESS.
    assert [s for s, _, _ in seen] == [b2c.FeeStatus.PENDING, b2c.FeeStatus.PENDING, b2c.FeeStatus.SUCCESS]
    assert [a for _, a, _ in seen] == [1, 2, 3]
    assert all(isinstance(s, b2c.FeeStatus) for s, _, _ in seen)
    assert seen[0][2] <= seen[1][2] <= seen[2][2]


def test_fee_flow_without_explicit_authenticate(config: Dict[str, Any]) -> None:
    with b2c.Client(**config) as c:
        assert c.fee_process("123456", request_id(), wait=5).status == b2c.FeeStatus.SUCCESS


def test_one_shot_is_pending(client: b2c.Client) -> None:
    result = client.fee_process("123456", request_id())
    assert result.status == b2c.FeeStatus.PENDING
    assert result.pending
    assert client.fee_process("123456", request_id(), wait=0).status == b2c.FeeStatus.PENDING


def test_error_login_raises_fee_error_with_details(client: b2c.Client) -> None:
    with pytest.raises(b2c.FeeError) as ei:
        client.fee_process(ERROR_LOGIN, request_id(), wait=5)
    e = ei.value
    assert e.code == b2c.Status.FEE_ERROR
    assert e.fee_status == b2c.FeeStatus.ERROR
    assert ERROR_LOGIN in e.message  # the server's details travel in the message
    assert "FEE_ERROR" in str(e)


def test_callback_returning_false_cancels(client: b2c.Client) -> None:
    calls: List[int] = []

    def stop(status: b2c.FeeStatus, attempt: int, elapsed_ms: int) -> bool:
        calls.append(attempt)
        return False

    with pytest.raises(b2c.CancelledError) as ei:
        client.fee_process("123456", request_id(), wait=5, on_progress=stop)
    assert ei.value.code == b2c.Status.CANCELLED
    assert calls == [1]


def test_callback_returning_true_or_none_goes_on(client: b2c.Client) -> None:
    assert client.fee_process("123456", request_id(), wait=5, on_progress=lambda *a: True).succeeded
    assert client.fee_process("123456", request_id(), wait=5, on_progress=lambda *a: None).succeeded


def test_callback_exception_is_reraised_and_cancels(client: b2c.Client) -> None:
    class Boom(Exception):
        pass

    calls: List[int] = []

    def boom(status: b2c.FeeStatus, attempt: int, elapsed_ms: int) -> None:
        calls.append(attempt)
        raise Boom("from the callback")

    with pytest.raises(Boom, match="from the callback"):
        client.fee_process("123456", request_id(), wait=5, on_progress=boom)
    assert calls == [1]  # the wait stopped at the first answer
    # The client is still usable.
    assert client.fee_process("123456", request_id(), wait=5).succeeded


def test_callback_survives_garbage_collection(client: b2c.Client) -> None:
    seen: List[int] = []

    def cb(status: b2c.FeeStatus, attempt: int, elapsed_ms: int) -> None:
        gc.collect()
        seen.append(attempt)

    assert client.fee_process("123456", request_id(), wait=5, on_progress=cb).succeeded
    assert seen == [1, 2, 3]


def test_still_pending(tmp_path: Path, key: b2c.Key, config: Dict[str, Any]) -> None:
    sb = start_sandbox(tmp_path, key, "--pending-polls", "100000")
    try:
        with b2c.Client(**{**config, "base_url": sb.url}) as c:
            with pytest.raises(b2c.StillPendingError) as ei:
                c.fee_process("123456", request_id(), wait=0.3)
            assert ei.value.code == b2c.Status.STILL_PENDING
            assert ei.value.fee_status == b2c.FeeStatus.PENDING
    finally:
        sb.stop()


def test_negative_wait_is_invalid(client: b2c.Client) -> None:
    with pytest.raises(b2c.InvalidArgumentError):
        client.fee_process("123456", request_id(), wait=-1)


def test_unknown_config_key(config: Dict[str, Any]) -> None:
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.Client(**config, no_such_key=1)
    assert ei.value.code == b2c.Status.CONFIG
    assert "no_such_key" in ei.value.message


def test_missing_and_mistyped_config(config: Dict[str, Any]) -> None:
    cfg = dict(config)
    del cfg["key_id"]
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.Client.from_dict(cfg)
    assert ei.value.code == b2c.Status.CONFIG
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.Client(**{**config, "admin_id": "forty-two"})


def test_insecure_url_rejected(config: Dict[str, Any]) -> None:
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.Client(**{**config, "base_url": "http://example.com"})
    assert ei.value.code == b2c.Status.INSECURE_URL


def test_config_accepts_key_object_path_and_json(config: Dict[str, Any], key: b2c.Key, tmp_path: Path) -> None:
    with b2c.Client(**{**config, "private_key_pem": key}) as c:
        assert c.fee_process("123456", request_id(), wait=5).succeeded
    pem = tmp_path / "k.pem"
    pem.write_text(key.private_pem())
    cfg = {k: v for k, v in config.items() if k != "private_key_pem"}
    with b2c.Client(**cfg, private_key_path=pem) as c:
        c.authenticate()
    import json
    with b2c.Client.from_json(json.dumps(config)) as c:
        c.authenticate()


def test_unregistered_key_is_auth_error(config: Dict[str, Any]) -> None:
    other = (KEY_FIXTURES / "p256_pkcs8.pem").read_text()
    with b2c.Client(**{**config, "private_key_pem": other}) as c:
        with pytest.raises(b2c.AuthError) as ei:
            c.authenticate()
    assert ei.value.code in (b2c.Status.AUTH_REJECTED, b2c.Status.UNAUTHORIZED)


def test_connection_refused_is_network_error(config: Dict[str, Any]) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    cfg = {**config, "base_url": f"http://127.0.0.1:{port}", "call_deadline_ms": 500,
           "retry_base_ms": 10, "retry_max_ms": 50}
    with b2c.Client(**cfg) as c:
        with pytest.raises(b2c.NetworkError) as ei:
            c.authenticate()
    assert ei.value.code in (b2c.Status.NETWORK, b2c.Status.TIMEOUT)


def test_eight_threads_share_one_client(client: b2c.Client) -> None:
    errors: List[BaseException] = []
    results: List[b2c.FeeStatus] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(3):
                seen: List[int] = []
                r = client.fee_process("123456", request_id(f"t{n}"), wait=10,
                                       on_progress=lambda s, a, ms: seen.append(a))
                assert seen == [1, 2, 3]
                with lock:
                    results.append(r.status)
        except BaseException as e:  # noqa: B902
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results == [b2c.FeeStatus.SUCCESS] * 24


def test_close_while_another_thread_waits(config: Dict[str, Any]) -> None:
    c = b2c.Client(**config)
    started = threading.Event()
    out: List[Any] = []

    def slow(status: b2c.FeeStatus, attempt: int, elapsed_ms: int) -> None:
        started.set()
        time.sleep(0.05)

    t = threading.Thread(target=lambda: out.append(c.fee_process("123456", request_id(), wait=5, on_progress=slow)))
    t.start()
    assert started.wait(5)
    c.close()  # must not free the handle under the running call
    t.join(10)
    assert out and out[0].succeeded
    with pytest.raises(b2c.ClosedError):
        c.authenticate()


def test_closed_client_raises(config: Dict[str, Any]) -> None:
    c = b2c.Client(**config)
    with c:
        pass
    assert c.closed
    c.close()  # idempotent
    for call in (c.authenticate, c.mint_jwt, lambda: c.fee_process("123456", request_id())):
        with pytest.raises(b2c.ClosedError) as ei:
            call()
        assert ei.value.code == b2c.Status.NULL_POINTER
        assert isinstance(ei.value, b2c.InvalidArgumentError)
    assert "closed" in repr(c)
