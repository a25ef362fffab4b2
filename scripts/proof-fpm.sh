#!/usr/bin/env bash
# The PHP-FPM proof: many PHP-FPM workers whose PHP objects die with each request share ONE
# B2COPY / B2BINPAY credential through b2c's shared handles and file token store.
#
# On loopback only, in a temp dir removed at exit (nothing is left running), it starts:
#   - nginx (its own config, FastCGI to the pool's unix socket),
#   - a php-fpm8.2 pool of 4 static workers (its own config, run as the current user,
#     ffi.enable=1, opcache.preload = bindings/php/preload.php, env B2C_LIBRARY),
#   - per run a fresh b2c-sandbox (ephemeral port) with a key made by `b2c keygen`,
# and tests/fpm/proof.py sends the load (2,000 requests, concurrency 8, to tests/fpm/page.php)
# and checks five runs against the sandbox's counters (see tests/fpm/proof.py). Ends with
# `N passed, N failed`; exit 1 on any failure, 2 when a dependency is missing (nothing is
# installed: the message names the Debian package, which scripts/install-deps.sh installs).
#
# B2C_REL is the directory holding libb2c.so, b2c-sandbox and b2c (default target/release).
# PROOF_FPM_KEEP=1 keeps the temp dir (logs, configs) for a look after a failure.
# PROOF_FPM_API=new is the control: `new B2c\Client(...)` per request instead of ::shared()
# (what PHP code without shared handles does): the proof must then fail.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REL="${B2C_REL:-$ROOT/target/release}"
REL="$(cd "$REL" 2>/dev/null && pwd || echo "$REL")"
WORKERS=4

missing() { # missing WHAT PACKAGE
    echo "proof-fpm: $1 is missing: install the Debian package $2 (scripts/install-deps.sh installs it: sudo scripts/install-deps.sh, or apt-get install $2)" >&2
    exit 2
}
for f in libb2c.so b2c-sandbox b2c; do
    if [[ ! -e "$REL/$f" ]]; then
        echo "proof-fpm: $REL/$f not found; run cargo build --release first (or set B2C_REL)" >&2
        exit 2
    fi
