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
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

__all__ = ["LibraryNotFoundError", "find_library", "lib", "PROGRESS_CB", "library_path"]

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

# ---- The ABI table: name -> (restype, argtypes) ----------------------------------------
FUNCTIONS: Dict[str, Tuple[Any, List[Any]]] = {
    # B2COPY client
    "b2c_client_new": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_client_free": (None, [HANDLE]),
    "b2c_authenticate": (STATUS, [HANDLE, OUT_HANDLE]),
    "b2c_client_mint_jwt": (STATUS, [HANDLE, OUT_STRING, OUT_HANDLE]),
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
    # B2BINPAY
    "b2c_b2binpay_new": (STATUS, [CSTR, OUT_HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_free": (None, [HANDLE]),
    "b2c_b2binpay_login": (STATUS, [HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_refresh": (STATUS, [HANDLE, OUT_HANDLE]),
    "b2c_b2binpay_access_token": (STATUS, [HANDLE, OUT_STRING, POINTER(c_int32), OUT_HANDLE]),
    "b2c_b2binpay_counters": (
        STATUS,
        [HANDLE, POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64)],
    ),
    "b2c_b2binpay_verify_callback": (STATUS, [CSTR, CSTR, CSTR, CSTR, CSTR, CSTR, CSTR, OUT_HANDLE]),
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


def _candidates_upwards(start: Path) -> List[Path]:
    out: List[Path] = []
    try:
        start = start.resolve()
    except OSError:
        return out
    for d in [start, *start.parents]:
        out.append(d / "target" / "release" / LIB_NAME)
    return out


def find_library(
    environ: Optional[Mapping[str, str]] = None,
    package_dir: Optional[Path] = None,
    cwd: Optional[Path] = None,
) -> str:
    """Locate libb2c. Order:

    1. bundled next to this package (``b2c/libb2c.so``);
    2. the ``B2C_LIBRARY`` environment variable (a path to the library file);
    3. a Rust build of the repository: ``target/release/libb2c.so`` in this package's
       directory or any parent, then in the current directory or any parent.

    Raises LibraryNotFoundError naming all three places.
    """
    environ = os.environ if environ is None else environ
    package_dir = Path(__file__).parent if package_dir is None else Path(package_dir)
    cwd = Path(os.getcwd()) if cwd is None else Path(cwd)

    bundled = package_dir / LIB_NAME
    if bundled.is_file():
        return str(bundled)

    env_value = environ.get(ENV_VAR)
    if env_value:
        if Path(env_value).is_file():
            return str(Path(env_value).resolve())
        # An explicit override that points nowhere is a mistake worth stopping at: falling
        # back silently could load a stale build.
        raise LibraryNotFoundError(
            f"{ENV_VAR} is set to {env_value!r}, which is not a file. "
            + _where_we_looked(bundled, env_value, package_dir, cwd)
        )

    seen = set()
    for cand in _candidates_upwards(package_dir) + _candidates_upwards(cwd):
        if cand in seen:
            continue
        seen.add(cand)
        if cand.is_file():
            return str(cand)

    raise LibraryNotFoundError(
        f"libb2c ({LIB_NAME}) not found. " + _where_we_looked(bundled, None, package_dir, cwd)
    )


def _where_we_looked(bundled: Path, env_value: Optional[str], package_dir: Path, cwd: Path) -> str:
    return (
        "Looked in: (1) the package directory: "
        f"{bundled}; (2) the {ENV_VAR} environment variable: "
        f"{'unset' if env_value is None else repr(env_value)}; (3) target/release/{LIB_NAME} "
        f"of the repository, walking up from {package_dir} and from the current directory "
        f"{cwd}. Build it with `cargo build --release`, or set {ENV_VAR} to its path."
    )


class _Missing:
    """Stands in for a function the loaded library does not export (an older build)."""

    def __init__(self, name: str, path: str) -> None:
        self._name, self._path = name, path

    def __call__(self, *args: Any) -> Any:
        raise AttributeError(
            f"{self._name} is not exported by {self._path}; rebuild libb2c (cargo build --release)"
        )


class Lib:
    """The loaded library with every function of FUNCTIONS declared as an attribute."""

    def __init__(self, path: str) -> None:
        try:
            self._dll = ctypes.CDLL(path)
        except OSError as e:
            raise LibraryNotFoundError(f"could not load libb2c from {path}: {e}") from e
        self.path = path
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
    """The library, loaded on first use (so ``import b2c`` never fails)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = Lib(find_library())
    return _lib


def library_path() -> str:
    """Path of the loaded libb2c."""
    return lib().path
