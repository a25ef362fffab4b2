"""Small call helpers shared by the protocol modules: one place that turns a status and an
error object into an exception, and owned strings into Python str."""

from __future__ import annotations

import collections.abc
import ctypes
import json
from typing import Any, Dict, Mapping, Optional, Union

from . import _native
from ._errors import Status, make_error


def call_status(fn_name: str, *args: Any) -> int:
    """Call ``fn_name(*args, &err)``; raise on failure; return the status (0)."""
    err = ctypes.c_void_p()
    st: int = getattr(_native.lib(), fn_name)(*args, ctypes.byref(err))
    if st:
        raise make_error(st, err)
    return st


def call_verify(fn_name: str, *args: Any) -> bool:
    """A verification: True when valid, False on SIGNATURE_INVALID; other failures raise."""
    err = ctypes.c_void_p()
    lib = _native.lib()
    st = getattr(lib, fn_name)(*args, ctypes.byref(err))
    if st == Status.SIGNATURE_INVALID:
        lib.b2c_error_free(err)
        return False
    if st:
        raise make_error(st, err)
    return True


def call_string(fn_name: str, *args: Any) -> str:
    """Call ``fn_name(*args, &out, &err)`` and return ``out`` (freed with b2c_string_free)."""
    lib = _native.lib()
    out, err = ctypes.c_void_p(), ctypes.c_void_p()
    st = getattr(lib, fn_name)(*args, ctypes.byref(out), ctypes.byref(err))
    if st:
        raise make_error(st, err)
    return take_string(out)


def take_string(ptr: ctypes.c_void_p) -> str:
    """Copy an owned ``char*`` into a Python str and free it with b2c_string_free."""
    if not ptr.value:
        return ""
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        _native.lib().b2c_string_free(ptr)


def cstr(value: str, name: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    return value.encode("utf-8")


def opt_cstr(value: Optional[str], name: str) -> Optional[bytes]:
    return None if value is None else cstr(value, name)


def as_bytes(value: Any, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")


def json_arg(value: Any, name: str) -> bytes:
    """A JSON argument: a str is passed as it is, anything else is json.dumps'ed."""
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return json.dumps(value).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} is not JSON-encodable: {e}") from None


def merge_config(config: Union[Mapping[str, Any], str, None], more: Mapping[str, Any]) -> Dict[str, Any]:
    """A configuration from a mapping or a JSON text (or None) plus keyword arguments."""
    if isinstance(config, str):
        loaded = json.loads(config)
        if not isinstance(loaded, dict):
            raise TypeError("a JSON configuration must be an object")
        base: Dict[str, Any] = loaded
    elif config is None:
        base = {}
    elif isinstance(config, collections.abc.Mapping):
        base = dict(config)
    else:
        raise TypeError(f"config must be a mapping or a JSON text, not {type(config).__name__}")
    base.update(more)
    return base
