"""setuptools hook for the bundled-library ("platform") wheel; the metadata is in pyproject.toml.

When ``src/b2c/libb2c.so`` exists (``build-wheel.sh`` puts it into a temporary copy of
this directory), the wheel carries a native file that ctypes loads: it must not be
tagged pure Python (``py3-none-any``) or pip would install it on any platform. It is
tagged ``py3-none-<platform>`` instead: any Python 3 (ctypes, no extension module, no
ABI of CPython), one platform (``linux_x86_64``, which ``auditwheel repair`` turns into a
manylinux tag). Without the library (``pip install ./bindings/python``) the wheel stays
pure and libb2c is found through B2C_LIBRARY or the system loader.
"""

import os

from setuptools import Distribution, setup

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel  # type: ignore[no-redef]

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = os.path.isfile(os.path.join(HERE, "src", "b2c", "libb2c.so"))


class BinaryDistribution(Distribution):
    """Has "extension modules" as far as install goes: the files land in platlib (and the
    wheel's root is not purelib), where auditwheel expects native libraries."""

    def has_ext_modules(self) -> bool:
        return True


class bdist_wheel(_bdist_wheel):  # type: ignore[misc,valid-type]
    def finalize_options(self) -> None:
        super().finalize_options()
        if BUNDLED:
            self.root_is_pure = False

    def get_tag(self):  # type: ignore[no-untyped-def]
        python, abi, plat = super().get_tag()
        if BUNDLED:
            return "py3", "none", plat
        return python, abi, plat


setup(cmdclass={"bdist_wheel": bdist_wheel}, distclass=BinaryDistribution if BUNDLED else Distribution)
