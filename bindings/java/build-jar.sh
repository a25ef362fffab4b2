#!/usr/bin/env bash
# Builds the b2c Java binding jar:  bindings/java/build-jar.sh OUT_JAR [LIBRARY_SO]
#
# Compiles bindings/java/src with javac (--release 11, -Xlint:all -Werror) against JNA and
# writes OUT_JAR with the classes, com/b2c/version.properties and a manifest carrying
# Implementation-Version (from scripts/version.sh). With LIBRARY_SO, that file is bundled as
# the resource linux-x86-64/libb2c.so, which the binding extracts and loads when B2C_LIBRARY
# is not set, so `java -cp /usr/share/java/jna.jar:OUT_JAR App` needs nothing else.
# Env: JNA_JAR (default /usr/share/java/jna.jar), JAVAC/JAR (default javac/jar on PATH).
set -euo pipefail

usage() { echo "usage: $0 OUT_JAR [LIBRARY_SO]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$1" ] || usage
OUT_JAR=$1
LIB=${2:-}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JNA=${JNA_JAR:-/usr/share/java/jna.jar}
JAVAC=${JAVAC:-javac}
JAR=${JAR:-jar}

[ -f "$JNA" ] || { echo "$0: missing $JNA (Debian: apt install libjna-java)" >&2; exit 2; }
if [ -n "$LIB" ]; then
  [ -f "$LIB" ] || { echo "$0: LIBRARY_SO $LIB is not a file" >&2; exit 2; }
  # The resource is the x86-64 Linux one: refuse anything else rather than ship a copy that
  # cannot load.
  if command -v od >/dev/null; then
    magic=$(od -An -tx1 -N4 "$LIB" | tr -d ' \n')
    class=$(od -An -tx1 -j4 -N1 "$LIB" | tr -d ' \n')
    machine=$(od -An -tx1 -j18 -N2 "$LIB" | tr -d ' \n')
    if [ "$magic" != 7f454c46 ] || [ "$class" != 02 ] || [ "$machine" != 3e00 ]; then
      echo "$0: $LIB is not an x86-64 ELF shared library" >&2; exit 2
    fi
  fi
fi
VERSION=$("$ROOT/scripts/version.sh")
[ -n "$VERSION" ] || { echo "$0: scripts/version.sh printed no version" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/classes"

find "$HERE/src" -name '*.java' | LC_ALL=C sort | sed 's/.*/"&"/' >"$tmp/sources"
[ -s "$tmp/sources" ] || { echo "$0: no sources under $HERE/src" >&2; exit 2; }
"$JAVAC" --release 11 -Xlint:all -Werror -encoding UTF-8 -cp "$JNA" -d "$tmp/classes" @"$tmp/sources"

printf 'version=%s\n' "$VERSION" >"$tmp/classes/com/b2c/version.properties"
if [ -n "$LIB" ]; then
  mkdir -p "$tmp/classes/linux-x86-64"
  cp -L "$LIB" "$tmp/classes/linux-x86-64/libb2c.so"
fi

cat >"$tmp/MANIFEST.MF" <<EOF
Implementation-Title: b2c
Implementation-Version: $VERSION
Automatic-Module-Name: com.b2c
EOF

mkdir -p "$(dirname "$OUT_JAR")"
"$JAR" --create --file "$tmp/out.jar" --manifest "$tmp/MANIFEST.MF" -C "$tmp/classes" .
mv -f "$tmp/out.jar" "$OUT_JAR"
echo "wrote $OUT_JAR (b2c $VERSION$([ -n "$LIB" ] && echo ", bundles linux-x86-64/libb2c.so from $LIB"))"
