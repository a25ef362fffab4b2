#!/usr/bin/env bash
# Compiles the C# binding (bindings/csharp/src) with Mono's mcs into build/csharp/B2c.dll,
# its test program and examples/csharp/Fee.cs, then runs the test with mono against a
# b2c-sandbox it starts itself. Assumes `cargo build --release` has been run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REL="${B2C_REL:-$ROOT/target/release}"
OUT="$ROOT/build/csharp"

for f in "$REL/libb2c.so" "$REL/b2c-sandbox"; do
    [ -e "$f" ] || { echo "missing $f: run 'cargo build --release' first" >&2; exit 2; }
done
command -v mcs >/dev/null && command -v mono >/dev/null || { echo "mcs/mono not installed" >&2; exit 2; }
VERSION=$(scripts/version.sh)

mkdir -p "$OUT"
echo "== mcs"
mcs -nologo -target:library -warnaserror -debug -out:"$OUT/B2c.dll" bindings/csharp/src/*.cs
cp bindings/csharp/B2c.dll.config "$OUT/B2c.dll.config"
mcs -nologo -warnaserror -debug -out:"$OUT/TestMain.exe" -r:"$OUT/B2c.dll" bindings/csharp/test/*.cs
mcs -nologo -warnaserror -out:"$OUT/Fee.exe" -r:"$OUT/B2c.dll" examples/csharp/Fee.cs

echo "== run"
# [DllImport("b2c")]: Mono probes libb2c.so on LD_LIBRARY_PATH (B2c.dll.config maps it too).
export LD_LIBRARY_PATH="$REL${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export B2C_SANDBOX="$REL/b2c-sandbox"
export B2C_ROOT="$ROOT"
mono --debug "$OUT/TestMain.exe" "$VERSION"
