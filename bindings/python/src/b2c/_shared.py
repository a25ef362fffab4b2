"""Shared handles (``b2c_client_shared`` / ``b2c_b2binpay_shared``) and ``b2c.clear_shared()``.

The library keeps one native object per configuration for the whole process, across the
handles that come and go (and after the last one is freed, until ``b2c_shared_clear``).
Whatever is set through one handle (a log callback, a token store) stays on that native
object. So the ctypes callbacks behind them cannot live on one Python handle: they live on
a registry *slot*, one per configuration, that every shared handle of it points to
(``Handle.keep`` is the slot's log router, ``Handle.store_bridge`` its store bridge). A slot
is released only by ``clear_shared()``, and only when no handle of it was open when the
library dropped its idle objects: then the native object is gone too, and nothing can call
the callbacks any more.

Slots are keyed by a SHA-256 of the kind and the canonical JSON (keys sorted), like the
library's own registry: the configuration's secrets are not kept here.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import threading
from typing import Any, Dict, List, Mapping

from . import _native
from ._errors import make_error
from ._handle import Handle
from ._log import _Router
from ._store import _StoreBridge

__all__ = ["clear_shared", "open_shared", "canonical_json"]


class _Slot:
    __slots__ = ("router", "bridge", "live")

    def __init__(self) -> None:
        self.router = _Router(None)  # no logger until set_logger: the callback drops events
        self.bridge = _StoreBridge()
        self.live = 0  # Python handles of this configuration not yet freed


# Reentrant: a handle freed by the garbage collector while this thread holds the lock
# (allocation inside open_shared/clear_shared) releases its slot count re-entrantly.
_lock = threading.RLock()
_slots: Dict[bytes, _Slot] = {}


def _reinit_after_fork() -> None:
    # Another thread may have held the lock at fork(): the child gets a fresh one. The
    # slots stay: inherited native objects may still call their callbacks.
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


def canonical_json(config: Mapping[str, Any]) -> bytes:
    """The configuration as the JSON text passed to the library: keys sorted (recursively),
    no whitespace. The same mapping, in any key order, gives the same text."""
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(f"configuration is not JSON-encodable: {e}") from None


def _slot_key(kind: str, text: bytes) -> bytes:
    return hashlib.sha256(kind.encode("ascii") + b"\0" + text).digest()


def _release(key: bytes) -> None:
    with _lock:
        slot = _slots.get(key)
        if slot is not None and slot.live > 0:
            slot.live -= 1


def open_shared(kind: str, shared_fn: str, free_fn: str, text: bytes, what: str) -> Handle:
    """A new handle to the process-wide native object for ``text`` (a canonical JSON
    configuration), through ``shared_fn`` (b2c_client_shared / b2c_b2binpay_shared)."""
    lib = _native.lib()
    key = _slot_key(kind, text)
    native_free = getattr(lib, free_fn)

    def free(ptr: int) -> None:
        native_free(ptr)
        _release(key)

    out, err = ctypes.c_void_p(), ctypes.c_void_p()
    with _lock:
        st = getattr(lib, shared_fn)(text, ctypes.byref(out), ctypes.byref(err))
        if st:
            raise make_error(st, err)
        slot = _slots.get(key)
        if slot is None:
            slot = _slots[key] = _Slot()
        slot.live += 1
        h = Handle(out.value, free, what)  # type: ignore[arg-type]
        h.keep = slot.router
        h.store_bridge = slot.bridge
    return h


def clear_shared() -> int:
    """Drop the shared clients and B2BINPAY handles that no handle holds any more (their
    tokens, connections, loggers and stores); returns how many the library dropped. Handles
    still open are untouched. The next ``shared()`` with such a configuration makes a new
    one (it authenticates again, unless a token store has the pair)."""
    lib = _native.lib()
    with _lock:
        # Idle before the library's clear, so idle during it (opening takes this lock): the
        # library drops those, and their callbacks can go with them.
        idle: List[bytes] = [k for k, s in _slots.items() if s.live == 0]
        dropped = int(lib.b2c_shared_clear())
        for k in idle:
            slot = _slots.get(k)
            if slot is not None and slot.live == 0:
                del _slots[k]
    return dropped
