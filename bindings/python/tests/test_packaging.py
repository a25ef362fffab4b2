"""Packaging: the plain install (no bundled library) and the platform wheel of build-wheel.sh."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import b2c
from conftest import REPO

BINDING = REPO / "bindings" / "python"


def test_plain_install_is_pure_and_bundles_nothing() -> None:
    # scripts/test-python.sh installs ./bindings/python: a pure wheel; libb2c comes from
    # B2C_LIBRARY here (or the system loader).
    wheel_meta = importlib.metadata.distribution("b2c").read_text("WHEEL") or ""
    assert "Root-Is-Purelib: true" in wheel_meta
    assert "Tag: py3-none-any" in wheel_meta
    assert not (Path(b2c.__file__).parent / "libb2c.so").exists()
    assert not (BINDING / "src" / "b2c" / "libb2c.so").exists(), "a library was left in the source tree"


@pytest.mark.skipif(os.environ.get("B2C_SKIP_WHEEL") == "1", reason="B2C_SKIP_WHEEL=1")
@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() == "x86_64"), reason="the wheel is built for linux x86_64"
)
def test_bundled_wheel_installs_and_loads_its_own_library(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = subprocess.run(
        ["bash", str(BINDING / "build-wheel.sh"), str(dist), os.environ["B2C_LIBRARY"]],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    wheel = Path(built.stdout.strip().splitlines()[-1])
    assert [p.name for p in dist.glob("b2c-*.whl")] == [wheel.name]
    assert re.fullmatch(
        rf"b2c-{re.escape(b2c.__version__)}-py3-none-(manylinux_\d+_\d+_x86_64(\.manylinux\w+)*|linux_x86_64)\.whl",
        wheel.name,
    ), wheel.name
    with zipfile.ZipFile(wheel) as z:
        assert "b2c/libb2c.so" in z.namelist()
        assert "Root-Is-Purelib: false" in z.read(f"b2c-{b2c.__version__}.dist-info/WHEEL").decode()
    # The library was bundled through a temporary copy: nothing left in the source tree.
    assert not (BINDING / "src" / "b2c" / "libb2c.so").exists()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    subprocess.run(
        [str(vpy), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index", str(wheel)],
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("B2C_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    out = subprocess.run(
        [str(vpy), "-c", "import b2c; print(b2c.version()); print(b2c.library_path())"],
        cwd="/tmp",
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    version, path = out.stdout.split()
    assert version == b2c.version()
    assert Path(path).name == "libb2c.so" and Path(path).parent.name == "b2c"
    assert Path(path).resolve().is_relative_to(venv.resolve())
