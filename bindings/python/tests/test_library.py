from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, Tuple

import pytest

import b2c
from b2c import _errors, _native
from conftest import REPO, repo_header


def test_version_matches_cargo_toml() -> None:
    cargo = (REPO / "Cargo.toml").read_text()
    assert b2c.version() == re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)


def test_status_enum_mirrors_header() -> None:
    header = repo_header().read_text()
    body = re.search(r"typedef enum \{(.*?)\} b2c_status;", header, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    in_header = {m.group(1): int(m.group(2)) for m in re.finditer(r"B2C_(\w+)\s*=\s*(\d+)", body)}
    assert in_header == {s.name: s.value for s in b2c.Status}
    fee = re.search(r"typedef enum \{(.*?)\} b2c_fee_status;", header, re.S).group(1)
    assert {m.group(1): int(m.group(2)) for m in re.finditer(r"B2C_FEE_STATUS_(\w+)\s*=\s*(\d+)", fee)} == {
        s.name: s.value for s in b2c.FeeStatus
    }


def test_every_function_in_header_is_declared() -> None:
    header = repo_header().read_text()
    exported = set(re.findall(r"\b(b2c_\w+)\s*\(", header)) - {"b2c_progress_cb"}
    assert exported == set(_native.FUNCTIONS), "update FUNCTIONS in b2c/_native.py"


def test_every_status_has_an_exception_family() -> None:
    for s in b2c.Status:
        if s == b2c.Status.OK:
            continue
        cls = b2c.error_class(s)
        assert issubclass(cls, b2c.Error)
        assert cls is not b2c.Error, f"{s.name} has no family"
    assert b2c.error_class(b2c.Status.TIMEOUT) is b2c.TimeoutError
    assert issubclass(b2c.TimeoutError, b2c.NetworkError)
    assert b2c.error_class(777) is b2c.Error  # a status from a newer library


def test_status_str_and_unknown_status() -> None:
    assert b2c.status_str(0)
    assert b2c.Status.KEY_ENCRYPTED.describe()
    assert b2c.status_str(12345) == "unknown status"
    assert b2c.Status(12345).name == "UNKNOWN_12345"
    e = b2c.Error(12345, "m")
    assert e.code == 12345 and "UNKNOWN_12345" in str(e)


def _never_loads(name: str) -> str:
    return f"{name}: cannot open shared object file"


def test_library_not_found_names_every_place(tmp_path: Path) -> None:
    with pytest.raises(b2c.LibraryNotFoundError) as ei:
        b2c.find_library(environ={}, package_dir=tmp_path / "pkg", try_load=_never_loads, find_util=lambda n: None)
    msg = str(ei.value)
    assert "B2C_LIBRARY" in msg and "unset" in msg  # 1: environment
    assert str(tmp_path / "pkg" / _native.LIB_NAME) in msg  # 2: bundled
    assert repr(_native.SONAME) in msg  # 3: system loader by SONAME
    assert 'find_library("b2c")' in msg  # ... ctypes.util.find_library
    assert repr(_native.LIB_NAME) in msg  # ... plain libb2c.so
    assert msg.index("B2C_LIBRARY") < msg.index(str(tmp_path / "pkg")) < msg.index(repr(_native.SONAME))
    assert "target/release" not in msg
    assert isinstance(ei.value, ImportError)


def test_b2c_library_pointing_nowhere_is_an_error(tmp_path: Path) -> None:
    # Never a fall-back, not even to a bundled copy or the system library.
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / _native.LIB_NAME).write_bytes(b"")
    for bad in (tmp_path / "missing.so", tmp_path):
        with pytest.raises(b2c.LibraryNotFoundError) as ei:
            b2c.find_library(environ={"B2C_LIBRARY": str(bad)}, package_dir=pkg, try_load=lambda n: None)
        assert "B2C_LIBRARY" in str(ei.value) and repr(str(bad)) in str(ei.value)


