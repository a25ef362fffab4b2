#!/usr/bin/env bash
# Builds the C# binding and examples/csharp/Fee.cs into $OUT (default build/csharp) with
# bindings/csharp/Makefile and runs it with mono. Reads the B2C_* environment variables
# (see examples/csharp/Fee.cs); scripts/run-examples.sh sets them and B2C_LIBRARY against
# its sandbox. When B2C_LIBRARY is unset, $B2C_REL/libb2c.so (default target/release) is used
# if it exists; otherwise the binding's own order applies (libb2c.so next to B2c.dll, then
# the system loader).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="${OUT:-$ROOT/build/csharp}"
make -s -C bindings/csharp OUT="$OUT" example >&2
if [ -z "${B2C_LIBRARY:-}" ] && [ -f "${B2C_REL:-$ROOT/target/release}/libb2c.so" ]; then
    export B2C_LIBRARY="${B2C_REL:-$ROOT/target/release}/libb2c.so"
fi
exec mono "$OUT/Fee.exe"
