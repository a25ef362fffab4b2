"""CRM Open API: the ``Crm`` handle (signed calls), request signing and CRM webhook
verification.

THE BYTES SIGNED MUST BE THE BYTES SENT: sign the exact body you put on the wire (pass
bytes), never a re-encoding of it. ``Crm.call`` does that itself.
"""

from __future__ import annotations

import ctypes
import json
from typing import Any, Mapping, Optional, Union

from . import _native
from ._calls import as_bytes, call_string, call_verify, cstr, merge_config
from ._errors import make_error
from ._handle import Handle, Managed
from ._log import LevelLike, LoggerLike, set_handle_logger
from ._response import Response, handle_call
from ._response import Body as CallBody
from ._stats import Stats, handle_stats

Body = Union[bytes, bytearray, memoryview, str]


class Crm(Managed):
    """A CRM Open API client for one API key: signed calls over one keep-alive pool.

    The configuration (a dict, a JSON text, or keyword arguments, merged) is the JSON object
    of ``b2c_crm_new``: base_url, api_key (required); deadline_ms (30000: one call with its
    retries), raw_body (False: send JSON bodies in their normal form, see ``call``) and the
    transport keys of ``b2c.Client`` (connect_timeout_ms, read_timeout_ms,
    request_timeout_ms, max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent,
    max_idle_connections, idle_timeout_s, dns_cache_s, proxy, no_proxy). Unknown keys
    raise InvalidArgumentError (status CONFIG). No network traffic happens here.

    May be shared by many threads; close() (or ``with``) releases it (its API key is
    zeroed) after calls in flight.
    """

    __slots__ = ("_h", "__weakref__")
    _kind = "Crm"

    def __init__(self, config: Union[Mapping[str, Any], str, None] = None, **more: Any) -> None:
        self._h: Optional[Handle] = None
        cfg = merge_config(config, more)
        try:
            text = json.dumps(cfg).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise TypeError(f"configuration is not JSON-encodable: {e}") from None
        lib = _native.lib()
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        st = lib.b2c_crm_new(text, ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        self._h = Handle(out.value, lib.b2c_crm_free, "Crm")  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> "Crm":
        return cls(config)

    @classmethod
    def from_json(cls, config_json: str) -> "Crm":
        return cls(config_json)

    def call(
        self,
        method: str,
        path: str,
        body: CallBody = None,
        *,
        idempotent: Optional[bool] = None,
        raw: Optional[bool] = None,
    ) -> Response:
        """A signed CRM Open API call: ``method`` (GET, POST, PUT, PATCH, DELETE) on ``path``
        (relative to base_url, with an optional query), with ``key: <API key>`` and, for
        POST, PUT and PATCH with a body, ``signature: sha256=<HMAC of exactly the bytes
        sent>``. GET and DELETE take no body (InvalidArgumentError).

        The body (bytes or str): by default the JSON normal form
        ``JSON.stringify(JSON.parse(body))`` is sent and signed (what the vendor's samples
        sign, so the signature holds under either reading). A body the normal form would
        change (a big integer, a long decimal, a duplicate key) or that is not JSON raises
        InvalidArgumentError naming raw mode. ``raw=True`` sends and signs the bytes
        untouched; ``raw=False`` forces the normal form; None: the handle's ``raw_body``.

        Every final HTTP answer is a b2c.Response, except 403 ``invalid_api_key``
        (AuthError, AUTH_REJECTED) and 403 ``invalid_signature`` (SignatureError). Retries
        and ``idempotent`` as ``Client.call``."""
        return handle_call(self._handle(), "b2c_crm_call", method, path, body, idempotent, raw)

    def set_logger(self, logger: Optional[LoggerLike], level: Optional[LevelLike] = None) -> None:
        """Route this handle's log events to ``logger`` (a logging.Logger) instead of
        ``logging.getLogger("b2c")``, up to ``level`` (a logging level or a name; None: the
        logger's effective level now). ``None`` removes it."""
        set_handle_logger(self._handle(), "b2c_crm_set_log_callback", logger, level)

    def stats(self) -> Stats:
        """This handle's statistics since creation (the Client.stats() keys; the latency
        endpoint is ``call``)."""
        return handle_stats(self._handle(), "b2c_crm_stats")


class CrmOpenApi:
    """CRM Open API signatures (stateless; all static methods). To make the calls
    themselves use ``b2c.Crm``."""

    @staticmethod
    def sign_request(api_key: str, method: str, body: Body) -> str:
        """The ``signature`` header value: ``sha256=<hex HMAC-SHA256(api_key, body)>`` for
        POST/PATCH/PUT with a non-empty body, "" otherwise (then send no signature header).
        Always send ``key: <api_key>`` as well.

        ``method`` must be GET, POST, PUT, PATCH or DELETE (any case, nothing around it);
        another method, or an empty or header-unsafe ``api_key``, raises
        InvalidArgumentError, so a typo never yields an unsigned request."""
        b = as_bytes(body, "body")
        return call_string("b2c_crm_sign_request", cstr(api_key, "api_key"), cstr(method, "method"), b, len(b))

    @staticmethod
    def verify_signature(api_key: str, body: Body, signature: str) -> bool:
        """Check a request's ``signature`` header against its body (constant time). An empty
        or header-unsafe ``api_key`` raises InvalidArgumentError."""
        b = as_bytes(body, "body")
        return call_verify("b2c_crm_verify_signature", cstr(api_key, "api_key"), b, len(b), cstr(signature, "signature"))

    @staticmethod
    def verify_webhook(secret: Union[str, bytes], body: Body, signature: str) -> bool:
        """Check a webhook's ``X-Crm-Signature`` (hex HMAC-SHA256 of the raw body keyed with
        the webhook secret, with or without ``sha256=``), in constant time. An empty secret
        raises InvalidArgumentError (anyone can compute an HMAC under an empty key)."""
        s = as_bytes(secret, "secret")
        b = as_bytes(body, "body")
        return call_verify("b2c_webhook_verify", s, len(s), b, len(b), cstr(signature, "signature"))
