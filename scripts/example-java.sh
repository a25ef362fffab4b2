#!/usr/bin/env bash
# Builds the Java binding and examples/java/Fee.java into build/java and runs it (reads the
# B2C_* environment variables; see examples/java/Fee.java).
set -euo pipefail
cd "$(dirname "$0")/.."
JNA=/usr/share/java/jna.jar
mkdir -p build/java/classes build/java/example-classes
javac -nowarn -cp "$JNA" -d build/java/classes $(find bindings/java/src -name '*.java')
jar cf build/java/b2c.jar -C build/java/classes .
javac -cp "$JNA:build/java/b2c.jar" -d build/java/example-classes examples/java/Fee.java
B2C_LIBRARY=${B2C_LIBRARY:-$PWD/target/release/libb2c.so} \
  exec java -cp "$JNA:build/java/b2c.jar:build/java/example-classes" Fee
