/*
 * C ABI tests of the vendor protocols against the sandbox's control surface
 * (GET /_sandbox/stats, POST /_sandbox/...): B2BINPAY tampered signatures, replayed refresh
 * tokens, concurrent refreshers on one handle, bad inputs; CRM Open API rejections as the
 * server counts them; RetailCRM register without outgoing calls on a wrong token; B2COPY
 * refresh and re-authentication after the sandbox expires/revokes tokens.
 *
 * Every assertion is on a counter *delta* (sandbox stats or the handle's counters), so it can
 * fail. Every string, error and handle is freed: scripts/test-c.sh runs this under valgrind
 * (dynamic build) and once natively (static build).
 *
 * Build (the script does this):
 *   gcc -std=c11 -Wall -Wextra -Werror -Iinclude -DEXPECTED_VERSION='"0.1.0"' \
 *       tests/c/test_protocols.c -Ltarget/release -lb2c -lpthread -o build/c/test_protocols
 * Run from the crate root (or set B2C_SANDBOX).
 */
#define _GNU_SOURCE /* memmem */
#define _POSIX_C_SOURCE 200809L

#include <b2c.h>

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef EXPECTED_VERSION
#error "compile with -DEXPECTED_VERSION='\"x.y.z\"' (the version in Cargo.toml)"
#endif

/* ------------------------------------------------------------------ a tiny HTTP client */

/* One request with `Connection: close`. `headers` are extra "Name: value\r\n" lines (may be
 * ""). Returns the HTTP status (0 on a transport failure); *out_body (may be NULL) gets the
 * malloc'd, NUL-terminated response body. */
static int g_http_calls = 0; /* connections this program opened to the sandbox itself */

static int http_call(const sandbox *sb, const char *method, const char *path, const char *headers,
                     const char *body, size_t body_len, char **out_body) {
    if (out_body) *out_body = NULL;
    g_http_calls++;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)sb->port);
    if (inet_pton(AF_INET, sb->host, &addr.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return 0;
    }
    char head[2048];
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\nContent-Length: %zu\r\n%s\r\n",
                      method, path, sb->host, sb->port, body_len, headers);
    int ok = hn > 0 && (size_t)hn < sizeof head && write(fd, head, (size_t)hn) == hn;
    size_t off = 0;
    while (ok && off < body_len) {
        ssize_t w = write(fd, body + off, body_len - off);
        if (w <= 0) ok = 0;
        else off += (size_t)w;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    while (ok && buf) {
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) break;
            buf = nb;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (!buf) return 0;
    buf[len] = 0;
    int status = 0;
    if (!ok || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = 0;
    if (out_body) {
        const char *b = strstr(buf, "\r\n\r\n");
        b = b ? b + 4 : buf + len;
        size_t blen = (size_t)(buf + len - b);
        *out_body = malloc(blen + 1);
        if (*out_body) {
            memcpy(*out_body, b, blen);
            (*out_body)[blen] = 0;
        }
    }
    free(buf);
    return status;
}

/* POST /_sandbox/{action} with a JSON body (or "{}"); returns the HTTP status. */
static int control(const sandbox *sb, const char *action, const char *json) {
    char path[256];
    snprintf(path, sizeof path, "/_sandbox/%s", action);
    const char *b = json ? json : "{}";
    int st = http_call(sb, "POST", path, "Content-Type: application/json\r\n", b, strlen(b), NULL);
    CHECK(st == 200, "control %s -> HTTP %d", action, st);
    return st;
}

/* The counters of one emulator, by name, out of GET /_sandbox/stats. */
#define MAX_COUNTERS 8
typedef struct {
    int n;
    char name[MAX_COUNTERS][32];
    long long v[MAX_COUNTERS];
} counters;

static const char *const VENDOR_KEYS[][MAX_COUNTERS + 1] = {
    {"b2copy", "auth_ok", "auth_rejected", "refresh_ok", "refresh_rejected", "process_calls", "faults_injected", NULL},
    {"b2binpay", "token_calls", "token_ok", "token_rejected", "refresh_calls", "refresh_ok", "refresh_rejected",
     "refresh_replayed", "faults"},
    {"crm", "requests", "ok", "invalid_api_key", "invalid_signature", NULL},
    {"retailcrm", "edit_calls", "edit_ok", NULL},
    {"server", "connections", NULL},
};

static counters stats(const sandbox *sb, const char *vendor) {
    counters c;
    memset(&c, 0, sizeof c);
    char *body = NULL;
    int st = http_call(sb, "GET", "/_sandbox/stats", "", "", 0, &body);
    CHECK(st == 200 && body, "GET /_sandbox/stats -> %d", st);
    char needle[48];
    snprintf(needle, sizeof needle, "\"%s\":{", vendor);
    const char *obj = body ? strstr(body, needle) : NULL;
    CHECK(obj != NULL, "stats have no %s object: %s", vendor, body ? body : "");
    const char *end = obj ? strchr(obj, '}') : NULL;
    for (size_t i = 0; i < sizeof VENDOR_KEYS / sizeof VENDOR_KEYS[0]; i++) {
        if (strcmp(VENDOR_KEYS[i][0], vendor) != 0) continue;
        for (int k = 1; k <= MAX_COUNTERS && VENDOR_KEYS[i][k]; k++) {
            snprintf(c.name[c.n], sizeof c.name[c.n], "%s", VENDOR_KEYS[i][k]);
            c.v[c.n] = -1;
            if (obj && end) {
                char key[48];
                snprintf(key, sizeof key, "\"%s\":", VENDOR_KEYS[i][k]);
                const char *p = strstr(obj, key);
                if (p && p < end) c.v[c.n] = strtoll(p + strlen(key), NULL, 10);
            }
            CHECK(c.v[c.n] >= 0, "stats %s.%s missing", vendor, VENDOR_KEYS[i][k]);
            c.n++;
        }
    }
    free(body);
    return c;
}

static long long get(const counters *c, const char *name) {
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0) return c->v[i];
    CHECK(0, "no counter %s", name);
    return -1000000;
}

static long long delta(const counters *before, const counters *after, const char *name) {
    return get(after, name) - get(before, name);
}

static int same_counters(const counters *a, const counters *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->v[i] != b->v[i]) return 0;
    return 1;
}

#define CHECK_DELTA(before, after, name, want)                                                       \
    do {                                                                                             \
        long long d_ = delta(&(before), &(after), (name));                                           \
        CHECK(d_ == (want), "%s: %s delta %lld, want %lld", __func__, (name), d_, (long long)(want)); \
    } while (0)

/* ------------------------------------------------------------------ B2BINPAY */

static b2c_b2binpay *b2binpay_new(const sandbox *sb, const char *password) {
    char cfg[1400];
    snprintf(cfg, sizeof cfg, "{\"base_url\":\"%s/b2binpay\",\"login\":\"sandbox-login\",\"password\":\"%s\"}",
             sb->url, password);
    b2c_b2binpay *h = NULL;
    b2c_error *err = NULL;
    CHECK_OK(b2c_b2binpay_new(cfg, &h, &err), &err, "b2binpay_new");
    return h;
}

static void hcounters(const b2c_b2binpay *h, uint64_t *logins, uint64_t *refreshes, uint64_t *susp) {
    *logins = *refreshes = *susp = 999;
    CHECK(b2c_b2binpay_counters(h, logins, refreshes, susp) == B2C_OK, "b2binpay_counters");
}

static void test_b2binpay_tampered_sign(const sandbox *sb) {
    b2c_error *err = NULL;
    b2c_b2binpay *h = b2binpay_new(sb, "sandbox-password");
    if (!h) return;
    char *t1 = NULL, *t2 = NULL;
    int32_t susp = -1;
    uint64_t logins, refreshes, nsusp;
    CHECK_OK(b2c_b2binpay_login(h, &err), &err, "login");
    CHECK_OK(b2c_b2binpay_access_token(h, &t1, NULL, &err), &err, "access_token t1");

    counters before = stats(sb, "b2binpay");
    control(sb, "b2binpay/tamper-signs", "{\"count\": 1}");
    CHECK_ERR(b2c_b2binpay_login(h, &err), &err, B2C_RESPONSE_SIGNATURE_INVALID, "login with a tampered meta.sign");
    hcounters(h, &logins, &refreshes, &nsusp);
    CHECK(logins == 2, "logins after tampered login: %llu", (unsigned long long)logins);
    counters mid = stats(sb, "b2binpay");
    CHECK_DELTA(before, mid, "token_calls", 1);

    /* the held pair (t1) was discarded: access_token must log in again, not return t1 */
    CHECK_OK(b2c_b2binpay_access_token(h, &t2, &susp, &err), &err, "access_token after tamper");
    CHECK(t1 && t2 && strcmp(t1, t2) != 0, "a new token after the discard: %s vs %s", t1 ? t1 : "",
          t2 ? t2 : "");
    CHECK(susp == 0, "not suspicious: %d", (int)susp);
    hcounters(h, &logins, &refreshes, &nsusp);
    CHECK(logins == 3 && refreshes == 0 && nsusp == 0, "counters %llu/%llu/%llu", (unsigned long long)logins,
          (unsigned long long)refreshes, (unsigned long long)nsusp);
    counters after = stats(sb, "b2binpay");
    CHECK_DELTA(mid, after, "token_calls", 1);
    CHECK_DELTA(mid, after, "token_ok", 1);
    CHECK_DELTA(mid, after, "refresh_calls", 0);
    b2c_string_free(t1);
    b2c_string_free(t2);

    /* the same on a fresh handle's first access_token */
    b2c_b2binpay_free(h);
    h = b2binpay_new(sb, "sandbox-password");
    if (!h) return;
    control(sb, "b2binpay/tamper-signs", "{\"count\": 1}");
    t1 = NULL;
    CHECK_ERR(b2c_b2binpay_access_token(h, &t1, &susp, &err), &err, B2C_RESPONSE_SIGNATURE_INVALID,
              "first access_token with a tampered meta.sign");
    CHECK(t1 == NULL, "no token out on failure");
    before = stats(sb, "b2binpay");
    CHECK_OK(b2c_b2binpay_access_token(h, &t1, NULL, &err), &err, "access_token after a tampered first login");
    CHECK(t1 && t1[0], "token");
    after = stats(sb, "b2binpay");
    CHECK_DELTA(before, after, "token_ok", 1);
    hcounters(h, &logins, &refreshes, &nsusp);
    CHECK(logins == 2, "logins %llu", (unsigned long long)logins);
    b2c_string_free(t1);
    b2c_b2binpay_free(h);
}