def test_search_order(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    env_lib = tmp_path / "env" / _native.LIB_NAME
    env_lib.parent.mkdir()
    env_lib.write_bytes(b"")
    asked: List[str] = []

    def loads(ok: Set[str]) -> Callable[[str], Optional[str]]:
        def try_load(name: str) -> Optional[str]:
            asked.append(name)
            return None if name in ok else "no"

        return try_load

    everything = loads({_native.SONAME, "libb2c.so.from-find-library", _native.LIB_NAME})
    find_util = lambda n: "libb2c.so.from-find-library"  # noqa: E731
    # 1 beats 2 and 3
    (pkg / _native.LIB_NAME).write_bytes(b"")
    env = {"B2C_LIBRARY": str(env_lib)}
    assert b2c.find_library(environ=env, package_dir=pkg, try_load=everything, find_util=find_util) == str(env_lib)
    # 2 beats 3 (an empty B2C_LIBRARY counts as unset)
    assert b2c.find_library(environ={"B2C_LIBRARY": ""}, package_dir=pkg, try_load=everything, find_util=find_util) == str(
        pkg / _native.LIB_NAME
    )
    assert asked == []
    (pkg / _native.LIB_NAME).unlink()
    # 3: the SONAME first ...
    assert b2c.find_library(environ={}, package_dir=pkg, try_load=everything, find_util=find_util) == _native.SONAME
    assert asked == [_native.SONAME]
    # ... then what ctypes.util.find_library("b2c") names ...
    asked.clear()
    got = b2c.find_library(
        environ={}, package_dir=pkg, try_load=loads({"libb2c.so.from-find-library", _native.LIB_NAME}), find_util=find_util
    )
    assert got == "libb2c.so.from-find-library"
    assert asked == [_native.SONAME, "libb2c.so.from-find-library"]
    # ... then plain libb2c.so (also when find_library names the SONAME, tried once only)
    asked.clear()
    got = b2c.find_library(environ={}, package_dir=pkg, try_load=loads({_native.LIB_NAME}), find_util=lambda n: _native.SONAME)
    assert got == _native.LIB_NAME
    assert asked == [_native.SONAME, _native.LIB_NAME]


def test_no_fallback_to_a_repository_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo_lib = tmp_path / "repo" / "target" / "release" / _native.LIB_NAME
    repo_lib.parent.mkdir(parents=True)
    repo_lib.write_bytes(b"")
    deep = tmp_path / "repo" / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    with pytest.raises(b2c.LibraryNotFoundError):
        b2c.find_library(environ={}, package_dir=deep, try_load=_never_loads, find_util=lambda n: None)


def test_soname_follows_the_binding_version() -> None:
    assert _native.soname_for("0.1.0") == "libb2c.so.0.1"
    assert _native.soname_for("0.12.3") == "libb2c.so.0.12"
    assert _native.soname_for("1.4.2") == "libb2c.so.1"
    assert b2c.SONAME == _native.soname_for(b2c.__version__)
    # The same SONAME as the library build (scripts/soname.sh reads Cargo.toml) ...
    soname = subprocess.run([str(REPO / "scripts" / "soname.sh")], capture_output=True, text=True, check=True)
    assert b2c.SONAME == soname.stdout.strip()
    # ... and the same version as the package metadata.
    pyproject = (REPO / "bindings" / "python" / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == b2c.__version__


def _run_without_b2c_library(tmp_path: Path, ld_path: Path, code: str) -> "subprocess.CompletedProcess[str]":
    env = {k: v for k, v in os.environ.items() if k != "B2C_LIBRARY"}
    env["LD_LIBRARY_PATH"] = str(ld_path)
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)


def _system_has_libb2c() -> bool:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True)
    return "libb2c" in out.stdout


def test_system_loader_by_soname(tmp_path: Path) -> None:
    # What `make install` + ldconfig gives, emulated with LD_LIBRARY_PATH: the SONAME only.
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / _native.SONAME).symlink_to(os.environ["B2C_LIBRARY"])
    assert not (Path(b2c.__file__).parent / _native.LIB_NAME).exists(), "the test venv has a bundled copy"
    out = _run_without_b2c_library(tmp_path, libdir, "import b2c; print(b2c.version()); print(b2c.library_path())")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [b2c.version(), str(libdir / _native.SONAME)]


def test_system_loader_plain_name(tmp_path: Path) -> None:
    if _system_has_libb2c():
        pytest.skip("a system-wide libb2c is installed: it would be found by SONAME first")
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / _native.LIB_NAME).symlink_to(os.environ["B2C_LIBRARY"])
    out = _run_without_b2c_library(tmp_path, libdir, "import b2c; print(b2c.version()); print(b2c.library_path())")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [b2c.version(), str(libdir / _native.LIB_NAME)]


def test_not_found_without_any_library(tmp_path: Path) -> None:
    if _system_has_libb2c():
        pytest.skip("a system-wide libb2c is installed")
    out = _run_without_b2c_library(
        tmp_path, tmp_path, "import b2c\ntry:\n    b2c.version()\nexcept b2c.LibraryNotFoundError as e:\n    print(e)"
    )
    assert out.returncode == 0, out.stderr
    assert "B2C_LIBRARY" in out.stdout and _native.SONAME in out.stdout and "libb2c.so'" in out.stdout


