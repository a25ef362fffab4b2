"""B2COPY: keys, external JWTs, payload signatures and the fee client.

Thin wrappers: convert arguments, call libb2c, turn statuses into exceptions. No protocol
logic lives here.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import _native
from ._errors import FeeError, FeeStatus, InvalidArgumentError, Status, StillPendingError, make_error
from ._calls import as_bytes, cstr, merge_config, take_string
from ._handle import Handle, Managed
from ._log import LevelLike, LoggerLike, set_handle_logger
from ._response import Body, Response, handle_call
from ._shared import canonical_json, open_shared
from ._stats import Stats, handle_stats
from ._store import TokenStore, set_handle_store

StrOrBytes = Union[str, bytes, bytearray, memoryview]
PathLike = Union[str, "os.PathLike[str]"]
ProgressCallback = Callable[[FeeStatus, int, int], Optional[bool]]

_U32_MAX = 0xFFFF_FFFF


# ---- keys --------------------------------------------------------------------------------


class Key(Managed):
    """A P-256 private key held by libb2c (its memory is cleansed when closed).

    Immutable and safe to share between threads. Use ``Key.generate()``,
    ``Key.from_pem(pem)`` or ``Key.from_file(path)``; close() or a ``with`` block frees it
    early, otherwise the garbage collector does.
    """

    __slots__ = ("_h", "__weakref__")
    _kind = "Key"

    def __init__(self, _ptr: int) -> None:
        # Not public: use the class methods.
        self._h = Handle(_ptr, _native.lib().b2c_key_free, "Key")

    @classmethod
    def generate(cls) -> "Key":
        """A new random P-256 key pair."""
        lib = _native.lib()
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        st = lib.b2c_key_generate(ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        return cls(out.value)  # type: ignore[arg-type]

    @classmethod
    def from_pem(cls, pem: StrOrBytes) -> "Key":
        """Load a PKCS#8 or SEC1 PEM private key. Raises KeyFormatError for the bad forms."""
        lib = _native.lib()
        data = as_bytes(pem, "pem")
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        st = lib.b2c_key_from_pem(data, len(data), ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        return cls(out.value)  # type: ignore[arg-type]

    @classmethod
    def from_file(cls, path: PathLike) -> "Key":
        """Load a PEM private key file. Raises IoError or KeyFormatError."""
        lib = _native.lib()
        p = os.fsencode(os.fspath(path))
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        st = lib.b2c_key_from_file(p, ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        return cls(out.value)  # type: ignore[arg-type]

    def _pem(self, fn_name: str) -> str:
        lib = _native.lib()
        h = self._handle()
        ptr = h.acquire()
        try:
            out, err = ctypes.c_void_p(), ctypes.c_void_p()
            st = getattr(lib, fn_name)(ptr, ctypes.byref(out), ctypes.byref(err))
        finally:
            h.release()
        if st:
            raise make_error(st, err)
        return take_string(out)

    def private_pem(self) -> str:
        """The private key as PKCS#8 PEM."""
        return self._pem("b2c_key_private_pem")

    def public_pem(self) -> str:
        """The public key as SPKI PEM (``BEGIN PUBLIC KEY``), the form B2COPY registers."""
        return self._pem("b2c_key_public_pem")


    def __repr__(self) -> str:
        return f"<b2c.Key P-256 {'closed' if self.closed else 'redacted'}>"


def _as_key(key: Union[Key, StrOrBytes]) -> "tuple[Key, bool]":
    if isinstance(key, Key):
        return key, False
    return Key.from_pem(key), True


def mint_jwt(
    key: Union[Key, StrOrBytes],
    *,
    admin_id: int,
    device_ip: str,
    key_id: str,
    issuer: Optional[str] = None,
    ttl: int = 300,
    kid_header: bool = False,
) -> str:
    """Mint a B2COPY external token (ES256 JWS; claims admin_id, device_ip, key_id, iss,
    iat, exp = iat + ttl). ``key`` is a Key or a PEM. ``issuer`` None means "b2c"."""
    lib = _native.lib()
    k, owned = _as_key(key)
    if not 0 <= ttl <= _U32_MAX:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"ttl out of range: {ttl}")
    if not 0 <= admin_id <= 0xFFFF_FFFF_FFFF_FFFF:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"admin_id out of range: {admin_id}")
    try:
        kh = k._handle()
        ptr = kh.acquire()
        try:
            out, err = ctypes.c_void_p(), ctypes.c_void_p()
            st = lib.b2c_jwt_mint(
                ptr,
                admin_id,
                cstr(device_ip, "device_ip"),
                cstr(key_id, "key_id"),
                None if issuer is None else cstr(issuer, "issuer"),
                ttl,
                1 if kid_header else 0,
                ctypes.byref(out),
                ctypes.byref(err),
            )
        finally:
            kh.release()
    finally:
        if owned:
            k.close()
    if st:
        raise make_error(st, err)
    return take_string(out)


