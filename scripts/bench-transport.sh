#!/usr/bin/env bash
# Transport benchmark of b2c: one B2COPY fee call at a time against a local nginx that
# answers B2COPY's three endpoints with fixed JSON, b2c versus the usual tools of each
# language, and the start-up costs. It prints the figures for the README itself; it is a
# measurement, not a test: a missed target is reported (NOT MET) and exits 0, while a
# client that fails (a fee call not SUCCESS, an HTTP error) exits 1, a missing tool 2.
#
# What it measures (interleaved: BENCH_SITTINGS sittings, every client once per sitting;
# per client the median over sittings, per ratio b2c/peer the median and min-max):
#   http, C:  wrk -t1 -c1 (the floor) | libcurl, one easy handle | b2c C ABI
#   https, C: libcurl + OpenSSL       | b2c C ABI (rustls)
#   PHP:      PHP curl, one handle    | b2c through PHP FFI (bindings/php)
#   Python:   requests.Session        | b2c (bindings/python, ctypes)
#   16 threads: one shared b2c client vs one client per thread (calls/s, connections
#             opened after warm-up: nginx stub_status, else /proc/net/tcp snapshots)
#   one-shot process: libb2c (new, authenticate, one fee call) vs C + OpenSSL + libcurl
#             (and, for reference, empty programs linked with each: start + loading only)
#   first signature in a fresh process (b2c_key_from_pem, first b2c_jwt_mint), steady mint
#   b2c_client_new with private_key_pem
#   logging: b2c C ABI with no log callback vs a callback at warn (nothing to deliver on
#             a successful call) vs at debug (every exchange delivered)
# Every client reuses its connection and its token; µs/call is wall time, CPU µs/call the
# user+sys time of the client process (getrusage; wrk: wait4 of its whole process).
#
# nginx and every client run pinned to one CPU (taskset -c 0): a wake-up across CPUs costs
# ~20 µs on a small VM and would hide the client's own cost.
#
# Environment:
#   B2C_REL         directory with libb2c.so (default target/release; relative paths are
#                   taken from the current directory, else from the repository root).
#                   Nothing is built with cargo here.
#   BENCH_N         calls per run (default 20000); BENCH_SCALE multiplies it and the other
#                   counts (e.g. 0.1 for a quick run)
#   BENCH_SITTINGS  sittings (default 5)
#   BENCH_CPU       CPU to pin to (default 0), or "none"
#   BENCH_THREADS   threads of the concurrency comparison (default 16)
#   BENCH_VENV      Python venv with requests (default ~/.cache/b2c-bench/venv)
#   BENCH_RESULTS   if set, the raw per-run results are copied to this file
# Duration on 2 cores: ~3-4 min by default; BENCH_SCALE=0.1 BENCH_SITTINGS=2 ~30 s.
#
# Dependencies (installed when missing if run as root, else exit 2 with the list):
#   Debian: nginx wrk libcurl4-openssl-dev libssl-dev openssl php-cli php-curl python3-venv
#           build-essential pkg-config (util-linux for taskset); PHP's FFI extension
#           (php-cli/php-common on Debian)
#   PyPI (into BENCH_VENV): requests
# Network: package installation aside, only loopback is used (proxy variables are unset).
#
# Files: benches/transport/ (C clients, bench.php, bench.py, report.py, nginx.conf.in,
# locations.conf, fee.lua). Everything it starts is stopped on exit; its temp dir removed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/benches/transport"
PATH="$PATH:/usr/sbin:/sbin"

say() { echo "bench-transport: $*" >&2; }
fail() { say "$*"; exit 1; }

# ---- settings ------------------------------------------------------------------------------