def test_import_never_fails_and_error_is_raised_on_first_use(tmp_path: Path) -> None:
    code = (
        "import b2c, b2c._native as n\n"
        "n.find_library = lambda: (_ for _ in ()).throw(b2c.LibraryNotFoundError('nope'))\n"
        "try:\n    b2c.version()\nexcept b2c.LibraryNotFoundError as e:\n    print('raised', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "raised nope"


def test_loaded_library_is_the_configured_one() -> None:
    assert Path(b2c.library_path()).name == _native.LIB_NAME
    assert b2c.library_path() == str(Path(os.environ["B2C_LIBRARY"]).resolve())


# ---- spec B: the exception family of every status, as include/b2c.h names it -------------

FAMILIES = [
    "InvalidArgument", "Io", "KeyFormat", "Network", "Timeout", "Throttled", "Protocol",
    "Auth", "Fee", "StillPending", "Cancelled", "Signature", "Remote", "Internal",
]  # fmt: skip


def header_statuses() -> Dict[str, Tuple[int, Optional[str]]]:
    """name -> (value, family) of every b2c_status enumerator, the family taken from the
    "Exception family: X." line of the comment block just before it (None if none)."""
    body = re.search(r"typedef enum \{(.*?)\} b2c_status;", repo_header().read_text(), re.S).group(1)
    out: Dict[str, Tuple[int, Optional[str]]] = {}
    comment: Optional[str] = None
    for m in re.finditer(r"/\*(.*?)\*/|B2C_(\w+)\s*=\s*(\d+)", body, re.S):
        if m.group(1) is not None:
            comment = m.group(1)
            continue
        family = re.search(r"Exception family:\s*(\w+)\.", comment or "")
        out[m.group(2)] = (int(m.group(3)), family.group(1) if family else None)
        comment = None
    return out


def test_exception_families_match_the_header() -> None:
    statuses = header_statuses()
    assert statuses, "no b2c_status enumerators parsed from the header"
    assert {name: value for name, (value, _) in statuses.items()} == {s.name: s.value for s in b2c.Status}
    assert statuses["OK"] == (0, None)
    wrong = []
    for name, (value, family) in statuses.items():
        if name == "OK":
            continue
        assert family in FAMILIES, f"B2C_{name}: header names family {family!r}, not one of the spec's"
        expected = getattr(b2c, f"{family}Error")
        got = b2c.error_class(value)
        if got is not expected:
            wrong.append(f"B2C_{name} ({value}): {got.__name__}, header says {expected.__name__}")
        # The real path too: an error built from the status is exactly that class.
        err = _errors.make_error(value, ctypes.c_void_p())
        assert type(err) is got and err.code == value
    assert not wrong, "status -> exception mapping differs from include/b2c.h: " + "; ".join(wrong)


def test_exception_family_classes() -> None:
    for family in FAMILIES:
        cls = getattr(b2c, f"{family}Error")
        assert issubclass(cls, b2c.Error) and cls is not b2c.Error
    assert issubclass(b2c.TimeoutError, b2c.NetworkError)
    assert b2c.error_class(b2c.Status.IO) is b2c.IoError
    assert b2c.error_class(b2c.Status.TIMEOUT) is b2c.TimeoutError
    # A status this binding does not know (a newer library) maps to the base class itself.
    assert b2c.error_class(777) is b2c.Error
    assert type(_errors.make_error(777, ctypes.c_void_p())) is b2c.Error


def test_header_parser_sees_a_wrong_family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The mapping test can fail: with IO's family changed in a copy of the header it does.
    text = repo_header().read_text()
    broken = re.sub(r"(Exception family: )Io\.(\s*\*/\s*B2C_IO =)", r"\1Remote.\2", text)
    assert broken != text
    (tmp_path / "b2c.h").write_text(broken)
    monkeypatch.setenv("B2C_HEADER", str(tmp_path / "b2c.h"))
    with pytest.raises(AssertionError, match="B2C_IO"):
        test_exception_families_match_the_header()


# ---- spec C: the same names in every binding --------------------------------------------


def test_shared_names() -> None:
    assert callable(b2c.version) and callable(b2c.status_str)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", b2c.version())
    assert b2c.status_str(0)
    assert b2c.AccessToken._fields == ("token", "suspicious")
    assert typing.get_type_hints(b2c.AccessToken) == {"token": str, "suspicious": bool}
    assert b2c.B2binpayCounters._fields == ("logins", "refreshes", "suspicious")
    assert typing.get_type_hints(b2c.B2binpayCounters) == {"logins": int, "refreshes": int, "suspicious": int}
    assert issubclass(b2c.AccessToken, tuple) and issubclass(b2c.B2binpayCounters, tuple)
    t = b2c.AccessToken("tok", False)
    assert (t.token, t.suspicious) == ("tok", False)
