#!/usr/bin/env bash
# The C ABI tests (tests/c), against the release library:
#   1. test_ffi and test_protocols, dynamically linked (-lb2c), under valgrind memcheck
#      (leaks of library objects fail the run);
#   2. the same two built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc
#      -fsanitize=address,undefined), run natively: memory errors and UB on the C side of
#      every call fail the run (leaks are valgrind's job there);
#   3. the same two statically linked (-l:libb2c.a), to prove the static library links;
#   4. test_threads under strace: 1,000 fee calls after a warm-up create no thread.
# valgrind and strace are required (scripts/install-deps.sh installs them).
# Assumes `cargo build --release` has been run (libb2c.so, libb2c.a, b2c-sandbox).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REL="${B2C_REL:-$ROOT/target/release}"
OUT="$ROOT/build/c"
mkdir -p "$OUT"

for f in "$REL/libb2c.so" "$REL/libb2c.a" "$REL/b2c-sandbox" "$REL/b2c" include/b2c.h; do
    [ -e "$f" ] || { echo "missing $f: run 'cargo build --release' first" >&2; exit 2; }
done
for tool in valgrind strace; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed: run scripts/install-deps.sh" >&2; exit 2; }
done

VERSION=$(scripts/version.sh)
[ -n "$VERSION" ] || { echo "cannot read the version from Cargo.toml" >&2; exit 2; }

# The dynamic loader looks for the SONAME (libb2c.so.0.MINOR), which cargo does not create.
scripts/soname.sh --link "$REL" >/dev/null

CFLAGS=(-std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude "-DEXPECTED_VERSION=\"$VERSION\"")
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

# test_ffi.c: every export, NULL handling, keys, JWT, the B2COPY fee flow.
# test_protocols.c: CRM Open API, B2BINPAY, RetailCRM and B2COPY token renewal against the
# sandbox's control surface (/_sandbox/stats and friends).
TESTS=(test_ffi test_protocols)

for t in "${TESTS[@]}"; do
    echo "== build $t (dynamic; ASan+UBSan; static)"
    gcc "${CFLAGS[@]}" "tests/c/$t.c" -L"$REL" -lb2c -lpthread -o "$OUT/$t"
    gcc "${CFLAGS[@]}" "${SAN[@]}" "tests/c/$t.c" -L"$REL" -lb2c -lpthread -o "$OUT/${t}_asan"
    gcc "${CFLAGS[@]}" "tests/c/$t.c" -L"$REL" -l:libb2c.a -lpthread -ldl -lm -o "$OUT/${t}_static"
    if ldd "$OUT/${t}_static" | grep -q libb2c; then
        echo "static build of $t still links libb2c dynamically" >&2
        exit 1
    fi
done
gcc "${CFLAGS[@]}" tests/c/test_threads.c -L"$REL" -lb2c -lpthread -o "$OUT/test_threads"

export B2C_SANDBOX="$REL/b2c-sandbox"
export B2C_FIXTURES="$ROOT/tests/fixtures/keys"

status=0

echo "== run under valgrind (dynamic)"
# Leak policy: only "definitely lost" and "indirectly lost" blocks fail the run.
# Measured with --show-leak-kinds=all, what remains at exit is one-time runtime state, not
# leaks of library objects:
#  - "possibly lost" (48 bytes): std::thread::current() allocates the calling thread's
#    `Thread` handle the first time Rust code asks for it on a foreign (C-created) thread.
#    std keeps only an interior pointer to that Arc, so memcheck can't tell it from a leak;
#    it exists once per thread and the main thread's copy is never freed.
#  - "still reachable": AWS-LC's per-thread DRBG state, the shared TLS configuration and
#    std's lazily created globals. They stay referenced until process exit, by design.
# Each library object (client, key, error, string) that a test forgets to free shows up as
# "definitely lost" (plus "indirectly lost" for what it owns), and that fails.
# valgrind does not trace children by default, so the b2c-sandbox the test forks and execs
# runs natively.
for t in "${TESTS[@]}"; do
    echo "-- $t"
    LD_LIBRARY_PATH="$REL" valgrind --quiet --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=1 --track-origins=yes \
        "$OUT/$t" || status=1
done

echo "== run with AddressSanitizer + UndefinedBehaviorSanitizer"
for t in "${TESTS[@]}"; do
    echo "-- $t"
    LD_LIBRARY_PATH="$REL" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$OUT/${t}_asan" || status=1
done

echo "== run (static)"
for t in "${TESTS[@]}"; do
    echo "-- $t"
    "$OUT/${t}_static" || status=1
done

echo "== no thread per request (strace -f, clone/clone3 between the markers)"
tmp=$(mktemp -d)
SB_PID=
cleanup() { [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$REL/b2c" keygen --private "$tmp/key.pem" --public "$tmp/key.pub" 2>/dev/null
"$REL/b2c-sandbox" --port 0 --register "kid1:42:$tmp/key.pub" --pending-polls 0 >"$tmp/sb.out" 2>"$tmp/sb.err" &
SB_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/sb.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^b2c-sandbox listening on //p' "$tmp/sb.out")
if [ -z "$url" ]; then
    echo "sandbox did not start" >&2
    status=1
else
    if LD_LIBRARY_PATH="$REL" B2C_SANDBOX_URL="$url" B2C_KEY_FILE="$tmp/key.pem" \
        strace -f -qq -e trace=clone,clone3,write -o "$tmp/trace" "$OUT/test_threads"; then
        clones=$(awk '/THREADS-BEGIN/{on=1; next} /THREADS-END/{on=0} on && /clone3?\(/{n++} END{print n+0}' "$tmp/trace")
        marked=$(grep -c 'THREADS-\(BEGIN\|END\)' "$tmp/trace" || true)
        if [ "$marked" -ne 2 ]; then
            echo "FAIL: the markers were not traced ($marked)"
            status=1
        elif [ "$clones" -ne 0 ]; then
            echo "FAIL: $clones threads created during 1000 fee calls"
            awk '/THREADS-BEGIN/{on=1; next} /THREADS-END/{on=0} on && /clone3?\(/' "$tmp/trace" | head -5
            status=1
        else
            echo "no thread created during 1000 fee calls (strace: 0 clone/clone3)"
        fi
    else
        status=1
    fi
fi

if [ "$status" -ne 0 ]; then
    echo "C tests FAILED" >&2
else
    echo "C tests passed"
fi
exit "$status"
