#!/usr/bin/env bash
# Builds the C# binding with bindings/csharp/Makefile (B2c.dll, the NUnit test assembly
# B2c.Tests.dll, LoadProbe.exe and examples/csharp/Fee.cs, into $OUT, default build/csharp)
# and runs the tests with nunit-console (NUnit 2.6, Debian: nunit-console libnunit-cil-dev).
# B2C_REL is the directory holding libb2c.so and b2c-sandbox (default target/release, i.e.
# after `cargo build --release`). The tests load the library through B2C_LIBRARY=$B2C_REL/libb2c.so
# (LD_LIBRARY_PATH is not needed) and start b2c-sandbox themselves.
# Prints "nunit: N passed, N failed, N skipped"; exits non-zero on any failure or error.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REL="${B2C_REL:-$ROOT/target/release}"
REL=$(cd "$REL" 2>/dev/null && pwd || echo "$REL")
OUT="${OUT:-$ROOT/build/csharp}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for f in "$REL/libb2c.so" "$REL/b2c-sandbox"; do
    [ -e "$f" ] || { echo "missing $f: run 'cargo build --release' first (or set B2C_REL)" >&2; exit 2; }
done
for tool in mcs mono nunit-console make; do
    command -v "$tool" >/dev/null || { echo "$tool not installed (apt-get install mono-mcs nunit-console libnunit-cil-dev make)" >&2; exit 2; }
done

echo "== make (bindings/csharp/Makefile, OUT=$OUT)"
make -s -C bindings/csharp OUT="$OUT" lib test example

echo "== nunit-console"
export B2C_LIBRARY="$REL/libb2c.so"
export B2C_SANDBOX="$REL/b2c-sandbox"
export B2C_ROOT="$ROOT"
export B2C_HEADER="${B2C_HEADER:-$ROOT/include/b2c.h}"
export B2C_EXPECTED_VERSION=$(scripts/version.sh)
export B2C_EXPECTED_SONAME=$(scripts/soname.sh)
result="$OUT/TestResult.xml"
rm -f "$result"
# -noshadow: run B2c.dll from $OUT itself (no shadow copy in a temp dir).
set +e
nunit-console -nologo -noshadow -labels -work="$OUT" -xml="$result" "$OUT/B2c.Tests.dll" ${NUNIT_ARGS:-}
rc=$?
set -e

if [ ! -s "$result" ]; then
    echo "nunit-console wrote no $result (exit $rc)" >&2
    echo "nunit: 0 passed, 1 failed"
    exit 1
fi
# <test-results total=".." errors=".." failures=".." not-run=".." inconclusive=".." ignored=".." skipped=".." invalid="..">
attr() { sed -n 's/.*<test-results [^>]*[[:space:]]'"$1"'="\([0-9]*\)".*/\1/p' "$result" | head -n 1; }
total=$(attr total); errors=$(attr errors); failures=$(attr failures)
inconclusive=$(attr inconclusive); notrun=$(attr not-run)
: "${total:=0}" "${errors:=0}" "${failures:=0}" "${inconclusive:=0}" "${notrun:=0}"
failed=$((errors + failures))
passed=$((total - failed - inconclusive))
echo
echo "nunit: $passed passed, $failed failed, $notrun skipped"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
if [ "$total" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
