"""Token stores the host provides: ``b2c.TokenStore`` and its bridge to ``b2c_token_store``.

A store lets several processes (or hosts) that use the same credential share one token
pair: b2c loads a stored pair before it authenticates, renews under the store's lock after
re-reading it, and saves the new pair before it unlocks. ``Client.set_token_store(store)``
/ ``B2binpay.set_token_store(store)`` attach one (None detaches, a configured
``token_store`` included).

Callback safety: the four ctypes callbacks and the struct are held by a ``_StoreBridge``
that lives as long as the native handle can call it (on the Handle; for a shared handle on
the process-wide registry slot, ``_shared``). Nothing raised by a store reaches C: the
callback returns B2C_STORE_ERROR (b2c logs a ``store`` warning and goes on without the
store) and the binding logs the exception on ``logging.getLogger("b2c.store")``.
"""

from __future__ import annotations

import abc
import ctypes
import enum
import logging
import threading
from typing import TYPE_CHECKING, Any, Optional

from . import _native
from ._errors import make_error

if TYPE_CHECKING:
    from ._handle import Handle

__all__ = ["TokenStore", "StoreResult"]


class StoreResult(enum.IntEnum):
    """Mirror of ``b2c_store_result`` (include/b2c.h): what a store callback returns to C.
    A TokenStore never sees these: the bridge turns its answers and exceptions into them."""

    OK = 0
    NOT_FOUND = 1
    BUFFER_TOO_SMALL = 2
    LOCK_TIMEOUT = 3
    ERROR = -1


