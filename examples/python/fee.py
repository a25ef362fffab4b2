#!/usr/bin/env python3
"""Charge the fees of one withdrawal through B2COPY and wait for the final status.

Environment: B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID, B2C_PRIVATE_KEY (path
to the PEM private key), B2C_ACCOUNT (default "123456"), B2C_REQUEST_ID (default
"example-1"), B2C_WAIT_S (default 30), B2C_POLL_INTERVAL_MS (optional), B2C_LOG_LEVEL
(optional: debug, info, warning, error; the library's events go through Python logging to
stderr, default warning). Many processes, one credential (all optional): B2C_SHARED=1 uses
the process-wide shared client (b2c.Client.shared); B2C_TOKEN_STORE_DIR=/abs/dir shares the
token pair through a file store (a 0700 directory); B2C_REDIS_URL=redis://host:6379/0 through
Redis (b2c.RedisTokenStore; needs `pip install b2c[redis]`). libb2c is found
as the b2c package documents: B2C_LIBRARY, else the copy bundled in the platform wheel,
else the system loader (libb2c.so.0.1).

Prints every status seen, the final one and the client's statistics; exits 0 on SUCCESS, 1
otherwise.
"""

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
    value = os.environ.get(name, default)
    if not value:
        sys.exit(f"fee.py: set {name}")
    return value


def main() -> int:
    account = env("B2C_ACCOUNT", "123456")
    request_id = env("B2C_REQUEST_ID", "example-1")
    config = {
        "base_url": env("B2C_BASE_URL"),
        "admin_id": int(env("B2C_ADMIN_ID")),
        "device_ip": env("B2C_DEVICE_IP"),
        "key_id": env("B2C_KEY_ID"),
        "private_key_path": env("B2C_PRIVATE_KEY"),
    }
    if os.environ.get("B2C_POLL_INTERVAL_MS"):  # optional: faster polling against a sandbox
        config["poll_interval_ms"] = int(os.environ["B2C_POLL_INTERVAL_MS"])
    if os.environ.get("B2C_TOKEN_STORE_DIR"):  # optional: tokens shared through a directory
        config["token_store"] = {"type": "file", "path": os.environ["B2C_TOKEN_STORE_DIR"]}

    # The library's events are records of the "b2c" logger; only b2c records carry the
    # b2c_target and b2c_event attributes, so this format goes on that logger's own handler.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(b2c_target)s %(b2c_event)s: %(message)s"))
    logging.getLogger("b2c").addHandler(handler)
    logging.getLogger("b2c").propagate = False

    def progress(status: b2c.FeeStatus, attempt: int, elapsed_ms: int) -> None:
        print(f"status {status.name} (poll {attempt}, {elapsed_ms} ms)", flush=True)

    try:
        b2c.set_log_level(os.environ.get("B2C_LOG_LEVEL") or "warning")
        print(f"libb2c {b2c.version()}", flush=True)
        # A shared client outlives this object: the next Client.shared(config) in this
        # process (the next request of a long-lived worker) reuses its tokens and connections.
        client = b2c.Client.shared(config) if os.environ.get("B2C_SHARED") == "1" else b2c.Client(**config)
        if os.environ.get("B2C_REDIS_URL"):  # the pair shared with every host using this Redis
            client.set_token_store(b2c.RedisTokenStore.from_url(os.environ["B2C_REDIS_URL"]))
        with client:
            try:
                result = client.fee_process(account, request_id, wait=float(env("B2C_WAIT_S", "30")),
                                            on_progress=progress)
            finally:
                s = client.stats()
                lat = s.latency.get("processext")
                print(f"stats: {s.requests} requests, {s.retries} retries, {s.auth_exchanges} auth, "
                      f"{s.refreshes} refreshes, {s.unauthorized} 401s"
                      + (f", processext p50 {lat.p50_us} us" if lat and lat.count else "")
                      + (f"; store: {s.store_loads} loads, {s.store_adopted} adopted, {s.store_saves} saves, "
                         f"{s.store_errors} errors" if s.store_loads or s.store_saves or s.store_errors else ""),
                      flush=True)
    except b2c.FeeError as e:
        print(f"final ERROR: {e.message}")
        return 1
    except b2c.StillPendingError as e:
        print(f"final PENDING (gave up waiting): {e.message}")
        return 1
    except b2c.Error as e:
        print(f"failed: {type(e).__name__} {e}")
        return 1
    except b2c.LibraryNotFoundError as e:
        print(f"fee.py: {e}", file=sys.stderr)
        return 2
    print(f"final {result.status.name}")
    return 0 if result.status == b2c.FeeStatus.SUCCESS else 1


if __name__ == "__main__":
    sys.exit(main())
