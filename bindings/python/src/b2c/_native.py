"""Loading libb2c and declaring its C ABI (include/b2c.h) for ctypes.

Everything that touches ctypes signatures lives in ``FUNCTIONS``: one row per exported
function, ``name: (restype, [argtypes...])``. Adding a function of a new protocol means
adding one row here and a thin Python wrapper elsewhere; nothing else.

Rules followed (see /work/shared/ABI-GUIDE.md):
- owned ``char*`` outputs (``char **out``) are read as ``c_void_p`` and freed with
  ``b2c_string_free`` (a ``c_char_p`` would copy and leak the original);
- borrowed ``const char*`` returns (status_str, version, error_message) are ``c_char_p``;
- byte inputs (``const uint8_t *``) are declared ``c_char_p`` so Python ``bytes`` pass
  without a copy (embedded NUL bytes are fine: the length travels separately);
- ``CDLL`` releases the GIL around every call, so threads really run in parallel.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from ctypes import POINTER, c_char_p, c_int32, c_size_t, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from ._version import __version__

__all__ = [
    "LibraryNotFoundError",
    "find_library",
    "lib",
    "PROGRESS_CB",
    "LOG_CB",
    "LogParams",
    "TokenStoreStruct",
    "STORE_LOAD_CB",
    "STORE_SAVE_CB",
    "STORE_LOCK_CB",
    "STORE_UNLOCK_CB",
    "CallOptions",
    "library_path",
    "SONAME",
]

ENV_VAR = "B2C_LIBRARY"

if sys.platform == "darwin":
    LIB_NAME = "libb2c.dylib"
elif sys.platform == "win32":
    LIB_NAME = "b2c.dll"
else:
    LIB_NAME = "libb2c.so"

# ---- C types -------------------------------------------------------------------------
STATUS = c_int32  # b2c_status (a C enum: int-sized on every supported ABI)
HANDLE = c_void_p  # b2c_client*, b2c_key*, b2c_error* (opaque)
OUT_HANDLE = POINTER(c_void_p)  # b2c_x **out, b2c_error **err
OUT_STRING = POINTER(c_void_p)  # char **out (owned; free with b2c_string_free)
BYTES = c_char_p  # const uint8_t * (pointer + separate length)
CSTR = c_char_p  # const char * input (NUL-terminated UTF-8)

# int32_t (*b2c_progress_cb)(void *userdata, int32_t fee_status, uint32_t attempt,
#                            uint64_t elapsed_ms)
PROGRESS_CB = ctypes.CFUNCTYPE(c_int32, c_void_p, c_int32, c_uint32, c_uint64)


class LogParams(ctypes.Structure):
    """``b2c_log_params``: one log event, valid only during the callback (copy the strings).
    Fields are only ever appended: read one only if it lies within ``struct_size``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("level", c_int32),
        ("target", c_char_p),
        ("event", c_char_p),
        ("message", c_void_p),  # read with message_len (string_at), not as a c_char_p
        ("message_len", c_size_t),
    ]


# void (*b2c_log_callback)(void *userdata, const b2c_log_params *params)
LOG_CB = ctypes.CFUNCTYPE(None, c_void_p, POINTER(LogParams))

# int32_t (*load)(void *userdata, const char *key, uint8_t *buf, size_t buf_len, size_t *out_len)
# (key as c_void_p, not c_char_p: read with string_at, so a callback never sees a ctypes
# conversion it did not ask for; buf as c_void_p: written with memmove)
STORE_LOAD_CB = ctypes.CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))
# int32_t (*save)(void *userdata, const char *key, const uint8_t *value, size_t value_len)
STORE_SAVE_CB = ctypes.CFUNCTYPE(c_int32, c_void_p, c_void_p, c_void_p, c_size_t)
# int32_t (*lock)(void *userdata, const char *key, uint32_t timeout_ms, uint32_t lease_ms)
STORE_LOCK_CB = ctypes.CFUNCTYPE(c_int32, c_void_p, c_void_p, c_uint32, c_uint32)
# void (*unlock)(void *userdata, const char *key)
STORE_UNLOCK_CB = ctypes.CFUNCTYPE(None, c_void_p, c_void_p)


