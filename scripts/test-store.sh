#!/usr/bin/env bash
# The file token store across real processes, with the `b2c` CLI against b2c-sandbox:
#   1. 8 separate `b2c fee --token-store DIR` processes, one after another: 1 authexternalcrm
#      exchange in total (the sandbox's own counter), the record 0600 in a 0700 directory;
#   2. a process killed with SIGKILL while it holds the store's lock in the middle of an
#      exchange (the sandbox answers authexternalcrm after 3 s): the next process takes the
#      lock at once and succeeds within its deadline, and the record it reads and writes is
#      valid (a third process adopts it: no new exchange);
#   3. a torn record (half a file) is ignored: one new exchange, then the record is good.
# Needs target/release/{b2c,b2c-sandbox} (B2C_REL to point elsewhere). Prints
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
REL="${B2C_REL:-$PWD/target/release}"
B2C="$REL/b2c"
SANDBOX="$REL/b2c-sandbox"
for f in "$B2C" "$SANDBOX"; do
    [ -x "$f" ] || { echo "test-store: $f missing: run cargo build --release (or set B2C_REL)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "test-store: curl is needed (scripts/install-deps.sh)" >&2; exit 2; }

TMP=$(mktemp -d)
SB_PID=""
cleanup() {
    [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null && wait "$SB_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check "what" CONDITION-RESULT(0/1)
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

"$B2C" keygen --private "$TMP/key.pem" --public "$TMP/pub.pem" >/dev/null 2>&1 || exit 1
"$SANDBOX" --port 0 --pending-polls 0 --register "kid1:42:$TMP/pub.pem" >"$TMP/sandbox.out" 2>"$TMP/sandbox.err" &
SB_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$TMP/sandbox.out" && break; sleep 0.05; done
URL=$(sed -n 's/^b2c-sandbox listening on //p' "$TMP/sandbox.out" | head -1)
[ -n "$URL" ] || { echo "test-store: the sandbox did not start" >&2; cat "$TMP/sandbox.err" >&2; exit 1; }

counter() { # counter VENDOR KEY
    curl -s "$URL/_sandbox/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['$2'])"
}
fee() { # fee REQUEST_ID: one `b2c fee` process (exec'd: in the background $! is its pid)
    exec env B2C_BASE_URL="$URL" B2C_PRIVATE_KEY="$TMP/key.pem" B2C_ADMIN_ID=42 \
        B2C_DEVICE_IP=127.0.0.1 B2C_KEY_ID=kid1 B2C_ACCOUNT=123456 B2C_REQUEST_ID="$1" \
        B2C_TOKEN_STORE="$TMP/store" "$B2C" fee >"$TMP/fee-$1.out" 2>"$TMP/fee-$1.err"
}
record() { ls "$TMP"/store/b2copy-*.json 2>/dev/null | head -1; }

# 1. Eight processes, one exchange.
ok=0
for i in $(seq 8); do (fee "seq-$i") || { ok=1; cat "$TMP/fee-seq-$i.err"; }; done
check "8 CLI processes all succeed" $ok
check "8 CLI processes: 1 authexternalcrm exchange in total (got $(counter b2copy auth_ok))" "$([ "$(counter b2copy auth_ok)" = 1 ]; echo $?)"
check "the record is mode 600 in a mode 700 directory" \
    "$([ "$(stat -c %a "$(record)")" = 600 ] && [ "$(stat -c %a "$TMP/store")" = 700 ]; echo $?)"

# 2. SIGKILL while holding the lock mid-exchange.
rm -f "$(record)"
curl -s -X POST "$URL/_sandbox/faults" -H 'Content-Type: application/json' \
    -d '{"path": "/api/admin/auth/v2/admin/adminservice/authexternalcrm", "fault": "latency", "ms": 3000, "times": 1}' >/dev/null
(fee kill-1) &
victim=$!
lock=$(ls "$TMP"/store/b2copy-*.lock 2>/dev/null | head -1)
for _ in $(seq 200); do
    lock=$(ls "$TMP"/store/b2copy-*.lock 2>/dev/null | head -1)
    # Held: a non-blocking lock of our own fails.
    if [ -n "$lock" ] && ! flock -n "$lock" true 2>/dev/null; then break; fi
    sleep 0.02
done
held=1
[ -n "$lock" ] && ! flock -n "$lock" true 2>/dev/null && held=0
check "the first process holds the store's lock during its (slow) exchange" $held
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
before=$(counter b2copy auth_ok)
start=$(date +%s%N)
(fee kill-2)
rc=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "after SIGKILL of the holder the next process succeeds at once (${took_ms} ms)" \
    "$([ $rc -eq 0 ] && [ $took_ms -lt 2500 ]; echo $?)"
check "it made the one exchange the killed process could not finish" \
    "$([ "$(counter b2copy auth_ok)" = $((before + 1)) ]; echo $?)"
(fee kill-3)
check "a third process adopts the record (valid, no new exchange)" \
    "$([ $? -eq 0 ] && [ "$(counter b2copy auth_ok)" = $((before + 1)) ]; echo $?)"

# 3. A torn record.
f=$(record)
head -c "$(( $(stat -c %s "$f") / 2 ))" "$f" >"$TMP/torn" && cp "$TMP/torn" "$f"
before=$(counter b2copy auth_ok)
(fee torn-1)
check "a torn record is ignored: the process succeeds with one new exchange" \
    "$([ $? -eq 0 ] && [ "$(counter b2copy auth_ok)" = $((before + 1)) ]; echo $?)"
(fee torn-2)
check "and the record written then is good" "$([ $? -eq 0 ] && [ "$(counter b2copy auth_ok)" = $((before + 1)) ]; echo $?)"

# Nothing secret in what the processes printed.
if [ -n "${B2C_SCAN_DIR:-}" ]; then cat "$TMP"/fee-*.out "$TMP"/fee-*.err >"$B2C_SCAN_DIR/store-cli-output.log" 2>/dev/null; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
