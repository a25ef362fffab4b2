"""Statuses and the exception hierarchy, built from b2c_error objects."""

from __future__ import annotations

import ctypes
import enum
from typing import Any, Dict, Optional, Type, Union

from . import _native


def _unknown_member(cls: Any, value: object) -> Any:
    """An IntEnum member for a value this binding does not know (from a newer libb2c)."""
    if isinstance(value, int):
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member
    return None


class Status(enum.IntEnum):
    """Mirror of ``b2c_status`` (include/b2c.h). Values never change."""

    OK = 0
    INVALID_ARGUMENT = 1
    NULL_POINTER = 2
    BUFFER_TOO_SMALL = 3
    INVALID_UTF8 = 4
    CONFIG = 5
    IO = 6
    KEY_INVALID = 10
    KEY_UNSUPPORTED_CURVE = 11
    KEY_UNSUPPORTED_TYPE = 12
    KEY_ENCRYPTED = 13
    INSECURE_URL = 20
    NETWORK = 21
    TIMEOUT = 22
    TLS = 23
    HTTP_STATUS = 24
    THROTTLED = 25
    PROTOCOL = 26
    RESPONSE_TOO_LARGE = 27
    AUTH_REJECTED = 30
    UNAUTHORIZED = 31
    FEE_ERROR = 40
    STILL_PENDING = 41
    CANCELLED = 42
    SIGNATURE_INVALID = 50
    RESPONSE_SIGNATURE_INVALID = 51
    REMOTE = 52
    PANIC = 99

    @classmethod
    def _missing_(cls, value: object) -> "Status":
        # A status from a newer libb2c: keep the number rather than failing.
        return _unknown_member(cls, value)  # type: ignore[no-any-return]

    def describe(self) -> str:
        """The library's own description (b2c_status_str)."""
        return status_str(int(self))


class FeeStatus(enum.IntEnum):
    """Mirror of ``b2c_fee_status``: the fee-processing status as B2COPY numbers it."""

    PENDING = 1
    SUCCESS = 2
    ERROR = 3

    @classmethod
    def _missing_(cls, value: object) -> "FeeStatus":
        return _unknown_member(cls, value)  # type: ignore[no-any-return]


def status_str(code: int) -> str:
    """Static description of any status number (unknown values included)."""
    raw: bytes = _native.lib().b2c_status_str(int(code))
    return raw.decode("utf-8", "replace")


class Error(Exception):
    """Base of every libb2c failure.

    Attributes: ``code`` (Status), ``message`` (str), ``http_status`` (int, 0 if none).
    """

    code: Status
    message: str
    http_status: int

    def __init__(self, code: Union[Status, int], message: str, http_status: int = 0) -> None:
        super().__init__(code, message, http_status)
        self.code = Status(code)
        self.message = message
        self.http_status = http_status

    def __str__(self) -> str:
        http = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"[{self.code.name}] {self.message}{http}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.name}, {self.message!r}, http_status={self.http_status})"


class AuthError(Error):
    """AUTH_REJECTED, UNAUTHORIZED: the vendor refused the credentials."""


class NetworkError(Error):
    """NETWORK, TLS (and TIMEOUT, see TimeoutError): the transport failed."""


class TimeoutError(NetworkError):  # noqa: A001 - b2c.TimeoutError, deliberately
    """TIMEOUT: a timeout or the overall call deadline ran out."""


class ThrottledError(Error):
    """THROTTLED: HTTP 429 with no time left to retry."""


class ProtocolError(Error):
    """PROTOCOL, HTTP_STATUS, RESPONSE_TOO_LARGE: an answer we could not use."""


class InvalidArgumentError(Error, ValueError):
    """INVALID_ARGUMENT, NULL_POINTER, INVALID_UTF8, CONFIG, BUFFER_TOO_SMALL, INSECURE_URL."""


class ClosedError(InvalidArgumentError):
    """The Client or Key was closed (reported as NULL_POINTER, what C would see)."""


class IoError(Error):
    """IO: a local file could not be read or written."""


class KeyFormatError(Error, ValueError):
    """KEY_INVALID, KEY_UNSUPPORTED_CURVE, KEY_UNSUPPORTED_TYPE, KEY_ENCRYPTED."""


class FeeError(Error):
    """FEE_ERROR: B2COPY answered status ERROR; ``message`` carries its details."""

    fee_status: Optional["FeeStatus"] = None


class StillPendingError(Error):
    """STILL_PENDING: the fee request was still PENDING when the wait ran out."""

    fee_status: Optional["FeeStatus"] = None


class CancelledError(Error):
    """CANCELLED: the progress callback asked to stop."""


class SignatureError(Error):
    """SIGNATURE_INVALID, RESPONSE_SIGNATURE_INVALID."""


class RemoteError(Error):
    """REMOTE: the remote system reported a failure in its own words."""


class InternalError(Error):
    """PANIC: a bug in libb2c caught at the boundary. Please report it."""


# The one mapping from status to exception class. Unknown statuses map to Error.
_FAMILY: Dict[Status, Type[Error]] = {
    Status.AUTH_REJECTED: AuthError,
    Status.UNAUTHORIZED: AuthError,
    Status.NETWORK: NetworkError,
    Status.TLS: NetworkError,
    Status.TIMEOUT: TimeoutError,
    Status.THROTTLED: ThrottledError,
    Status.PROTOCOL: ProtocolError,
    Status.HTTP_STATUS: ProtocolError,
    Status.RESPONSE_TOO_LARGE: ProtocolError,
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.NULL_POINTER: InvalidArgumentError,
    Status.INVALID_UTF8: InvalidArgumentError,
    Status.CONFIG: InvalidArgumentError,
    Status.BUFFER_TOO_SMALL: InvalidArgumentError,
    Status.INSECURE_URL: InvalidArgumentError,
    Status.IO: IoError,
    Status.KEY_INVALID: KeyFormatError,
    Status.KEY_UNSUPPORTED_CURVE: KeyFormatError,
    Status.KEY_UNSUPPORTED_TYPE: KeyFormatError,
    Status.KEY_ENCRYPTED: KeyFormatError,
    Status.FEE_ERROR: FeeError,
    Status.STILL_PENDING: StillPendingError,
    Status.CANCELLED: CancelledError,
    Status.SIGNATURE_INVALID: SignatureError,
    Status.RESPONSE_SIGNATURE_INVALID: SignatureError,
    Status.REMOTE: RemoteError,
    Status.PANIC: InternalError,
}


def error_class(code: int) -> Type[Error]:
    return _FAMILY.get(Status(code), Error)


def make_error(status: int, err: ctypes.c_void_p) -> Error:
    """Build (and free) the exception for a failed call. ``err`` may hold NULL."""
    lib = _native.lib()
    if err.value:
        try:
            code = lib.b2c_error_status(err)
            raw = lib.b2c_error_message(err)
            message = raw.decode("utf-8", "replace") if raw else ""
            http = lib.b2c_error_http_status(err)
        finally:
            lib.b2c_error_free(err)
            err.value = None
    else:
        code, message, http = status, status_str(status), 0
    return error_class(code)(code, message or status_str(code), http)