static void test_b2binpay_replayed_refresh(const sandbox *sb) {
    b2c_error *err = NULL;
    b2c_b2binpay *h = b2binpay_new(sb, "sandbox-password");
    if (!h) return;
    char *t1 = NULL, *t2 = NULL;
    int32_t susp = -1;
    uint64_t logins, refreshes, nsusp;
    CHECK_OK(b2c_b2binpay_login(h, &err), &err, "login");
    CHECK_OK(b2c_b2binpay_access_token(h, &t1, &susp, &err), &err, "access_token t1");
    CHECK(susp == 0, "t1 not suspicious");

    counters before = stats(sb, "b2binpay");
    control(sb, "b2binpay/consume-refresh", NULL);
    /* the refresh is a replay: 401 code 2007 -> tokens dropped, log in again; still OK */
    CHECK_OK(b2c_b2binpay_refresh(h, &err), &err, "refresh after consume-refresh");
    counters after = stats(sb, "b2binpay");
    CHECK_DELTA(before, after, "refresh_calls", 1);
    CHECK_DELTA(before, after, "refresh_ok", 0);
    CHECK_DELTA(before, after, "refresh_rejected", 1);
    CHECK_DELTA(before, after, "refresh_replayed", 1);
    CHECK_DELTA(before, after, "token_ok", 1);
    /* The event was met by b2c_b2binpay_refresh; the counters are its history. A later
     * access_token answered from the new pair does not report it again. */
    susp = -1;
    CHECK_OK(b2c_b2binpay_access_token(h, &t2, &susp, &err), &err, "access_token after the replay");
    CHECK(susp == 0, "the event is not reported as a state: %d", (int)susp);
    CHECK(t1 && t2 && t2[0] && strcmp(t1, t2) != 0, "a valid new token");
    hcounters(h, &logins, &refreshes, &nsusp);
    CHECK(logins == 2 && refreshes == 1 && nsusp == 1, "counters %llu/%llu/%llu", (unsigned long long)logins,
          (unsigned long long)refreshes, (unsigned long long)nsusp);
    b2c_string_free(t1);
    b2c_string_free(t2);
    b2c_b2binpay_free(h);
}

/* Tokens issued with an access lifetime of 0 s are due at once: the next access_token
 * renews, with no test waiting for a token to expire. */
#define DUE_AT_ONCE "{\"access_s\": 0, \"refresh_s\": 3600}"

static void test_b2binpay_replay_on_access_token_path(const sandbox *sb) {
    b2c_error *err = NULL;
    control(sb, "b2binpay/ttls", DUE_AT_ONCE);
    b2c_b2binpay *h = b2binpay_new(sb, "sandbox-password");
    if (h) {
        char *t1 = NULL, *t2 = NULL, *t3 = NULL;
        int32_t susp = -1;
        CHECK_OK(b2c_b2binpay_login(h, &err), &err, "login");
        CHECK_OK(b2c_b2binpay_access_token(h, &t1, &susp, &err), &err, "access_token t1");
        control(sb, "b2binpay/consume-refresh", NULL);
        counters before = stats(sb, "b2binpay");
        CHECK_OK(b2c_b2binpay_access_token(h, &t2, &susp, &err), &err, "access_token, due");
        CHECK(susp == 1, "suspicious on the access_token path: %d", (int)susp);
        /* an event, reported once: the next call does not repeat it */
        control(sb, "b2binpay/ttls", "{\"access_s\": 900, \"refresh_s\": 3600}");
        CHECK_OK(b2c_b2binpay_access_token(h, &t3, &susp, &err), &err, "access_token after");
        CHECK(susp == 0, "reported once: %d", (int)susp);
        b2c_string_free(t3);
        CHECK(t1 && t2 && strcmp(t1, t2) != 0, "a new token");
        uint64_t logins, refreshes, nsusp;
        hcounters(h, &logins, &refreshes, &nsusp);
        CHECK(nsusp == 1, "suspicious counter %llu", (unsigned long long)nsusp);
        counters after = stats(sb, "b2binpay");
        CHECK_DELTA(before, after, "refresh_calls", 2);
        CHECK_DELTA(before, after, "refresh_replayed", 1);
        CHECK_DELTA(before, after, "token_ok", 1);
        b2c_string_free(t1);
        b2c_string_free(t2);
        b2c_b2binpay_free(h);
    }
    control(sb, "b2binpay/ttls", "{\"access_s\": 900, \"refresh_s\": 3600}");
}

#define N_REFRESHERS 8

typedef struct {
    const b2c_b2binpay *h;
    pthread_barrier_t *barrier;
    b2c_status st;
    int32_t susp;
    char *token;
} refresher;

static void *refresher_thread(void *arg) {
    refresher *r = arg;
    b2c_error *err = NULL;
    pthread_barrier_wait(r->barrier);
    r->st = b2c_b2binpay_access_token(r->h, &r->token, &r->susp, &err);
    if (err) {
        fprintf(stderr, "refresher: %s\n", b2c_error_message(err));
        b2c_error_free(err);
    }
    return NULL;
}

static void test_b2binpay_concurrent_refreshers(const sandbox *sb) {
    b2c_error *err = NULL;
    control(sb, "b2binpay/ttls", DUE_AT_ONCE);
    b2c_b2binpay *h = b2binpay_new(sb, "sandbox-password");
    if (h) {
        char *t0 = NULL;
        CHECK_OK(b2c_b2binpay_login(h, &err), &err, "login");
        CHECK_OK(b2c_b2binpay_access_token(h, &t0, NULL, &err), &err, "access_token t0");
        counters before = stats(sb, "b2binpay");
        /* The shared refresh answers after 300 ms, so every thread is inside
         * b2c_b2binpay_access_token before it completes (a thread that only started after the
         * refresh finished would rightly renew again: the new token is due at once too). */
        control(sb, "faults", "{\"path\": \"/b2binpay/token/refresh/\", \"fault\": \"latency\", \"ms\": 300, \"times\": 1}");

        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, N_REFRESHERS);
        pthread_t th[N_REFRESHERS];
        refresher r[N_REFRESHERS];
        int started = 0;
        for (int i = 0; i < N_REFRESHERS; i++) {
            r[i].h = h;
            r[i].barrier = &barrier;
            r[i].st = B2C_PANIC;
            r[i].susp = -1;
            r[i].token = NULL;
            if (pthread_create(&th[i], NULL, refresher_thread, &r[i]) == 0) started++;
        }
        CHECK(started == N_REFRESHERS, "started %d threads", started);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);

        counters after = stats(sb, "b2binpay");
        CHECK_DELTA(before, after, "refresh_calls", 1);
        CHECK_DELTA(before, after, "refresh_ok", 1);
        CHECK_DELTA(before, after, "token_calls", 0);
        int same = 1;
        for (int i = 0; i < started; i++) {
            CHECK(r[i].st == B2C_OK && r[i].token && r[i].susp == 0, "thread %d: %d (%s) susp %d", i, (int)r[i].st,
                  b2c_status_str(r[i].st), (int)r[i].susp);
            if (!r[i].token || !r[0].token || strcmp(r[i].token, r[0].token) != 0) same = 0;
        }
        CHECK(same, "all %d threads got the same token", started);
        CHECK(r[0].token && t0 && strcmp(r[0].token, t0) != 0, "and it is a new one");
        uint64_t logins, refreshes, nsusp;
        hcounters(h, &logins, &refreshes, &nsusp);
        /* one login, the refresh of t0 (due at once) and the one shared refresh */
        CHECK(logins == 1 && refreshes == 2 && nsusp == 0, "counters %llu/%llu/%llu", (unsigned long long)logins,
              (unsigned long long)refreshes, (unsigned long long)nsusp);
        for (int i = 0; i < started; i++) b2c_string_free(r[i].token);
        b2c_string_free(t0);
        b2c_b2binpay_free(h);
    }
    control(sb, "b2binpay/ttls", "{\"access_s\": 900, \"refresh_s\": 3600}");
}

