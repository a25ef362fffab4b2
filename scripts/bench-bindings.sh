#!/usr/bin/env bash
# Benchmark the Python and PHP bindings against their languages' usual tools:
#   Python: b2c.mint_jwt vs PyJWT+cryptography (ES256); b2c.sign_payload vs hmac (1 KiB)
#   PHP:    B2c\Jwt::mint vs openssl_sign JWT;          B2c\Signature::sign vs hash_hmac (1 KiB)
# Prints per-op microseconds (median of BENCH_RUNS=7 runs) and the ratios. ~30 s.
# Assumes `cargo build --release`; uses the venv at .venv (created like test-python.sh).
# BENCH_SCALE=0.2 shortens it (fewer iterations per run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export B2C_LIBRARY="$ROOT/target/release/libb2c.so"
if [[ ! -f "$B2C_LIBRARY" ]]; then
    echo "bench-bindings: $B2C_LIBRARY not found; run cargo build --release first" >&2
    exit 2
fi

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import jwt, cryptography' 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check cryptography PyJWT
fi

echo "== Python binding (bindings/python) =="
# The current sources (src layout) win over any installed copy.
PYTHONPATH="$ROOT/bindings/python/src" "$VENV/bin/python" bindings/python/bench/bench.py
echo
echo "== PHP binding (bindings/php) =="
php bindings/php/bench/bench.php
