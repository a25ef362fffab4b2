#!/usr/bin/env bash
# Tests the JNA binding (bindings/java) with JUnit 5 (Debian's junit5 package: the console
# launcher /usr/share/java/junit-platform-console-standalone.jar) against a b2c-sandbox the
# tests start themselves.
#
# Builds, with bindings/java/build-jar.sh, build/java/b2c-VERSION.jar WITH $REL/libb2c.so
# bundled (resource linux-x86-64/libb2c.so; build/java/b2c.jar links to it) and
# build/java/b2c-VERSION-nolib.jar without it, compiles bindings/java/test and
# examples/java/Fee.java, and runs the tests WITHOUT B2C_LIBRARY, so the bundled copy is what
# loads (LibraryLoadingTest checks that, and runs child JVMs for B2C_LIBRARY, -Db2c.library
# and the system loader). Prints the launcher's counts; JUnit XML in build/java/test-reports.
# B2C_REL: the directory holding libb2c.so and b2c-sandbox (default target/release).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REL="${B2C_REL:-$ROOT/target/release}"
REL=$(cd "$REL" && pwd)
JNA=${JNA_JAR:-/usr/share/java/jna.jar}
JUNIT=${JUNIT_CONSOLE_JAR:-/usr/share/java/junit-platform-console-standalone.jar}
OUT="$ROOT/build/java"

for f in "$REL/libb2c.so" "$REL/b2c-sandbox" "$JNA" "$JUNIT"; do
    [ -e "$f" ] || { echo "missing $f (run 'cargo build --release'; install libjna-java junit5)" >&2; exit 2; }
done
VERSION=$(scripts/version.sh)
JAR="$OUT/b2c-$VERSION.jar"
JAR_NOLIB="$OUT/b2c-$VERSION-nolib.jar"

rm -rf "$OUT/test-classes" "$OUT/example-classes" "$OUT/test-reports" "$OUT/jna-tmp"
mkdir -p "$OUT/test-classes" "$OUT/example-classes" "$OUT/jna-tmp"

echo "== build-jar"
bindings/java/build-jar.sh "$JAR" "$REL/libb2c.so"
bindings/java/build-jar.sh "$JAR_NOLIB"
ln -sfn "b2c-$VERSION.jar" "$OUT/b2c.jar"   # the name the top-level README uses

echo "== javac (tests, example)"
find bindings/java/test -name '*.java' | LC_ALL=C sort >"$OUT/test-sources"
javac --release 11 -encoding UTF-8 -Xlint:all,-try -Werror -cp "$JUNIT:$JNA:$JAR" -d "$OUT/test-classes" @"$OUT/test-sources"
javac --release 11 -encoding UTF-8 -Xlint:all -Werror -cp "$JNA:$JAR" -d "$OUT/example-classes" examples/java/Fee.java

echo "== junit (bundled libb2c; B2C_LIBRARY unset)"
unset B2C_LIBRARY
export B2C_SANDBOX="$REL/b2c-sandbox"
export B2C_ROOT="$ROOT"
export B2C_HEADER="${B2C_HEADER:-$ROOT/include/b2c.h}"
export B2C_EXPECTED_VERSION="$VERSION"
export B2C_BUNDLED_FROM="$REL/libb2c.so"
export B2C_JAR="$JAR" B2C_JAR_NOLIB="$JAR_NOLIB" JNA_JAR="$JNA"
# (-Xcheck:jni only reports warnings inside JNA's own dispatch code, so it is not used.)
colors=(); [ -t 1 ] || colors=(--disable-ansi-colors)
set +e
java -Djna.tmpdir="$OUT/jna-tmp" -jar "$JUNIT" \
    --disable-banner "${colors[@]}" --details=tree --details-theme=ascii --fail-if-no-tests \
    --class-path "$JNA:$JAR:$OUT/test-classes" \
    --select-package com.b2c.test \
    --reports-dir "$OUT/test-reports" 2>&1 | tee "$OUT/junit.log"
rc=${PIPESTATUS[0]}
set -e
# The launcher's counts, on one line.
counts=$(sed -n 's/^\[ *\([0-9][0-9]*\) tests \(found\|successful\|failed\|skipped\|aborted\) *\]$/\1 \2/p' \
    "$OUT/junit.log" | paste -sd, - | sed 's/,/, /g')
echo "java (JUnit 5): ${counts:-no counts found} (exit $rc)"
exit "$rc"