_SIG_LEN = 72  # "sha256=" + 64 hex + NUL
_SigBuf = ctypes.c_char * _SIG_LEN  # instantiating the array type is ~3x cheaper than create_string_buffer
_sign_fn: Any = None


def sign_payload(key: StrOrBytes, payload: StrOrBytes) -> str:
    """``sha256=<hex HMAC-SHA256(key, payload)>``. Binary-safe (NUL bytes are fine).

    An empty key raises InvalidArgumentError (status INVALID_ARGUMENT: a signature under
    an empty key authenticates nothing); an empty payload is fine.

    A hot path (called per webhook / per request): the C function is cached and the
    argument checks are kept to ``type(x) is bytes`` in the common case.
    """
    global _sign_fn
    fn = _sign_fn
    if fn is None:
        fn = _sign_fn = _native.lib().b2c_sign_payload
    if type(key) is not bytes:
        key = as_bytes(key, "key")
    if type(payload) is not bytes:
        payload = as_bytes(payload, "payload")
    out = _SigBuf()
    st = fn(key, len(key), payload, len(payload), out, _SIG_LEN)
    if st:
        raise make_error(st, ctypes.c_void_p())
    return out.value.decode("ascii")


def version() -> str:
    """The libb2c version, e.g. "0.1.0"."""
    raw: bytes = _native.lib().b2c_version()
    return raw.decode("ascii")


# ---- the fee client -------------------------------------------------------------------


@dataclass(frozen=True)
class FeeResult:
    """Outcome of Client.fee_process: SUCCESS, or PENDING in one-shot mode."""

    status: FeeStatus
    account_login: str
    request_id: str

    @property
    def succeeded(self) -> bool:
        return self.status == FeeStatus.SUCCESS

    @property
    def pending(self) -> bool:
        return self.status == FeeStatus.PENDING


