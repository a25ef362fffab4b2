#!/usr/bin/env bash
# System packages the test suites need (Debian/Ubuntu). Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v gcc >/dev/null || need+=(build-essential)
command -v valgrind >/dev/null || need+=(valgrind)
command -v php >/dev/null || need+=(php-cli)
command -v phpunit >/dev/null || need+=(phpunit)
[ -f /usr/share/java/jna.jar ] || need+=(libjna-java)
command -v mcs >/dev/null || need+=(mono-mcs)
command -v javac >/dev/null || need+=(default-jdk-headless)
command -v openssl >/dev/null || need+=(openssl)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
  echo "installed: ${need[*]}"
else
  echo "all system packages present"
fi
