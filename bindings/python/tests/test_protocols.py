"""CRM Open API, B2BINPAY and RetailCRM through the binding, against the sandbox."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

import b2c
from conftest import Sandbox, request_id

API_KEY = "sandbox-api-key"


def hexmac(key: bytes, msg: bytes) -> str:
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


# ---- CRM Open API ------------------------------------------------------------------------


def test_crm_sign_request_matches_hmac_and_rules() -> None:
    body = b'{"name":"\xc3\xa9","x":"\x00"}'
    assert b2c.CrmOpenApi.sign_request("k1", "POST", body) == "sha256=" + hexmac(b"k1", body)
    assert b2c.CrmOpenApi.sign_request("k1", "patch", body) == "sha256=" + hexmac(b"k1", body)
    assert b2c.CrmOpenApi.sign_request("k1", "GET", body) == ""
    assert b2c.CrmOpenApi.sign_request("k1", "DELETE", body) == ""
    assert b2c.CrmOpenApi.sign_request("k1", "POST", b"") == ""


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_crm_sign_request_accepts_the_five_methods_in_any_case(method: str) -> None:
    body = b'{"a":1}'
    want = "sha256=" + hexmac(b"k1", body) if method in ("POST", "PUT", "PATCH") else ""
    for m in (method, method.lower(), method[0] + method[1:].lower()):
        assert b2c.CrmOpenApi.sign_request("k1", m, body) == want, m
        assert b2c.CrmOpenApi.sign_request("k1", m, b"") == "", m


@pytest.mark.parametrize("method", ["FOO", "POST ", " POST", "PO ST", "POST\n", "", "HEAD", "OPTIONS", "GETS"])
@pytest.mark.parametrize("body", [b"", b'{"a":1}'])
def test_crm_sign_request_refuses_other_methods(method: str, body: bytes) -> None:
    # Was: OK with no signature (""), so a typo gave an unsigned request.
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.CrmOpenApi.sign_request("k1", method, body)
    assert ei.value.code == b2c.Status.INVALID_ARGUMENT


@pytest.mark.parametrize("api_key", ["", "k\r\nx-evil: 1", "k\n", "k\r", "k\x01", "k\x7f"])
def test_crm_empty_or_header_unsafe_api_key_is_invalid_argument(api_key: str) -> None:
    body = b'{"a":1}'
    for method in ("POST", "GET"):
        with pytest.raises(b2c.InvalidArgumentError) as ei:
            b2c.CrmOpenApi.sign_request(api_key, method, body)
        assert ei.value.code == b2c.Status.INVALID_ARGUMENT, method
    # verify_signature raises rather than answering False, even for the signature the key
    # would give
    sig = "sha256=" + hexmac(api_key.encode(), body)
    with pytest.raises(b2c.InvalidArgumentError) as ei2:
        b2c.CrmOpenApi.verify_signature(api_key, body, sig)
    assert ei2.value.code == b2c.Status.INVALID_ARGUMENT


def test_crm_verify_signature() -> None:
    body = os.urandom(300)
    sig = b2c.CrmOpenApi.sign_request("k1", "POST", body)
    assert b2c.CrmOpenApi.verify_signature("k1", body, sig) is True
    assert b2c.CrmOpenApi.verify_signature("k2", body, sig) is False
    assert b2c.CrmOpenApi.verify_signature("k1", body + b"x", sig) is False


def test_crm_signed_request_is_accepted_by_the_sandbox(sandbox: Sandbox) -> None:
    body = json.dumps({"client": "Ann"}).encode()

    def send(signature: str) -> int:
        req = urllib.request.Request(
            sandbox.url + "/crm/api/clients",
            data=body,
            method="POST",
            headers={"key": API_KEY, "signature": signature, "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert send(b2c.CrmOpenApi.sign_request(API_KEY, "POST", body)) == 200
    assert send(b2c.CrmOpenApi.sign_request("wrong-key", "POST", body)) == 403


def test_webhook_vendor_vector() -> None:
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    hexsig = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert hexmac(secret.encode(), body) == hexsig
    assert b2c.CrmOpenApi.verify_webhook(secret, body, hexsig)
    assert b2c.CrmOpenApi.verify_webhook(secret.encode(), body, "sha256=" + hexsig)
    assert not b2c.CrmOpenApi.verify_webhook(secret, body + b"!", hexsig)
    secret_nul = b"s\x00ecret"
    assert b2c.CrmOpenApi.verify_webhook(secret_nul, b"a\x00b", hexmac(secret_nul, b"a\x00b"))


@pytest.mark.parametrize("secret", ["", b"", bytearray()])
@pytest.mark.parametrize("body", [b"", b"Hello, World!"])
def test_webhook_empty_secret_is_invalid_argument(secret: object, body: bytes) -> None:
    # Was: verified an HMAC under the empty key, which anyone can compute.
    forged = hexmac(b"", body)
    for sig in (forged, "sha256=" + forged, "0" * 64):
        with pytest.raises(b2c.InvalidArgumentError) as ei:
            b2c.CrmOpenApi.verify_webhook(secret, body, sig)  # type: ignore[arg-type]
        assert ei.value.code == b2c.Status.INVALID_ARGUMENT
    # a one-byte secret is not empty
    assert b2c.CrmOpenApi.verify_webhook(b"\x00", body, hexmac(b"\x00", body))


# ---- B2BINPAY ------------------------------------------------------------------------------


def _b2binpay(sandbox: Sandbox, **extra: object) -> b2c.B2binpay:
    cfg = {"base_url": sandbox.url + "/b2binpay", "login": "sandbox-login", "password": "sandbox-password"}
    cfg.update(extra)  # type: ignore[arg-type]
    return b2c.B2binpay(**cfg)


def test_b2binpay_login_refresh_tokens_counters(sandbox: Sandbox) -> None:
    with _b2binpay(sandbox) as bp:
        bp.login()
        t1 = bp.access_token()
        assert isinstance(t1, b2c.AccessToken) and t1.token and t1.suspicious is False
        bp.refresh()
        t2 = bp.access_token()
        assert t2.token and t2.token != t1.token
        c = bp.counters()
        assert (c.logins, c.refreshes, c.suspicious) == (1, 1, 0)
    with pytest.raises(b2c.ClosedError):
        bp.access_token()


def test_b2binpay_access_token_logs_in_on_first_use(sandbox: Sandbox) -> None:
    with _b2binpay(sandbox) as bp:
        assert bp.access_token().token
        assert bp.counters().logins == 1


def test_b2binpay_errors(sandbox: Sandbox) -> None:
    with _b2binpay(sandbox, password="wrong") as bp:
        with pytest.raises(b2c.AuthError) as ei:
            bp.login()
        assert ei.value.code == b2c.Status.AUTH_REJECTED
    with pytest.raises(b2c.InvalidArgumentError) as ei2:
        _b2binpay(sandbox, no_such_key=1)
    assert ei2.value.code == b2c.Status.CONFIG


def test_b2binpay_verify_callback() -> None:
    login, password = "merchant", "p@ss"
    status, amount, tracking_id, meta_time = "2", "10.5", "track-1", "2024-01-01T00:00:00+00:00"
    key = hashlib.sha256((login + password).encode()).digest()
    sign = hexmac(key, (status + amount + tracking_id + meta_time).encode())
    assert b2c.B2binpay.verify_callback(login, password, status, amount, tracking_id, meta_time, sign)
    assert not b2c.B2binpay.verify_callback(login, password, status, "11", tracking_id, meta_time, sign)


# ---- RetailCRM -----------------------------------------------------------------------------


def _module(code: str = "b2c-test") -> dict:
    return {
        "code": code,
        "integrationCode": code,
        "active": True,
        "name": "B2C test",
        "clientId": "client-1",
        "baseUrl": "https://module.example",
        "accountUrl": "https://module.example/account",
    }


def test_retailcrm_token_and_answers() -> None:
    token = b2c.RetailCrm.token("secret", "api-key")
    assert token == hexmac(b"secret", b"api-key")
    assert b2c.RetailCrm.verify_token("secret", "api-key", token)
    assert not b2c.RetailCrm.verify_token("secret", "other", token)
    cfg = json.loads(b2c.RetailCrm.config_response(["integration_read", "integration_write"], "https://m.example/register"))
    assert cfg == {"success": True, "scopes": ["integration_read", "integration_write"], "registerUrl": "https://m.example/register"}
    assert json.loads(b2c.RetailCrm.config_response('["a"]', "https://m/r"))["scopes"] == ["a"]
    assert json.loads(b2c.RetailCrm.register_success("https://m/acc")) == {"success": True, "accountUrl": "https://m/acc"}
    msg = 'bad "quote" \\ and\nnewline'
    assert json.loads(b2c.RetailCrm.error_response(msg)) == {"success": False, "errorMsg": msg}


@pytest.mark.parametrize("secret,api_key", [("", "api-key"), ("secret", ""), ("", "")])
def test_retailcrm_token_refuses_an_empty_secret_or_api_key(secret: str, api_key: str) -> None:
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.RetailCrm.token(secret, api_key)
    assert ei.value.code == b2c.Status.INVALID_ARGUMENT


def test_retailcrm_edit_module_against_sandbox(sandbox: Sandbox) -> None:
    b2c.RetailCrm.edit_module(sandbox.url + "/retailcrm", API_KEY, _module())
    b2c.RetailCrm.edit_module(sandbox.url + "/retailcrm", API_KEY, json.dumps(_module()), {"request_timeout_ms": 5000})
    with pytest.raises(b2c.Error):
        b2c.RetailCrm.edit_module(sandbox.url + "/retailcrm", "wrong-key", _module())
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.RetailCrm.edit_module("http://example.com", API_KEY, _module())


def test_retailcrm_handle_register(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"

    def form(token: str) -> bytes:
        return urllib.parse.urlencode(
            {"register[systemUrl]": system, "register[apiKey]": API_KEY, "register[token]": token}
        ).encode()

    good = json.loads(b2c.RetailCrm.handle_register("mod-secret", form(b2c.RetailCrm.token("mod-secret", API_KEY)), _module()))
    assert good == {"success": True, "accountUrl": "https://module.example/account"}
    bad = json.loads(b2c.RetailCrm.handle_register("mod-secret", form("0" * 64), _module()))
    assert bad["success"] is False and bad["errorMsg"]
    assert API_KEY not in json.dumps(bad)


# ---- Sandbox control surface (GET /_sandbox/stats, POST /_sandbox/...) -----------------------
#
# The session sandbox is shared by every test, so each assertion below is on the *delta* of a
# counter across the step under test, never on its absolute value.


def _control(sandbox: Sandbox, action: str, body: object = None) -> dict:
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
        return json.loads(r.read())


def _stats(sandbox: Sandbox, vendor: str) -> dict:
    return _control(sandbox, "stats")[vendor]


def _delta(before: dict, after: dict) -> dict:
    return {k: after[k] - before[k] for k in before}


# ---- B2BINPAY against the sandbox's control surface ----------------------------------------


DEFAULT_TTLS = {"access_s": 900, "refresh_s": 3600}


def test_b2binpay_tampered_sign_is_rejected_and_tokens_discarded(sandbox: Sandbox) -> None:
    with _b2binpay(sandbox) as bp:
        bp.login()
        t1 = bp.access_token().token
        before = _stats(sandbox, "b2binpay")
        _control(sandbox, "b2binpay/tamper-signs", {"count": 1})
        with pytest.raises(b2c.SignatureError) as ei:
            bp.login()
        assert ei.value.code == b2c.Status.RESPONSE_SIGNATURE_INVALID
        assert bp.counters().logins == 2
        mid = _stats(sandbox, "b2binpay")
        assert _delta(before, mid)["token_calls"] == 1
        # The held pair (t1) was discarded too: the next access_token() must log in again
        # rather than hand back t1 from the cache.
        t2 = bp.access_token()
        assert t2.token and t2.token != t1 and t2.suspicious is False
        c = bp.counters()
        assert (c.logins, c.refreshes, c.suspicious) == (3, 0, 0)
        d = _delta(mid, _stats(sandbox, "b2binpay"))
        assert (d["token_calls"], d["token_ok"], d["refresh_calls"]) == (1, 1, 0)


def test_b2binpay_tampered_sign_on_first_access_token(sandbox: Sandbox) -> None:
    _control(sandbox, "b2binpay/tamper-signs", {"count": 1})
    with _b2binpay(sandbox) as bp:
        with pytest.raises(b2c.SignatureError) as ei:
            bp.access_token()
        assert ei.value.code == b2c.Status.RESPONSE_SIGNATURE_INVALID
        before = _stats(sandbox, "b2binpay")
        assert bp.access_token().token
        assert bp.counters().logins == 2
        assert _delta(before, _stats(sandbox, "b2binpay"))["token_ok"] == 1


def test_b2binpay_replayed_refresh_is_suspicious(sandbox: Sandbox) -> None:
    with _b2binpay(sandbox) as bp:
        bp.login()
        t1 = bp.access_token()
        assert t1.suspicious is False
        before = _stats(sandbox, "b2binpay")
        consumed = _control(sandbox, "b2binpay/consume-refresh")
        assert consumed["consumed"] >= 1
        bp.refresh()  # the refresh is a replay: 401 code 2007 -> drop tokens, log in again
        d = _delta(before, _stats(sandbox, "b2binpay"))
        assert (d["refresh_calls"], d["refresh_ok"], d["refresh_rejected"], d["refresh_replayed"]) == (1, 0, 1, 1)
        assert (d["token_calls"], d["token_ok"]) == (1, 1)
        # The event was met by refresh(), so no access_token reports it (was: the next
        # access_token said suspicious=True); the counters keep the history.
        t2 = bp.access_token()
        assert t2.suspicious is False
        assert t2.token and t2.token != t1.token
        assert bp.access_token().suspicious is False
        c = bp.counters()
        assert (c.logins, c.refreshes, c.suspicious) == (2, 1, 1)


def _due_at_once(sandbox: Sandbox, bp: b2c.B2binpay) -> b2c.AccessToken:
    """Log ``bp`` in with an access token that is due at once (ttls access_s 0), then put
    the sandbox's lifetimes back: the next access_token() renews, and what it gets is a
    normal 900 s token. No sleeping."""
    _control(sandbox, "b2binpay/ttls", {"access_s": 0, "refresh_s": 3600})
    try:
        return bp.access_token()
    finally:
        _control(sandbox, "b2binpay/ttls", DEFAULT_TTLS)


def test_b2binpay_replayed_refresh_on_the_access_token_path(sandbox: Sandbox) -> None:
    try:
        with _b2binpay(sandbox) as bp:
            t1 = _due_at_once(sandbox, bp)
            assert t1.suspicious is False
            _control(sandbox, "b2binpay/consume-refresh")
            before = _stats(sandbox, "b2binpay")
            t2 = bp.access_token()  # its own renewal meets the replayed refresh token
            assert t2.suspicious is True and t2.token and t2.token != t1.token
            assert bp.counters().suspicious == 1
            d = _delta(before, _stats(sandbox, "b2binpay"))
            assert (d["refresh_calls"], d["refresh_replayed"], d["token_ok"]) == (1, 1, 1)
            # Reported once: the next answer comes from the new pair and says False (was:
            # every later access_token kept saying True). The counters are the history.
            mid = _stats(sandbox, "b2binpay")
            t3 = bp.access_token()
            assert t3.suspicious is False and t3.token == t2.token
            assert bp.access_token().suspicious is False
            assert _stats(sandbox, "b2binpay") == mid
            c = bp.counters()
            assert (c.logins, c.refreshes, c.suspicious) == (2, 1, 1)
    finally:
        _control(sandbox, "b2binpay/ttls", DEFAULT_TTLS)


def test_b2binpay_token_due_at_once_is_renewed_by_the_next_access_token(sandbox: Sandbox) -> None:
    try:
        with _b2binpay(sandbox) as bp:
            t0 = _due_at_once(sandbox, bp)
            before = _stats(sandbox, "b2binpay")
            t1 = bp.access_token()  # no sleep: access_s 0 is inside the renewal window
            assert t1.token and t1.token != t0.token and t1.suspicious is False
            d = _delta(before, _stats(sandbox, "b2binpay"))
            assert (d["refresh_calls"], d["refresh_ok"], d["token_calls"]) == (1, 1, 0), d
            # the renewed token (900 s) is far from its renewal point: served from the cache
            mid = _stats(sandbox, "b2binpay")
            assert bp.access_token().token == t1.token
            assert _stats(sandbox, "b2binpay") == mid
            c = bp.counters()
            assert (c.logins, c.refreshes, c.suspicious) == (1, 1, 0)
    finally:
        _control(sandbox, "b2binpay/ttls", DEFAULT_TTLS)


def test_b2binpay_renewal_margin_is_capped_by_the_lifetime(sandbox: Sandbox) -> None:
    # A token of lifetime L is renewed min(margin, L/5) before expiry: a margin longer than
    # the lifetime never makes a fresh token due (an uncapped margin would renew a 60 s
    # token on every call). The L/5-versus-L/2 point itself is not observable without
    # waiting, which these tests do not do.
    _control(sandbox, "b2binpay/ttls", {"access_s": 60, "refresh_s": 3600})
    try:
        with _b2binpay(sandbox, refresh_margin_s=3600) as bp:
            t1 = bp.access_token()
            before = _stats(sandbox, "b2binpay")
            for _ in range(3):
                assert bp.access_token().token == t1.token
            assert _stats(sandbox, "b2binpay") == before
            c = bp.counters()
            assert (c.logins, c.refreshes, c.suspicious) == (1, 0, 0)
    finally:
        _control(sandbox, "b2binpay/ttls", DEFAULT_TTLS)


def test_b2binpay_concurrent_refreshers_share_one_refresh(sandbox: Sandbox) -> None:
    n = 8
    try:
        with _b2binpay(sandbox) as bp:
            # due at once (access_s 0), and the lifetimes are back to 900 s for the pair the
            # refresh brings, so no late thread finds it due again
            t0 = _due_at_once(sandbox, bp).token
            before = _stats(sandbox, "b2binpay")
            barrier = threading.Barrier(n)
            results: list = [None] * n
            errors: list = []

            def worker(i: int) -> None:
                try:
                    barrier.wait(10)
                    results[i] = bp.access_token()
                except BaseException as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors
            d = _delta(before, _stats(sandbox, "b2binpay"))
            assert (d["refresh_calls"], d["refresh_ok"], d["token_calls"]) == (1, 1, 0), d
            tokens = {r.token for r in results}
            assert len(tokens) == 1 and t0 not in tokens, tokens
            assert not any(r.suspicious for r in results)
            c = bp.counters()
            assert (c.logins, c.refreshes, c.suspicious) == (1, 1, 0)
    finally:
        _control(sandbox, "b2binpay/ttls", DEFAULT_TTLS)


def test_b2binpay_bad_inputs(sandbox: Sandbox) -> None:
    before = _stats(sandbox, "b2binpay")
    with _b2binpay(sandbox, password="wrong") as bp:
        with pytest.raises(b2c.AuthError) as ei:
            bp.access_token()
        assert ei.value.code == b2c.Status.AUTH_REJECTED
        assert bp.counters().logins == 1
    d = _delta(before, _stats(sandbox, "b2binpay"))
    assert (d["token_calls"], d["token_rejected"], d["token_ok"]) == (1, 1, 0)

    before = _stats(sandbox, "b2binpay")
    with pytest.raises(b2c.InvalidArgumentError) as e1:
        _b2binpay(sandbox, no_such_key=1)
    assert e1.value.code == b2c.Status.CONFIG
    with pytest.raises(b2c.InvalidArgumentError) as e2:
        b2c.B2binpay(base_url="http://example.com/b2binpay", login="sandbox-login", password="sandbox-password")
    assert e2.value.code == b2c.Status.INSECURE_URL
    with pytest.raises(b2c.InvalidArgumentError) as e3:
        b2c.B2binpay(base_url=sandbox.url + "/b2binpay", login="sandbox-login")  # no password
    assert e3.value.code == b2c.Status.CONFIG
    with pytest.raises(b2c.InvalidArgumentError) as e4:
        _b2binpay(sandbox, login=12345)  # wrong JSON type
    assert e4.value.code == b2c.Status.CONFIG
    with pytest.raises(b2c.InvalidArgumentError):
        _b2binpay(sandbox, login="")
    with pytest.raises(TypeError):
        b2c.B2binpay.verify_callback("l", "p", 2, "1", "t", "m", "s")  # type: ignore[arg-type]
    # None of these reached the wire.
    assert _stats(sandbox, "b2binpay") == before


# ---- CRM Open API against the sandbox's counters -------------------------------------------


def _crm_post(sandbox: Sandbox, body: bytes, headers: dict) -> tuple:
    req = urllib.request.Request(sandbox.url + "/crm/api/clients", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_crm_sandbox_counts_each_rejection(sandbox: Sandbox) -> None:
    body = json.dumps({"client": "Ann", "amount": "10.00"}).encode()
    ct = {"content-type": "application/json"}

    before = _stats(sandbox, "crm")
    status, answer = _crm_post(
        sandbox, body, {**ct, "key": API_KEY, "signature": b2c.CrmOpenApi.sign_request(API_KEY, "POST", body)}
    )
    assert status == 200 and answer["success"] is True and answer["body"] == json.loads(body)
    assert _delta(before, _stats(sandbox, "crm")) == {"requests": 1, "ok": 1, "invalid_api_key": 0, "invalid_signature": 0}

    # a key the CRM does not know (signed with that key, so only the key is wrong)
    before = _stats(sandbox, "crm")
    status, answer = _crm_post(
        sandbox, body, {**ct, "key": "wrong-key", "signature": b2c.CrmOpenApi.sign_request("wrong-key", "POST", body)}
    )
    assert status == 403 and answer["success"] is False
    assert _delta(before, _stats(sandbox, "crm")) == {"requests": 1, "ok": 0, "invalid_api_key": 1, "invalid_signature": 0}

    # the right key, but the signature is for other bytes than those sent
    before = _stats(sandbox, "crm")
    tampered = body.replace(b"10.00", b"99.00")
    status, answer = _crm_post(
        sandbox, tampered, {**ct, "key": API_KEY, "signature": b2c.CrmOpenApi.sign_request(API_KEY, "POST", body)}
    )
    assert status == 403 and answer["success"] is False
    # a re-encoding of the same JSON is other bytes too
    reencoded = json.dumps(json.loads(body), indent=1).encode()
    assert reencoded != body
    status2, _ = _crm_post(
        sandbox, reencoded, {**ct, "key": API_KEY, "signature": b2c.CrmOpenApi.sign_request(API_KEY, "POST", body)}
    )
    assert status2 == 403
    # no signature header at all on a POST with a body
    status3, _ = _crm_post(sandbox, body, {**ct, "key": API_KEY})
    assert status3 == 403
    assert _delta(before, _stats(sandbox, "crm")) == {"requests": 3, "ok": 0, "invalid_api_key": 0, "invalid_signature": 3}


def test_crm_webhook_tampering_and_signature_edge_cases() -> None:
    secret, body = b"whsec", b'{"event":"deposit","amount":"10.00"}'
    sig = hexmac(secret, body)
    assert b2c.CrmOpenApi.verify_webhook(secret, body, sig)
    assert not b2c.CrmOpenApi.verify_webhook(secret, body.replace(b"10.00", b"10.01"), sig)  # tampered payload
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert not b2c.CrmOpenApi.verify_webhook(secret, body, flipped)  # tampered signature
    assert not b2c.CrmOpenApi.verify_webhook(secret, body, sig[:-2])  # truncated
    assert not b2c.CrmOpenApi.verify_webhook(secret, body, "")
    assert not b2c.CrmOpenApi.verify_webhook(b"other", body, sig)
    assert not b2c.CrmOpenApi.verify_webhook(secret, b"", sig)
    # request signatures: tampered signature / body / key all fail
    s = b2c.CrmOpenApi.sign_request("k", "POST", body)
    assert b2c.CrmOpenApi.verify_signature("k", body, s)
    assert not b2c.CrmOpenApi.verify_signature("k", body, s[:-1] + ("0" if s[-1] != "0" else "1"))
    assert not b2c.CrmOpenApi.verify_signature("k", body, s[len("sha256="):] + "zz")
    assert not b2c.CrmOpenApi.verify_signature("k", body[:-1], s)


def test_crm_bad_input_types_raise() -> None:
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.sign_request(123, "POST", b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.sign_request("k", None, b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.sign_request("k", "POST", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.verify_signature("k", {"a": 1}, "sha256=00")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.verify_signature("k", b"x", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.verify_webhook(None, b"x", "00")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.CrmOpenApi.verify_webhook("s", b"x", b"00")  # type: ignore[arg-type]


# ---- RetailCRM against the sandbox's counters ----------------------------------------------


def _register_form(system: str, api_key: str, token: str) -> bytes:
    return urllib.parse.urlencode(
        {"register[systemUrl]": system, "register[apiKey]": api_key, "register[token]": token}
    ).encode()


def test_retailcrm_register_wrong_token_makes_no_outgoing_call(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"
    module = _module("b2c-reg-ctl")
    secret = "mod-secret"
    for token in ("0" * 64, b2c.RetailCrm.token("other-secret", API_KEY), b2c.RetailCrm.token(secret, "other-key"), ""):
        before = _stats(sandbox, "retailcrm")
        answer = json.loads(b2c.RetailCrm.handle_register(secret, _register_form(system, API_KEY, token), module))
        assert answer["success"] is False and answer["errorMsg"], answer
        assert _stats(sandbox, "retailcrm") == before, f"wrong token {token!r} caused an outgoing call"

    # The right token: exactly one edit call, accepted. (The module is created first so this
    # edit is an update; see the note on edit_ok below.)
    b2c.RetailCrm.edit_module(system, API_KEY, module)
    before = _stats(sandbox, "retailcrm")
    answer = json.loads(
        b2c.RetailCrm.handle_register(secret, _register_form(system, API_KEY, b2c.RetailCrm.token(secret, API_KEY)), module)
    )
    assert answer == {"success": True, "accountUrl": module["accountUrl"]}
    # NOTE: the sandbox's edit_ok counts HTTP 200 only; a first-time edit of a module code is
    # answered 201 and is not counted there, hence the edit_module() above.
    assert _delta(before, _stats(sandbox, "retailcrm")) == {"edit_calls": 1, "edit_ok": 1}


def test_retailcrm_register_with_a_key_the_system_rejects(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"
    secret = "mod-secret"
    before = _stats(sandbox, "retailcrm")
    # the token is right for this key, but the system does not accept the key
    form = _register_form(system, "revoked-key", b2c.RetailCrm.token(secret, "revoked-key"))
    raw = b2c.RetailCrm.handle_register(secret, form, _module("b2c-reg-revoked"))
    answer = json.loads(raw)
    assert answer["success"] is False and answer["errorMsg"]
    assert "revoked-key" not in raw
    assert _delta(before, _stats(sandbox, "retailcrm")) == {"edit_calls": 1, "edit_ok": 0}


def test_retailcrm_edit_module_errors_against_sandbox(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"
    before = _stats(sandbox, "retailcrm")
    with pytest.raises(b2c.RemoteError) as ei:
        b2c.RetailCrm.edit_module(system, "wrong-key", _module("b2c-edit-ctl"))
    assert ei.value.code == b2c.Status.REMOTE
    assert "apiKey" in ei.value.message  # the system's errorMsg: Wrong "apiKey" value.
    assert ei.value.http_status == 403
    assert _delta(before, _stats(sandbox, "retailcrm")) == {"edit_calls": 1, "edit_ok": 0}

    before = _stats(sandbox, "retailcrm")
    with pytest.raises(b2c.InvalidArgumentError) as e2:
        b2c.RetailCrm.edit_module("http://example.com", API_KEY, _module("b2c-edit-ctl"))
    assert e2.value.code == b2c.Status.INSECURE_URL
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.RetailCrm.edit_module(system, API_KEY, "{not json")
    with pytest.raises(TypeError):
        b2c.RetailCrm.edit_module(system, None, _module())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.RetailCrm.handle_register("s", 42, _module())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b2c.RetailCrm.token("s", None)  # type: ignore[arg-type]
    assert _stats(sandbox, "retailcrm") == before


# ---- B2COPY token renewal against the sandbox's control surface ----------------------------


def test_b2copy_refreshes_after_access_expiry(sandbox: Sandbox, config: dict) -> None:
    with b2c.Client.from_dict(config) as c:
        c.authenticate()
        before = _stats(sandbox, "b2copy")
        _control(sandbox, "b2copy/expire-access")
        r = c.fee_process("123456", request_id("exp"))
        assert r.status in (b2c.FeeStatus.PENDING, b2c.FeeStatus.SUCCESS)
        d = _delta(before, _stats(sandbox, "b2copy"))
        # 401 on processext -> one refresh -> the request again
        assert (d["refresh_ok"], d["refresh_rejected"], d["auth_ok"]) == (1, 0, 0), d
        assert d["process_calls"] == 2, d


def test_b2copy_reauthenticates_when_refresh_is_revoked(sandbox: Sandbox, config: dict) -> None:
    with b2c.Client.from_dict(config) as c:
        c.authenticate()
        before = _stats(sandbox, "b2copy")
        _control(sandbox, "b2copy/expire-access")
        _control(sandbox, "b2copy/revoke-refresh")
        r = c.fee_process("123456", request_id("rev"))
        assert r.status in (b2c.FeeStatus.PENDING, b2c.FeeStatus.SUCCESS)
        d = _delta(before, _stats(sandbox, "b2copy"))
        assert (d["refresh_ok"], d["refresh_rejected"], d["auth_ok"], d["auth_rejected"]) == (0, 1, 1, 0), d
