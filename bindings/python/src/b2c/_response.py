"""Generic calls (``b2c_client_call``, ``b2c_b2binpay_call``, ``b2c_crm_call`` and their
``*_call_with`` forms): the ``Response`` type and the one helper the three handles share.

Every final HTTP answer is a ``Response`` (a 404 or a 500 included): only what is not an
answer (network, timeout, TLS, a body over max_response_bytes, a 401 after renewal, a bad
method or path) raises.
"""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _native
from ._calls import as_bytes
from ._errors import InvalidArgumentError, Status, make_error

if TYPE_CHECKING:
    from ._handle import Handle

__all__ = ["Body", "Response", "handle_call"]

#: A request body: bytes (sent as they are), a str (sent as UTF-8), or None (no body).
Body = Union[bytes, bytearray, memoryview, str, None]


@dataclass(frozen=True)
class Response:
    """One final HTTP answer of a generic call: ``status`` (the HTTP status, whatever it is)
    and ``body`` (the bytes as received). ``text`` is the body decoded as UTF-8 (invalid
    bytes replaced), ``json()`` parses it (``json.JSONDecodeError``, a ValueError, when it is
    not JSON, an empty body included).

    The repr shows the status and the body's length only: an answer may carry data that
    does not belong in logs."""

    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<b2c.Response {self.status}, {len(self.body)} bytes>"


def _tri(value: Optional[bool], name: str) -> int:
    """A b2c_call_options tri-state: None -> 0 (the default), True -> 1, False -> 2."""
    if value is None:
        return 0
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True, False or None, not {type(value).__name__}")
    return 1 if value else 2


def _line(value: str, name: str) -> bytes:
    """The method or path as a C string. A NUL byte would cut the string short where the
    library cannot see it, so it is refused here (nothing is sent)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    raw = value.encode("utf-8")
    if b"\0" in raw:
        raise InvalidArgumentError(Status.INVALID_ARGUMENT, f"{name} contains a NUL byte")
    return raw


def handle_call(
    handle: "Handle",
    fn_name: str,
    method: str,
    path: str,
    body: Body,
    idempotent: Optional[bool],
    raw: Optional[bool] = None,
) -> Response:
    """``fn_name(handle, method, path, body, len, &status, &body, &err)``, or
    ``fn_name + "_with"`` with a ``b2c_call_options`` when an option is given."""
    m = _line(method, "method")
    p = _line(path, "path")
    data = None if body is None else as_bytes(body, "body")
    size = 0 if data is None else len(data)
    lib = _native.lib()
    options: Optional[_native.CallOptions] = None
    if idempotent is not None or raw is not None:
        options = _native.CallOptions.new(_tri(idempotent, "idempotent"), _tri(raw, "raw"))
    http_status = ctypes.c_int32(0)
    out, err = ctypes.c_void_p(), ctypes.c_void_p()
    ptr = handle.acquire()
    try:
        if options is None:
            st = getattr(lib, fn_name)(
                ptr, m, p, data or None, size, ctypes.byref(http_status), ctypes.byref(out), ctypes.byref(err)
            )
        else:
            st = getattr(lib, fn_name + "_with")(
                ptr,
                m,
                p,
                data or None,
                size,
                ctypes.byref(options),
                ctypes.byref(http_status),
                ctypes.byref(out),
                ctypes.byref(err),
            )
    finally:
        handle.release()
    if st:
        raise make_error(st, err)
    return Response(int(http_status.value), take_bytes(out))


def take_bytes(ptr: ctypes.c_void_p) -> bytes:
    """Copy an owned NUL-terminated ``char*`` as bytes and free it with b2c_string_free."""
    if not ptr.value:
        return b""
    try:
        return ctypes.string_at(ptr.value)
    finally:
        _native.lib().b2c_string_free(ptr)
