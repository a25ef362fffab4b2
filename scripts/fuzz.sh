#!/usr/bin/env bash
# Short, bounded fuzzing of every parser reachable from the C ABI or the network (fuzz/,
# cargo-fuzz): each target runs FUZZ_SECONDS (default 10) from the committed seed corpus
# (fuzz/corpus/<target>, copied: the committed corpus is not modified). Prints executions
# per target and fails on any crash (the input is kept in fuzz/artifacts/<target>/).
# Needs a nightly toolchain (rustup) and cargo-fuzz (installed from crates.io if missing);
# without a nightly toolchain it says so and exits 0.
#   scripts/fuzz.sh [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_PER=${FUZZ_SECONDS:-10}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly) - cargo-fuzz needs one"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet || { echo "fuzz: cannot install cargo-fuzz" >&2; exit 1; }
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
echo "fuzz: building ${#targets[@]} targets (nightly, sanitizer coverage)"
cargo +nightly fuzz build 2>&1 | tail -1

total=0 crashes=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp -r "corpus/$t/." "$work/$t/" 2>/dev/null || true
  out=$(cargo +nightly fuzz run "$t" "$work/$t" -- -max_total_time="$SECONDS_PER" \
        -print_final_stats=1 -max_len=65536 2>&1)
  rc=$?
  execs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -n1)
  execs=${execs:-0}
  total=$((total + execs))
  if [ $rc -ne 0 ]; then
    crashes=$((crashes + 1))
    echo "fuzz: $t: CRASH after $execs executions"
    echo "$out" | grep -E "panicked|ERROR|SUMMARY|Test unit written" | head -n 8 | sed 's/^/    /'
  else
    echo "fuzz: $t: $execs executions in ${SECONDS_PER} s, no crash"
  fi
done
echo "fuzz: ${#targets[@]} targets, $total executions, $crashes crashes"
[ "$crashes" -eq 0 ]
