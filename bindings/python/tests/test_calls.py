"""Generic calls (Client.call, B2binpay.call), Client.access_token, the CRM Open API handle
(b2c.Crm) and RetailCrm.register_account, against the sandbox.

The session sandbox is shared by every test: assertions on its counters are on deltas
across the step under test."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

import pytest

import b2c
from conftest import REPO, Sandbox, control, make_logger

API_KEY = "sandbox-api-key"
BIG = '{"amount": 12345678901234567890}'
PRETTY = '{ "client" : "J\\u00fcrgen",\n  "amount": 1.50 }'


def counters(sandbox: Sandbox, vendor: str) -> Dict[str, int]:
    section: Dict[str, int] = control(sandbox, "stats")[vendor]
    return {k: v for k, v in section.items() if isinstance(v, int)}


def delta(before: Dict[str, int], after: Dict[str, int]) -> Dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def events(self, target: str) -> List[str]:
        return [str(getattr(r, "b2c_event", "")) for r in self.records if getattr(r, "b2c_target", "") == target]


# ---- the Response type ---------------------------------------------------------------------


def test_response_type() -> None:
    r = b2c.Response(200, b'{"a": [1, 2], "s": "\xc3\xa9"}')
    assert (r.status, r.body) == (200, b'{"a": [1, 2], "s": "\xc3\xa9"}')
    assert r.json() == {"a": [1, 2], "s": "\u00e9"}
    assert r.text == '{"a": [1, 2], "s": "\u00e9"}'
    assert b2c.Response(500, b"\xff").text == "\ufffd"
    with pytest.raises(ValueError):
        b2c.Response(204, b"").json()
    # The repr names the status and the size, never the body (it may carry data).
    assert repr(b2c.Response(200, b"sbx_access_0123")) == "<b2c.Response 200, 15 bytes>"
    with pytest.raises(AttributeError):
        r.status = 404  # type: ignore[misc]
    assert b2c.Response(200, b"x") == b2c.Response(200, b"x")


# ---- B2COPY generic calls ------------------------------------------------------------------


def test_client_call_get_echoes_method_path_query(sandbox: Sandbox, client: b2c.Client) -> None:
    before = counters(sandbox, "b2copy")
    r = client.call("GET", "/api/admin/whatever?x=1")
    assert isinstance(r, b2c.Response)
    assert r.status == 200, r.text
    echo = r.json()
    assert (echo["method"], echo["path"], echo["query"], echo["body"]) == ("GET", "/api/admin/whatever", "x=1", None)
    d = delta(before, counters(sandbox, "b2copy"))
    assert d["other_calls"] == 1 and d["auth_ok"] == 1 and d["process_calls"] == 0


def test_client_call_post_sends_the_body(sandbox: Sandbox, client: b2c.Client) -> None:
    r = client.call("POST", "/api/admin/v2/things", '{"a": [1, 2], "name": "J\u00fcrgen"}')
    assert r.status == 200 and r.json()["body"] == {"a": [1, 2], "name": "J\u00fcrgen"}
    assert r.json()["method"] == "POST"
    r = client.call("PUT", "/api/admin/v2/things/1", b'{"b": true}')
    assert r.status == 200 and r.json()["body"] == {"b": True} and r.json()["method"] == "PUT"
    r = client.call("PATCH", "/api/admin/v2/things/1", bytearray(b'{"c": null}'))
    assert r.json()["body"] == {"c": None}
    # An empty body is no body.
    assert client.call("POST", "/api/admin/v2/things", b"").json()["body"] is None
    with pytest.raises(TypeError):
        client.call("POST", "/api/admin/v2/things", {"a": 1})  # type: ignore[arg-type]


def test_client_call_refreshes_after_the_access_token_expired(sandbox: Sandbox, client: b2c.Client) -> None:
    assert client.call("GET", "/api/admin/before").status == 200
    control(sandbox, "b2copy/expire-access")
    before = counters(sandbox, "b2copy")
    r = client.call("POST", "/api/admin/after", '{"k": 1}')
    assert r.status == 200 and r.json()["body"] == {"k": 1}
    d = delta(before, counters(sandbox, "b2copy"))
    assert (d["refresh_ok"], d["refresh_rejected"], d["auth_ok"]) == (1, 0, 0)
    assert d["other_calls"] == 2  # the attempt answered 401 and the one sent again
    s = client.stats()
    assert (s.unauthorized, s.refreshes, s.auth_exchanges) == (1, 1, 1)


def test_client_call_http_errors_are_results(client: b2c.Client) -> None:
    r = client.call("DELETE", "/nowhere")
    assert r.status == 404 and r.body
    assert r.json()["message"] == "not found"


@pytest.mark.parametrize(
    "method,path",
    [
        ("FOO", "/api/x"),
        ("", "/api/x"),
        ("GET /x", "/api/x"),
        ("GET", "api/x"),
        ("GET", ""),
        ("GET", "//evil.example/x"),
        ("GET", "/a b"),
        ("GET", "/a/../b"),
        ("GET", "/a/./b"),
        ("GET", "/x#y"),
        ("GET", "/caf\u00e9"),
        ("GET", "/api/x\0/../admin"),
        ("GE\0T", "/api/x"),
    ],
)
def test_client_call_refuses_bad_methods_and_paths(
    sandbox: Sandbox, client: b2c.Client, method: str, path: str
) -> None:
    before = counters(sandbox, "b2copy")
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        client.call(method, path)
    assert ei.value.code == b2c.Status.INVALID_ARGUMENT
    assert counters(sandbox, "b2copy") == before, "a refused call reached the sandbox"


def test_client_call_argument_types(client: b2c.Client) -> None:
    with pytest.raises(TypeError):
        client.call(b"GET", "/api/x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.call("GET", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.call("POST", "/api/x", "{}", idempotent=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.call("GET", "/api/x", None, True)  # type: ignore[call-arg]  # idempotent is keyword-only


def test_client_call_idempotent_option_controls_retries(sandbox: Sandbox, client: b2c.Client) -> None:
    client.call("GET", "/api/admin/warm")  # tokens first: the faults below hit the calls only

    def fault(path: str) -> None:
        control(sandbox, "faults", {"path": path, "fault": "503", "times": 1})

    # POST is not retried by default: the 503 is the result.
    fault("/api/admin/idem-default")
    assert client.call("POST", "/api/admin/idem-default", "{}").status == 503
    # idempotent=True: retried, the second attempt is answered.
    fault("/api/admin/idem-yes")
    before = client.stats().retries_by_cause.get("status_5xx", 0)
    r = client.call("POST", "/api/admin/idem-yes", '{"n": 1}', idempotent=True)
    assert r.status == 200 and r.json()["body"] == {"n": 1}
    assert client.stats().retries_by_cause.get("status_5xx", 0) == before + 1
    # idempotent=False on a GET: not retried.
    fault("/api/admin/idem-no")
    assert client.call("GET", "/api/admin/idem-no", idempotent=False).status == 503
    # idempotent=None is the default (GET retried).
    fault("/api/admin/idem-get")
    assert client.call("GET", "/api/admin/idem-get", idempotent=None).status == 200
    control(sandbox, "faults/clear")


def test_client_access_token_works_with_another_http_stack(sandbox: Sandbox, client: b2c.Client) -> None:
    token = client.access_token()
    assert isinstance(token, str) and token
    before = counters(sandbox, "b2copy")
    req = urllib.request.Request(
        sandbox.url + "/api/admin/own-stack?y=2", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
        assert json.loads(resp.read())["query"] == "y=2"
    assert delta(before, counters(sandbox, "b2copy"))["other_calls"] == 1
    # The sandbox does check the token: another one is refused.
    bad = urllib.request.Request(sandbox.url + "/api/admin/own-stack", headers={"Authorization": "Bearer nope"})
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(bad, timeout=5)
    assert ei.value.code == 401
    assert client.access_token() == token  # still valid: the same one


def test_client_call_on_a_closed_or_shared_client(config: Dict[str, Any]) -> None:
    c = b2c.Client.from_dict(config)
    c.close()
    with pytest.raises(b2c.ClosedError):
        c.call("GET", "/api/x")
    with pytest.raises(b2c.ClosedError):
        c.access_token()
    with b2c.Client.shared(config) as s:
        assert s.call("GET", "/api/admin/shared").status == 200
        assert s.access_token()


# ---- B2BINPAY generic calls ----------------------------------------------------------------


def _b2binpay(sandbox: Sandbox) -> b2c.B2binpay:
    return b2c.B2binpay(base_url=sandbox.url + "/b2binpay", login="sandbox-login", password="sandbox-password")


def test_b2binpay_call_echoes(sandbox: Sandbox) -> None:
    with _b2binpay(sandbox) as bp:
        before = counters(sandbox, "b2binpay")
        r = bp.call("GET", "/api/v3/wallet/?page=1")
        assert r.status == 200, r.text
        echo = r.json()
        assert (echo["method"], echo["path"], echo["query"]) == ("GET", "/b2binpay/api/v3/wallet/", "page=1")
        payout = {"data": {"type": "payout", "attributes": {"amount": "1.5"}}}
        r = bp.call("POST", "/api/v3/payout/", json.dumps(payout), idempotent=False)
        assert r.status == 200 and r.json()["body"] == payout
        d = delta(before, counters(sandbox, "b2binpay"))
        assert d["other_calls"] == 2 and d["token_ok"] == 1
        assert bp.counters().logins == 1
        with pytest.raises(b2c.InvalidArgumentError):
            bp.call("TRACE", "/api/v3/wallet/")
        with pytest.raises(b2c.InvalidArgumentError):
            bp.call("GET", "../token/")
        assert delta(before, counters(sandbox, "b2binpay"))["other_calls"] == 2
    with pytest.raises(b2c.ClosedError):
        bp.call("GET", "/api/v3/wallet/")


# ---- the CRM Open API handle ---------------------------------------------------------------


@pytest.fixture()
def crm(sandbox: Sandbox) -> Iterator[b2c.Crm]:
    with b2c.Crm({"base_url": sandbox.url + "/crm", "api_key": API_KEY}) as c:
        yield c


def test_crm_pretty_body_is_sent_in_its_normal_form(sandbox: Sandbox, crm: b2c.Crm) -> None:
    before = counters(sandbox, "crm")
    r = crm.call("POST", "/api/clients", PRETTY)
    assert r.status == 200, r.text  # the emulator verified the signature
    echo = r.json()
    assert echo["body"] == {"client": "J\u00fcrgen", "amount": 1.5}
    assert (echo["method"], echo["path"]) == ("POST", "/crm/api/clients")
    r = crm.call("GET", "/api/clients?page=2")
    assert r.status == 200 and r.json()["query"] == "page=2"
    d = delta(before, counters(sandbox, "crm"))
    assert (d["requests"], d["ok"], d["invalid_signature"], d["invalid_api_key"]) == (2, 2, 0, 0)


def test_crm_big_integer_needs_raw_mode(sandbox: Sandbox, crm: b2c.Crm) -> None:
    before = counters(sandbox, "crm")
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        crm.call("POST", "/api/clients", BIG)
    assert ei.value.code == b2c.Status.INVALID_ARGUMENT and "raw mode" in ei.value.message
    for not_normal in ('{"a": 1, "a": 2}', "not json", '{"x": 0.10000000000000000001}'):
        with pytest.raises(b2c.InvalidArgumentError):
            crm.call("PUT", "/api/clients/1", not_normal)
    assert counters(sandbox, "crm") == before, "a refused body reached the sandbox"
    r = crm.call("POST", "/api/clients", BIG, raw=True)
    assert r.status == 200, r.text
    assert r.json()["body"] == {"amount": 12345678901234567890}  # Python ints are exact
    r = crm.call("POST", "/api/clients", BIG.encode(), raw=True, idempotent=True)
    assert r.status == 200
    assert delta(before, counters(sandbox, "crm"))["requests"] == 2


def test_crm_raw_body_configuration_and_override(sandbox: Sandbox) -> None:
    with b2c.Crm(base_url=sandbox.url + "/crm", api_key=API_KEY, raw_body=True) as raw:
        assert raw.call("POST", "/api/clients", BIG).status == 200
        with pytest.raises(b2c.InvalidArgumentError):
            raw.call("POST", "/api/clients", BIG, raw=False)
        # raw mode sends the bytes untouched, whitespace included (the signature covers them)
        assert raw.call("POST", "/api/clients", PRETTY).status == 200
        assert raw.stats().requests == 2


def test_crm_get_or_delete_with_a_body_is_refused(sandbox: Sandbox, crm: b2c.Crm) -> None:
    before = counters(sandbox, "crm")
    for method in ("GET", "DELETE"):
        with pytest.raises(b2c.InvalidArgumentError):
            crm.call(method, "/api/x", "{}")
    with pytest.raises(b2c.InvalidArgumentError):
        crm.call("POST", "api/x", "{}")
    assert counters(sandbox, "crm") == before
    assert crm.call("DELETE", "/api/clients/1").status == 200


def test_crm_wrong_api_key_is_auth(sandbox: Sandbox) -> None:
    before = counters(sandbox, "crm")
    with b2c.Crm(base_url=sandbox.url + "/crm", api_key="not-registered") as c:
        with pytest.raises(b2c.AuthError) as ei:
            c.call("GET", "/api/x")
        assert ei.value.code == b2c.Status.AUTH_REJECTED and ei.value.http_status == 403
        with pytest.raises(b2c.AuthError):
            c.call("POST", "/api/x", '{"a": 1}')
    assert delta(before, counters(sandbox, "crm"))["invalid_api_key"] == 2


def test_crm_stats_count_the_calls(sandbox: Sandbox) -> None:
    with b2c.Crm.from_dict({"base_url": sandbox.url + "/crm", "api_key": API_KEY}) as c:
        assert c.stats().requests == 0
        for i in range(3):
            assert c.call("POST", "/api/n", json.dumps({"i": i})).status == 200
        with pytest.raises(b2c.InvalidArgumentError):
            c.call("POST", "/api/n", BIG)  # refused before sending: not a request
        s = c.stats()
        assert isinstance(s, b2c.Stats)
        assert s.requests == 3 and s.auth_exchanges == 0 and s.connections_opened >= 1
        assert s.latency["call"].count == 3
        assert json.loads(s.raw_json)["requests"] == 3


def test_crm_many_threads_share_one_handle(sandbox: Sandbox) -> None:
    errors: List[BaseException] = []
    with b2c.Crm(base_url=sandbox.url + "/crm", api_key=API_KEY) as c:

        def work(n: int) -> None:
            try:
                for i in range(5):
                    r = c.call("POST", f"/api/t/{n}", json.dumps({"n": n, "i": i}))
                    assert r.status == 200 and r.json()["body"] == {"n": n, "i": i}
            except BaseException as e:  # noqa: B902 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert c.stats().requests == 40


def test_crm_configuration(sandbox: Sandbox) -> None:
    url = sandbox.url + "/crm"
    with b2c.Crm.from_json(json.dumps({"base_url": url, "api_key": API_KEY, "deadline_ms": 5000})) as c:
        assert c.call("GET", "/api/x").status == 200
        assert repr(c) == "<b2c.Crm open>"
    assert repr(c) == "<b2c.Crm closed>"
    with pytest.raises(b2c.ClosedError):
        c.call("GET", "/api/x")
    with pytest.raises(b2c.ClosedError):
        c.stats()
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.Crm(base_url="https://x.example")
    assert ei.value.code == b2c.Status.CONFIG
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.Crm({"base_url": url, "api_key": API_KEY}, no_such_key=1)
    assert ei.value.code == b2c.Status.CONFIG
    assert API_KEY not in str(ei.value)
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.Crm(base_url="http://crm.example.com", api_key=API_KEY)  # plain http to a remote host
    with pytest.raises(TypeError):
        b2c.Crm(42)  # type: ignore[arg-type]


def test_crm_set_logger_takes_the_handle_events(sandbox: Sandbox, crm: b2c.Crm) -> None:
    own, process_wide = Collect(), Collect()
    logging.getLogger("b2c").addHandler(process_wide)
    try:
        crm.set_logger(make_logger("test.crm", own), "debug")
        crm.call("POST", "/api/clients", '{"a": 1}')
        with pytest.raises(b2c.InvalidArgumentError):
            crm.call("POST", "/api/clients", BIG)
        assert "request" in own.events("http") or "request" in own.events("crm")
        assert own.events("crm").count("call_failed") == 1
        assert [r.levelno for r in own.records if getattr(r, "b2c_event", "") == "call_failed"] == [logging.WARNING]
        assert not process_wide.records, "the process-wide logger got the handle's events"
        crm.set_logger(None)
        with pytest.raises(b2c.InvalidArgumentError):
            crm.call("POST", "/api/clients", BIG)
        assert process_wide.events("crm").count("call_failed") == 1
        assert own.events("crm").count("call_failed") == 1
        for r in own.records + process_wide.records:
            assert API_KEY not in r.getMessage()
    finally:
        logging.getLogger("b2c").removeHandler(process_wide)


def test_crm_stateless_helpers_are_unchanged() -> None:
    assert b2c.CrmOpenApi.sign_request("k", "GET", b"") == ""
    sig = b2c.CrmOpenApi.sign_request("k", "POST", b"{}")
    assert sig.startswith("sha256=") and b2c.CrmOpenApi.verify_signature("k", b"{}", sig)


# ---- RetailCRM: many accounts --------------------------------------------------------------


MODULE = {
    "code": "b2c-accounts",
    "integrationCode": "b2c-accounts",
    "active": True,
    "name": "B2C accounts",
    "clientId": "default-client",
    "baseUrl": "https://module.example",
    "accountUrl": "https://module.example/account",
}
SECRET = "mod-secret"


def _form(system: str, api_key: str, token: str) -> bytes:
    return urllib.parse.urlencode(
        {"register[systemUrl]": system, "register[apiKey]": api_key, "register[token]": token}
    ).encode()


def test_register_two_accounts(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"
    form = _form(system, API_KEY, b2c.RetailCrm.token(SECRET, API_KEY))
    before = counters(sandbox, "retailcrm")
    accounts: List[Union[str, Dict[str, str]]] = [
        {"clientId": "acct-1", "accountUrl": "https://module.example/acct/1"},
        json.dumps({"clientId": "acct-2", "accountUrl": "https://module.example/acct/2"}),  # a JSON text too
    ]
    for n, account in enumerate(accounts, 1):
        reg = b2c.RetailCrm.register_account(SECRET, form, MODULE, account)
        assert isinstance(reg, b2c.Registration)
        assert reg.registered is True
        assert reg.api_key == API_KEY
        assert reg.system_url == system
        assert reg.error is None and reg.field_errors is None
        assert json.loads(reg.answer) == {"success": True, "accountUrl": f"https://module.example/acct/{n}"}
        assert API_KEY not in repr(reg) and "<redacted>" in repr(reg)
    assert delta(before, counters(sandbox, "retailcrm")) == {"edit_calls": 2, "edit_ok": 2}
    # No account fields: the module's own.
    reg = b2c.RetailCrm.register_account(SECRET, form.decode(), json.dumps(MODULE), None, {"request_timeout_ms": 5000})
    assert reg.registered and json.loads(reg.answer)["accountUrl"] == MODULE["accountUrl"]


def test_register_account_wrong_token(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"
    before = counters(sandbox, "retailcrm")
    for token in ("0" * 64, b2c.RetailCrm.token("other-secret", API_KEY), ""):
        reg = b2c.RetailCrm.register_account(SECRET, _form(system, API_KEY, token), MODULE, {"clientId": "acct-x"})
        assert reg.registered is False and reg.api_key is None
        assert reg.error
        answer = json.loads(reg.answer)
        assert answer["success"] is False and answer["errorMsg"]
        assert API_KEY not in reg.answer and API_KEY not in repr(reg)
    assert counters(sandbox, "retailcrm") == before, "a wrong token caused an outgoing call"


def test_register_account_field_errors_reach_the_caller(sandbox: Sandbox) -> None:
    system = sandbox.url + "/retailcrm"
    form = _form(system, API_KEY, b2c.RetailCrm.token(SECRET, API_KEY))
    control(sandbox, "retailcrm/field-errors", {"errors": {"integrationModule[clientId]": "Already used."}, "times": 1})
    reg = b2c.RetailCrm.register_account(SECRET, form, MODULE, {"clientId": "acct-dup"})
    assert reg.registered is False and reg.api_key is None
    assert reg.field_errors == {"integrationModule[clientId]": "Already used."}
    assert reg.error and json.loads(reg.answer)["success"] is False
    # times 1: the next one registers
    assert b2c.RetailCrm.register_account(SECRET, form, MODULE, {"clientId": "acct-ok"}).registered


def test_register_account_bad_json(sandbox: Sandbox) -> None:
    form = _form(sandbox.url + "/retailcrm", API_KEY, b2c.RetailCrm.token(SECRET, API_KEY))
    before = counters(sandbox, "retailcrm")
    for account in ("[1]", "{not json", "42"):
        with pytest.raises(b2c.InvalidArgumentError):
            b2c.RetailCrm.register_account(SECRET, form, MODULE, account)
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.RetailCrm.register_account(SECRET, form, "{not json")
    with pytest.raises(TypeError):
        b2c.RetailCrm.register_account(SECRET, 42, MODULE)  # type: ignore[arg-type]
    assert counters(sandbox, "retailcrm") == before


def test_registration_from_json_tolerates_other_shapes() -> None:
    reg = b2c.Registration.from_json('{"registered": false, "answer": "{}", "new_key": 1}')
    assert reg == b2c.Registration(False, "{}", None, None, None, None)
    with pytest.raises(ValueError):
        b2c.Registration.from_json("[]")


# ---- the example ---------------------------------------------------------------------------


def test_calls_example_runs_against_the_sandbox(sandbox: Sandbox, key: b2c.Key, tmp_path: Path) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text(key.private_pem())
    pem.chmod(0o600)
    env = dict(os.environ)
    env.update(
        B2C_BASE_URL=sandbox.url,
        B2C_ADMIN_ID="42",
        B2C_DEVICE_IP="127.0.0.1",
        B2C_KEY_ID="kid1",
        B2C_PRIVATE_KEY=str(pem),
        B2C_CALL_PATH="/api/admin/v2/example?x=1",
        B2C_CRM_URL=sandbox.url + "/crm",
        B2C_CRM_API_KEY=API_KEY,
        B2C_B2BINPAY_URL=sandbox.url + "/b2binpay",
        B2C_B2BINPAY_LOGIN="sandbox-login",
        B2C_B2BINPAY_PASSWORD="sandbox-password",
    )
    example = Path(REPO) / "examples" / "python" / "calls.py"

    def run() -> "subprocess.CompletedProcess[str]":
        return subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=60)

    before = {v: counters(sandbox, v) for v in ("b2copy", "b2binpay", "crm")}
    done = run()
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "B2COPY GET /api/admin/v2/example?x=1: HTTP 200" in done.stdout
    assert "B2COPY access token: " in done.stdout
    assert "CRM POST /api/clients: HTTP 200" in done.stdout and "CRM stats: 1 requests" in done.stdout
    assert "B2BINPAY GET /api/v3/wallet/: HTTP 200" in done.stdout
    for secret in (API_KEY, "sandbox-password", "sbx_", "b2b-access"):
        assert secret not in out
    assert delta(before["b2copy"], counters(sandbox, "b2copy"))["other_calls"] == 1
    assert delta(before["b2binpay"], counters(sandbox, "b2binpay"))["other_calls"] == 1
    assert delta(before["crm"], counters(sandbox, "crm"))["ok"] == 1
    # A non-2xx answer is a result: printed, exit status 1.
    env["B2C_CALL_PATH"] = "/nowhere"
    env.pop("B2C_CRM_URL")
    env.pop("B2C_B2BINPAY_URL")
    done = run()
    assert done.returncode == 1 and "B2COPY GET /nowhere: HTTP 404" in done.stdout, done.stdout + done.stderr
    # An error that is not an answer: the exception family, exit status 1.
    env["B2C_CALL_PATH"] = "/a/../b"
    done = run()
    assert done.returncode == 1 and "failed: InvalidArgumentError [INVALID_ARGUMENT]" in done.stdout, done.stdout
