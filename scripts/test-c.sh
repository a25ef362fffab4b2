#!/usr/bin/env bash
# Builds tests/c/test_ffi.c and tests/c/test_protocols.c against the release library and runs
# each:
#   1. dynamically linked (-lb2c), under valgrind memcheck;
#   2. statically linked (-l:libb2c.a), once without valgrind, to prove the static lib links.
# Assumes `cargo build --release` has been run (libb2c.so, libb2c.a, b2c-sandbox).
# Exit status non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
REL="${B2C_REL:-$ROOT/target/release}"
OUT="$ROOT/build/c"
mkdir -p "$OUT"

for f in "$REL/libb2c.so" "$REL/libb2c.a" "$REL/b2c-sandbox" include/b2c.h; do
    [ -e "$f" ] || { echo "missing $f: run 'cargo build --release' first" >&2; exit 2; }
done

VERSION=$(scripts/version.sh)
[ -n "$VERSION" ] || { echo "cannot read the version from Cargo.toml" >&2; exit 2; }

# The dynamic loader looks for the SONAME (libb2c.so.0.MINOR), which cargo does not create.
scripts/soname.sh --link "$REL" >/dev/null

CFLAGS=(-std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude "-DEXPECTED_VERSION=\"$VERSION\"")

# test_ffi.c: every export, NULL handling, keys, JWT, the B2COPY fee flow.
# test_protocols.c: CRM Open API, B2BINPAY, RetailCRM and B2COPY token renewal against the
# sandbox's control surface (/_sandbox/stats and friends).
TESTS=(test_ffi test_protocols)

for t in "${TESTS[@]}"; do
    echo "== build $t (dynamic)"
    gcc "${CFLAGS[@]}" "tests/c/$t.c" -L"$REL" -lb2c -lpthread -o "$OUT/$t"

    echo "== build $t (static, libb2c.a)"
    gcc "${CFLAGS[@]}" "tests/c/$t.c" -L"$REL" -l:libb2c.a -lpthread -ldl -lm -o "$OUT/${t}_static"
    if ldd "$OUT/${t}_static" | grep -q libb2c; then
        echo "static build of $t still links libb2c dynamically" >&2
        exit 1
    fi
done

export B2C_SANDBOX="$REL/b2c-sandbox"
export B2C_FIXTURES="$ROOT/tests/fixtures/keys"

status=0

echo "== run (dynamic)"
if command -v valgrind >/dev/null 2>&1; then
    # Leak policy: only "definitely lost" and "indirectly lost" blocks fail the run.
    # Measured with --show-leak-kinds=all, what remains at exit is one-time runtime state,
    # not leaks of library objects:
    #  - "possibly lost" (48 bytes): std::thread::current() allocates the calling thread's
    #    `Thread` handle the first time Rust code asks for it on a foreign (C-created) thread
    #    (here fastrand seeds its thread-local RNG from it). std keeps only an interior
    #    pointer to that Arc, so memcheck can't tell it from a leak; it exists once per
    #    thread and the main thread's copy is never freed.
    #  - "still reachable" (~850 bytes): AWS-LC's per-thread DRBG state and jitter entropy
    #    source (CRYPTO_set_thread_local, tree_jitter_initialize), and std's lazily created
    #    globals. They stay referenced until process exit, by design.
    # Each library object (client, key, error, string) that a test forgets to free shows up
    # as "definitely lost" (plus "indirectly lost" for what it owns), and that fails.
    # We don't use a suppressions file: it would have to match symbol names of a specific
    # AWS-LC / std version.
    # valgrind does not trace children by default, so the b2c-sandbox the test forks and
    # execs runs natively.
    for t in "${TESTS[@]}"; do
        echo "-- $t"
        LD_LIBRARY_PATH="$REL" valgrind --quiet --leak-check=full \
            --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
            --error-exitcode=1 --track-origins=yes \
            "$OUT/$t" || status=1
    done
else
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    echo "!!! valgrind is NOT installed: running WITHOUT memory checking            !!!" >&2
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    for t in "${TESTS[@]}"; do
        echo "-- $t"
        LD_LIBRARY_PATH="$REL" "$OUT/$t" || status=1
    done
fi

echo "== run (static)"
for t in "${TESTS[@]}"; do
    echo "-- $t"
    "$OUT/${t}_static" || status=1
done

if [ "$status" -ne 0 ]; then
    echo "C tests FAILED" >&2
else
    echo "C tests passed"
fi
exit "$status"