done
FPM="$(command -v php-fpm8.2 || true)"
[[ -z "$FPM" && -x /usr/sbin/php-fpm8.2 ]] && FPM=/usr/sbin/php-fpm8.2
[[ -n "$FPM" ]] || missing php-fpm8.2 php8.2-fpm
NGINX="$(command -v nginx || true)"
[[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
[[ -n "$NGINX" ]] || missing nginx nginx
command -v python3 >/dev/null || missing python3 python3
MODS="$("$FPM" -m 2>/dev/null || true)"
grep -qx FFI <<<"$MODS" || missing "PHP's FFI extension in php-fpm8.2" php8.2-common
grep -qx "Zend OPcache" <<<"$MODS" || missing "PHP's OPcache in php-fpm8.2 (for opcache.preload)" php8.2-opcache

T="$(mktemp -d "${TMPDIR:-/tmp}/b2c-proof-fpm.XXXXXX")"
chmod 700 "$T"
FPM_PID=""
NGINX_PID=""
DRIVER_PID=""
cleanup() {
    local rc=$?
    set +e
    if [[ -n "$DRIVER_PID" ]] && kill -0 "$DRIVER_PID" 2>/dev/null; then
        kill -TERM "$DRIVER_PID" 2>/dev/null
        wait "$DRIVER_PID" 2>/dev/null
    fi
    for f in "$T"/sandbox-*.pid; do # sandboxes proof.py did not get to stop
        [[ -f "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null
    done
    [[ -n "$NGINX_PID" ]] && kill -TERM "$NGINX_PID" 2>/dev/null
    [[ -n "$FPM_PID" ]] && kill -TERM "$FPM_PID" 2>/dev/null
    for p in $NGINX_PID $FPM_PID; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [[ "${PROOF_FPM_KEEP:-}" == 1 ]]; then
        echo "proof-fpm: kept $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The key the sandbox registers (kid1 / admin 42).
"$REL/b2c" keygen --private "$T/key.pem" --public "$T/key.pub" >/dev/null 2>&1

# A free loopback port for nginx (nginx cannot report an ephemeral one).
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

USER_NAME="$(id -un)"
GROUP_NAME="$(id -gn)"
ROOT_ONLY_FPM=()
AS_ROOT=0
[[ "$(id -u)" == 0 ]] && AS_ROOT=1

# ---- php-fpm: its own php.ini and pool config
cat >"$T/php.ini" <<EOF
; the PHP-FPM proof's php.ini (the extensions come from php-fpm8.2's conf.d)
ffi.enable = 1
opcache.enable = 1
opcache.enable_cli = 0
opcache.preload = $ROOT/bindings/php/preload.php
$( ((AS_ROOT)) && printf '%s\n' "opcache.preload_user = $USER_NAME" \
    "; FPM started as root: PHP forbids FFI::load() in the preload script, so the scope is" \
    "; declared by ffi.preload with a header naming the library (bindings/php/README.md)" \
    "ffi.preload = $T/b2c_ffi.h" )
display_errors = Off
log_errors = On
error_log = $T/php-errors.log
EOF
cat >"$T/php-fpm.conf" <<EOF
[global]
pid = $T/php-fpm.pid
error_log = $T/php-fpm.log
log_level = notice
daemonize = no

[proof]
$( ((AS_ROOT)) && printf 'user = %s\ngroup = %s\n' "$USER_NAME" "$GROUP_NAME" )
listen = $T/php-fpm.sock
listen.mode = 0600
$( ((AS_ROOT)) || printf '; not root: the pool runs as %s without user/group\n' "$USER_NAME" )
pm = static
pm.max_children = $WORKERS
clear_env = yes
env[B2C_LIBRARY] = $REL/libb2c.so
env[B2C_PROOF_CONFIG] = $T/config.json
catch_workers_output = yes
request_terminate_timeout = 60s
EOF
if ((AS_ROOT)); then
    ROOT_ONLY_FPM=(--allow-to-run-as-root)
    php "$ROOT/bindings/php/bin/b2c-ffi-header.php" "$REL/libb2c.so" >"$T/b2c_ffi.h"
fi

# ---- nginx: its own config, FastCGI to the pool's socket
mkdir -p "$T/nginx"
cat >"$T/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log warn;
$( ((AS_ROOT)) && echo "user $USER_NAME $GROUP_NAME;" )
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $T/nginx/body;
    fastcgi_temp_path $T/nginx/fastcgi;
    proxy_temp_path $T/nginx/proxy;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$PORT;
        location ~ ^/(fee|b2binpay|ping)\$ {
            fastcgi_pass unix:$T/php-fpm.sock;
            fastcgi_param SCRIPT_FILENAME $ROOT/tests/fpm/page.php;
            fastcgi_param SCRIPT_NAME /page.php;
            fastcgi_param REQUEST_URI \$request_uri;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param SERVER_ADDR \$server_addr;
            fastcgi_param SERVER_PORT \$server_port;
            fastcgi_param SERVER_NAME \$server_name;
            fastcgi_read_timeout 60s;
        }
        location / { return 404; }
    }
}
EOF

export B2C_LIBRARY="$REL/libb2c.so"   # the master's preload.php declares the FFI scope with it
# -c: this php.ini instead of /etc/php/8.2/fpm/php.ini (the extensions still come from conf.d)
"$FPM" -F -c "$T/php.ini" -y "$T/php-fpm.conf" "${ROOT_ONLY_FPM[@]}" >"$T/php-fpm.out" 2>&1 </dev/null &
FPM_PID=$!
"$NGINX" -p "$T/nginx" -c "$T/nginx.conf" -e "$T/nginx-error.log" >"$T/nginx.out" 2>&1 </dev/null &
NGINX_PID=$!

up() { # wait until the socket / port is there (15 s), while php-fpm and nginx run
    for _ in $(seq 150); do
        if "$@"; then return 0; fi
        kill -0 "$FPM_PID" 2>/dev/null && kill -0 "$NGINX_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
if ! up test -S "$T/php-fpm.sock" || ! up test -s "$T/php-fpm.pid"; then
    echo "proof-fpm: php-fpm did not start:" >&2
    cat "$T/php-fpm.out" "$T/php-fpm.log" "$T/php-errors.log" >&2 2>/dev/null
    exit 1
fi
if ! up python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()"; then
    echo "proof-fpm: nginx did not start:" >&2
    cat "$T/nginx.out" "$T/nginx-error.log" >&2 2>/dev/null
    exit 1
fi

echo "proof-fpm: $("$FPM" -v | head -1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | sed 's/.*: //'), libb2c from $REL, on 127.0.0.1:$PORT"
# In the background and waited for, so that a TERM or INT reaches the exit trap at once.
PROOF_DIR="$T" B2C_REL="$REL" PROOF_URL="http://127.0.0.1:$PORT" PROOF_CONFIG="$T/config.json" \
    PROOF_FPM_PID_FILE="$T/php-fpm.pid" PROOF_KEY="$T/key.pem" PROOF_PUB="$T/key.pub" \
    PROOF_WORKERS="$WORKERS" PROOF_FPM_API="${PROOF_FPM_API:-shared}" \
    PYTHONDONTWRITEBYTECODE=1 python3 "$ROOT/tests/fpm/proof.py" </dev/null &
DRIVER_PID=$!
status=0
wait "$DRIVER_PID" || status=$?
DRIVER_PID=""
if [[ $status -ne 0 ]] && [[ -s "$T/php-fpm.log" ]]; then
    echo "--- php-fpm log (last 20 lines)" >&2
    tail -20 "$T/php-fpm.log" >&2
fi
exit $status