static void test_b2binpay_bad_inputs(const sandbox *sb) {
    b2c_error *err = NULL;
    counters before = stats(sb, "b2binpay");
    b2c_b2binpay *h = b2binpay_new(sb, "wrong");
    if (h) {
        char *tok = NULL;
        CHECK_ERR(b2c_b2binpay_access_token(h, &tok, NULL, &err), &err, B2C_AUTH_REJECTED, "wrong password");
        CHECK(tok == NULL, "no token on failure");
        CHECK_ERR(b2c_b2binpay_login(h, &err), &err, B2C_AUTH_REJECTED, "wrong password, login");
        uint64_t logins, refreshes, nsusp;
        hcounters(h, &logins, &refreshes, &nsusp);
        CHECK(logins == 2, "logins %llu", (unsigned long long)logins);
        b2c_b2binpay_free(h);
    }
    counters after = stats(sb, "b2binpay");
    CHECK_DELTA(before, after, "token_calls", 2);
    CHECK_DELTA(before, after, "token_rejected", 2);
    CHECK_DELTA(before, after, "token_ok", 0);

    before = stats(sb, "b2binpay");
    char cfg[1400];
    h = NULL;
    snprintf(cfg, sizeof cfg,
             "{\"base_url\":\"%s/b2binpay\",\"login\":\"sandbox-login\",\"password\":\"sandbox-password\",\"x\":1}",
             sb->url);
    CHECK_ERR(b2c_b2binpay_new(cfg, &h, &err), &err, B2C_CONFIG, "unknown config key");
    CHECK_ERR(b2c_b2binpay_new("{\"base_url\":\"http://example.com/b2binpay\",\"login\":\"sandbox-login\","
                               "\"password\":\"sandbox-password\"}",
                               &h, &err),
              &err, B2C_INSECURE_URL, "http to a non-loopback host");
    snprintf(cfg, sizeof cfg, "{\"base_url\":\"%s/b2binpay\",\"login\":\"sandbox-login\"}", sb->url);
    CHECK_ERR(b2c_b2binpay_new(cfg, &h, &err), &err, B2C_CONFIG, "missing password");
    snprintf(cfg, sizeof cfg, "{\"base_url\":\"%s/b2binpay\",\"login\":12345,\"password\":\"p\"}", sb->url);
    CHECK_ERR(b2c_b2binpay_new(cfg, &h, &err), &err, B2C_CONFIG, "login of the wrong JSON type");
    CHECK_ERR(b2c_b2binpay_new("", &h, &err), &err, B2C_CONFIG, "empty config");
    CHECK_ERR(b2c_b2binpay_new("{\"base_url\":\"\xff\"}", &h, &err), &err, B2C_INVALID_UTF8, "config not UTF-8");
    CHECK_ERR(b2c_b2binpay_new(NULL, &h, &err), &err, B2C_NULL_POINTER, "config NULL");
    snprintf(cfg, sizeof cfg, "{\"base_url\":\"%s/b2binpay\",\"login\":\"\",\"password\":\"p\"}", sb->url);
    b2c_status st = b2c_b2binpay_new(cfg, &h, &err);
    CHECK(st == B2C_INVALID_ARGUMENT || st == B2C_CONFIG, "empty login -> %d (%s)", (int)st, msg_of(err));
    b2c_error_free(err);
    err = NULL;
    CHECK(h == NULL, "no handle out on failure");
    CHECK(b2c_b2binpay_new(NULL, &h, NULL) == B2C_NULL_POINTER, "err NULL is allowed");
    char *tok = NULL;
    CHECK_ERR(b2c_b2binpay_access_token(NULL, &tok, NULL, &err), &err, B2C_NULL_POINTER, "access_token(NULL)");
    CHECK_ERR(b2c_b2binpay_login(NULL, &err), &err, B2C_NULL_POINTER, "login(NULL)");
    CHECK_ERR(b2c_b2binpay_refresh(NULL, &err), &err, B2C_NULL_POINTER, "refresh(NULL)");
    after = stats(sb, "b2binpay");
    CHECK(same_counters(&before, &after), "bad inputs reached the wire");
}

/* ------------------------------------------------------------------ CRM Open API */

/* POST body to /crm/api/clients with `key` and (if non-NULL) `signature`. */
static int crm_post(const sandbox *sb, const char *key, const char *signature, const char *body, char **answer) {
    char headers[512];
    int n = snprintf(headers, sizeof headers, "Content-Type: application/json\r\nkey: %s\r\n", key);
    if (signature) snprintf(headers + n, sizeof headers - (size_t)n, "signature: %s\r\n", signature);
    return http_call(sb, "POST", "/crm/api/clients", headers, body, strlen(body), answer);
}

static void test_crm_sandbox(const sandbox *sb) {
    b2c_error *err = NULL;
    const char *key = "sandbox-api-key";
    const char *body = "{\"client\":\"Ann\",\"amount\":\"10.00\"}";
    const char *tampered = "{\"client\":\"Ann\",\"amount\":\"99.00\"}";
    const char *reencoded = "{\"client\": \"Ann\", \"amount\": \"10.00\"}";
    char *sig = NULL, *wrong_sig = NULL, *answer = NULL;
    CHECK_OK(b2c_crm_sign_request(key, "POST", body, strlen(body), &sig, &err), &err, "sign");
    CHECK_OK(b2c_crm_sign_request("wrong-key", "POST", body, strlen(body), &wrong_sig, &err), &err, "sign wrong");
    if (!sig || !wrong_sig) goto out;

    counters before = stats(sb, "crm");
    int st = crm_post(sb, key, sig, body, &answer);
    CHECK(st == 200 && answer && strstr(answer, "\"success\":true"), "right key -> %d %s", st, answer ? answer : "");
    free(answer);
    answer = NULL;
    counters after = stats(sb, "crm");
    CHECK_DELTA(before, after, "requests", 1);
    CHECK_DELTA(before, after, "ok", 1);
    CHECK_DELTA(before, after, "invalid_api_key", 0);
    CHECK_DELTA(before, after, "invalid_signature", 0);

    before = after;
    st = crm_post(sb, "wrong-key", wrong_sig, body, &answer);
    CHECK(st == 403 && answer && strstr(answer, "\"success\":false"), "wrong key -> %d %s", st,
          answer ? answer : "");
    free(answer);
    answer = NULL;
    after = stats(sb, "crm");
    CHECK_DELTA(before, after, "requests", 1);
    CHECK_DELTA(before, after, "ok", 0);
    CHECK_DELTA(before, after, "invalid_api_key", 1);
    CHECK_DELTA(before, after, "invalid_signature", 0);

    before = after;
    st = crm_post(sb, key, sig, tampered, NULL);
    CHECK(st == 403, "signature for other bytes -> %d", st);
    /* A body re-encoded after signing: its normal form (JSON.stringify(JSON.parse(body)))
     * is what was signed, which the sandbox's default profile accepts as the leniency
     * crm_signature_normalized (the vendor's samples sign that way; --strict refuses it). */
    st = crm_post(sb, key, sig, reencoded, NULL);
    CHECK(st == 200, "re-encoded body (normalized signature, lenient profile) -> %d", st);
    st = crm_post(sb, key, NULL, body, NULL);
    CHECK(st == 403, "no signature -> %d", st);
    after = stats(sb, "crm");
    CHECK_DELTA(before, after, "requests", 3);
    CHECK_DELTA(before, after, "ok", 1);
    CHECK_DELTA(before, after, "invalid_api_key", 0);
    CHECK_DELTA(before, after, "invalid_signature", 2);

    /* the library's own verification agrees with the server */
    CHECK_OK(b2c_crm_verify_signature(key, body, strlen(body), sig, &err), &err, "verify");
    CHECK_ERR(b2c_crm_verify_signature(key, tampered, strlen(tampered), sig, &err), &err, B2C_SIGNATURE_INVALID,
              "verify tampered body");
    CHECK_ERR(b2c_crm_verify_signature(key, body, strlen(body), wrong_sig, &err), &err, B2C_SIGNATURE_INVALID,
              "verify wrong key");
out:
    b2c_string_free(sig);
    b2c_string_free(wrong_sig);
}

static void test_webhook_tampering(void) {
    b2c_error *err = NULL;
    const char *secret = "whsec";
    const char *body = "{\"event\":\"deposit\",\"amount\":\"10.00\"}";
    const char *tampered = "{\"event\":\"deposit\",\"amount\":\"10.01\"}";
    char sig[72];
    CHECK(b2c_sign_payload((const uint8_t *)secret, strlen(secret), (const uint8_t *)body, strlen(body), sig,
                           sizeof sig) == B2C_OK,
          "sign_payload");
    CHECK_OK(b2c_webhook_verify(secret, strlen(secret), body, strlen(body), sig, &err), &err, "webhook valid");
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), tampered, strlen(tampered), sig, &err), &err,
              B2C_SIGNATURE_INVALID, "webhook tampered payload");
    char flipped[72];
    memcpy(flipped, sig, sizeof flipped);
    flipped[7] = flipped[7] == '0' ? '1' : '0';
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), body, strlen(body), flipped, &err), &err,
              B2C_SIGNATURE_INVALID, "webhook tampered signature");
    char truncated[72];
    memcpy(truncated, sig, sizeof truncated);
    truncated[69] = 0;
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), body, strlen(body), truncated, &err), &err,
              B2C_SIGNATURE_INVALID, "webhook truncated signature");
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), body, strlen(body), "", &err), &err, B2C_SIGNATURE_INVALID,
              "webhook empty signature");
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), body, strlen(body) - 1, sig, &err), &err,
              B2C_SIGNATURE_INVALID, "webhook body one byte short");
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret) - 1, body, strlen(body), sig, &err), &err,
              B2C_SIGNATURE_INVALID, "webhook secret one byte short");
    /* An empty secret proves nothing (anyone computes an HMAC under it): refused, even with
     * the right HMAC-SHA256(key = "", message = ""). */
    CHECK_ERR(b2c_webhook_verify("", 0, "", 0, "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
                                 &err),
              &err, B2C_INVALID_ARGUMENT, "webhook empty secret");
    CHECK_ERR(b2c_webhook_verify(NULL, 0, body, strlen(body), sig, &err), &err, B2C_INVALID_ARGUMENT,
              "webhook NULL secret of length 0");
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), NULL, 3, sig, &err), &err, B2C_NULL_POINTER,
              "webhook body NULL with length 3");
    CHECK_ERR(b2c_webhook_verify(secret, strlen(secret), body, strlen(body), NULL, &err), &err, B2C_NULL_POINTER,
              "webhook signature NULL");
}

