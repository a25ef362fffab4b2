#!/usr/bin/env bash
# Prints the SONAME of libb2c for the version in Cargo.toml (README, "SONAME policy"):
# libb2c.so.MAJOR from 1.0 on, libb2c.so.0.MINOR before 1.0. With --link DIR, also makes
# DIR/libb2c.so.SONAME -> libb2c.so so programs linked with -lb2c start from DIR (the
# loader looks for the SONAME, which `cargo build` does not create).
set -euo pipefail
version=$("$(dirname "$0")/version.sh")
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then soname="libb2c.so.0.$minor"; else soname="libb2c.so.$major"; fi
if [ "${1:-}" = "--link" ]; then
  dir=${2:?usage: soname.sh --link DIR}
  ln -sf libb2c.so "$dir/$soname"
fi
echo "$soname"
