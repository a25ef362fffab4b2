#!/usr/bin/env bash
# System packages the test suites need (Debian/Ubuntu), installed when missing. Run as root.
#   C:      build-essential, pkg-config, valgrind, strace (ASan and UBSan come with gcc)
#   Python: python3-venv (pytest, cryptography, PyJWT, build tools come from PyPI into venvs)
#   PHP:    php-cli, phpunit, composer
#   Java:   a JDK, libjna-java, junit5 (the console launcher)
#   C#:     mono-mcs, nunit-console, libnunit-cil-dev
#   Rust:   tinyproxy (the proxy the transport tests go through), nodejs (JSON.stringify,
#           the reference for the CRM normal form)
#   PHP-FPM proof and token stores: php-fpm, nginx, redis-server, php-redis
#   bench:  openssl
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want() { # want PACKAGE [CHECK-COMMAND...]: the package unless the check succeeds
  local pkg=$1; shift
  if [ $# -gt 0 ]; then "$@" >/dev/null 2>&1 && return 0; else have_pkg "$pkg" && return 0; fi
  need+=("$pkg")
}
want build-essential command -v gcc
want make command -v make
want pkg-config command -v pkg-config
want valgrind command -v valgrind
want strace command -v strace
want openssl command -v openssl
want curl command -v curl
want python3-venv python3 -c 'import venv, ensurepip'
want php-cli command -v php
want phpunit command -v phpunit
want composer command -v composer
want default-jdk-headless command -v javac
want libjna-java test -f /usr/share/java/jna.jar
want junit5 test -f /usr/share/java/junit-platform-console-standalone.jar
want mono-mcs command -v mcs
want nunit-console command -v nunit-console
want libnunit-cil-dev
want tinyproxy test -x /usr/bin/tinyproxy
want nodejs command -v node
want php-fpm sh -c 'ls /usr/sbin/php-fpm8.* >/dev/null 2>&1'
want nginx test -x /usr/sbin/nginx
want redis-server command -v redis-server
want php-redis php -r 'exit(extension_loaded("redis") ? 0 : 1);'
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
  echo "installed: ${need[*]}"
else
  echo "all system packages present"
fi
