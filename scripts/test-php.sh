#!/usr/bin/env bash
# Run the PHP binding's PHPUnit suite against the sandbox.
# B2C_REL is the directory holding libb2c.so and b2c-sandbox (default target/release, what
# `cargo build --release` makes). Exports B2C_LIBRARY=$B2C_REL/libb2c.so and
# B2C_SANDBOX=$B2C_REL/b2c-sandbox (a B2C_SANDBOX already set is kept).
# tests/ComposerTest.php needs `composer` (Debian's package; it works offline, Packagist is
# disabled in the app it makes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REL="${B2C_REL:-$ROOT/target/release}"
LIB="$REL/libb2c.so"
if [[ ! -f "$LIB" ]]; then
    echo "test-php: $LIB not found; run cargo build --release first (or set B2C_REL)" >&2
    exit 2
fi
export B2C_LIBRARY="$LIB"
export B2C_SANDBOX="${B2C_SANDBOX:-$REL/b2c-sandbox}"
if [[ ! -x "$B2C_SANDBOX" ]]; then
    echo "test-php: B2C_SANDBOX=$B2C_SANDBOX is not an executable (build b2c-sandbox or set B2C_REL)" >&2
    exit 2
fi

# The shipped FFI header must be include/b2c.h plus the two defines (FFI_LIB = the SONAME).
if ! B2C_HEADER="$ROOT/include/b2c.h" php bindings/php/bin/b2c-ffi-header.php | diff -u bindings/php/b2c_ffi.h - >&2; then
    echo "test-php: bindings/php/b2c_ffi.h is stale; regenerate it with:" >&2
    echo "  B2C_HEADER=include/b2c.h php bindings/php/bin/b2c-ffi-header.php > bindings/php/b2c_ffi.h" >&2
    exit 1
fi

set +e
phpunit --configuration bindings/php/phpunit.xml "$@"
status=$?
set -e
exit $status
