#!/usr/bin/env bash
# Builds every distributable artifact of b2c into dist/ (README "Install"):
#   dist/b2c-VERSION-linux-x86_64.tar.gz   C: lib/libb2c.so.VERSION + SONAME links, lib/libb2c.a,
#                                          include/b2c.h, lib/pkgconfig/b2c.pc (relocatable),
#                                          bin/b2c, bin/b2c-sandbox
#   dist/b2c-VERSION-py3-none-*.whl        Python: the platform wheel bundling libb2c.so
#   dist/b2c-VERSION.jar                   Java: classes + linux-x86-64/libb2c.so (JNA resource)
#   dist/b2c-csharp-VERSION.tar.gz         C#: B2c.dll (+ docs, debug symbols) and libb2c.so next to it
#   dist/b2c-php-VERSION.zip               PHP: the Composer package (src/, b2c_ffi.h, composer.json),
#                                          with its version: unpack it and require it through a
#                                          Composer "path" repository (or use it as an "artifact")
# Uses the release build (target/release, or B2C_REL); runs `cargo build --release` if it is
# missing. scripts/test-dist.sh installs each artifact into a fresh place and runs a fee call.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REL=${B2C_REL:-$ROOT/target/release}
VERSION=$(scripts/version.sh)
DIST=${DIST:-$ROOT/dist}

if [ ! -f "$REL/libb2c.so" ] || [ ! -f "$REL/b2c" ]; then
  cargo build --release
fi
rm -rf "$DIST"
mkdir -p "$DIST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== C: tarball"
stage=$tmp/c/b2c-$VERSION-linux-x86_64
make -s -C "$ROOT" install install-bin REL="$REL" DESTDIR="$stage" PREFIX= LIBDIR=/lib \
  INCLUDEDIR=/include BINDIR=/bin RELOCATABLE=1 RPATH=yes >/dev/null
cp README.md CHANGELOG.md "$stage/"
tar -C "$tmp/c" -czf "$DIST/b2c-$VERSION-linux-x86_64.tar.gz" "b2c-$VERSION-linux-x86_64"

echo "== Python: wheel"
bindings/python/build-wheel.sh "$DIST" "$REL/libb2c.so" >/dev/null

echo "== Java: jar"
bindings/java/build-jar.sh "$DIST/b2c-$VERSION.jar" "$REL/libb2c.so" >/dev/null

echo "== C#: B2c.dll"
make -s -C bindings/csharp lib OUT="$tmp/cs-build" >/dev/null
cs=$tmp/cs/b2c-csharp-$VERSION
mkdir -p "$cs"
cp "$tmp/cs-build"/B2c.dll* "$cs/" 2>/dev/null || true
for f in B2c.xml B2c.pdb; do [ -f "$tmp/cs-build/$f" ] && cp "$tmp/cs-build/$f" "$cs/"; done
cp "$REL/libb2c.so" "$cs/libb2c.so"
cp bindings/csharp/README.md "$cs/"
tar -C "$tmp/cs" -czf "$DIST/b2c-csharp-$VERSION.tar.gz" "b2c-csharp-$VERSION"

echo "== PHP: Composer package"
php_stage=$tmp/php
mkdir -p "$php_stage"
cp -r bindings/php/src bindings/php/bin bindings/php/b2c_ffi.h bindings/php/composer.json \
  bindings/php/autoload.php bindings/php/preload.php bindings/php/README.md "$php_stage/"
# A Composer artifact needs the version in its composer.json.
python3 - "$php_stage/composer.json" "$VERSION" <<'PY'
import json, sys
p, v = sys.argv[1], sys.argv[2]
d = json.load(open(p))
d["version"] = v
json.dump(d, open(p, "w"), indent=4)
open(p, "a").write("\n")
PY
(cd "$php_stage" && python3 -c "
import os, zipfile, sys
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for base, _, files in os.walk('.'):
        for f in sorted(files):
            p = os.path.join(base, f)
            z.write(p, os.path.relpath(p, '.'))
" "$DIST/b2c-php-$VERSION.zip")

echo
ls -l "$DIST"