rel="${B2C_REL:-target/release}"
if [[ "$rel" != /* ]]; then
    if [[ -d "$PWD/$rel" ]]; then rel="$PWD/$rel"; else rel="$ROOT/$rel"; fi
fi
B2C_REL="$(cd "$rel" 2>/dev/null && pwd)" || { say "B2C_REL: no directory $rel"; exit 2; }
if [[ ! -f "$B2C_REL/libb2c.so" ]]; then
    say "no $B2C_REL/libb2c.so (set B2C_REL to the directory of a built libb2c)"
    exit 2
fi
LIB="$B2C_REL/libb2c.so"

is_num() { [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; }
SCALE="${BENCH_SCALE:-1}"
is_num "$SCALE" || fail "BENCH_SCALE must be a positive number, not '$SCALE'"
BASE_N="${BENCH_N:-20000}"
SITTINGS="${BENCH_SITTINGS:-5}"
THREADS="${BENCH_THREADS:-16}"
CPU="${BENCH_CPU:-0}"
[[ "$BASE_N" =~ ^[1-9][0-9]*$ ]] || fail "BENCH_N must be a positive integer"
[[ "$SITTINGS" =~ ^[1-9][0-9]*$ ]] || fail "BENCH_SITTINGS must be a positive integer"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || fail "BENCH_THREADS must be a positive integer"

# scaled COUNT MIN: round(COUNT * BENCH_SCALE), at least MIN
scaled() { awk -v c="$1" -v s="$SCALE" -v m="$2" 'BEGIN { v = int(c * s + 0.5); print (v < m ? m : v) }'; }
N=$(scaled "$BASE_N" 100)                       # calls per run of every steady-state client
WARMUP=$(scaled "$((BASE_N / 20))" 50)          # unmeasured calls first (connect, TLS, caches)
N_REQUESTS=$(( N / 10 > 100 ? N / 10 : 100 ))   # requests.Session is ~10-20x slower: fewer calls
WRK_SECONDS=$(( (N + 5000) / 10000 )); (( WRK_SECONDS >= 1 )) || WRK_SECONDS=1
ONESHOT_RUNS=$(scaled 200 20)                   # executions per sitting of each one-shot program
FIRSTSIG_RUNS=50                                # fresh processes per sitting
STEADY_MINTS=$(scaled 2000 200)
CLIENTNEW_CALLS=$(scaled 2000 200)

if [[ "$CPU" == none ]]; then
    PIN=()
    PINNING="none (BENCH_CPU=none): the scheduler places nginx and the clients"
else
    [[ "$CPU" =~ ^[0-9]+$ ]] || fail "BENCH_CPU must be a CPU number or 'none'"
    command -v taskset >/dev/null || { say "taskset (util-linux) not found; or set BENCH_CPU=none"; exit 2; }
    taskset -c "$CPU" true 2>/dev/null || fail "cannot pin to CPU $CPU (BENCH_CPU)"
    PIN=(taskset -c "$CPU")
    PINNING="nginx and every client on CPU $CPU (taskset -c $CPU; BENCH_CPU=none to not pin)"
fi
pinned() { ${PIN[@]+"${PIN[@]}"} "$@"; }

# ---- dependencies --------------------------------------------------------------------------

missing=()
want() { # want PACKAGE CHECK...: queue PACKAGE unless CHECK succeeds
    local pkg=$1; shift
    "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
check_deps() {
    missing=()
    want build-essential command -v gcc
    want pkg-config command -v pkg-config
    want openssl command -v openssl
    want nginx command -v nginx
    want wrk command -v wrk
    want libcurl4-openssl-dev pkg-config --exists libcurl
    want libssl-dev pkg-config --exists openssl
    want php-cli command -v php
    want php-curl php -r 'exit(function_exists("curl_init") ? 0 : 1);'
    want php-common php -d ffi.enable=1 -r 'exit(class_exists("FFI") ? 0 : 1);'
    want python3-venv python3 -c 'import venv, ensurepip'
}
check_deps
if (( ${#missing[@]} )); then
    if [[ $EUID -ne 0 ]]; then
        say "missing: ${missing[*]}"
        say "install them as root (apt-get install ${missing[*]}) or run this script as root"
        exit 2
    fi
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    check_deps
    (( ${#missing[@]} == 0 )) || { say "still missing after apt-get: ${missing[*]}"; exit 2; }
fi

VENV="${BENCH_VENV:-$HOME/.cache/b2c-bench/venv}"
if ! "$VENV/bin/python" -c 'import requests' >/dev/null 2>&1; then
    say "creating $VENV with requests (PyPI)"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" || { say "cannot create the venv $VENV"; exit 2; }
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check requests ||
        { say "cannot install requests into $VENV (PyPI unreachable?)"; exit 2; }
fi
PY="$VENV/bin/python"

# From here on: loopback only.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy="127.0.0.1,localhost" NO_PROXY="127.0.0.1,localhost"

# ---- temp dir, clean-up --------------------------------------------------------------------

TMP="$(mktemp -d "${TMPDIR:-/tmp}/b2c-bench-transport.XXXXXX")"
NGINX_PID=""
stop_pid() { # stop_pid PID: TERM, up to 5 s, then KILL
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # nginx's own pid file first (the master, whatever started it), then the job we started.
    if [[ -s "$TMP/nginx/nginx.pid" ]]; then stop_pid "$(cat "$TMP/nginx/nginx.pid")"; fi
    if [[ -n "$NGINX_PID" ]]; then stop_pid "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ---------------------------------------------------------------------------------

BIN="$TMP/bin"
mkdir -p "$BIN"
CURL_FLAGS=$(pkg-config --cflags --libs libcurl)
SSL_FLAGS=$(pkg-config --cflags --libs openssl)
build() { # build NAME [extra flags...]: benches/transport/NAME.c -> $BIN/NAME
    build_as "$1" "$@"
}
build_as() { # build_as OUT NAME [extra flags...]
    local out=$1 name=$2; shift 2
    gcc -O2 -Wall -Wextra -I"$ROOT/include" -o "$BIN/$out" "$SRC/$name.c" "$@" ||
        fail "cannot build benches/transport/$name.c"
}
B2C_FLAGS="-L$B2C_REL -lb2c -Wl,-rpath,$B2C_REL"
say "building the C clients against $B2C_REL"
build feeloop $B2C_FLAGS $CURL_FLAGS
build threads $B2C_FLAGS -pthread
build oneshot_b2c $B2C_FLAGS
build oneshot_curl $CURL_FLAGS $SSL_FLAGS
build firstsig $B2C_FLAGS
build clientnew $B2C_FLAGS
build keygen $B2C_FLAGS
build execbench
# process start + dynamic loading only (references of the one-shot table)
build_as empty_curl oneshot_empty -Wl,--no-as-needed $CURL_FLAGS $SSL_FLAGS
build_as empty_b2c oneshot_empty -Wl,--no-as-needed $B2C_FLAGS

# ---- keys and certificates -----------------------------------------------------------------

KEY="$TMP/client-key.pem"                       # the client's P-256 key (PKCS#8), from b2c
B2C_VERSION=$("$BIN/keygen" "$KEY") || fail "keygen failed"

NGX="$TMP/nginx"
mkdir -p "$NGX"
cat >"$TMP/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = b2c transport bench CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
cat >"$TMP/server.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
{
    openssl req -x509 -config "$TMP/ca.cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$TMP/ca.key" -out "$TMP/ca.crt" -days 2
    openssl req -new -config "$TMP/server.cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$NGX/server.key" -out "$TMP/server.csr"
    openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" \
        -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 2 \
        -extfile "$TMP/server.cnf" -extensions v3_server -out "$NGX/server.crt"
} >"$TMP/openssl.log" 2>&1 || { cat "$TMP/openssl.log" >&2; fail "openssl could not make the certificates"; }
CA="$TMP/ca.crt"        # extra_ca_pem for b2c, CAINFO for libcurl

# ---- nginx ---------------------------------------------------------------------------------

read -r HTTP_PORT HTTPS_PORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
if nginx -V 2>&1 | grep -q -- --with-http_stub_status_module; then
    STUB='location = /bench_status { stub_status; }'
    STATUS_URL="http://127.0.0.1:$HTTP_PORT/bench_status"
else
    STUB=''
    STATUS_URL=-
fi
USER_LINE=''
[[ $EUID -eq 0 ]] && USER_LINE="user $(id -un) $(id -gn);"
cp "$SRC/locations.conf" "$NGX/locations.conf"
sed -e "s|@PREFIX@|$NGX|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
    -e "s|@STUB_STATUS@|$STUB|g" -e "s|@USER_LINE@|$USER_LINE|g" \
    "$SRC/nginx.conf.in" >"$NGX/nginx.conf"
# Started directly (not through a shell function) so that $! is nginx's master itself.
${PIN[@]+"${PIN[@]}"} nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" &
NGINX_PID=$!
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 100); do
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$NGX/error.log" >&2 || true; fail "nginx did not start"; }
    up "$HTTP_PORT" && up "$HTTPS_PORT" && break
    sleep 0.05
done
up "$HTTP_PORT" && up "$HTTPS_PORT" || fail "nginx is not listening on $HTTP_PORT/$HTTPS_PORT"
HTTP="http://127.0.0.1:$HTTP_PORT"
HTTPS="https://127.0.0.1:$HTTPS_PORT"

# ---- header --------------------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
[[ -n "$cpu_model" ]] || cpu_model=$(lscpu 2>/dev/null | awk -F': +' '/Model name/ { print $2; exit }')
echo "b2c transport benchmark"
echo "  machine:  ${cpu_model:-unknown CPU}, $(nproc) CPUs; $(uname -sr)"
echo "  b2c:      $B2C_VERSION ($LIB)"
lib_bytes=$(stat -L -c %s "$LIB")
if [ "$lib_bytes" -le 4000000 ]; then size_verdict=MET; else size_verdict="NOT MET"; fi
echo "  size:     $lib_bytes bytes (libb2c.so as built: stripped by the release profile); target <= 4 MB (4000000) — $size_verdict"
echo "  nginx:    $(nginx -v 2>&1 | sed 's/^nginx version: //') (worker_processes 1, loopback, http + https)"
echo "  libcurl:  $(pkg-config --modversion libcurl); $(openssl version | cut -d' ' -f1-2); gcc $(gcc -dumpfullversion)"
echo "  wrk:      $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
echo "  PHP:      $(php -d ffi.enable=1 -r 'echo PHP_VERSION, " (curl ", curl_version()["version"], ", FFI)";')"
echo "  Python:   $("$PY" -c 'import sys, requests; print(sys.version.split()[0], "(requests", requests.__version__ + ")")')"
echo "  calls:    N=$N per run (BENCH_N=$BASE_N x BENCH_SCALE=$SCALE; requests.Session $N_REQUESTS), warm-up $WARMUP"
echo "            wrk ${WRK_SECONDS}s per run; one-shot $ONESHOT_RUNS executions, first signature $FIRSTSIG_RUNS processes per sitting"
echo "  sittings: $SITTINGS (every client once per sitting, pairs alternating which goes first)"
echo "  pinning:  $PINNING"

# ---- clients -------------------------------------------------------------------------------

RESULTS="$TMP/results.txt"
: >"$RESULTS"
SITTING=0

# record CLIENT COMMAND...: run the client pinned, keep its key=value result line(s)
record() {
    local client=$1; shift
    local out
    out=$(pinned "$@" 2>"$TMP/client.err") || {
        cat "$TMP/client.err" >&2
        fail "client $client failed (sitting $SITTING): $*"
    }
    out=$(grep -E '^(calls|wrk_requests)=' <<<"$out" | tr '\n' ' ') || true
    [[ "$out" == *calls=* ]] || fail "client $client printed no result"
    echo "sitting=$SITTING client=$client $out" >>"$RESULTS"
}

PHP=(env B2C_LIBRARY="$LIB" php -d ffi.enable=1 "$SRC/bench.php")
PYB=(env B2C_LIBRARY="$LIB" PYTHONPATH="$ROOT/bindings/python/src" "$PY" "$SRC/bench.py")

c_wrk() {
    record wrk "$BIN/execbench" 1 wrk -t1 -c1 -d"${WRK_SECONDS}s" -s "$SRC/fee.lua" "$HTTP/api/admin/fees/v2/fee/feeservice/processext"
    local line; line=$(tail -1 "$RESULTS")
    [[ "$line" == *wrk_errors=0* && "$line" != *wrk_requests=0\ * ]] || fail "wrk saw errors: $line"
}
c_curl_http() { record c-curl-http "$BIN/feeloop" curl "$HTTP" "$N" "$WARMUP" -; }
c_b2c_http() { record c-b2c-http "$BIN/feeloop" b2c "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_b2c_nolog() { record c-b2c-nolog "$BIN/feeloop" b2c "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_b2c_logwarn() { record c-b2c-logwarn "$BIN/feeloop" b2c-logwarn "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_b2c_logdebug() { record c-b2c-logdebug "$BIN/feeloop" b2c-logdebug "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_curl_https() { record c-curl-https "$BIN/feeloop" curl "$HTTPS" "$N" "$WARMUP" - "$CA"; }
c_b2c_https() { record c-b2c-https "$BIN/feeloop" b2c "$HTTPS" "$N" "$WARMUP" "$KEY" "$CA"; }
c_php_curl() { record php-curl "${PHP[@]}" curl "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_php_ffi() { record php-ffi "${PHP[@]}" ffi "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_py_requests() { record py-requests "${PYB[@]}" requests "$HTTP" "$N_REQUESTS" "$WARMUP" "$KEY"; }
c_py_b2c() { record py-b2c "${PYB[@]}" b2c "$HTTP" "$N" "$WARMUP" "$KEY"; }
c_thr_separate() { record thr-separate "$BIN/threads" separate "$HTTP" "$N" "$THREADS" "$KEY" "$STATUS_URL"; }
c_thr_shared() { record thr-shared "$BIN/threads" shared "$HTTP" "$N" "$THREADS" "$KEY" "$STATUS_URL"; }
c_os_curl() { record os-curl "$BIN/execbench" "$ONESHOT_RUNS" "$BIN/oneshot_curl" "$HTTP" "$KEY"; }
c_os_b2c() { record os-b2c "$BIN/execbench" "$ONESHOT_RUNS" "$BIN/oneshot_b2c" "$HTTP" "$KEY"; }
c_os_empty() {
    record os-empty-curl "$BIN/execbench" "$ONESHOT_RUNS" "$BIN/empty_curl"
    record os-empty-b2c "$BIN/execbench" "$ONESHOT_RUNS" "$BIN/empty_b2c"
}
c_firstsig() {
    local i
    for ((i = 0; i < FIRSTSIG_RUNS; i++)); do record fs "$BIN/firstsig" "$KEY" 0; done
    record fs-steady "$BIN/firstsig" "$KEY" "$STEADY_MINTS"
}
c_clientnew() { record cn "$BIN/clientnew" "$HTTP" "$KEY" "$CLIENTNEW_CALLS"; }

# Comparisons: each group runs back to back; in even sittings the group runs reversed
# (peer first in odd sittings, b2c first in even ones), so drift hits both sides alike.
GROUPS_=(
    "c_wrk c_curl_http c_b2c_http"
    "c_b2c_nolog c_b2c_logwarn c_b2c_logdebug"
    "c_curl_https c_b2c_https"
    "c_php_curl c_php_ffi"
    "c_py_requests c_py_b2c"
    "c_thr_separate c_thr_shared"
    "c_os_curl c_os_b2c"
    "c_os_empty"
    "c_firstsig"
    "c_clientnew"
)

say "running $SITTINGS sittings against nginx on 127.0.0.1:$HTTP_PORT (http) and :$HTTPS_PORT (https)"
start=$SECONDS
for ((SITTING = 1; SITTING <= SITTINGS; SITTING++)); do
    t0=$SECONDS
    for group in "${GROUPS_[@]}"; do
        read -r -a fns <<<"$group"
        if (( SITTING % 2 == 0 )); then
            for ((i = ${#fns[@]} - 1; i >= 0; i--)); do "${fns[i]}"; done
        else
            for fn in "${fns[@]}"; do "$fn"; done
        fi
    done
    say "sitting $SITTING/$SITTINGS done ($((SECONDS - t0)) s)"
done
say "all sittings done in $((SECONDS - start)) s"

[[ -n "${BENCH_RESULTS:-}" ]] && cp "$RESULTS" "$BENCH_RESULTS"
python3 "$SRC/report.py" "$RESULTS"
