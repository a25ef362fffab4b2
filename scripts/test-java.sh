#!/usr/bin/env bash
# Compiles the JNA binding (bindings/java/src), its test program and examples/java/Fee.java
# into build/java with plain javac (no Maven), then runs the test against a b2c-sandbox it
# starts itself. Assumes `cargo build --release` has been run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REL="${B2C_REL:-$ROOT/target/release}"
JNA=${JNA_JAR:-/usr/share/java/jna.jar}
OUT="$ROOT/build/java"

for f in "$REL/libb2c.so" "$REL/b2c-sandbox" "$JNA"; do
    [ -e "$f" ] || { echo "missing $f (run 'cargo build --release'; install libjna-java)" >&2; exit 2; }
done
VERSION=$(scripts/version.sh)

rm -rf "$OUT/classes" "$OUT/test-classes" "$OUT/example-classes"
mkdir -p "$OUT/classes" "$OUT/test-classes" "$OUT/example-classes"

echo "== javac"
javac -Xlint:all -Werror --release 11 -cp "$JNA" -d "$OUT/classes" \
    $(find bindings/java/src -name '*.java')
(cd "$OUT/classes" && jar cf "$OUT/b2c.jar" .)
javac -Xlint:all,-try -Werror -cp "$JNA:$OUT/b2c.jar" -d "$OUT/test-classes" \
    $(find bindings/java/test -name '*.java')
javac -Xlint:all -Werror -cp "$JNA:$OUT/b2c.jar" -d "$OUT/example-classes" examples/java/Fee.java

echo "== run"
export B2C_LIBRARY="$REL/libb2c.so"
export B2C_SANDBOX="$REL/b2c-sandbox"
export B2C_ROOT="$ROOT"
# (-Xcheck:jni only reports warnings inside JNA's own dispatch code, so it is not used.)
java -cp "$JNA:$OUT/b2c.jar:$OUT/test-classes" com.b2c.test.Main "$VERSION"
