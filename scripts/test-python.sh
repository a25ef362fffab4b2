#!/usr/bin/env bash
# Run the Python binding's pytest suite against the sandbox.
# Assumes `cargo build --release` was run (target/release/libb2c.so and b2c-sandbox).
# Creates/reuses a venv at .venv; installs pytest, cryptography, PyJWT and the package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REL="${B2C_REL:-$ROOT/target/release}"
LIB="$REL/libb2c.so"
if [[ ! -f "$LIB" ]]; then
    echo "test-python: $LIB not found; run cargo build --release first" >&2
    exit 2
fi

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check pytest cryptography PyJWT
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
