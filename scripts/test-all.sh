#!/usr/bin/env bash
# Every test of b2c (README command 2): the release build, the header drift and ABI checks,
# Rust (unit + integration against the sandbox), the C ABI under valgrind, Python, PHP, Java,
# C#, the examples in every language, and the packaged artifacts installed fresh.
# Prerequisites (Debian): scripts/install-deps.sh installs them. Each suite prints its own
# counts; the script ends with ALL SUITES PASSED or the list of failed suites.
set -uo pipefail
cd "$(dirname "$0")/.."

# Every suite's stdout and stderr is kept in build/logs/, and the suites record the error
# messages and log events they see under build/logs/recorded/ ($B2C_SCAN_DIR); the secret
# scan at the end searches all of it.
LOGS=$PWD/build/logs
rm -rf "$LOGS" && mkdir -p "$LOGS/recorded"
export B2C_SCAN_DIR=$LOGS/recorded

failed=()
run() {
  local name=$1; shift
  echo
  echo "=================== $name ==================="
  local t0=$SECONDS
  local log
  log=$LOGS/$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_' | cut -c1-40).log
  "$@" 2>&1 | tee "$log"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    echo "--- $name: ok ($((SECONDS - t0)) s)"
  else
    echo "--- $name: FAILED ($((SECONDS - t0)) s)"
    failed+=("$name")
  fi
}

echo "=================== build ==================="
# The shipped artifacts (libb2c.so/.a, b2c, b2c-sandbox) and the examples, in release; the
# Rust tests build in the dev profile, which shares no artifact with these and never
# rebuilds them.
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
run "ABI (exports and header vs abi/libb2c.abi)" scripts/abi-check.py
run "rust (cargo test)" cargo test --workspace --no-fail-fast
run "C ABI (gcc -Wall -Wextra -Werror: valgrind, ASan+UBSan, static, strace)" scripts/test-c.sh
run "token store across processes (b2c CLI: 8 runs, SIGKILL of the lock holder, torn record)" scripts/test-store.sh
run "python (pytest)" scripts/test-python.sh
run "php (phpunit)" scripts/test-php.sh
run "PHP-FPM proof (4 workers behind nginx, 2,000 requests; file store, shared handles, kill -9)" scripts/proof-fpm.sh
run "java (JUnit 5)" scripts/test-java.sh
run "c# (NUnit)" scripts/test-csharp.sh
run "examples (every language against b2c-sandbox)" scripts/run-examples.sh
run "packages (scripts/package.sh, each installed fresh)" sh -c 'scripts/package.sh >/dev/null && scripts/test-dist.sh'
run "secret scan (self-test)" scripts/secret-scan.py --self-test
run "secret scan (every suite's output, errors and log events)" scripts/secret-scan.py "$LOGS"

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "ALL SUITES PASSED"
else
  echo "FAILED SUITES: ${failed[*]}"
  exit 1
fi