class TokenStoreStruct(ctypes.Structure):
    """``b2c_token_store``: a host token store (four callbacks and their userdata). The
    library copies the struct in ``b2c_*_set_token_store`` but calls the function pointers
    later: the CFUNCTYPE objects must stay referenced while installed (``_store``)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("userdata", c_void_p),
        ("load", STORE_LOAD_CB),
        ("save", STORE_SAVE_CB),
        ("lock", STORE_LOCK_CB),
        ("unlock", STORE_UNLOCK_CB),
    ]


class CallOptions(ctypes.Structure):
    """``b2c_call_options``: options of the ``*_call_with`` functions. 0 in a field is its
    default; ``idempotent`` 1 yes / 2 no; ``raw_body`` (CRM Open API only) 1 raw / 2 the JSON
    normal form. ``struct_size`` must be ``sizeof(b2c_call_options)`` (fields are only ever
    appended): ``CallOptions.new()`` sets it."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("idempotent", c_int32),
        ("raw_body", c_int32),
    ]

    @classmethod
    def new(cls, idempotent: int = 0, raw_body: int = 0) -> "CallOptions":
        return cls(ctypes.sizeof(cls), idempotent, raw_body)


# The arguments of b2c_{client,b2binpay,crm}_call: handle, method, path, body, body_len,
# then (after the options of *_call_with) int32_t *out_http_status, char **out_body, err.
_CALL_HEAD = [HANDLE, CSTR, CSTR, BYTES, c_size_t]
_CALL_TAIL = [POINTER(c_int32), OUT_STRING, OUT_HANDLE]
_CALL = _CALL_HEAD + _CALL_TAIL
_CALL_WITH = _CALL_HEAD + [POINTER(CallOptions)] + _CALL_TAIL


