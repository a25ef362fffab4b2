#!/usr/bin/env bash
# Runs the fee example of every language (and the CLI, and the quickstart) against one
# b2c-sandbox started here, and checks each ends in SUCCESS. Assumes `cargo build --release
# && cargo build --release --examples` ran and the language toolchains are installed (scripts/install-deps.sh);
# the Python example uses the venv made by scripts/test-python.sh when present.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REL=${B2C_REL:-$ROOT/target/release}
scripts/soname.sh --link "$REL" >/dev/null

tmp=$(mktemp -d)
SB_PID=
cleanup() { [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$REL/b2c" keygen --private "$tmp/key.pem" --public "$tmp/key.pub" 2>/dev/null
"$REL/b2c-sandbox" --port 0 --register "ex-key:42:$tmp/key.pub:127.0.0.1" --pending-polls 1 \
  --error-login 999999 >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
SB_PID=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$tmp/sandbox.out" 2>/dev/null && break
  sleep 0.05
done
URL=$(sed -n 's/^b2c-sandbox listening on //p' "$tmp/sandbox.out")
[ -n "$URL" ] || { echo "sandbox did not start"; cat "$tmp/sandbox.err"; exit 1; }
echo "sandbox at $URL"

export B2C_BASE_URL=$URL B2C_ADMIN_ID=42 B2C_DEVICE_IP=127.0.0.1 B2C_KEY_ID=ex-key
export B2C_PRIVATE_KEY=$tmp/key.pem B2C_ACCOUNT=123456 B2C_POLL_INTERVAL_MS=50
export B2C_LIBRARY=$REL/libb2c.so LD_LIBRARY_PATH=$REL${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

passed=0 failed=0
example() {
  local name=$1; shift
  echo "--- $name"
  if B2C_REQUEST_ID="example-$name-$$" "$@" >"$tmp/out" 2>&1 && grep -q "SUCCESS" "$tmp/out"; then
    sed 's/^/    /' "$tmp/out"
    echo "    ok"
    passed=$((passed + 1))
  else
    sed 's/^/    /' "$tmp/out"
    echo "    FAILED"
    failed=$((failed + 1))
  fi
}

# C
make -s -C examples/c >/dev/null && example c "$ROOT/build/c/fee" || { echo "--- c: build FAILED"; failed=$((failed + 1)); }

# Python (the venv of scripts/test-python.sh has the package; else the source tree is used)
PY=python3; [ -x .venv/bin/python ] && PY=.venv/bin/python
example python "$PY" examples/python/fee.py

# PHP
example php php examples/php/fee.php

# The generic calls (B2COPY, CRM Open API, B2BINPAY) in Python and PHP: each exits 0 only when
# every answer was 2xx.
example_ok() {
  local name=$1; shift
  echo "--- $name"
  if "$@" >"$tmp/out" 2>&1; then
    sed 's/^/    /' "$tmp/out"; echo "    ok"; passed=$((passed + 1))
  else
    sed 's/^/    /' "$tmp/out"; echo "    FAILED"; failed=$((failed + 1))
  fi
}
calls_env=(env B2C_CRM_URL="$URL/crm" B2C_CRM_API_KEY=sandbox-api-key
  B2C_B2BINPAY_URL="$URL/b2binpay" B2C_B2BINPAY_LOGIN=sandbox-login B2C_B2BINPAY_PASSWORD=sandbox-password)
example_ok "python calls" "${calls_env[@]}" "$PY" examples/python/calls.py
example_ok "php calls" "${calls_env[@]}" php examples/php/calls.php

# Java and C#: built by their own scripts (see examples/java/README, examples/csharp/README)
if [ -x scripts/example-java.sh ]; then example java scripts/example-java.sh; fi
if [ -x scripts/example-csharp.sh ]; then example csharp scripts/example-csharp.sh; fi

# The CLI
example cli sh -c '"$0/b2c" fee --account 123456 --request-id "$B2C_REQUEST_ID" --wait 10 --poll-interval-ms 50' "$REL"

# The quickstart (README command 1), with its own embedded sandbox
example quickstart "$REL/examples/quickstart"

echo
echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
