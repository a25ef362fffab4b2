"""A native handle shared between threads and freed exactly once.

libb2c allows a b2c_client / b2c_key to be used from several threads at once, but not to be
freed while another thread uses it. This guard counts calls in flight: close() marks the
handle closed at once (new calls raise ClosedError) and the last call still running frees
it. So a close() racing a fee_process() in another thread is never a use-after-free.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from ._errors import ClosedError, Status


class Handle:
    __slots__ = ("_ptr", "_free", "_lock", "_busy", "_closed", "_what", "keep", "store_bridge")

    def __init__(self, ptr: int, free: Callable[[int], None], what: str) -> None:
        self._ptr: Optional[int] = ptr
        self._free = free
        self._lock = threading.Lock()
        self._busy = 0
        self._closed = False
        self._what = what
        #: An object the native side may call into while the handle exists (its log
        #: callback): held here, so it lives exactly as long as the native handle can use it.
        self.keep: Any = None
        #: Likewise the token store bridge (``_store._StoreBridge``: the CFUNCTYPE objects of
        #: ``b2c_*_set_token_store``). For a shared handle both are the registry slot's, kept
        #: beyond this handle: the native object outlives its handles (``_shared``).
        self.store_bridge: Any = None

    @property
    def closed(self) -> bool:
        return self._closed

    def acquire(self) -> int:
        with self._lock:
            if self._closed:
                raise ClosedError(Status.NULL_POINTER, f"this {self._what} is closed")
            self._busy += 1
            return self._ptr  # type: ignore[return-value]

    def release(self) -> None:
        with self._lock:
            self._busy -= 1
            if not (self._closed and self._busy == 0):
                return
            ptr, self._ptr = self._ptr, None
        if ptr:
            self._free(ptr)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._busy:
                return  # the last release() frees it
            ptr, self._ptr = self._ptr, None
        if ptr:
            self._free(ptr)


class Managed:
    """Base of the classes that own one native handle (Client, Key, B2binpay): close(),
    the context manager, ``closed`` and a best-effort close on garbage collection."""

    __slots__ = ()
    _h: Optional[Handle]
    _kind = "handle"

    def _handle(self) -> Handle:
        if self._h is None:  # the constructor failed before the handle existed
            raise ClosedError(Status.NULL_POINTER, f"this {self._kind} is closed")
        return self._h

    @property
    def closed(self) -> bool:
        return self._h is None or self._h.closed

    def close(self) -> None:
        if self._h is not None:
            self._h.close()

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass

    def __repr__(self) -> str:
        return f"<b2c.{self._kind} {'closed' if self.closed else 'open'}>"
