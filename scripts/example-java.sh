#!/usr/bin/env bash
# Builds the Java binding jar with bindings/java/build-jar.sh (bundling $B2C_REL/libb2c.so,
# default target/release, when that exists), compiles examples/java/Fee.java against it and
# runs it with only JNA and that jar on the class path. Reads the B2C_* environment variables
# (see examples/java/Fee.java); scripts/run-examples.sh sets them, B2C_LIBRARY included, which
# takes precedence over the bundled copy (bindings/java/README.md, "Loading libb2c").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REL=${B2C_REL:-$ROOT/target/release}
JNA=${JNA_JAR:-/usr/share/java/jna.jar}
OUT=$ROOT/build/java/example
VERSION=$(scripts/version.sh)
JAR=$OUT/b2c-$VERSION.jar

lib=()
[ -f "$REL/libb2c.so" ] && lib=("$REL/libb2c.so")
bindings/java/build-jar.sh "$JAR" "${lib[@]}" >/dev/null
rm -rf "$OUT/classes"
mkdir -p "$OUT/classes"
javac --release 11 -encoding UTF-8 -Xlint:all -Werror -cp "$JNA:$JAR" -d "$OUT/classes" examples/java/Fee.java
exec java -cp "$JNA:$JAR:$OUT/classes" Fee
