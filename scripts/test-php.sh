#!/usr/bin/env bash
# Run the PHP binding's PHPUnit suite against the sandbox.
# Assumes `cargo build --release` was run (target/release/libb2c.so and b2c-sandbox).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REL="${B2C_REL:-$ROOT/target/release}"
LIB="$REL/libb2c.so"
if [[ ! -f "$LIB" ]]; then
    echo "test-php: $LIB not found; run cargo build --release first" >&2
    exit 2
fi
export B2C_LIBRARY="$LIB"

# The shipped FFI::load / ffi.preload header must be include/b2c.h plus the two defines.
if ! php bindings/php/bin/b2c-ffi-header.php | diff -u bindings/php/b2c_ffi.h - >&2; then
    echo "test-php: bindings/php/b2c_ffi.h is stale; regenerate it with:" >&2
    echo "  php bindings/php/bin/b2c-ffi-header.php > bindings/php/b2c_ffi.h" >&2
    exit 1
fi

set +e
phpunit --configuration bindings/php/phpunit.xml "$@"
status=$?
set -e
exit $status
