#!/usr/bin/env bash
# Every test of b2c: Rust (unit + integration against the sandbox), the header drift check,
# the C ABI under valgrind, Python, PHP, Java, C#, and the examples in every language.
# Prerequisites (Debian): build-essential valgrind php-cli phpunit libjna-java mono-mcs
# default-jdk python3-venv -- `scripts/install-deps.sh` installs them.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
run() {
  local name=$1; shift
  echo
  echo "=================== $name ==================="
  if "$@"; then
    echo "--- $name: ok"
  else
    echo "--- $name: FAILED"
    failed+=("$name")
  fi
}

echo "=================== build ==================="
# The shipped artifacts (libb2c.so/.a, b2c, b2c-sandbox) and the examples, in release; the
# Rust tests below build in the dev profile, which shares no artifact with these.
cargo build --release && cargo build --release --examples || { echo "build FAILED"; exit 1; }
scripts/soname.sh --link target/release >/dev/null

header_drift() {
  if git rev-parse --git-dir >/dev/null 2>&1; then
    git diff --exit-code -- include/ || { echo "include/b2c.h differs from the committed header: commit the regenerated header"; return 1; }
    [ -z "$(git status --porcelain -- include/)" ] || { echo "untracked/uncommitted header changes"; return 1; }
  else
    echo "not a git checkout; skipping drift check"
  fi
}

run "header drift (include/b2c.h)" header_drift
run "rust (cargo test)" cargo test --workspace --no-fail-fast
run "C ABI (gcc -Wall -Wextra -Werror, valgrind)" scripts/test-c.sh
run "python (pytest)" scripts/test-python.sh
run "php (phpunit)" scripts/test-php.sh
run "java (JNA)" scripts/test-java.sh
run "c# (mono)" scripts/test-csharp.sh
run "examples (every language against b2c-sandbox)" scripts/run-examples.sh

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "ALL SUITES PASSED"
else
  echo "FAILED SUITES: ${failed[*]}"
  exit 1
fi
