"""CRM Open API, B2BINPAY and RetailCRM through the binding, against the sandbox."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request

import pytest

import b2c
from conftest import Sandbox

API_KEY = "sandbox-api-key"


def hexmac(key: bytes, msg: bytes) -> str:
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


# ---- CRM Open API ------------------------------------------------------------------------


def test_crm_sign_request_matches_hmac_and_rules() -> None:
    body = b'{"name":"\xc3\xa9","x":"\x00"}'
    assert b2c.CrmOpenApi.sign_request("k1", "POST", body) == "sha256=" + hexmac(b"k1", body)
    assert b2c.CrmOpenApi.sign_request("k1", "patch", body) == "sha256=" + hexmac(b"k1", body)
    assert b2c.CrmOpenApi.sign_request("k1", "GET", body) == ""
    assert b2c.CrmOpenApi.sign_request("k1", "POST", b"") == ""


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