class Client(Managed):
    """A B2COPY client for one service admin (configuration, key, tokens, connections).

    Keyword arguments are the JSON configuration keys of ``b2c_client_new``: base_url,
    admin_id, device_ip, key_id, private_key_pem | private_key_path (required); issuer,
    jwt_ttl_s, jwt_kid_header, connect_timeout_ms, read_timeout_ms, request_timeout_ms,
    call_deadline_ms, poll_interval_ms, retry_base_ms, retry_max_ms, refresh_margin_s,
    max_response_bytes, extra_ca_pem, allow_insecure_http, user_agent, max_idle_connections,
    idle_timeout_s, dns_cache_s, proxy, no_proxy. Unknown keys (and a user_agent with CR/LF,
    a base_url with user:password@, a broken extra_ca_pem, a duration over one day) raise
    InvalidArgumentError (status CONFIG). ``private_key_pem`` may also be a Key.

    One Client may be shared by many threads. close() (or ``with``) releases it; a call
    still running in another thread finishes first.
    """

    __slots__ = ("_h", "__weakref__")
    _kind = "Client"

    def __init__(self, **config: Any) -> None:
        self._h: Optional[Handle] = None
        text = json.dumps(_client_config(config)).encode("utf-8")
        lib = _native.lib()
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        st = lib.b2c_client_new(text, ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        self._h = Handle(out.value, lib.b2c_client_free, "Client")  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> "Client":
        return cls(**dict(config))

    @classmethod
    def from_json(cls, config_json: str) -> "Client":
        return cls(**json.loads(config_json))

    @classmethod
    def shared(cls, config: Union[Mapping[str, Any], str, None] = None, **more: Any) -> "Client":
        """A handle to the process-wide shared client for this configuration (a dict, a JSON
        text, or keyword arguments, merged): the same configuration, in any key order, is one
        native client with its tokens and keep-alive connections, across the Client objects
        that come and go. ``close()`` releases this handle only; the shared client stays for
        the next ``shared()`` with the same configuration until ``b2c.clear_shared()`` (when
        no handle holds it) or process exit. A logger or token store set through one handle
        applies to every handle of it, later ones included. After ``fork()`` a child gets its
        own."""
        self = cls.__new__(cls)
        self._h = None
        text = canonical_json(_client_config(merge_config(config, more)))
        self._h = open_shared("b2copy", "b2c_client_shared", "b2c_client_free", text, "Client")
        return self

    def authenticate(self) -> None:
        """Exchange a fresh external JWT for tokens now (optional: fee_process does it)."""
        lib = _native.lib()
        h = self._handle()
        ptr = h.acquire()
        try:
            err = ctypes.c_void_p()
            st = lib.b2c_authenticate(ptr, ctypes.byref(err))
        finally:
            h.release()
        if st:
            raise make_error(st, err)

    def mint_jwt(self) -> str:
        """An external JWT with this client's key and claims."""
        lib = _native.lib()
        h = self._handle()
        ptr = h.acquire()
        try:
            out, err = ctypes.c_void_p(), ctypes.c_void_p()
            st = lib.b2c_client_mint_jwt(ptr, ctypes.byref(out), ctypes.byref(err))
        finally:
            h.release()
        if st:
            raise make_error(st, err)
        return take_string(out)

    def fee_process(
        self,
        account_login: str,
        request_id: str,
        wait: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> FeeResult:
        """Charge the fees of withdrawal ``request_id`` on ``account_login``.

        ``wait=None`` (or 0): one request; the result is PENDING or SUCCESS.
        ``wait=seconds``: poll until a final status or until the wait runs out
        (StillPendingError). Status ERROR raises FeeError (details in ``message``).

        ``on_progress(status, attempt, elapsed_ms)`` runs on this thread after every answer;
        returning False cancels (CancelledError). An exception it raises also cancels the
        wait and is re-raised here unchanged.
        """
        lib = _native.lib()
        login = cstr(account_login, "account_login")
        rid = cstr(request_id, "request_id")
        if wait is None:
            wait_ms = 0
        else:
            if not isinstance(wait, (int, float)) or math.isnan(wait) or wait < 0:
                raise InvalidArgumentError(
                    Status.INVALID_ARGUMENT, f"wait must be None or seconds >= 0, got {wait!r}"
                )
            wait_ms = min(_U32_MAX, max(1, int(math.ceil(wait * 1000)))) if wait > 0 else 0

        raised: List[BaseException] = []
        if on_progress is None:
            c_cb = _NO_CALLBACK
        else:
            user_cb = on_progress

            def trampoline(_userdata: Any, status: int, attempt: int, elapsed_ms: int) -> int:
                try:
                    return 1 if user_cb(FeeStatus(status), attempt, elapsed_ms) is False else 0
                except BaseException as e:  # noqa: B902 - KeyboardInterrupt cancels too
                    raised.append(e)
                    return 1

            c_cb = _native.PROGRESS_CB(trampoline)  # referenced until the call returns

        fee = ctypes.c_int32(0)
        err = ctypes.c_void_p()
        h = self._handle()
        ptr = h.acquire()
        try:
            st = lib.b2c_fee_process(
                ptr, login, rid, wait_ms, c_cb, None, ctypes.byref(fee), ctypes.byref(err)
            )
        finally:
            h.release()
            del c_cb  # only now may the callback object go

        if raised:
            if err.value:
                lib.b2c_error_free(err)
            raise raised[0]
        if st:
            e = make_error(st, err)
            if isinstance(e, (FeeError, StillPendingError)) and fee.value:
                e.fee_status = FeeStatus(fee.value)
            raise e
        return FeeResult(FeeStatus(fee.value), account_login, request_id)

    def call(self, method: str, path: str, body: Body = None, *, idempotent: Optional[bool] = None) -> Response:
        """Any other B2COPY request: ``method`` (GET, POST, PUT, PATCH, DELETE) on ``path``
        (relative to base_url: a single leading ``/``, an optional query, visible ASCII, no
        ``#``, no ``.``/``..`` segments), ``body`` (bytes or str, sent as
        ``application/json`` when not empty; None or empty: no body), with this client's
        access token and its rules (renewed ahead of expiry; a 401 refreshes, a failed
        refresh re-authenticates).

        Every final HTTP answer is returned as a b2c.Response, a 404 or a 500 included.
        Raises for what is not an answer: InvalidArgumentError (a bad method or path:
        nothing is sent), NetworkError / TimeoutError, ProtocolError (a body over
        max_response_bytes), AuthError (UNAUTHORIZED: a 401 on the renewed token).

        Retries: GET, PUT, DELETE are retried on transport failures, 5xx and 429 within
        call_deadline_ms; POST and PATCH only when the connection could not be made.
        ``idempotent=True`` / ``False`` overrides that default."""
        return handle_call(self._handle(), "b2c_client_call", method, path, body, idempotent)

    def access_token(self) -> str:
        """A valid B2COPY access token (renewed ahead of expiry as for fee_process), for
        requests made with another HTTP stack (``Authorization: Bearer <token>``). It is a
        bearer credential: never log it. After a 401 from such a request call
        ``authenticate()``: the library cannot see that answer."""
        lib = _native.lib()
        h = self._handle()
        ptr = h.acquire()
        try:
            out, err = ctypes.c_void_p(), ctypes.c_void_p()
            st = lib.b2c_client_access_token(ptr, ctypes.byref(out), ctypes.byref(err))
        finally:
            h.release()
        if st:
            raise make_error(st, err)
        return take_string(out)

    def set_logger(self, logger: Optional[LoggerLike], level: Optional[LevelLike] = None) -> None:
        """Route this client's log events to ``logger`` (a logging.Logger)
        instead of ``logging.getLogger("b2c")``, up to ``level`` (a logging level or a name;
        None: the logger's effective level now; call again after changing it). ``None``
        removes it: the process-wide routing applies again."""
        set_handle_logger(self._handle(), "b2c_client_set_log_callback", logger, level)

    def stats(self) -> Stats:
        """This client's statistics since creation (requests, retries by cause, token
        exchanges, 401s, connections, store loads/adoptions/saves/errors, latency per
        endpoint, ...). For a shared client: the shared native client's, every handle's calls
        counted."""
        return handle_stats(self._handle(), "b2c_client_stats")

    def set_token_store(self, store: Optional[TokenStore]) -> None:
        """Share this client's token pair with the other processes using ``store`` (a
        b2c.TokenStore, e.g. b2c.RedisTokenStore): b2c adopts a good stored pair instead of
        authenticating, renews under the store's lock after re-reading it, and saves the new
        pair before unlocking. Set it before the first call that needs a token. ``None``
        detaches any store (a configured ``token_store`` too): tokens then live in this
        client only. On a shared client it applies to every handle of it."""
        set_handle_store(self._handle(), "b2c_client_set_token_store", store)


def _client_config(config: Mapping[str, Any]) -> Dict[str, Any]:
    """The JSON-ready client configuration: a Key as its PEM, a path-like as a str."""
    cfg: Dict[str, Any] = dict(config)
    if isinstance(cfg.get("private_key_pem"), Key):
        cfg["private_key_pem"] = cfg["private_key_pem"].private_pem()
    if "private_key_path" in cfg and isinstance(cfg["private_key_path"], os.PathLike):
        cfg["private_key_path"] = os.fspath(cfg["private_key_path"])
    return cfg


# A NULL function pointer of the callback type.
_NO_CALLBACK = _native.PROGRESS_CB()