/* ------------------------------------------------------------------ RetailCRM */

static const char *MODULE_JSON =
    "{\"code\":\"b2c-c-reg\",\"integrationCode\":\"b2c-c-reg\",\"active\":true,\"name\":\"B2C\","
    "\"clientId\":\"client-1\",\"baseUrl\":\"https://m.example.com\","
    "\"accountUrl\":\"https://m.example.com/account\"}";

/* application/x-www-form-urlencoded register form; malloc'd. */
static char *register_form(const sandbox *sb, const char *api_key, const char *token) {
    char sys[600], enc[1800] = "";
    snprintf(sys, sizeof sys, "%s/retailcrm", sb->url);
    for (const char *p = sys; *p; p++) {
        size_t n = strlen(enc);
        if (*p == ':') snprintf(enc + n, sizeof enc - n, "%%3A");
        else if (*p == '/') snprintf(enc + n, sizeof enc - n, "%%2F");
        else { enc[n] = *p; enc[n + 1] = 0; }
    }
    size_t cap = strlen(enc) + strlen(api_key) + strlen(token) + 128;
    char *form = malloc(cap);
    if (form)
        snprintf(form, cap, "register%%5BsystemUrl%%5D=%s&register%%5BapiKey%%5D=%s&register%%5Btoken%%5D=%s", enc,
                 api_key, token);
    return form;
}

static void test_retailcrm_register(const sandbox *sb) {
    b2c_error *err = NULL;
    const char *secret = "mod-secret";
    const char *key = "sandbox-api-key";
    char *good = NULL, *other_secret = NULL, *other_key = NULL;
    CHECK_OK(b2c_retailcrm_token(secret, key, &good, &err), &err, "token");
    CHECK_OK(b2c_retailcrm_token("other-secret", key, &other_secret, &err), &err, "token other secret");
    CHECK_OK(b2c_retailcrm_token(secret, "other-key", &other_key, &err), &err, "token other key");
    const char *wrong[] = {"0000000000000000000000000000000000000000000000000000000000000000",
                           other_secret ? other_secret : "x", other_key ? other_key : "x", ""};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char *form = register_form(sb, key, wrong[i]);
        char *answer = NULL;
        counters before = stats(sb, "retailcrm");
        CHECK_OK(b2c_retailcrm_handle_register(secret, form, strlen(form), MODULE_JSON, NULL, &answer, &err), &err,
                 "handle_register wrong token");
        CHECK(answer && strstr(answer, "\"success\":false") && strstr(answer, "\"errorMsg\""),
              "wrong token %zu answer: %s", i, answer ? answer : "");
        counters after = stats(sb, "retailcrm");
        CHECK(same_counters(&before, &after), "wrong token %zu caused an outgoing call (edit_calls %lld -> %lld)", i,
              get(&before, "edit_calls"), get(&after, "edit_calls"));
        b2c_string_free(answer);
        free(form);
    }

    /* The right token: one edit call, accepted. The module is created first so that this
     * edit is an update: the sandbox's edit_ok counts HTTP 200 only, and the first edit of
     * a module code is answered 201. */
    char sys[600];
    snprintf(sys, sizeof sys, "%s/retailcrm", sb->url);
    CHECK_OK(b2c_retailcrm_edit_module(sys, key, MODULE_JSON, NULL, &err), &err, "edit_module (create)");
    char *form = register_form(sb, key, good ? good : "");
    char *answer = NULL;
    counters before = stats(sb, "retailcrm");
    CHECK_OK(b2c_retailcrm_handle_register(secret, form, strlen(form), MODULE_JSON, NULL, &answer, &err), &err,
             "handle_register right token");
    CHECK(answer && strcmp(answer, "{\"success\":true,\"accountUrl\":\"https://m.example.com/account\"}") == 0,
          "right token answer: %s", answer ? answer : "");
    counters after = stats(sb, "retailcrm");
    CHECK_DELTA(before, after, "edit_calls", 1);
    CHECK_DELTA(before, after, "edit_ok", 1);
    b2c_string_free(answer);
    answer = NULL;
    free(form);

    /* the token is right for the key, but the system rejects the key */
    char *revoked_tok = NULL;
    CHECK_OK(b2c_retailcrm_token(secret, "revoked-key", &revoked_tok, &err), &err, "token revoked key");
    form = register_form(sb, "revoked-key", revoked_tok ? revoked_tok : "");
    before = stats(sb, "retailcrm");
    CHECK_OK(b2c_retailcrm_handle_register(secret, form, strlen(form), MODULE_JSON, NULL, &answer, &err), &err,
             "handle_register key rejected by the system");
    CHECK(answer && strstr(answer, "\"success\":false") && strstr(answer, "\"errorMsg\"") &&
              !strstr(answer, "revoked-key"),
          "system-rejected answer: %s", answer ? answer : "");
    after = stats(sb, "retailcrm");
    CHECK_DELTA(before, after, "edit_calls", 1);
    CHECK_DELTA(before, after, "edit_ok", 0);
    b2c_string_free(answer);
    answer = NULL;

    /* bad inputs make no call either */
    before = stats(sb, "retailcrm");
    CHECK_ERR(b2c_retailcrm_handle_register(NULL, form, strlen(form), MODULE_JSON, NULL, &answer, &err), &err,
              B2C_NULL_POINTER, "handle_register(secret NULL)");
    CHECK_ERR(b2c_retailcrm_handle_register(secret, NULL, 10, MODULE_JSON, NULL, &answer, &err), &err,
              B2C_NULL_POINTER, "handle_register(form NULL)");
    CHECK_ERR(b2c_retailcrm_handle_register(secret, form, strlen(form), NULL, NULL, &answer, &err), &err,
              B2C_NULL_POINTER, "handle_register(module NULL)");
    CHECK_ERR(b2c_retailcrm_handle_register(secret, form, strlen(form), MODULE_JSON, NULL, NULL, &err), &err,
              B2C_NULL_POINTER, "handle_register(out NULL)");
    CHECK_ERR(b2c_retailcrm_handle_register(secret, form, strlen(form), "{not json", NULL, &answer, &err), &err,
              B2C_INVALID_ARGUMENT, "handle_register malformed module");
    CHECK(answer == NULL, "no answer out on failure");
    after = stats(sb, "retailcrm");
    CHECK(same_counters(&before, &after), "bad handle_register inputs reached the wire");
    free(form);
    b2c_string_free(revoked_tok);
    b2c_string_free(good);
    b2c_string_free(other_secret);
    b2c_string_free(other_key);
}

static void test_retailcrm_edit_errors(const sandbox *sb) {
    b2c_error *err = NULL;
    char sys[600];
    snprintf(sys, sizeof sys, "%s/retailcrm", sb->url);
    counters before = stats(sb, "retailcrm");
    b2c_status st = b2c_retailcrm_edit_module(sys, "wrong-key", MODULE_JSON, NULL, &err);
    CHECK(st == B2C_REMOTE, "wrong API key -> %d (%s)", (int)st, msg_of(err));
    CHECK(err && b2c_error_status(err) == B2C_REMOTE, "error object REMOTE");
    CHECK(err && strstr(b2c_error_message(err), "apiKey"), "errorMsg surfaced: %s", msg_of(err));
    CHECK(err && b2c_error_http_status(err) == 403, "HTTP 403: %d", err ? b2c_error_http_status(err) : 0);
    b2c_error_free(err);
    err = NULL;
    counters after = stats(sb, "retailcrm");
    CHECK_DELTA(before, after, "edit_calls", 1);
    CHECK_DELTA(before, after, "edit_ok", 0);

    before = after;
    CHECK_ERR(b2c_retailcrm_edit_module("http://example.com", "sandbox-api-key", MODULE_JSON, NULL, &err), &err,
              B2C_INSECURE_URL, "edit_module http non-loopback");
    CHECK_ERR(b2c_retailcrm_edit_module(sys, "sandbox-api-key", "{not json", NULL, &err), &err, B2C_INVALID_ARGUMENT,
              "edit_module malformed module");
    CHECK_ERR(b2c_retailcrm_edit_module(sys, "sandbox-api-key", MODULE_JSON, "{\"bogus\":1}", &err), &err,
              B2C_CONFIG, "edit_module unknown http config key");
    CHECK_ERR(b2c_retailcrm_edit_module(sys, NULL, MODULE_JSON, NULL, &err), &err, B2C_NULL_POINTER,
              "edit_module(api_key NULL)");
    after = stats(sb, "retailcrm");
    CHECK(same_counters(&before, &after), "rejected edit_module inputs reached the wire");
}

/* ------------------------------------------------------------------ B2COPY */

static b2c_client *b2copy_client(const sandbox *sb, const char *pem) {
    char *u = json_str(sb->url), *pm = json_str(pem);
    size_t n = strlen(u) + strlen(pm) + 256;
    char *cfg = malloc(n);
    snprintf(cfg, n,
             "{\"base_url\": %s, \"admin_id\": 42, \"device_ip\": \"127.0.0.1\", \"key_id\": \"kid1\", "
             "\"private_key_pem\": %s, \"poll_interval_ms\": 20}",
             u, pm);
    b2c_client *c = NULL;
    b2c_error *err = NULL;
    CHECK_OK(b2c_client_new(cfg, &c, &err), &err, "client_new");
    free(cfg);
    free(u);
    free(pm);
    return c;
}

