"""Python binding of libb2c (ctypes): the B2COPY fee API for CRM back offices.

    import b2c
    with b2c.Client(base_url=..., admin_id=42, device_ip="203.0.113.10",
                    key_id="kid1", private_key_path="/etc/crm/b2copy.pem") as client:
        result = client.fee_process("123456", "wd-1", wait=30)
        print(result.status)          # FeeStatus.SUCCESS

Other protocols: b2c.Crm (signed CRM Open API calls), b2c.CrmOpenApi (request signing,
webhooks), b2c.B2binpay (tokens, callbacks), b2c.RetailCrm (simple connection, many
accounts: register_account -> b2c.Registration).

Generic calls: ``client.call(method, path, body)`` (and the same on B2binpay and Crm) returns
a ``b2c.Response`` (status, body bytes, .text, .json()) for every final HTTP answer;
``client.access_token()`` gives the B2COPY token to another HTTP stack.

The native library is located on first use: the B2C_LIBRARY environment variable, else
the copy bundled with this package (b2c/libb2c.so, in the platform wheel), else the
system dynamic loader (SONAME libb2c.so.0.1, then libb2c.so).

Loading it routes the library's log events to ``logging.getLogger("b2c")`` at that logger's
level (WARNING by default); after changing that level call ``b2c.set_log_level()`` (or
``b2c.set_log_level("debug")``, which sets both). ``client.set_logger(logger, level)`` routes
one handle's events elsewhere; ``client.stats()`` returns a ``b2c.Stats``.

Many processes, one credential: ``b2c.Client.shared(config)`` / ``b2c.B2binpay.shared(config)``
reuse one process-wide native object per configuration (``b2c.clear_shared()`` drops the idle
ones); ``client.set_token_store(store)`` shares the token pair across processes through a
``b2c.TokenStore`` (``b2c.RedisTokenStore(redis_client)``, or the ``token_store`` key of the
configuration for a file store).
"""

from ._b2binpay import AccessToken, B2binpay, B2binpayCounters
from ._crm import Crm, CrmOpenApi
from ._retailcrm import Registration, RetailCrm
from ._response import Response
from ._b2copy import Client, FeeResult, Key, ProgressCallback, mint_jwt, sign_payload, version
from ._errors import (
    AuthError,
    CancelledError,
    ClosedError,
    Error,
    FeeError,
    FeeStatus,
    InternalError,
    InvalidArgumentError,
    IoError,
    KeyFormatError,
    NetworkError,
    ProtocolError,
    RemoteError,
    SignatureError,
    Status,
    StillPendingError,
    ThrottledError,
    TimeoutError,
    error_class,
    status_str,
)
from ._log import TRACE, set_log_level, set_log_stderr
from ._redis import RedisTokenStore
from ._shared import clear_shared
from ._store import StoreResult, TokenStore
from ._stats import Latency, Stats
from ._native import SONAME, LibraryNotFoundError, find_library, library_path
from ._version import __version__

__all__ = [
    "Client",
    "FeeResult",
    "FeeStatus",
    "Key",
    "ProgressCallback",
    "Status",
    "mint_jwt",
    "Crm",
    "CrmOpenApi",
    "Response",
    "B2binpay",
    "AccessToken",
    "B2binpayCounters",
    "RetailCrm",
    "Registration",
    "Stats",
    "Latency",
    "TokenStore",
    "StoreResult",
    "RedisTokenStore",
    "clear_shared",
    "set_log_level",
    "set_log_stderr",
    "TRACE",
    "sign_payload",
    "version",
    "status_str",
    "error_class",
    "find_library",
    "library_path",
    "SONAME",
    "__version__",
    "LibraryNotFoundError",
    "Error",
    "AuthError",
    "NetworkError",
    "TimeoutError",
    "ThrottledError",
    "ProtocolError",
    "InvalidArgumentError",
    "ClosedError",
    "IoError",
    "KeyFormatError",
    "FeeError",
    "StillPendingError",
    "CancelledError",
    "SignatureError",
    "RemoteError",
    "InternalError",
]
