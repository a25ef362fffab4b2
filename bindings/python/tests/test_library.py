from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import b2c
from b2c import _native
from conftest import REPO


def test_version_matches_cargo_toml() -> None:
    cargo = (REPO / "Cargo.toml").read_text()
    assert b2c.version() == re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)


def test_status_enum_mirrors_header() -> None:
    header = (REPO / "include" / "b2c.h").read_text()
    body = re.search(r"typedef enum \{(.*?)\} b2c_status;", header, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    in_header = {m.group(1): int(m.group(2)) for m in re.finditer(r"B2C_(\w+)\s*=\s*(\d+)", body)}
    assert in_header == {s.name: s.value for s in b2c.Status}
    fee = re.search(r"typedef enum \{(.*?)\} b2c_fee_status;", header, re.S).group(1)
    assert {m.group(1): int(m.group(2)) for m in re.finditer(r"B2C_FEE_STATUS_(\w+)\s*=\s*(\d+)", fee)} == {
        s.name: s.value for s in b2c.FeeStatus
    }


def test_every_function_in_header_is_declared() -> None:
    header = (REPO / "include" / "b2c.h").read_text()
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


def test_library_not_found_names_all_three_places(tmp_path: Path) -> None:
    with pytest.raises(b2c.LibraryNotFoundError) as ei:
        b2c.find_library(environ={}, package_dir=tmp_path / "pkg", cwd=tmp_path)
    msg = str(ei.value)
    assert str(tmp_path / "pkg" / _native.LIB_NAME) in msg  # 1: bundled
    assert "B2C_LIBRARY" in msg  # 2: environment
    assert "target/release" in msg and str(tmp_path) in msg  # 3: repository build
    assert "cargo build --release" in msg
    assert isinstance(ei.value, ImportError)


def test_b2c_library_pointing_nowhere_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(b2c.LibraryNotFoundError) as ei:
        b2c.find_library(environ={"B2C_LIBRARY": str(tmp_path / "missing.so")}, package_dir=tmp_path, cwd=tmp_path)
    assert "missing.so" in str(ei.value)


def test_search_order(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    env_lib = tmp_path / "env" / _native.LIB_NAME
    env_lib.parent.mkdir()
    env_lib.write_bytes(b"")
    repo_lib = tmp_path / "repo" / "target" / "release" / _native.LIB_NAME
    repo_lib.parent.mkdir(parents=True)
    repo_lib.write_bytes(b"")
    deep = tmp_path / "repo" / "a" / "b"
    deep.mkdir(parents=True)
    # 3: walking up from cwd
    assert b2c.find_library(environ={}, package_dir=pkg, cwd=deep) == str(repo_lib)
    # 3: walking up from the package file
    assert b2c.find_library(environ={}, package_dir=deep, cwd=pkg) == str(repo_lib)
    # 2 beats 3
    assert b2c.find_library(environ={"B2C_LIBRARY": str(env_lib)}, package_dir=deep, cwd=deep) == str(env_lib)
    # 1 beats 2
    (pkg / _native.LIB_NAME).write_bytes(b"")
    assert b2c.find_library(environ={"B2C_LIBRARY": str(env_lib)}, package_dir=pkg, cwd=deep) == str(pkg / _native.LIB_NAME)


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