static void test_b2copy_renewal(const sandbox *sb, const char *pem) {
    b2c_error *err = NULL;
    b2c_client *c = b2copy_client(sb, pem);
    if (!c) return;
    CHECK_OK(b2c_authenticate(c, &err), &err, "authenticate");

    counters before = stats(sb, "b2copy");
    control(sb, "b2copy/expire-access", NULL);
    int32_t fs = 0;
    CHECK_OK(b2c_fee_process(c, "123456", "c-proto-exp", 0, NULL, NULL, &fs, &err), &err,
             "fee_process after expire-access");
    CHECK(fs == B2C_FEE_STATUS_PENDING || fs == B2C_FEE_STATUS_SUCCESS, "fee status %d", (int)fs);
    counters after = stats(sb, "b2copy");
    CHECK_DELTA(before, after, "refresh_ok", 1);
    CHECK_DELTA(before, after, "refresh_rejected", 0);
    CHECK_DELTA(before, after, "auth_ok", 0);
    CHECK_DELTA(before, after, "process_calls", 2);

    before = after;
    control(sb, "b2copy/expire-access", NULL);
    control(sb, "b2copy/revoke-refresh", NULL);
    fs = 0;
    CHECK_OK(b2c_fee_process(c, "123456", "c-proto-rev", 0, NULL, NULL, &fs, &err), &err,
             "fee_process after expire-access + revoke-refresh");
    CHECK(fs == B2C_FEE_STATUS_PENDING || fs == B2C_FEE_STATUS_SUCCESS, "fee status %d", (int)fs);
    after = stats(sb, "b2copy");
    CHECK_DELTA(before, after, "refresh_ok", 0);
    CHECK_DELTA(before, after, "refresh_rejected", 1);
    CHECK_DELTA(before, after, "auth_ok", 1);
    CHECK_DELTA(before, after, "auth_rejected", 0);
    b2c_client_free(c);
}


/* ------------------------------------------------------------------ logs and statistics */

#define MAX_EVENTS 128
typedef struct {
    pthread_mutex_t lock;
    int n, dropped, malformed;
    int level[MAX_EVENTS];
    char target[MAX_EVENTS][16];
    char event[MAX_EVENTS][32];
    char message[MAX_EVENTS][400];
} event_log;

static void event_log_init(event_log *l) {
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
}

/* The callback: keeps a copy of each event (the params live only during the call), checks
 * the struct's shape, and hands the line to the secret scan (scan_record). */
static void record_event(void *userdata, const b2c_log_params *p) {
    event_log *l = userdata;
    pthread_mutex_lock(&l->lock);
    if (p == NULL || p->struct_size < sizeof(b2c_log_params) || !p->target || !p->event || !p->message ||
        strlen(p->message) != p->message_len || p->level < B2C_LOG_ERROR || p->level > B2C_LOG_TRACE) {
        l->malformed++;
    } else if (l->n < MAX_EVENTS) {
        int i = l->n++;
        l->level[i] = p->level;
        snprintf(l->target[i], sizeof l->target[i], "%s", p->target);
        snprintf(l->event[i], sizeof l->event[i], "%s", p->event);
        snprintf(l->message[i], sizeof l->message[i], "%s", p->message);
    } else {
        l->dropped++;
    }
    pthread_mutex_unlock(&l->lock);
    if (p && p->message) {
        char line[700];
        snprintf(line, sizeof line, "log %d %s %s: %s", p->level, p->target ? p->target : "?",
                 p->event ? p->event : "?", p->message);
        scan_record(line);
    }
}

/* Events named `event` (and, if `needle` is not NULL, whose message contains it). */
static int count_events(event_log *l, const char *event, const char *needle) {
    int n = 0;
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->event[i], event) == 0 && (!needle || strstr(l->message[i], needle))) n++;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static void dump_events(event_log *l) {
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->n; i++)
        fprintf(stderr, "  event %d %s %s: %s\n", l->level[i], l->target[i], l->event[i], l->message[i]);
    pthread_mutex_unlock(&l->lock);
}

/* A number out of a flat JSON text: the value after the first `"key":` following `after`
 * (NULL: from the start). -1 when absent. */
