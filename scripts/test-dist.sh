#!/usr/bin/env bash
# Installs every artifact of dist/ (scripts/package.sh) into a fresh place, as a new user
# would, and runs one fee call through each against a b2c-sandbox:
#   C      the tarball unpacked anywhere: gcc $(pkg-config --cflags --libs b2c), run with no
#          LD_LIBRARY_PATH; and `make install` into a prefix + the static library;
#   Python a fresh venv, pip install dist/b2c-*.whl, the example run from /tmp without B2C_LIBRARY;
#   Java   java -cp jna.jar:dist/b2c-VERSION.jar, no B2C_LIBRARY;
#   C#     the unpacked tarball (B2c.dll + libb2c.so), mono, no B2C_LIBRARY / LD_LIBRARY_PATH;
#   PHP    a fresh Composer app requiring b2c/b2c from dist/ (path repository), the library
#          found through B2C_LIBRARY pointing at the unpacked C tarball.
# Prints "dist: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REL=${B2C_REL:-$ROOT/target/release}
VERSION=$(scripts/version.sh)
DIST=${DIST:-$ROOT/dist}
[ -f "$DIST/b2c-$VERSION.jar" ] || { echo "dist/ is incomplete: run scripts/package.sh" >&2; exit 2; }

tmp=$(mktemp -d)
SB_PID=
cleanup() { [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$REL/b2c" keygen --private "$tmp/key.pem" --public "$tmp/key.pub" 2>/dev/null
"$REL/b2c-sandbox" --port 0 --register "dist-key:42:$tmp/key.pub:127.0.0.1" --pending-polls 1 \
  >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
SB_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/sandbox.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^b2c-sandbox listening on //p' "$tmp/sandbox.out")
[ -n "$URL" ] || { echo "sandbox did not start"; cat "$tmp/sandbox.err"; exit 1; }

# The only variables the programs get: the fee call's configuration. Nothing says where
# libb2c is, unless a step names it.
FEE_ENV=(B2C_BASE_URL="$URL" B2C_ADMIN_ID=42 B2C_DEVICE_IP=127.0.0.1 B2C_KEY_ID=dist-key
  B2C_PRIVATE_KEY="$tmp/key.pem" B2C_ACCOUNT=123456 B2C_POLL_INTERVAL_MS=50
  PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp/home")
mkdir -p "$tmp/home"

passed=0 failed=0
step() {
  local name=$1; shift
  echo "--- $name"
  if (cd "$tmp" && "$@") >"$tmp/out" 2>&1 && grep -q "SUCCESS" "$tmp/out"; then
    sed 's/^/    /' "$tmp/out" | tail -n 4
    echo "    ok"; passed=$((passed + 1))
  else
    sed 's/^/    /' "$tmp/out" | tail -n 30
    echo "    FAILED"; failed=$((failed + 1))
  fi
}

# C: the tarball, unpacked somewhere nobody configured.
mkdir -p "$tmp/c"
tar -C "$tmp/c" -xzf "$DIST/b2c-$VERSION-linux-x86_64.tar.gz"
CDIR=$tmp/c/b2c-$VERSION-linux-x86_64
c_tarball() {
  gcc -std=c11 -Wall -Wextra -Werror "$ROOT/examples/c/fee.c" \
    $(PKG_CONFIG_PATH="$CDIR/lib/pkgconfig" pkg-config --cflags --libs b2c) -o "$tmp/fee-c" &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-c-$$ "$tmp/fee-c"
}
step "C (tarball + pkg-config, no LD_LIBRARY_PATH)" c_tarball
c_static() {
  gcc -std=c11 -Wall -Wextra -Werror "$ROOT/examples/c/fee.c" \
    $(PKG_CONFIG_PATH="$CDIR/lib/pkgconfig" pkg-config --cflags --libs b2c-static) -o "$tmp/fee-c-static" &&
  ! ldd "$tmp/fee-c-static" | grep -q libb2c &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-cs-$$ "$tmp/fee-c-static"
}
step "C (static, b2c-static.pc)" c_static
c_make_install() {
  make -s -C "$ROOT" install REL="$REL" PREFIX="$tmp/prefix" >/dev/null &&
  test -L "$tmp/prefix/lib/$(scripts_soname)" &&
  gcc -std=c11 "$ROOT/examples/c/fee.c" \
    $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs b2c) -o "$tmp/fee-c2" &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-cm-$$ "$tmp/fee-c2"
}
scripts_soname() { "$ROOT/scripts/soname.sh"; }
step "C (make install PREFIX=..., pkg-config)" c_make_install

# C, system-wide: make install into /usr/local and ldconfig, then the plain pkg-config line
# and a program that runs with no environment naming the library. Only where this script
# may change the machine: as root under CI (a throwaway machine), or with B2C_DIST_SYSTEM=1.
SYSTEM=0
if [ "$(id -u)" = 0 ] && { [ "${CI:-}" = true ] || [ "${B2C_DIST_SYSTEM:-}" = 1 ]; }; then
  SYSTEM=1
  c_system() {
    make -s -C "$ROOT" install REL="$REL" PREFIX=/usr/local >/dev/null && ldconfig &&
    ldconfig -p | grep -q "$(scripts_soname)" &&
    gcc -std=c11 "$ROOT/examples/c/fee.c" $(pkg-config --cflags --libs b2c) -o "$tmp/fee-sys" &&
    ! readelf -d "$tmp/fee-sys" | grep -q RPATH &&
    env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-sys-$$ "$tmp/fee-sys"
  }
  step "C (make install into /usr/local + ldconfig, no rpath, no env)" c_system
fi

# Python: a fresh venv and the wheel; run from /tmp so nothing of the repository is importable.
py_wheel() {
  python3 -m venv "$tmp/venv" &&
  "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$DIST"/b2c-"$VERSION"-*.whl &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-py-$$ "$tmp/venv/bin/python" -I "$ROOT/examples/python/fee.py"
}
step "Python (wheel in a fresh venv)" py_wheel

# Java: the jar and JNA, nothing else.
java_jar() {
  mkdir -p "$tmp/java" &&
  javac -nowarn -cp "/usr/share/java/jna.jar:$DIST/b2c-$VERSION.jar" -d "$tmp/java" "$ROOT/examples/java/Fee.java" &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-java-$$ java -cp "/usr/share/java/jna.jar:$DIST/b2c-$VERSION.jar:$tmp/java" Fee
}
step "Java (dist jar with the bundled library)" java_jar

# C#: the unpacked package, mono, no library path anywhere.
cs_dll() {
  mkdir -p "$tmp/cs" && tar -C "$tmp/cs" -xzf "$DIST/b2c-csharp-$VERSION.tar.gz" &&
  local d="$tmp/cs/b2c-csharp-$VERSION" &&
  mcs -nologo -out:"$d/Fee.exe" -r:"$d/B2c.dll" "$ROOT/examples/csharp/Fee.cs" &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-cs-$$ mono "$d/Fee.exe"
}
step "C# (B2c.dll with libb2c.so next to it)" cs_dll

# PHP: a fresh Composer app requiring the package unpacked from dist/ through a path
# repository (copied, not symlinked, as a deployment would); Packagist is never asked.
php_composer() {
  mkdir -p "$tmp/php-pkg" "$tmp/phpapp" &&
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$DIST/b2c-php-$VERSION.zip" "$tmp/php-pkg" &&
  cd "$tmp/phpapp" &&
  cat >composer.json <<JSON &&
{"name": "example/crm", "type": "project",
 "repositories": [{"packagist.org": false},
                  {"type": "path", "url": "$tmp/php-pkg", "options": {"symlink": false}}],
 "require": {"b2c/b2c": "$VERSION"}}
JSON
  env -i "${FEE_ENV[@]}" COMPOSER_HOME="$tmp/composer" composer install --quiet --no-interaction &&
  sed "s|^require dirname(__DIR__, 2) . .*|require __DIR__ . '/vendor/autoload.php';|" "$ROOT/examples/php/fee.php" >fee.php &&
  env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-php-$$ B2C_LIBRARY="$CDIR/lib/libb2c.so.$VERSION" php fee.php
}
step "PHP (Composer app, path repository)" php_composer
if [ "$SYSTEM" = 1 ]; then
  php_system() {
    cd "$tmp/phpapp" && env -i "${FEE_ENV[@]}" B2C_REQUEST_ID=dist-php-sys-$$ php fee.php
  }
  step "PHP (the same app, the library from the system install, no B2C_LIBRARY)" php_system
  # Leave the machine as it was: a stale system copy would be found by every later run.
  make -s -C "$ROOT" uninstall PREFIX=/usr/local >/dev/null && ldconfig
fi

echo
echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
