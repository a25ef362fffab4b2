"""Logs: libb2c's events as records of Python ``logging``.

When the library is loaded (``_native.lib()``) a process-wide callback is installed that
turns every event of every handle without a logger of its own into a record of
``logging.getLogger("b2c")``, at the native level matching that logger's effective level
(WARNING by default, so the must-see suspicious-refresh event goes through logging rather
than the library's own stderr line). ``set_log_level()`` re-syncs that level.
``Client.set_logger`` / ``B2binpay.set_logger`` route one handle's events to another logger.

Levels: ERROR -> logging.ERROR, WARN -> logging.WARNING, INFO -> logging.INFO,
DEBUG -> logging.DEBUG, TRACE -> 5 (``b2c.TRACE``). Each record carries the attributes
``b2c_target`` (b2copy, b2binpay, retailcrm, http, dns) and ``b2c_event`` (auth, refresh,
retry, ...: stable names to match on); its message is the library's text, already redacted.

Callback safety: the ctypes callback objects are held for as long as C may call them (the
process-wide one for the life of the process, a handle's one on its Handle); nothing raised
while logging an event reaches C (the event is dropped); the strings are copied during the
call.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import threading
import warnings
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from . import _native
from ._errors import InvalidArgumentError, Status, make_error

if TYPE_CHECKING:
    from ._handle import Handle

__all__ = ["TRACE", "LOGGER_NAME", "LevelLike", "LoggerLike", "set_log_level", "set_log_stderr"]

LOGGER_NAME = "b2c"

#: The Python level of the library's TRACE events (below logging.DEBUG).
TRACE = 5

# b2c_log_level -> logging level
_NATIVE_ERROR, _NATIVE_WARN, _NATIVE_INFO, _NATIVE_DEBUG, _NATIVE_TRACE = 1, 2, 3, 4, 5
_PY_LEVEL: Dict[int, int] = {
    _NATIVE_ERROR: logging.ERROR,
    _NATIVE_WARN: logging.WARNING,
    _NATIVE_INFO: logging.INFO,
    _NATIVE_DEBUG: logging.DEBUG,
    _NATIVE_TRACE: TRACE,
}

_LEVEL_NAMES: Dict[str, int] = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

if logging.getLevelName(TRACE) == f"Level {TRACE}":  # do not rename a level someone named
    logging.addLevelName(TRACE, "TRACE")

#: A logging level: an int (logging.DEBUG, b2c.TRACE, ...) or a name ("debug", "INFO", ...).
LevelLike = Union[int, str]
#: What a handle's events can be routed to. Not a LoggerAdapter: before Python 3.13 its
#: process() replaces the ``extra`` that carries b2c_target and b2c_event.
LoggerLike = logging.Logger

# A NULL function pointer of the log callback type (removes a callback).
_NO_LOG_CALLBACK = _native.LOG_CB()

# The offsets the callback checks against params.struct_size (fields are only appended).
_END_LEVEL = _native.LogParams.level.offset + _native.LogParams.level.size
_END_TARGET = _native.LogParams.target.offset + _native.LogParams.target.size
_END_EVENT = _native.LogParams.event.offset + _native.LogParams.event.size
_END_MESSAGE = _native.LogParams.message_len.offset + _native.LogParams.message_len.size


def python_level(level: LevelLike) -> int:
    """A logging level from an int or a (case-insensitive) name; InvalidArgumentError (a
    ValueError) for an unknown name, TypeError for anything else."""
    if isinstance(level, bool) or not isinstance(level, (int, str)):
        raise TypeError(f"a log level is an int or a name, not {type(level).__name__}")
    if isinstance(level, int):
        return level
    found = _LEVEL_NAMES.get(level.strip().lower())
    if found is None:
        raise InvalidArgumentError(
            Status.INVALID_ARGUMENT,
            f"unknown log level {level!r} (use one of {', '.join(_LEVEL_NAMES)} or a logging level int)",
        )
    return found


def native_level(level: int) -> int:
    """The native ``max_level`` that delivers exactly the events a logger at ``level`` keeps:
    the most verbose b2c_log_level whose Python level is ``>= level``. Above logging.ERROR
    it stays ERROR (the native side cannot go quieter with a callback installed; the logger
    then drops those records itself)."""
    for native in (_NATIVE_TRACE, _NATIVE_DEBUG, _NATIVE_INFO, _NATIVE_WARN):
        if _PY_LEVEL[native] >= level:
            return native
    return _NATIVE_ERROR


def _text(raw: Optional[bytes]) -> str:
    return raw.decode("utf-8", "replace") if raw else ""


class _Router:
    """One native callback (``c_callback``, the CFUNCTYPE object C holds) that turns events
    into records of ``logger``. ``logger`` may be swapped while installed: the C side keeps
    calling the same object, so no callback object is ever released while C might use it."""

    __slots__ = ("logger", "c_callback", "__weakref__")

    def __init__(self, logger: Optional[LoggerLike]) -> None:
        self.logger = logger

        def deliver(_userdata: Any, params: Any) -> None:
            # Called by libb2c on the thread of the library call. Must never raise into C.
            try:
                self._deliver(params)
            except BaseException:  # noqa: B902 - drop the event, whatever happened
                pass

        self.c_callback = _native.LOG_CB(deliver)

    def _deliver(self, params: Any) -> None:
        logger = self.logger
        if logger is None or not params:
            return
        p = params.contents
        size = p.struct_size
        native = p.level if size >= _END_LEVEL else _NATIVE_WARN
        level = _PY_LEVEL.get(native, logging.ERROR if native < _NATIVE_ERROR else TRACE)
        if not logger.isEnabledFor(level):
            return
        target = _text(p.target) if size >= _END_TARGET else ""
        event = _text(p.event) if size >= _END_EVENT else ""
        message = ""
        if size >= _END_MESSAGE and p.message:
            message = ctypes.string_at(p.message, p.message_len).decode("utf-8", "replace")
        logger.log(level, message, extra={"b2c_target": target, "b2c_event": event})


# ---- the process-wide routing -------------------------------------------------------------

_lock = threading.Lock()
# Created once, never released: C may call it from any thread for the life of the process.
_global_router = _Router(logging.getLogger(LOGGER_NAME))
_atexit_registered = False


def _install_global(lib: Any, level: int) -> None:
    err = ctypes.c_void_p()
    st = lib.b2c_set_log_callback(_global_router.c_callback, None, level, ctypes.byref(err))
    if st:
        raise make_error(st, err)


def install_on_load(lib: Any) -> None:
    """Called once by ``_native.lib()`` with the library it just loaded (and while it holds
    its lock: only ``lib`` is used here, never ``_native.lib()``). Never makes loading fail."""
    global _atexit_registered
    if not lib.has("b2c_set_log_callback"):
        return  # an older library without logs: nothing to route
    level = native_level(logging.getLogger(LOGGER_NAME).getEffectiveLevel())
    err = ctypes.c_void_p()
    with _lock:
        st = lib.b2c_set_log_callback(_global_router.c_callback, None, level, ctypes.byref(err))
        if st:
            if err.value:
                lib.b2c_error_free(err)
            warnings.warn(f"b2c: could not install the log routing (status {st})", RuntimeWarning, 2)
            return
        if not _atexit_registered:
            atexit.register(_remove_global, lib)
            _atexit_registered = True


def _remove_global(lib: Any) -> None:
    """At interpreter exit: no Python callback is called while the interpreter goes away
    (a late must-see event falls back to the library's stderr line)."""
    try:
        err = ctypes.c_void_p()
        if lib.b2c_set_log_callback(_NO_LOG_CALLBACK, None, 0, ctypes.byref(err)) and err.value:
            lib.b2c_error_free(err)
    except BaseException:  # noqa: B902 - exiting anyway
        pass


def set_log_level(level: Optional[LevelLike] = None) -> None:
    """Set the level of ``logging.getLogger("b2c")`` to ``level`` (a logging level int or a
    name: "trace", "debug", "info", "warning", "error", "critical") and re-sync the library's
    process-wide level with it. ``set_log_level()`` without an argument only re-syncs with the
    logger's current effective level: call it after changing that logger's level (or an
    ancestor's) yourself, which the library cannot notice. Loads the library if needed."""
    logger = logging.getLogger(LOGGER_NAME)
    if level is not None:
        logger.setLevel(python_level(level))
    lib = _native.lib()  # installs the routing at load, at the level just set
    if not lib.has("b2c_set_log_callback"):
        return
    with _lock:
        _install_global(lib, native_level(logger.getEffectiveLevel()))


def set_log_stderr(on: bool) -> None:
    """Switch the library's own stderr line for must-see events (a suspicious B2BINPAY
    refresh) on (the default) or off. That line is written only when no log callback would
    receive the event, i.e. when the "b2c" logger's level is above WARNING (or a handle's own
    logger was set above it)."""
    _native.lib().b2c_set_log_stderr(1 if on else 0)


# ---- a handle's own routing ---------------------------------------------------------------


def set_handle_logger(
    handle: "Handle", fn_name: str, logger: Optional[LoggerLike], level: Optional[LevelLike]
) -> None:
    """Route the events of one native handle to ``logger`` (None: back to the process-wide
    routing). ``level`` None means the logger's effective level."""
    lib = _native.lib()
    fn = getattr(lib, fn_name)
    if logger is not None:
        if not isinstance(logger, logging.Logger):
            raise TypeError(f"logger must be a logging.Logger, not {type(logger).__name__}")
        py_level = logger.getEffectiveLevel() if level is None else python_level(level)
    err = ctypes.c_void_p()
    with _lock:
        ptr = handle.acquire()
        try:
            if logger is None:
                st = fn(ptr, _NO_LOG_CALLBACK, None, 0, ctypes.byref(err))
                # The router stays on the handle: an event on another thread may still be
                # running in it, and a later set_logger reuses it.
            else:
                router = handle.keep
                if not isinstance(router, _Router):
                    router = handle.keep = _Router(logger)
                previous, router.logger = router.logger, logger
                st = fn(ptr, router.c_callback, None, native_level(py_level), ctypes.byref(err))
                if st:
                    router.logger = previous
        finally:
            handle.release()
    if st:
        raise make_error(st, err)