# ---- The ABI table: name -> (restype, argtypes) ----------------------------------------
FUNCTIONS: Dict[str, Tuple[Any, List[Any]]] = {
    # B2COPY client
    "b2c_client_new": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_client_shared": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_client_free": (None, [HANDLE]),
    "b2c_authenticate": (STATUS, [HANDLE, OUT_HANDLE]),
    "b2c_client_mint_jwt": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    "b2c_client_call": (STATUS, _CALL),
    "b2c_client_call_with": (STATUS, _CALL_WITH),
    "b2c_client_access_token": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    "b2c_fee_process": (
        STATUS,
        [HANDLE, CSTR, CSTR, c_uint32, PROGRESS_CB, c_void_p, POINTER(c_int32), OUT_HANDLE],
    ),
    # keys and tokens
    "b2c_key_generate": (STATUS, [OUT_HANDLE, OUT_HANDLE]),
    "b2c_key_from_pem": (STATUS, [CSTR, c_size_t, OUT_HANDLE, OUT_HANDLE]),
    "b2c_key_from_file": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_key_private_pem": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    "b2c_key_public_pem": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    "b2c_key_free": (None, [HANDLE]),
    "b2c_jwt_mint": (
        STATUS,
        [HANDLE, c_uint64, CSTR, CSTR, CSTR, c_uint32, c_int32, OUT_STRING, OUT_HANDLE],
    ),
    "b2c_sign_payload": (STATUS, [BYTES, c_size_t, BYTES, c_size_t, ctypes.c_char_p, c_size_t]),
    # CRM Open API signing, CRM webhooks
    "b2c_crm_sign_request": (STATUS, [CSTR, CSTR, BYTES, c_size_t, OUT_STRING, OUT_HANDLE]),
    "b2c_crm_verify_signature": (STATUS, [CSTR, BYTES, c_size_t, CSTR, OUT_HANDLE]),
    "b2c_webhook_verify": (STATUS, [BYTES, c_size_t, BYTES, c_size_t, CSTR, OUT_HANDLE]),
    # CRM Open API handle (signed calls)
    "b2c_crm_new": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_crm_free": (None, [HANDLE]),
    "b2c_crm_call": (STATUS, _CALL),
    "b2c_crm_call_with": (STATUS, _CALL_WITH),
    "b2c_crm_set_log_callback": (STATUS, [HANDLE, LOG_CB, c_void_p, c_int32, OUT_HANDLE]),
    "b2c_crm_stats": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    # B2BINPAY
    "b2c_b2binpay_new": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_shared": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_free": (None, [HANDLE]),
    "b2c_b2binpay_login": (STATUS, [HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_refresh": (STATUS, [HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_access_token": (STATUS, [HANDLE, OUT_STRING, POINTER(c_int32), OUT_HANDLE]),
    "b2c_b2binpay_counters": (
        STATUS,
        [HANDLE, POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64)],
    ),
    "b2c_b2binpay_call": (STATUS, _CALL),
    "b2c_b2binpay_call_with": (STATUS, _CALL_WITH),
    "b2c_b2binpay_verify_callback": (STATUS, [CSTR, CSTR, CSTR, CSTR, CSTR, CSTR, CSTR, OUT_HANDLE]),
    # logs and statistics
    "b2c_set_log_callback": (STATUS, [LOG_CB, c_void_p, c_int32, OUT_HANDLE]),
    "b2c_client_set_log_callback": (STATUS, [HANDLE, LOG_CB, c_void_p, c_int32, OUT_HANDLE]),
    "b2c_b2binpay_set_log_callback": (STATUS, [HANDLE, LOG_CB, c_void_p, c_int32, OUT_HANDLE]),
    "b2c_set_log_stderr": (None, [c_int32]),
    "b2c_client_stats": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    "b2c_b2binpay_stats": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
    # token stores and shared handles
    "b2c_client_set_token_store": (STATUS, [HANDLE, POINTER(TokenStoreStruct), OUT_HANDLE]),
    "b2c_b2binpay_set_token_store": (STATUS, [HANDLE, POINTER(TokenStoreStruct), OUT_HANDLE]),
    "b2c_shared_clear": (c_size_t, []),
    # RetailCRM simple connection
    "b2c_retailcrm_token": (STATUS, [CSTR, CSTR, OUT_STRING, OUT_HANDLE]),
    "b2c_retailcrm_verify_token": (STATUS, [CSTR, CSTR, CSTR, OUT_HANDLE]),
    "b2c_retailcrm_config_response": (STATUS, [CSTR, CSTR, OUT_STRING, OUT_HANDLE]),
    "b2c_retailcrm_register_success": (STATUS, [CSTR, OUT_STRING, OUT_HANDLE]),
    "b2c_retailcrm_error_response": (STATUS, [CSTR, OUT_STRING, OUT_HANDLE]),
    "b2c_retailcrm_edit_module": (STATUS, [CSTR, CSTR, CSTR, CSTR, OUT_HANDLE]),
    "b2c_retailcrm_handle_register": (
        STATUS,
        [CSTR, BYTES, c_size_t, CSTR, CSTR, OUT_STRING, OUT_HANDLE],
    ),
    "b2c_retailcrm_register_account": (
        STATUS,
        [CSTR, BYTES, c_size_t, CSTR, CSTR, CSTR, OUT_STRING, OUT_HANDLE],
    ),
    # errors, strings, misc
    "b2c_error_status": (STATUS, [HANDLE]),
    "b2c_error_message": (c_char_p, [HANDLE]),  # borrowed
    "b2c_error_http_status": (c_int32, [HANDLE]),
    "b2c_error_free": (None, [HANDLE]),
    "b2c_string_free": (None, [c_void_p]),
    "b2c_status_str": (c_char_p, [c_int32]),  # static
    "b2c_version": (c_char_p, []),  # static
}


class LibraryNotFoundError(ImportError):
    """libb2c could not be located or loaded."""


def soname_for(version: str) -> str:
    """The SONAME of libb2c for a version (README, "SONAME policy"): ``libb2c.so.0.MINOR``
    before 1.0, ``libb2c.so.MAJOR`` from 1.0 on."""
    major, minor = (version.split(".") + ["0"])[:2]
    return f"libb2c.so.0.{minor}" if major == "0" else f"libb2c.so.{major}"


#: What the system dynamic loader is asked for first (derived from this binding's version,
#: so a binding only loads a library of the ABI it was written for).
SONAME = soname_for(__version__)


def _dlopen_ok(name: str) -> Optional[str]:
    """Try to load ``name`` through the system dynamic loader: None if it loads, else the
    loader's error text."""
    try:
        ctypes.CDLL(name)
    except OSError as e:
        return str(e)
    return None


def find_library(
    environ: Optional[Mapping[str, str]] = None,
    package_dir: Optional[Path] = None,
    try_load: Optional[Callable[[str], Optional[str]]] = None,
    find_util: Optional[Callable[[str], Optional[str]]] = None,
) -> str:
    """Locate libb2c and return what to pass to ``ctypes.CDLL`` (a path, or a name for the
    system dynamic loader). Order:

    1. the ``B2C_LIBRARY`` environment variable (a path to the library file); set but not
       a file is an error, never a fall-back;
    2. the copy bundled with the package (``b2c/libb2c.so`` next to ``__init__.py``, what
       the platform wheel ships);
    3. the system dynamic loader (``ld.so.cache``, ``LD_LIBRARY_PATH``, RPATH): by SONAME
       (``libb2c.so.0.1``), then ``ctypes.util.find_library("b2c")``, then plain
       ``libb2c.so``.

    Raises LibraryNotFoundError naming every place tried. ``try_load`` (name -> None when
    it loads, else the error text) and ``find_util`` (stand-in for
    ``ctypes.util.find_library``) are for tests.
    """
    environ = os.environ if environ is None else environ
    package_dir = Path(__file__).parent if package_dir is None else Path(package_dir)
    try_load = _dlopen_ok if try_load is None else try_load
    if find_util is None:
        import ctypes.util

        find_util = ctypes.util.find_library

    env_value = environ.get(ENV_VAR)
    if env_value:
        if Path(env_value).is_file():
            return str(Path(env_value).resolve())
        # An explicit override that points nowhere is a mistake worth stopping at: falling
        # back silently could load another build.
        raise LibraryNotFoundError(
            f"{ENV_VAR} is set to {env_value!r}, which is not an existing file. Set it to the "
            f"path of {LIB_NAME}, or unset it to use the bundled copy or the system library."
        )

    tried: List[str] = [f"the {ENV_VAR} environment variable: unset"]
    bundled = package_dir / LIB_NAME
    if bundled.is_file():
        return str(bundled)
    tried.append(f"the copy bundled with the package: {bundled} (absent)")

    # 3. the system dynamic loader. find_library runs helper programs (ldconfig, gcc, ...),
    # so it is asked only when the SONAME did not load.
    tried_names: List[str] = []

    def attempt(name: Optional[str], what: str) -> bool:
        if not name:
            tried.append(f"{what}: nothing found")
            return False
        if name in tried_names:
            return False
        tried_names.append(name)
        error = try_load(name)
        if error is None:
            return True
        tried.append(f"{what} {name!r}: {error}")
        return False

    if sys.platform.startswith("linux") and attempt(SONAME, "the system dynamic loader, SONAME"):
        return SONAME
    found = find_util("b2c")
    if attempt(found, 'ctypes.util.find_library("b2c")'):
        return found  # type: ignore[return-value]
    if attempt(LIB_NAME, "the system dynamic loader"):
        return LIB_NAME

    raise LibraryNotFoundError(
        f"libb2c ({LIB_NAME}) not found. Tried, in order: "
        + "; ".join(f"({i}) {t}" for i, t in enumerate(tried, 1))
        + f". Set {ENV_VAR} to the library's path, install the platform wheel (which bundles "
        "it), or install libb2c system-wide (make install && ldconfig)."
    )


def _loaded_path(dll: ctypes.CDLL, fallback: str) -> str:
    """The file the dynamic loader actually opened for ``dll`` (glibc dlinfo), else
    ``fallback``."""

    class _LinkMap(ctypes.Structure):
        _fields_ = [("l_addr", c_void_p), ("l_name", c_char_p)]

    try:
        libc = ctypes.CDLL(None)
        dlinfo = libc.dlinfo
        dlinfo.argtypes = [c_void_p, ctypes.c_int, c_void_p]
        dlinfo.restype = ctypes.c_int
        lm = POINTER(_LinkMap)()
        if dlinfo(c_void_p(dll._handle), 2, ctypes.byref(lm)) == 0 and lm and lm.contents.l_name:  # RTLD_DI_LINKMAP
            return os.fsdecode(lm.contents.l_name)
    except (AttributeError, OSError, ValueError):
        pass
    return fallback


class _Missing:
    """Stands in for a function the loaded library does not export (an older build)."""

    def __init__(self, name: str, path: str) -> None:
        self._name, self._path = name, path

    def __call__(self, *args: Any) -> Any:
        raise AttributeError(
            f"{self._name} is not exported by {self._path} (an older libb2c); use a newer build"
        )


class Lib:
    """The loaded library with every function of FUNCTIONS declared as an attribute."""

    def __init__(self, path: str) -> None:
        try:
            self._dll = ctypes.CDLL(path)
        except OSError as e:
            raise LibraryNotFoundError(f"could not load libb2c from {path}: {e}") from e
        self.path = path if os.sep in path else _loaded_path(self._dll, path)
        for name, (restype, argtypes) in FUNCTIONS.items():
            try:
                fn = getattr(self._dll, name)
            except AttributeError:
                setattr(self, name, _Missing(name, path))
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)

    if TYPE_CHECKING:  # the functions of FUNCTIONS are set as attributes in __init__

        def __getattr__(self, name: str) -> Any: ...

    def has(self, name: str) -> bool:
        return not isinstance(getattr(self, name, None), _Missing)


_lib: Optional[Lib] = None
_lock = threading.Lock()


def lib() -> Lib:
    """The library, loaded on first use (so ``import b2c`` never fails). Loading it also
    installs the process-wide log routing to ``logging.getLogger("b2c")`` (``_log``)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                loaded = Lib(find_library())
                from . import _log  # late: _log imports this module

                _log.install_on_load(loaded)  # uses `loaded`, never lib(): we hold _lock
                _lib = loaded
    return _lib


def library_path() -> str:
    """Path of the loaded libb2c (the file the dynamic loader opened)."""
    return lib().path