static long long json_num(const char *json, const char *after, const char *key) {
    const char *p = json;
    if (after) {
        p = strstr(json, after);
        if (!p) return -1;
    }
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    p = strstr(p, k);
    return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

#define PROCESSEXT_PATH "/api/admin/fees/v2/fee/feeservice/processext"

/* A flow with a forced refresh (the sandbox expires the access token) and a retried 503,
 * logged through the process-wide callback and then a client's own; the client's statistics
 * against the sandbox's own counters. */
static void test_logging_b2copy(const sandbox *sb, const char *pem) {
    b2c_error *err = NULL;
    static event_log global, own;
    event_log_init(&global);
    event_log_init(&own);

    CHECK_ERR(b2c_set_log_callback(record_event, &global, 0, &err), &err, B2C_INVALID_ARGUMENT,
              "set_log_callback level 0");
    CHECK_ERR(b2c_set_log_callback(record_event, &global, 6, &err), &err, B2C_INVALID_ARGUMENT,
              "set_log_callback level 6");
    CHECK_OK(b2c_set_log_callback(record_event, &global, B2C_LOG_INFO, &err), &err, "set_log_callback");

    counters srv0 = stats(sb, "server");
    int calls0 = g_http_calls;
    counters b0 = stats(sb, "b2copy");
    b2c_client *c = b2copy_client(sb, pem);
    if (!c) return;
    int32_t fs = 0;
    CHECK_OK(b2c_fee_process(c, "123456", "c-log-1", 0, NULL, NULL, &fs, &err), &err, "fee 1");
    CHECK(count_events(&global, "auth", "no tokens held") == 1, "one auth event, with its reason");

    control(sb, "b2copy/expire-access", NULL);
    CHECK_OK(b2c_fee_process(c, "123456", "c-log-2", 0, NULL, NULL, &fs, &err), &err, "fee 2 (forced refresh)");
    CHECK(count_events(&global, "unauthorized", "401") == 1, "the 401 is logged");
    CHECK(count_events(&global, "refresh", "401") == 1, "a refresh event naming its reason (the 401)");
    CHECK(count_events(&global, "auth", NULL) == 1, "no second authentication");

    char fault[256];
    snprintf(fault, sizeof fault, "{\"path\": \"%s\", \"fault\": \"503\", \"times\": 1}", PROCESSEXT_PATH);
    control(sb, "faults", fault);
    CHECK_OK(b2c_fee_process(c, "123456", "c-log-3", 0, NULL, NULL, &fs, &err), &err, "fee 3 (a 503, retried)");
    CHECK(count_events(&global, "retry", "status_5xx") == 1, "one retry event naming its cause");
    CHECK(count_events(&global, "request", NULL) == 0, "debug events are not delivered at info");

    /* A client's own callback takes its events instead of the process-wide one. */
    int before_global = global.n;
    CHECK_ERR(b2c_client_set_log_callback(NULL, record_event, &own, B2C_LOG_DEBUG, &err), &err,
              B2C_NULL_POINTER, "client_set_log_callback(NULL client)");
    CHECK_OK(b2c_client_set_log_callback(c, record_event, &own, B2C_LOG_DEBUG, &err), &err,
             "client_set_log_callback");
    CHECK_OK(b2c_fee_process(c, "123456", "c-log-4", 0, NULL, NULL, &fs, &err), &err, "fee 4");
    CHECK(count_events(&own, "request", "processext") == 1, "the client's callback sees the exchange (debug)");
    CHECK(global.n == before_global, "the process-wide callback saw none of it");
    CHECK_OK(b2c_client_set_log_callback(c, NULL, NULL, 0, &err), &err, "remove the client's callback");

    /* The statistics agree with the sandbox's counters. */
    counters b1 = stats(sb, "b2copy");
    char *js = NULL;
    CHECK_ERR(b2c_client_stats(c, NULL, &err), &err, B2C_NULL_POINTER, "client_stats(NULL out)");
    CHECK_OK(b2c_client_stats(c, &js, &err), &err, "client_stats");
    counters srv1 = stats(sb, "server");
    int own_calls = g_http_calls - calls0;
    if (js) {
        long long faults = delta(&b0, &b1, "faults_injected"); /* the one 503 */
        CHECK(faults == 1, "one fault injected: %lld", faults);
        CHECK(json_num(js, NULL, "auth_exchanges") == delta(&b0, &b1, "auth_ok"), "auth_exchanges vs auth_ok: %s", js);
        CHECK(json_num(js, NULL, "refreshes") == delta(&b0, &b1, "refresh_ok"), "refreshes vs refresh_ok: %s", js);
        CHECK(json_num(js, NULL, "auth_exchanges") == 1 && json_num(js, NULL, "refreshes") == 1, "1 and 1: %s", js);
        CHECK(json_num(js, NULL, "unauthorized") == 1, "one 401: %s", js);
        CHECK(json_num(js, "\"retries_by_cause\"", "status_5xx") == 1, "one retry for a 5xx: %s", js);
        CHECK(json_num(js, NULL, "retries") == 1, "one retry in all: %s", js);
        CHECK(json_num(js, "\"processext\"", "count") == delta(&b0, &b1, "process_calls") + faults,
              "processext exchanges = the sandbox's process_calls + the faulted one: %s", js);
        long long reqs = json_num(js, NULL, "requests");
        CHECK(reqs == delta(&b0, &b1, "auth_ok") + delta(&b0, &b1, "refresh_ok") +
                          delta(&b0, &b1, "process_calls") + faults,
              "requests = every exchange the sandbox answered: %s", js);
        CHECK(json_num(js, NULL, "connections_opened") == delta(&srv0, &srv1, "connections") - own_calls,
              "connections_opened = the sandbox's accepted connections minus this program's own %d: %s", own_calls,
              js);
        CHECK(json_num(js, "\"processext\"", "p50_us") > 0 && json_num(js, "\"processext\"", "p99_us") >=
                                                                  json_num(js, "\"processext\"", "p50_us"),
              "latency percentiles: %s", js);
        CHECK(strstr(js, "sbx_") == NULL && strstr(js, "eyJ") == NULL, "no token in the stats");
        scan_record(js);
    }
    b2c_string_free(js);

    /* Nothing secret reached a callback: the key, the JWT, the tokens. */
    pthread_mutex_lock(&global.lock);
    for (int i = 0; i < global.n; i++)
        CHECK(!strstr(global.message[i], "sbx_") && !strstr(global.message[i], "eyJ") &&
                  !strstr(global.message[i], "PRIVATE KEY"),
              "a secret in event %s: %s", global.event[i], global.message[i]);
    pthread_mutex_unlock(&global.lock);
    CHECK(global.malformed == 0 && own.malformed == 0, "malformed params: %d, %d", global.malformed, own.malformed);
    if (g_failed) dump_events(&global);
    b2c_client_free(c);
    CHECK_OK(b2c_set_log_callback(NULL, NULL, 0, &err), &err, "remove the process-wide callback");
}

/* Read what a function wrote to stderr (fd 2 redirected to a temporary file meanwhile). */
typedef struct {
    int saved;
    FILE *f;
} stderr_capture;

static void capture_start(stderr_capture *c) {
    fflush(stderr);
    c->f = tmpfile();
    c->saved = dup(STDERR_FILENO);
    if (c->f) dup2(fileno(c->f), STDERR_FILENO);
}

static char *capture_end(stderr_capture *c) {
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    if (!c->f) return NULL;
    long n = ftell(c->f);
    char *out = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    rewind(c->f);
    if (out && n > 0 && fread(out, 1, (size_t)n, c->f) != (size_t)n) out[0] = 0;
    fclose(c->f);
    return out;
}

/* One suspicious refresh: the handle logs in, the sandbox uses up its refresh token, the
 * handle refreshes (a replay: rejected) and logs in again. */
static void suspicious_refresh(const sandbox *sb, b2c_b2binpay *h) {
    b2c_error *err = NULL;
    CHECK_OK(b2c_b2binpay_login(h, &err), &err, "login");
    control(sb, "b2binpay/consume-refresh", NULL);
    CHECK_OK(b2c_b2binpay_refresh(h, &err), &err, "refresh after consume-refresh");
}

/* The suspicious-refresh event: to the handle's callback when it has one; else one stderr
 * line, unless switched off with b2c_set_log_stderr(0); never to stderr while a callback is
 * installed. The B2BINPAY statistics count it. */
static void test_logging_b2binpay(const sandbox *sb) {
    b2c_error *err = NULL;
    static event_log l;
    event_log_init(&l);

    b2c_b2binpay *h = b2binpay_new(sb, "sandbox-password");
    if (!h) return;
    stderr_capture cap;
    capture_start(&cap);
    suspicious_refresh(sb, h);
    char *text = capture_end(&cap);
    CHECK(text && strstr(text, "suspicious_refresh") && strstr(text, "SUSPICIOUS"),
          "no callback: one stderr line: [%s]", text ? text : "");
    if (text) scan_record(text);
    free(text);

    b2c_set_log_stderr(0);
    capture_start(&cap);
    suspicious_refresh(sb, h);
    text = capture_end(&cap);
    CHECK(text && text[0] == 0, "stderr switched off: nothing written: [%s]", text ? text : "");
    free(text);
    b2c_set_log_stderr(1);

    CHECK_OK(b2c_b2binpay_set_log_callback(h, record_event, &l, B2C_LOG_INFO, &err), &err,
             "b2binpay_set_log_callback");
    capture_start(&cap);
    suspicious_refresh(sb, h);
    text = capture_end(&cap);
    CHECK(text && text[0] == 0, "with a callback: nothing on stderr: [%s]", text ? text : "");
    free(text);
    CHECK(count_events(&l, "suspicious_refresh", NULL) == 1, "the callback got the suspicious event");
    CHECK(count_events(&l, "auth", NULL) == 2, "two logins (the explicit one, the one after the replay)");
    pthread_mutex_lock(&l.lock);
    for (int i = 0; i < l.n; i++) {
        CHECK(strcmp(l.target[i], "b2binpay") == 0 || strcmp(l.target[i], "http") == 0 ||
                  strcmp(l.target[i], "dns") == 0,
              "target %s", l.target[i]);
        CHECK(!strstr(l.message[i], "sandbox-password") && !strstr(l.message[i], "b2b-"),
              "a secret in event %s: %s", l.event[i], l.message[i]);
    }
    pthread_mutex_unlock(&l.lock);

    char *js = NULL;
    CHECK_OK(b2c_b2binpay_stats(h, &js, &err), &err, "b2binpay_stats");
    if (js) {
        CHECK(json_num(js, NULL, "suspicious") == 3, "three suspicious events counted: %s", js);
        CHECK(json_num(js, NULL, "auth_exchanges") == 6, "six logins: %s", js);
        CHECK(json_num(js, "\"token\"", "count") == 6, "latency of /token/: %s", js);
        scan_record(js);
    }
    b2c_string_free(js);
    CHECK_ERR(b2c_b2binpay_stats(NULL, &js, &err), &err, B2C_NULL_POINTER, "b2binpay_stats(NULL)");
    b2c_b2binpay_free(h);
}


/* ------------------------------------------------------------------ token stores, shared handles */

/* A host store in C: one value per key in memory, a mutex-and-flag lock with a timeout. */
#define MEM_SLOTS 4
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char key[MEM_SLOTS][96];
    unsigned char *val[MEM_SLOTS];
    size_t len[MEM_SLOTS];
    int locked[MEM_SLOTS];
    int loads, saves, locks, unlocks, bad_keys;
} mem_store;

static int mem_slot(mem_store *m, const char *key) {
    if (strncmp(key, "b2copy-", 7) != 0 && strncmp(key, "b2binpay-", 9) != 0) m->bad_keys++;
    for (int i = 0; i < MEM_SLOTS; i++)
        if (strcmp(m->key[i], key) == 0) return i;
    for (int i = 0; i < MEM_SLOTS; i++)
        if (m->key[i][0] == 0) {
            snprintf(m->key[i], sizeof m->key[i], "%s", key);
            return i;
        }
    return -1;
}

