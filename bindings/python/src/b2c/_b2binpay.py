"""B2BINPAY: one credential and its tokens (login, single-flight refresh, access tokens)."""

from __future__ import annotations

import ctypes
import json
from typing import Any, Mapping, NamedTuple, Optional, Union

from . import _native
from ._calls import call_verify, cstr, merge_config, take_string
from ._errors import ClosedError, Status, make_error
from ._handle import Handle, Managed
from ._log import LevelLike, LoggerLike, set_handle_logger
from ._response import Body, Response, handle_call
from ._shared import canonical_json, open_shared
from ._stats import Stats, handle_stats
from ._store import TokenStore, set_handle_store


class AccessToken(NamedTuple):
    token: str
    #: True when this call's own renewal met a rejected unexpired refresh token (all tokens
    #: were dropped and the handle logged in again): treat it as a security event. Reported
    #: once: later calls, answered from the new pair, say False, and so does every call
    #: after a refresh() that met the event. B2binpay.counters().suspicious is the history.
    suspicious: bool


class B2binpayCounters(NamedTuple):
    logins: int
    refreshes: int
    suspicious: int


class B2binpay(Managed):
    """One B2BINPAY credential. Keyword arguments are the JSON configuration keys of
    ``b2c_b2binpay_new``: base_url, login, password (required); refresh_margin_s,
    deadline_ms and the transport keys (connect_timeout_ms, read_timeout_ms,
    request_timeout_ms, max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent,
    max_idle_connections, idle_timeout_s, dns_cache_s, proxy, no_proxy).

    A token of lifetime L is renewed min(refresh_margin_s, L/5) before it expires.

    May be shared by many threads; close() (or ``with``) releases it after calls in flight.
    """

    __slots__ = ("_h", "__weakref__")
    _kind = "B2binpay"

    def __init__(self, **config: Any) -> None:
        self._h: Optional[Handle] = None
        lib = _native.lib()
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        st = lib.b2c_b2binpay_new(json.dumps(config).encode("utf-8"), ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        self._h = Handle(out.value, lib.b2c_b2binpay_free, "B2binpay")  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> "B2binpay":
        return cls(**dict(config))

    @classmethod
    def shared(cls, config: Union[Mapping[str, Any], str, None] = None, **more: Any) -> "B2binpay":
        """A handle to the process-wide shared B2BINPAY handle for this configuration (as
        ``b2c.Client.shared``: one native handle, its tokens and connections, per
        configuration in any key order; ``close()`` releases this handle only; kept until
        ``b2c.clear_shared()`` or exit; a logger or store set through one handle applies to
        all)."""
        self = cls.__new__(cls)
        self._h = None
        text = canonical_json(merge_config(config, more))
        self._h = open_shared("b2binpay", "b2c_b2binpay_shared", "b2c_b2binpay_free", text, "B2binpay")
        return self

    def _call(self, fn_name: str, *args: Any) -> None:
        h = self._handle()
        ptr = h.acquire()
        try:
            err = ctypes.c_void_p()
            st = getattr(_native.lib(), fn_name)(ptr, *args, ctypes.byref(err))
        finally:
            h.release()
        if st:
            raise make_error(st, err)

    def login(self) -> None:
        """Obtain a token pair (POST /token/) and verify ``meta.sign``."""
        self._call("b2c_b2binpay_login")

    def refresh(self) -> None:
        """Refresh the token pair now (single-flight)."""
        self._call("b2c_b2binpay_refresh")

    def access_token(self) -> AccessToken:
        """A valid access token (``Authorization: Bearer <token>``), logging in or refreshing
        ahead of expiry as needed. ``suspicious`` is True only in the answer whose own
        renewal met a rejected unexpired refresh token (see AccessToken)."""
        out = ctypes.c_void_p()
        suspicious = ctypes.c_int32(0)
        self._call("b2c_b2binpay_access_token", ctypes.byref(out), ctypes.byref(suspicious))
        return AccessToken(take_string(out), bool(suspicious.value))

    def call(self, method: str, path: str, body: Body = None, *, idempotent: Optional[bool] = None) -> Response:
        """Any other B2BINPAY API request (payouts, deposits, wallets): ``method`` on ``path``
        (relative to base_url, with an optional query), ``body`` (bytes or str) sent as
        JSON:API (``application/vnd.api+json``) when not empty, with ``Authorization: Bearer``
        and the token rules of access_token(); a 401 renews the access token once and sends
        again (a second 401 raises AuthError, UNAUTHORIZED). Every final HTTP answer is a
        b2c.Response whatever its status; retries and ``idempotent`` as ``Client.call``."""
        return handle_call(self._handle(), "b2c_b2binpay_call", method, path, body, idempotent)

    def counters(self) -> B2binpayCounters:
        """Logins, refreshes and suspicious refresh-token rejections since creation (the
        history of the events AccessToken.suspicious reports once, those met by refresh()
        included)."""
        a, b, c = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        h = self._handle()
        ptr = h.acquire()
        try:
            st = _native.lib().b2c_b2binpay_counters(ptr, ctypes.byref(a), ctypes.byref(b), ctypes.byref(c))
        finally:
            h.release()
        if st:
            raise make_error(st, ctypes.c_void_p())
        return B2binpayCounters(a.value, b.value, c.value)

    def set_logger(self, logger: Optional[LoggerLike], level: Optional[LevelLike] = None) -> None:
        """Route this handle's log events to ``logger`` (a logging.Logger)
        instead of ``logging.getLogger("b2c")``, up to ``level`` (a logging level or a name;
        None: the logger's effective level now). ``None`` removes it."""
        set_handle_logger(self._handle(), "b2c_b2binpay_set_log_callback", logger, level)

    def stats(self) -> Stats:
        """This handle's statistics since creation (the Client.stats() keys; latency of the
        endpoints ``token`` and ``token_refresh``; ``suspicious`` counts rejected unexpired
        refresh tokens)."""
        return handle_stats(self._handle(), "b2c_b2binpay_stats")

    def set_token_store(self, store: Optional[TokenStore]) -> None:
        """Share this credential's token pair through ``store`` (as
        ``Client.set_token_store``). With a store, a single-use refresh token is sent only
        under the store's lock, after the store has recorded it as taken. ``None`` detaches
        any store (a configured ``token_store`` too)."""
        set_handle_store(self._handle(), "b2c_b2binpay_set_token_store", store)

    @staticmethod
    def verify_callback(
        login: str, password: str, status: str, amount: str, tracking_id: str, meta_time: str, sign: str
    ) -> bool:
        """Verify a B2BINPAY v2 deposit callback signature (constant time)."""
        return call_verify(
            "b2c_b2binpay_verify_callback",
            cstr(login, "login"),
            cstr(password, "password"),
            cstr(status, "status"),
            cstr(amount, "amount"),
            cstr(tracking_id, "tracking_id"),
            cstr(meta_time, "meta_time"),
            cstr(sign, "sign"),
        )