class TokenStore(abc.ABC):
    """A place, shared by every process that uses the same credential, where b2c keeps its
    token pairs: implement the four methods and attach the store with
    ``client.set_token_store(store)``.

    Keys are ASCII names such as ``b2copy-<40 hex>`` / ``b2binpay-<40 hex>`` (derived from
    the base URL and the account, never from a secret). Values are opaque bytes (JSON text
    today) and SECRETS: they hold the tokens; keep them where only the CRM can read them.

    The methods run on the thread of the library call, possibly on several threads at
    once; they must not call the handle that is using the store. Raising means "the store
    failed": b2c logs it and goes on without the store for that step.
    """

    @abc.abstractmethod
    def load(self, key: str) -> Optional[bytes]:
        """The value saved under ``key``, or None when there is none (at most 65536 bytes;
        a longer one is treated as unreadable and replaced)."""

    @abc.abstractmethod
    def save(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, replacing any previous value atomically (a reader
        sees the old or the new value, never a mix)."""

    @abc.abstractmethod
    def lock(self, key: str, timeout_ms: int, lease_ms: int) -> bool:
        """Take the lock on ``key`` that every process using the store shares, waiting at
        most ``timeout_ms``: True when taken, False when another holder kept it the whole
        time. b2c releases it (``unlock``) within ``lease_ms``: use that as the lock's
        expiry so a holder that died cannot block the others."""

    @abc.abstractmethod
    def unlock(self, key: str) -> None:
        """Release the lock on ``key`` this owner took (a lock another owner holds now, its
        own having expired, must stay)."""


# Plain ints for the callbacks' return values (what ctypes hands back to C).
_OK, _NOT_FOUND, _TOO_SMALL, _LOCK_TIMEOUT, _ERROR = (
    int(StoreResult.OK),
    int(StoreResult.NOT_FOUND),
    int(StoreResult.BUFFER_TOO_SMALL),
    int(StoreResult.LOCK_TIMEOUT),
    int(StoreResult.ERROR),
)

_store_log = logging.getLogger("b2c.store")
_MAX_DETAIL = 300


def _report(op: str, exc: BaseException) -> None:
    """Log a store method's exception (never raises). The message names the method and the
    exception, never a value. The extra attributes keep formatters written for the library's
    records (``%(b2c_target)s %(b2c_event)s``) working on these too."""
    try:
        detail = str(exc)
        if len(detail) > _MAX_DETAIL:
            detail = detail[:_MAX_DETAIL] + "..."
        _store_log.warning(
            "token store %s raised %s%s",
            op,
            type(exc).__name__,
            f": {detail}" if detail else "",
            extra={"b2c_target": "store", "b2c_event": "store_callback"},
        )
    except BaseException:  # noqa: B902 - a handler that raises: drop the record
        pass


def _key(ptr: Optional[int]) -> str:
    return ctypes.string_at(ptr).decode("utf-8", "replace") if ptr else ""


def _as_value(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"TokenStore.load must return bytes or None, not {type(value).__name__}")


class _StoreBridge:
    """The native side of one attachment point (a handle, or a shared handle's native
    object): the four CFUNCTYPE callbacks and the ``b2c_token_store`` struct that C copies.
    ``store`` may be swapped while installed: C keeps calling the same callback objects, so
    none is ever released while C might use it."""

    __slots__ = ("store", "struct", "_callbacks", "__weakref__")

    def __init__(self) -> None:
        self.store: Optional[TokenStore] = None

        # Each callback runs on the thread of the library call and must never raise into C.
        def load(_ud: Any, key: Optional[int], buf: Optional[int], buf_len: int, out_len: Any) -> int:
            try:
                store = self.store
                if store is None:
                    return _ERROR
                value = store.load(_key(key))
                if value is None:
                    return _NOT_FOUND
                data = _as_value(value)
                n = len(data)
                if out_len:
                    out_len[0] = n
                if n > buf_len:
                    return _TOO_SMALL
                if n:
                    if not buf:
                        return _ERROR
                    ctypes.memmove(buf, data, n)
                return _OK
            except BaseException as e:  # noqa: B902 - KeyboardInterrupt must not reach C either
                _report("load", e)
                return _ERROR

        def save(_ud: Any, key: Optional[int], value: Optional[int], value_len: int) -> int:
            try:
                store = self.store
                if store is None:
                    return _ERROR
                if not value_len:
                    data = b""
                elif not value:
                    return _ERROR
                else:
                    data = ctypes.string_at(value, value_len)
                store.save(_key(key), data)
                return _OK
            except BaseException as e:  # noqa: B902
                _report("save", e)
                return _ERROR

        def lock(_ud: Any, key: Optional[int], timeout_ms: int, lease_ms: int) -> int:
            try:
                store = self.store
                if store is None:
                    return _ERROR
                got = store.lock(_key(key), int(timeout_ms), int(lease_ms))
                if got is True:
                    return _OK
                if got is False:
                    return _LOCK_TIMEOUT
                raise TypeError(f"TokenStore.lock must return True or False, not {type(got).__name__}")
            except BaseException as e:  # noqa: B902
                _report("lock", e)
                return _ERROR

        def unlock(_ud: Any, key: Optional[int]) -> None:
            try:
                store = self.store
                if store is not None:
                    store.unlock(_key(key))
            except BaseException as e:  # noqa: B902
                _report("unlock", e)

        c_load = _native.STORE_LOAD_CB(load)
        c_save = _native.STORE_SAVE_CB(save)
        c_lock = _native.STORE_LOCK_CB(lock)
        c_unlock = _native.STORE_UNLOCK_CB(unlock)
        # The struct holds the function pointers; the tuple holds the Python objects behind
        # them (ctypes does not keep a callback alive through a struct field it was copied to).
        self._callbacks = (c_load, c_save, c_lock, c_unlock)
        self.struct = _native.TokenStoreStruct(
            ctypes.sizeof(_native.TokenStoreStruct), None, c_load, c_save, c_lock, c_unlock
        )


_lock = threading.Lock()


def set_handle_store(handle: "Handle", fn_name: str, store: Optional[TokenStore]) -> None:
    """Attach ``store`` to one native handle through ``fn_name`` (b2c_client_set_token_store
    or b2c_b2binpay_set_token_store); None detaches any store."""
    if store is not None and not isinstance(store, TokenStore):
        raise TypeError(f"store must be a b2c.TokenStore or None, not {type(store).__name__}")
    fn = getattr(_native.lib(), fn_name)
    err = ctypes.c_void_p()
    with _lock:
        ptr = handle.acquire()
        try:
            if store is None:
                st = fn(ptr, None, ctypes.byref(err))
                # The bridge (and the store it points to) stays on the handle: a callback on
                # another thread may still be running in it, and a later attach reuses it.
            else:
                bridge = handle.store_bridge
                if not isinstance(bridge, _StoreBridge):
                    bridge = handle.store_bridge = _StoreBridge()
                previous, bridge.store = bridge.store, store
                st = fn(ptr, ctypes.byref(bridge.struct), ctypes.byref(err))
                if st:
                    bridge.store = previous
        finally:
            handle.release()
    if st:
        raise make_error(st, err)
