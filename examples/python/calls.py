#!/usr/bin/env python3
"""Generic calls: any other B2COPY request with the client's token (b2c.Client.call), the
token for your own HTTP stack (access_token), and, when configured, a signed CRM Open API
call (b2c.Crm) and a B2BINPAY request (b2c.B2binpay.call).

Environment: as fee.py (B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID,
B2C_PRIVATE_KEY), plus B2C_CALL_PATH (default "/api/admin/v2/example?x=1", a GET);
optional B2C_CRM_URL and B2C_CRM_API_KEY (a POST of a JSON body to B2C_CRM_PATH, default
"/api/clients"); optional B2C_B2BINPAY_URL, B2C_B2BINPAY_LOGIN, B2C_B2BINPAY_PASSWORD (a GET
of B2C_B2BINPAY_PATH, default "/api/v3/wallet/"); B2C_LOG_LEVEL (optional: debug, info,
warning, error; the library's events go through Python logging to stderr, default warning).
Against b2c-sandbox (lenient profile) the CRM Open API is at <sandbox>/crm with API key
sandbox-api-key, B2BINPAY at <sandbox>/b2binpay with sandbox-login / sandbox-password.
libb2c is found as the b2c package documents: B2C_LIBRARY, else the copy bundled in the
platform wheel, else the system loader (libb2c.so.0.1).

Prints each answer's status and body (never a token or a key); exits 0 when every answer
was 2xx, 1 otherwise.
"""

import json
import logging
import os
import sys
from pathlib import Path

try:
    import b2c
except ImportError:  # not pip-installed: use the sources of this repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python" / "src"))
    import b2c


def env(name: str, default: "str | None" = None) -> str:
    value = os.environ.get(name) or default
    if not value:
        print(f"calls.py: set {name}", file=sys.stderr)
        sys.exit(2)
    return value


def show(what: str, r: b2c.Response) -> bool:
    print(f"{what}: HTTP {r.status} {r.text}", flush=True)
    return 200 <= r.status < 300


def main() -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(b2c_target)s %(b2c_event)s: %(message)s"))
    logging.getLogger("b2c").addHandler(handler)
    logging.getLogger("b2c").propagate = False

    ok = True
    try:
        b2c.set_log_level(os.environ.get("B2C_LOG_LEVEL") or "warning")
        config = {
            "base_url": env("B2C_BASE_URL"),
            "admin_id": int(env("B2C_ADMIN_ID")),
            "device_ip": env("B2C_DEVICE_IP"),
            "key_id": env("B2C_KEY_ID"),
            "private_key_path": env("B2C_PRIVATE_KEY"),
        }
        with b2c.Client.shared(config) as client:
            # Every final answer is a b2c.Response (a 404 too); exceptions are for what is
            # not an answer.
            path = env("B2C_CALL_PATH", "/api/admin/v2/example?x=1")
            ok = show(f"B2COPY GET {path}", client.call("GET", path)) and ok
            # For a request of your own HTTP stack: `Authorization: Bearer <token>`; never log it.
            token = client.access_token()
            print(f"B2COPY access token: {len(token)} characters", flush=True)

        if os.environ.get("B2C_CRM_URL"):
            with b2c.Crm({"base_url": env("B2C_CRM_URL"), "api_key": env("B2C_CRM_API_KEY")}) as crm:
                # Sent (and signed) in its JSON normal form; a big integer would need raw
                # mode: crm.call("POST", path, body, raw=True).
                body = json.dumps({"client": "Ann", "amount": "10.00"}, indent=4)
                crm_path = env("B2C_CRM_PATH", "/api/clients")
                ok = show(f"CRM POST {crm_path}", crm.call("POST", crm_path, body)) and ok
                print(f"CRM stats: {crm.stats().requests} requests", flush=True)

        if os.environ.get("B2C_B2BINPAY_URL"):
            with b2c.B2binpay(
                base_url=env("B2C_B2BINPAY_URL"),
                login=env("B2C_B2BINPAY_LOGIN"),
                password=env("B2C_B2BINPAY_PASSWORD"),
            ) as bp:
                bp_path = env("B2C_B2BINPAY_PATH", "/api/v3/wallet/")
                ok = show(f"B2BINPAY GET {bp_path}", bp.call("GET", bp_path)) and ok
    except b2c.Error as e:
        print(f"failed: {type(e).__name__} [{e.code.name}] {e.message}")
        return 1
    except b2c.LibraryNotFoundError as e:
        print(f"calls.py: {e}", file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