static int32_t mem_load(void *ud, const char *key, uint8_t *buf, size_t buf_len, size_t *out_len) {
    mem_store *m = ud;
    pthread_mutex_lock(&m->mu);
    m->loads++;
    int i = mem_slot(m, key);
    int32_t rc = B2C_STORE_NOT_FOUND;
    if (i < 0) rc = B2C_STORE_ERROR;
    else if (m->val[i]) {
        *out_len = m->len[i];
        if (m->len[i] > buf_len) rc = B2C_STORE_BUFFER_TOO_SMALL;
        else {
            memcpy(buf, m->val[i], m->len[i]);
            rc = B2C_STORE_OK;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int32_t mem_save(void *ud, const char *key, const uint8_t *value, size_t len) {
    mem_store *m = ud;
    pthread_mutex_lock(&m->mu);
    m->saves++;
    int i = mem_slot(m, key);
    int32_t rc = B2C_STORE_ERROR;
    unsigned char *copy = malloc(len ? len : 1);
    if (i >= 0 && copy) {
        memcpy(copy, value, len);
        free(m->val[i]);
        m->val[i] = copy;
        m->len[i] = len;
        rc = B2C_STORE_OK;
    } else {
        free(copy);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int32_t mem_lock(void *ud, const char *key, uint32_t timeout_ms, uint32_t lease_ms) {
    mem_store *m = ud;
    (void)lease_ms;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->mu);
    m->locks++;
    int i = mem_slot(m, key);
    int32_t rc = B2C_STORE_ERROR;
    if (i >= 0) {
        rc = B2C_STORE_OK;
        while (m->locked[i] && rc == B2C_STORE_OK)
            if (pthread_cond_timedwait(&m->cv, &m->mu, &until) != 0) rc = B2C_STORE_LOCK_TIMEOUT;
        if (rc == B2C_STORE_OK) m->locked[i] = 1;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static void mem_unlock(void *ud, const char *key) {
    mem_store *m = ud;
    pthread_mutex_lock(&m->mu);
    m->unlocks++;
    int i = mem_slot(m, key);
    if (i >= 0) m->locked[i] = 0;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static b2c_client *b2copy_client_cfg(const sandbox *sb, const char *pem, const char *extra) {
    char *u = json_str(sb->url), *pm = json_str(pem);
    size_t n = strlen(u) + strlen(pm) + strlen(extra) + 256;
    char *cfg = malloc(n);
    snprintf(cfg, n,
             "{\"base_url\": %s, \"admin_id\": 42, \"device_ip\": \"127.0.0.1\", \"key_id\": \"kid1\", "
             "\"private_key_pem\": %s%s}",
             u, pm, extra);
    b2c_client *c = NULL;
    b2c_error *err = NULL;
    CHECK_OK(b2c_client_new(cfg, &c, &err), &err, "client_new with a store");
    free(cfg);
    free(u);
    free(pm);
    return c;
}

static void test_token_stores(const sandbox *sb, const char *pem) {
    b2c_error *err = NULL;
    int32_t fs = 0;

    /* The file store: three clients (three processes, as far as the store can tell). */
    char dir[] = "/tmp/b2c-c-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char extra[256];
    snprintf(extra, sizeof extra, ", \"token_store\": {\"type\": \"file\", \"path\": \"%s/tokens\"}", dir);
    counters b0 = stats(sb, "b2copy");
    for (int i = 0; i < 3; i++) {
        b2c_client *c = b2copy_client_cfg(sb, pem, extra);
        char rid[32];
        snprintf(rid, sizeof rid, "c-file-%d", i);
        if (c) CHECK_OK(b2c_fee_process(c, "123456", rid, 0, NULL, NULL, &fs, &err), &err, "fee with the file store");
        b2c_client_free(c);
    }
    counters b1 = stats(sb, "b2copy");
    CHECK_DELTA(b0, b1, "auth_ok", 1);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "clean up %s", dir);

    /* A host store through callbacks, shared by two clients. */
    static mem_store m;
    memset(&m, 0, sizeof m);
    pthread_mutex_init(&m.mu, NULL);
    pthread_cond_init(&m.cv, NULL);
    b2c_token_store st = {sizeof(b2c_token_store), &m, mem_load, mem_save, mem_lock, mem_unlock};
    b2c_client *a = b2copy_client_cfg(sb, pem, "");
    b2c_client *b = b2copy_client_cfg(sb, pem, "");
    b2c_token_store short_struct = st;
    short_struct.struct_size = sizeof(size_t);
    CHECK_ERR(b2c_client_set_token_store(a, &short_struct, &err), &err, B2C_INVALID_ARGUMENT, "struct_size too small");
    b2c_token_store no_unlock = st;
    no_unlock.unlock = NULL;
    CHECK_ERR(b2c_client_set_token_store(a, &no_unlock, &err), &err, B2C_INVALID_ARGUMENT, "unlock missing");
    CHECK_ERR(b2c_client_set_token_store(NULL, &st, &err), &err, B2C_NULL_POINTER, "NULL client");
    CHECK_OK(b2c_client_set_token_store(a, &st, &err), &err, "set_token_store a");
    CHECK_OK(b2c_client_set_token_store(b, &st, &err), &err, "set_token_store b");
    b0 = stats(sb, "b2copy");
    CHECK_OK(b2c_fee_process(a, "123456", "c-cb-1", 0, NULL, NULL, &fs, &err), &err, "fee a");
    CHECK_OK(b2c_fee_process(b, "123456", "c-cb-2", 0, NULL, NULL, &fs, &err), &err, "fee b");
    control(sb, "b2copy/expire-access", NULL);
    CHECK_OK(b2c_fee_process(a, "123456", "c-cb-3", 0, NULL, NULL, &fs, &err), &err, "fee a after expiry");
    CHECK_OK(b2c_fee_process(b, "123456", "c-cb-4", 0, NULL, NULL, &fs, &err), &err, "fee b after expiry");
    b1 = stats(sb, "b2copy");
    CHECK_DELTA(b0, b1, "auth_ok", 1);
    CHECK_DELTA(b0, b1, "refresh_ok", 1);
    CHECK_DELTA(b0, b1, "refresh_rejected", 0);
    CHECK(m.saves == 2 && m.locks == m.unlocks && m.locks >= 2 && m.bad_keys == 0,
          "store calls: %d loads, %d saves, %d locks, %d unlocks, %d bad keys", m.loads, m.saves, m.locks, m.unlocks,
          m.bad_keys);
    CHECK(m.val[0] && !memmem(m.val[0], m.len[0], "PRIVATE", 7), "the record holds no key");
    char *js = NULL;
    CHECK_OK(b2c_client_stats(b, &js, &err), &err, "stats b");
    CHECK(js && json_num(js, NULL, "store_adopted") == 2 && json_num(js, NULL, "auth_exchanges") == 0,
          "b adopted twice and never authenticated: %s", js ? js : "");
    b2c_string_free(js);
    CHECK_OK(b2c_client_set_token_store(b, NULL, &err), &err, "detach the store");
    b2c_client_free(a);
    b2c_client_free(b);
    for (int i = 0; i < MEM_SLOTS; i++) free(m.val[i]);

    /* Shared handles: the same configuration is one native client, kept across frees. */
    char *u = json_str(sb->url), *pm = json_str(pem);
    size_t n = strlen(u) + strlen(pm) + 256;
    char *cfg = malloc(n);
    snprintf(cfg, n, "{\"base_url\": %s, \"admin_id\": 42, \"device_ip\": \"127.0.0.1\", \"key_id\": \"kid1\", "
                     "\"private_key_pem\": %s, \"call_deadline_ms\": 7777}", u, pm);
    b2c_client *s1 = NULL, *s2 = NULL;
    b0 = stats(sb, "b2copy");
    CHECK_OK(b2c_client_shared(cfg, &s1, &err), &err, "shared 1");
    CHECK_OK(b2c_fee_process(s1, "123456", "c-sh-1", 0, NULL, NULL, &fs, &err), &err, "fee shared 1");
    b2c_client_free(s1);
    CHECK_OK(b2c_client_shared(cfg, &s2, &err), &err, "shared 2 (after the first was freed)");
    CHECK_OK(b2c_fee_process(s2, "123456", "c-sh-2", 0, NULL, NULL, &fs, &err), &err, "fee shared 2");
    b1 = stats(sb, "b2copy");
    CHECK_DELTA(b0, b1, "auth_ok", 1);
    js = NULL;
    CHECK_OK(b2c_client_stats(s2, &js, &err), &err, "stats shared");
    CHECK(js && json_num(js, "\"processext\"", "count") == 2, "one client behind both handles: %s", js ? js : "");
    b2c_string_free(js);
    CHECK_ERR(b2c_client_shared("{\"base_url\": 1}", &s1, &err), &err, B2C_CONFIG, "shared with a bad config");
    CHECK_ERR(b2c_client_shared(NULL, &s1, &err), &err, B2C_NULL_POINTER, "shared NULL config");
    b2c_client_free(s2);
    CHECK(b2c_shared_clear() >= 1, "the idle shared client is dropped");
    CHECK(b2c_shared_clear() == 0, "and only once");
    free(cfg);
    free(u);
    free(pm);

    /* B2BINPAY: a shared handle, and a file store across two handles. */
    b2c_b2binpay *h1 = NULL, *h2 = NULL;
    char bcfg[600];
    snprintf(bcfg, sizeof bcfg, "{\"base_url\":\"%s/b2binpay\",\"login\":\"sandbox-login\",\"password\":\"sandbox-password\"}",
             sb->url);
    CHECK_OK(b2c_b2binpay_shared(bcfg, &h1, &err), &err, "b2binpay_shared 1");
    CHECK_OK(b2c_b2binpay_shared(bcfg, &h2, &err), &err, "b2binpay_shared 2");
    counters p0 = stats(sb, "b2binpay");
    char *t1 = NULL, *t2 = NULL;
    CHECK_OK(b2c_b2binpay_access_token(h1, &t1, NULL, &err), &err, "token 1");
    CHECK_OK(b2c_b2binpay_access_token(h2, &t2, NULL, &err), &err, "token 2");
    counters p1 = stats(sb, "b2binpay");
    CHECK_DELTA(p0, p1, "token_ok", 1);
    CHECK(t1 && t2 && strcmp(t1, t2) == 0, "one handle behind both");
    b2c_string_free(t1);
    b2c_string_free(t2);
    b2c_b2binpay_free(h1);
    b2c_b2binpay_free(h2);
    b2c_shared_clear();
}


/* ------------------------------------------------------------------ generic calls, CRM handle, accounts */

static void test_generic_calls(const sandbox *sb, const char *pem) {
    b2c_error *err = NULL;
    int32_t status = 0;
    char *body = NULL;

    /* B2COPY: any other path under /api/ with the access token (the sandbox echoes). */
    b2c_client *c = b2copy_client_cfg(sb, pem, "");
    if (!c) return;
    counters b0 = stats(sb, "b2copy");
    CHECK_OK(b2c_client_call(c, "GET", "/api/admin/v2/other/thing?x=1", NULL, 0, &status, &body, &err), &err,
             "client_call GET");
    CHECK(status == 200 && body && strstr(body, "\"GET\"") && strstr(body, "/api/admin/v2/other/thing") &&
              strstr(body, "x=1"),
          "echo: %d %s", (int)status, body ? body : "");
    b2c_string_free(body);
    body = NULL;
    const char *json = "{\"a\": [1, 2]}";
    control(sb, "b2copy/expire-access", NULL);
    CHECK_OK(b2c_client_call(c, "POST", "/api/admin/v2/other/post", json, strlen(json), &status, &body, &err), &err,
             "client_call POST after the access token expired");
    CHECK(status == 200 && body && strstr(body, "\"a\""), "post echo: %d %s", (int)status, body ? body : "");
    b2c_string_free(body);
    body = NULL;
    counters b1 = stats(sb, "b2copy");
    CHECK_DELTA(b0, b1, "refresh_ok", 1);
    /* A 404 is an answer, not an error. */
    CHECK_OK(b2c_client_call(c, "DELETE", "/nowhere", NULL, 0, &status, &body, &err), &err, "client_call 404");
    CHECK(status == 404 && body != NULL, "404 as a result: %d", (int)status);
    b2c_string_free(body);
    body = NULL;
    const char *bad_paths[] = {"api/x", "//evil.example/x", "/a b", "/a/../b", "/x#y"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++)
        CHECK_ERR(b2c_client_call(c, "GET", bad_paths[i], NULL, 0, &status, &body, &err), &err, B2C_INVALID_ARGUMENT,
                  bad_paths[i]);
    CHECK_ERR(b2c_client_call(c, "FOO", "/api/x", NULL, 0, &status, &body, &err), &err, B2C_INVALID_ARGUMENT,
              "method FOO");
    b2c_call_options bad = {sizeof(size_t), 0, 0};
    CHECK_ERR(b2c_client_call_with(c, "GET", "/api/x", NULL, 0, &bad, &status, &body, &err), &err,
              B2C_INVALID_ARGUMENT, "options struct_size");
    b2c_call_options idem = {sizeof(b2c_call_options), 1, 0};
    CHECK_OK(b2c_client_call_with(c, "POST", "/api/admin/v2/other/idem", "{}", 2, &idem, &status, &body, &err), &err,
             "client_call_with idempotent");
    b2c_string_free(body);
    body = NULL;
    char *token = NULL;
    CHECK_OK(b2c_client_access_token(c, &token, &err), &err, "client_access_token");
    CHECK(token && token[0], "a token");
    if (token) {
        char hdr[20100];
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
        int st = http_call(sb, "GET", "/api/admin/v2/own-stack", hdr, "", 0, NULL);
        CHECK(st == 200, "the token works with another HTTP stack: %d", st);
    }
    b2c_string_free(token);
    b2c_client_free(c);

    /* B2BINPAY: the handle's generic call. */
    b2c_b2binpay *h = b2binpay_new(sb, "sandbox-password");
    if (h) {
        CHECK_OK(b2c_b2binpay_call(h, "GET", "/api/v3/wallet/?page=1", NULL, 0, &status, &body, &err), &err,
                 "b2binpay_call");
        CHECK(status == 200 && body && strstr(body, "wallet"), "b2binpay echo: %d %s", (int)status, body ? body : "");
        b2c_string_free(body);
        body = NULL;
        b2c_b2binpay_free(h);
    }

    /* CRM Open API handle: the normal form, raw mode, rejections. */
    char cfg[700];
    snprintf(cfg, sizeof cfg, "{\"base_url\":\"%s/crm\",\"api_key\":\"sandbox-api-key\"}", sb->url);
    b2c_crm *crm = NULL;
    CHECK_OK(b2c_crm_new(cfg, &crm, &err), &err, "crm_new");
    CHECK_ERR(b2c_crm_new("{\"base_url\":\"https://x.example\"}", &crm, &err), &err, B2C_CONFIG, "crm_new no key");
    if (crm) {
        counters m0 = stats(sb, "crm");
        const char *pretty = "{ \"client\" : \"J\\u00fcrgen\", \"amount\": 1.50 }";
        CHECK_OK(b2c_crm_call(crm, "POST", "/api/clients", pretty, strlen(pretty), &status, &body, &err), &err,
                 "crm_call normal form");
        CHECK(status == 200, "crm normal form accepted: %d %s", (int)status, body ? body : "");
        b2c_string_free(body);
        body = NULL;
        const char *big = "{\"amount\": 12345678901234567890}";
        CHECK_ERR(b2c_crm_call(crm, "POST", "/api/clients", big, strlen(big), &status, &body, &err), &err,
                  B2C_INVALID_ARGUMENT, "a big integer in the normal form");
        b2c_call_options raw = {sizeof(b2c_call_options), 0, 1};
        CHECK_OK(b2c_crm_call_with(crm, "POST", "/api/clients", big, strlen(big), &raw, &status, &body, &err), &err,
                 "the same body in raw mode");
        CHECK(status == 200, "raw accepted: %d", (int)status);
        b2c_string_free(body);
        body = NULL;
        CHECK_ERR(b2c_crm_call(crm, "GET", "/api/x", "{}", 2, &status, &body, &err), &err, B2C_INVALID_ARGUMENT,
                  "GET with a body");
        counters m1 = stats(sb, "crm");
        CHECK_DELTA(m0, m1, "requests", 2);
        CHECK_DELTA(m0, m1, "invalid_signature", 0);
        char *js = NULL;
        CHECK_OK(b2c_crm_stats(crm, &js, &err), &err, "crm_stats");
        CHECK(js && json_num(js, NULL, "requests") == 2, "crm stats: %s", js ? js : "");
        b2c_string_free(js);
        b2c_crm_free(crm);
    }
    snprintf(cfg, sizeof cfg, "{\"base_url\":\"%s/crm\",\"api_key\":\"not-registered\"}", sb->url);
    crm = NULL;
    CHECK_OK(b2c_crm_new(cfg, &crm, &err), &err, "crm_new wrong key");
    if (crm) {
        CHECK_ERR(b2c_crm_call(crm, "GET", "/api/x", NULL, 0, &status, &body, &err), &err, B2C_AUTH_REJECTED,
                  "invalid_api_key");
        b2c_crm_free(crm);
    }
    b2c_crm_free(NULL);
}

static void test_retailcrm_accounts(const sandbox *sb) {
    b2c_error *err = NULL;
    const char *secret = "mod-secret";
    const char *key = "sandbox-api-key";
    char *tok = NULL;
    CHECK_OK(b2c_retailcrm_token(secret, key, &tok, &err), &err, "token");
    const char *accounts[] = {"{\"clientId\":\"acct-1\",\"accountUrl\":\"https://m.example.com/acct/1\"}",
                              "{\"clientId\":\"acct-2\",\"accountUrl\":\"https://m.example.com/acct/2\"}"};
    for (int i = 0; i < 2 && tok; i++) {
        char *form = register_form(sb, key, tok);
        char *result = NULL;
        CHECK_OK(b2c_retailcrm_register_account(secret, form, strlen(form), MODULE_JSON, accounts[i], NULL, &result,
                                                &err),
                 &err, "register_account");
        CHECK(result && strstr(result, "\"registered\":true") && strstr(result, "\"api_key\":\"sandbox-api-key\"") &&
                  strstr(result, "/retailcrm\""),
              "account %d: %s", i, result ? result : "");
        char want[80];
        snprintf(want, sizeof want, "acct\\/%d", i + 1);
        CHECK(result && (strstr(result, want) || strstr(result, i ? "acct/2" : "acct/1")), "its accountUrl: %s",
              result ? result : "");
        b2c_string_free(result);
        free(form);
    }
    char *form = register_form(sb, key, "0000000000000000000000000000000000000000000000000000000000000000");
    char *result = NULL;
    CHECK_OK(b2c_retailcrm_register_account(secret, form, strlen(form), MODULE_JSON, NULL, NULL, &result, &err), &err,
             "register_account wrong token");
    CHECK(result && strstr(result, "\"registered\":false") && strstr(result, "\"api_key\":null"),
          "wrong token: %s", result ? result : "");
    b2c_string_free(result);
    CHECK_ERR(b2c_retailcrm_register_account(secret, form, strlen(form), MODULE_JSON, "[1]", NULL, &result, &err),
              &err, B2C_INVALID_ARGUMENT, "account_json not an object");
    free(form);
    b2c_string_free(tok);
}

/* ------------------------------------------------------------------ main */

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);

    CHECK(strcmp(b2c_version(), EXPECTED_VERSION) == 0, "version %s", b2c_version());
    test_webhook_tampering();

    b2c_error *err = NULL;
    b2c_key *key = NULL;
    char *priv = NULL, *pub = NULL;
    CHECK_OK(b2c_key_generate(&key, &err), &err, "sandbox key");
    CHECK_OK(b2c_key_private_pem(key, &priv, &err), &err, "private pem");
    CHECK_OK(b2c_key_public_pem(key, &pub, &err), &err, "public pem");
    b2c_key_free(key);
    if (!priv || !pub) {
        fprintf(stderr, "cannot continue without keys\n");
        b2c_string_free(priv);
        b2c_string_free(pub);
        return 1;
    }
    char tmpl[] = "/tmp/b2c-test-proto-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char pub_path[512];
    snprintf(pub_path, sizeof pub_path, "%s/pub.pem", dir ? dir : "/tmp");
    CHECK(dir && write_file(pub_path, pub) == 0, "write public PEM");

    sandbox sb;
    memset(&sb, 0, sizeof sb);
    if (sandbox_start(&sb, pub_path, NULL) != 0) {
        CHECK(0, "sandbox did not start");
    } else {
        printf("sandbox at %s\n", sb.url);
        test_b2binpay_tampered_sign(&sb);
        test_b2binpay_replayed_refresh(&sb);
        test_b2binpay_replay_on_access_token_path(&sb);
        test_b2binpay_concurrent_refreshers(&sb);
        test_b2binpay_bad_inputs(&sb);
        test_crm_sandbox(&sb);
        test_retailcrm_register(&sb);
        test_retailcrm_edit_errors(&sb);
        test_b2copy_renewal(&sb, priv);
        test_logging_b2copy(&sb, priv);
        test_logging_b2binpay(&sb);
        test_token_stores(&sb, priv);
        test_generic_calls(&sb, priv);
        test_retailcrm_accounts(&sb);
    }
    sandbox_stop(&sb);
    unlink(pub_path);
    if (dir) rmdir(dir);
    b2c_string_free(priv);
    b2c_string_free(pub);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
