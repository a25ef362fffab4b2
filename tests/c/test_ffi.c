/*
 * C test client for the b2c C ABI (include/b2c.h). Exercises every export: NULL handling,
 * statuses, keys, JWT, HMAC signing, client configuration and the full B2COPY fee flow
 * against a b2c-sandbox process this program starts itself.
 *
 * Build (dynamic; the script does this, see scripts/test-c.sh):
 *   gcc -std=c11 -Wall -Wextra -Werror -Iinclude -DEXPECTED_VERSION='"0.1.0"' \
 *       tests/c/test_ffi.c -Ltarget/release -lb2c -lpthread -o build/c/test_ffi
 * Run from the crate root (fixture and sandbox paths are relative to it, or set
 * B2C_SANDBOX / B2C_FIXTURES).
 *
 * Sections are grouped by protocol/domain (common, keys, jwt, signing, b2copy client) so the
 * exports for CRM Open API, B2BINPAY and RetailCRM can be added as further test_* functions
 * called from main().
 */
#define _POSIX_C_SOURCE 200809L

#include <b2c.h>

#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef EXPECTED_VERSION
#error "compile with -DEXPECTED_VERSION='\"x.y.z\"' (the version in Cargo.toml)"
#endif

/* ------------------------------------------------------------------ small helpers */

static char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) { free(buf); buf = NULL; }
            else buf = nb;
        }
    }
    fclose(f);
    if (buf) buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

/* Config JSON for the sandbox client; `extra` is appended inside the object (may be ""). */
static char *make_config_poll(const char *base_url, const char *key_id, const char *pem, unsigned poll_ms,
                              const char *extra) {
    char *u = json_str(base_url), *k = json_str(key_id), *pm = json_str(pem);
    size_t n = strlen(u) + strlen(k) + strlen(pm) + strlen(extra) + 256;
    char *out = malloc(n);
    snprintf(out, n,
             "{\"base_url\": %s, \"admin_id\": 42, \"device_ip\": \"127.0.0.1\", \"key_id\": %s, "
             "\"private_key_pem\": %s, \"poll_interval_ms\": %u%s}",
             u, k, pm, poll_ms, extra);
    free(u);
    free(k);
    free(pm);
    return out;
}

static char *make_config(const char *base_url, const char *key_id, const char *pem, const char *extra) {
    return make_config_poll(base_url, key_id, pem, 20, extra);
}

/* base64url decode (no padding) into a malloc'd NUL-terminated buffer; NULL if invalid. */
static char *b64url_decode(const char *s, size_t n) {
    char *out = malloc(n * 3 / 4 + 4);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
        else { free(out); return NULL; }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = 0;
    return out;
}

/* Splits a JWS into its three parts; decodes header and payload. Returns 1 on a
 * well-formed compact JWS (3 non-empty base64url parts, 64-byte signature). */
static int jwt_parts(const char *jwt, char **header, char **payload) {
    *header = *payload = NULL;
    const char *d1 = strchr(jwt, '.');
    if (!d1) return 0;
    const char *d2 = strchr(d1 + 1, '.');
    if (!d2 || strchr(d2 + 1, '.')) return 0;
    if (d1 == jwt || d2 == d1 + 1 || d2[1] == 0) return 0;
    char *sig = b64url_decode(d2 + 1, strlen(d2 + 1));
    int sig_ok = sig != NULL && strlen(d2 + 1) == 86; /* 64 raw bytes r||s = 86 base64url chars */
    free(sig);
    *header = b64url_decode(jwt, (size_t)(d1 - jwt));
    *payload = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1));
    return sig_ok && *header && *payload;
}

/* ------------------------------------------------------------------ common exports */

static void test_status_and_version(void) {
    static const int known[] = {0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 20, 21, 22, 23, 24, 25, 26,
                                27, 30, 31, 40, 41, 42, 50, 51, 52, 99};
    const char *unknown = b2c_status_str(-1);
    CHECK(unknown != NULL && strcmp(unknown, "unknown status") == 0, "status_str(-1) = %s", unknown);
    CHECK(strcmp(b2c_status_str(1000), "unknown status") == 0, "status_str(1000)");
    CHECK(strcmp(b2c_status_str(INT32_MIN), "unknown status") == 0, "status_str(INT32_MIN)");
    CHECK(strcmp(b2c_status_str(INT32_MAX), "unknown status") == 0, "status_str(INT32_MAX)");
    CHECK(strcmp(b2c_status_str(7), "unknown status") == 0, "status_str(7) = %s", b2c_status_str(7));
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *s = b2c_status_str(known[i]);
        CHECK(s != NULL && s[0] != 0 && strcmp(s, "unknown status") != 0, "status_str(%d) = %s",
              known[i], s ? s : "(null)");
        /* distinct descriptions */
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(s, b2c_status_str(known[j])) != 0, "status %d and %d share text", known[i],
                  known[j]);
    }
    CHECK(strcmp(b2c_status_str(B2C_OK), "ok") == 0, "status_str(OK)");
    const char *v = b2c_version();
    CHECK(v != NULL && strcmp(v, EXPECTED_VERSION) == 0, "version %s, Cargo.toml says %s", v,
          EXPECTED_VERSION);
    CHECK(b2c_version() == v, "b2c_version returns a static string");

    /* error accessors with NULL; all frees with NULL */
    CHECK(b2c_error_status(NULL) == B2C_NULL_POINTER, "error_status(NULL)");
    CHECK(b2c_error_message(NULL) != NULL && b2c_error_message(NULL)[0] == 0, "error_message(NULL)");
    CHECK(b2c_error_http_status(NULL) == 0, "error_http_status(NULL)");
    b2c_error_free(NULL);
    b2c_string_free(NULL);
    b2c_key_free(NULL);
    b2c_client_free(NULL);
    CHECK(1, "free(NULL) are no-ops");
}

/* ------------------------------------------------------------------ signing */

static void test_sign(void) {
    char out[72];
    const char *key = "Jefe", *data = "what do ya want for nothing?";
    b2c_status st = b2c_sign_payload((const uint8_t *)key, 4, (const uint8_t *)data, strlen(data), out,
                                     sizeof out);
    CHECK(st == B2C_OK, "sign RFC 4231 #2: %d", (int)st);
    CHECK(strcmp(out, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") == 0,
          "RFC 4231 #2 -> %s", out);

    /* bigger buffer: exactly 72 bytes written (71 chars + NUL), rest untouched */
    char big[100];
    memset(big, 'Z', sizeof big);
    st = b2c_sign_payload((const uint8_t *)key, 4, (const uint8_t *)data, strlen(data), big, sizeof big);
    CHECK(st == B2C_OK && strlen(big) == 71 && big[72] == 'Z', "sign into bigger buffer");

    /* too small: nothing written */
    char small[71];
    memset(small, 0xA5, sizeof small);
    st = b2c_sign_payload((const uint8_t *)key, 4, (const uint8_t *)data, strlen(data), small, 71);
    CHECK(st == B2C_BUFFER_TOO_SMALL, "out_len 71 -> %d", (int)st);
    int untouched = 1;
    for (size_t i = 0; i < sizeof small; i++)
        if ((unsigned char)small[i] != 0xA5) untouched = 0;
    CHECK(untouched, "buffer untouched on B2C_BUFFER_TOO_SMALL");
    st = b2c_sign_payload((const uint8_t *)key, 4, (const uint8_t *)data, strlen(data), small, 0);
    CHECK(st == B2C_BUFFER_TOO_SMALL, "out_len 0 -> %d", (int)st);

    /* NUL bytes inside the payload are signed, not truncated */
    const uint8_t with_nul[] = {'a', 0, 'b', 0, 'c'};
    char s1[72], s2[72];
    CHECK(b2c_sign_payload((const uint8_t *)"k", 1, with_nul, sizeof with_nul, s1, 72) == B2C_OK, "sign NULs");
    CHECK(b2c_sign_payload((const uint8_t *)"k", 1, with_nul, 1, s2, 72) == B2C_OK, "sign prefix");
    CHECK(strcmp(s1, s2) != 0, "payload with NULs is not truncated");
    /* HMAC-SHA256("k", "a\0b\0c"), computed with Python's hmac module */
    CHECK(strcmp(s1, "sha256=337d06c839b3470e7439796ef1013cddf931775d25f49effdafe0a9b3a81bfe2") == 0,
          "HMAC over NULs -> %s", s1);

    /* An empty key is refused (a signature under it authenticates nothing) and nothing is
     * written; an empty payload (NULL + 0 too) is fine. */
    memset(out, 'x', sizeof out);
    st = b2c_sign_payload(NULL, 0, NULL, 0, out, sizeof out);
    CHECK(st == B2C_INVALID_ARGUMENT && out[0] == 'x', "NULL/0 key -> %d", (int)st);
    CHECK(b2c_sign_payload((const uint8_t *)"", 0, (const uint8_t *)"m", 1, out, 72) == B2C_INVALID_ARGUMENT,
          "empty non-NULL key refused too");
    st = b2c_sign_payload((const uint8_t *)"k", 1, NULL, 0, out, sizeof out);
    CHECK(st == B2C_OK, "NULL/0 payload -> %d", (int)st);
    /* HMAC-SHA256("k", "") */
    CHECK(strcmp(out, "sha256=8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620") == 0,
          "HMAC('k', '') -> %s", out);

    /* NULL with non-zero length; NULL out */
    CHECK(b2c_sign_payload(NULL, 4, (const uint8_t *)data, 1, out, 72) == B2C_NULL_POINTER, "key NULL len 4");
    CHECK(b2c_sign_payload((const uint8_t *)key, 4, NULL, 1, out, 72) == B2C_NULL_POINTER, "payload NULL len 1");
    CHECK(b2c_sign_payload((const uint8_t *)key, 4, (const uint8_t *)data, 1, NULL, 72) == B2C_NULL_POINTER,
          "out NULL");
    CHECK(b2c_sign_payload((const uint8_t *)key, 4, (const uint8_t *)data, 1, NULL, 0) == B2C_NULL_POINTER,
          "out NULL, len 0");
}

/* ------------------------------------------------------------------ keys and JWT */

static char *fixture_path(const char *name) {
    const char *dir = env_or("B2C_FIXTURES", "tests/fixtures/keys");
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void check_bad_key(const char *file, b2c_status want) {
    char *path = fixture_path(file);
    size_t len = 0;
    char *pem = read_file(path, &len);
    CHECK(pem != NULL, "read fixture %s", path);
    b2c_error *err = NULL;
    b2c_key *k = NULL;
    if (pem) {
        CHECK_ERR(b2c_key_from_pem(pem, len, &k, &err), &err, want, file);
        CHECK(k == NULL, "%s: out written on failure", file);
    }
    CHECK_ERR(b2c_key_from_file(path, &k, &err), &err, want, file);
    CHECK(k == NULL, "%s: out written on failure (file)", file);
    b2c_key_free(k);
    free(pem);
    free(path);
}

static void test_keys(void) {
    b2c_error *err = NULL;
    b2c_key *key = NULL, *k2 = NULL, *k3 = NULL;
    char *priv = NULL, *pub = NULL, *priv2 = NULL, *pub2 = NULL, *s = NULL;

    CHECK_OK(b2c_key_generate(&key, &err), &err, "key_generate");
    CHECK(key != NULL && err == NULL, "generated key, err untouched on success");
    CHECK_OK(b2c_key_private_pem(key, &priv, &err), &err, "private_pem");
    CHECK_OK(b2c_key_public_pem(key, &pub, &err), &err, "public_pem");
    CHECK(priv && strstr(priv, "-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM: %s", priv ? priv : "");
    CHECK(pub && strstr(pub, "-----BEGIN PUBLIC KEY-----"), "SPKI PEM: %s", pub ? pub : "");
    if (priv && pub) {
        CHECK_OK(b2c_key_from_pem(priv, strlen(priv), &k2, &err), &err, "reload private PEM");
        CHECK_OK(b2c_key_public_pem(k2, &pub2, &err), &err, "reloaded public_pem");
        CHECK_OK(b2c_key_private_pem(k2, &priv2, &err), &err, "reloaded private_pem");
        CHECK(pub2 && strcmp(pub, pub2) == 0, "reloaded key has the same public key");
        CHECK(priv2 && strcmp(priv, priv2) == 0, "reloaded key has the same private PEM");
        /* pem_len excludes the NUL; a NUL inside the length is a malformed PEM, not a crash */
        b2c_key *k4 = NULL;
        b2c_status st4 = b2c_key_from_pem(priv, strlen(priv) + 1, &k4, &err);
        CHECK(st4 == B2C_OK || st4 == B2C_KEY_INVALID, "PEM with trailing NUL -> %d", (int)st4);
        b2c_key_free(k4);
        k4 = NULL;
        if (err) { b2c_error_free(err); err = NULL; }
        /* truncated PEM */
        CHECK_ERR(b2c_key_from_pem(priv, strlen(priv) / 2, &k4, &err), &err, B2C_KEY_INVALID, "truncated PEM");
        /* public key is not a private key */
        CHECK_ERR(b2c_key_from_pem(pub, strlen(pub), &k4, &err), &err, B2C_KEY_INVALID, "public PEM as private");
        CHECK(k4 == NULL, "no key out on failure");
    }
    /* good fixtures */
    const char *good[] = {"p256_pkcs8.pem", "p256_sec1.pem"};
    for (size_t i = 0; i < 2; i++) {
        char *p = fixture_path(good[i]);
        b2c_key *fk = NULL;
        CHECK_OK(b2c_key_from_file(p, &fk, &err), &err, good[i]);
        b2c_key_free(fk);
        free(p);
    }
    check_bad_key("rsa_pkcs8.pem", B2C_KEY_UNSUPPORTED_TYPE);
    check_bad_key("p384_pkcs8.pem", B2C_KEY_UNSUPPORTED_CURVE);
    check_bad_key("p256_encrypted_pkcs8.pem", B2C_KEY_ENCRYPTED);
    check_bad_key("garbage_pkcs8.pem", B2C_KEY_INVALID);
    CHECK_ERR(b2c_key_from_file("/nonexistent/b2c/key.pem", &k3, &err), &err, B2C_IO, "missing key file");
    CHECK_ERR(b2c_key_from_pem("", 0, &k3, &err), &err, B2C_KEY_INVALID, "empty PEM");
    CHECK_ERR(b2c_key_from_pem(NULL, 0, &k3, &err), &err, B2C_KEY_INVALID, "NULL PEM with length 0");
    {
        const char bad_utf8[] = "-----BEGIN PRIVATE KEY-----\n\xff\xfe\n-----END PRIVATE KEY-----\n";
        CHECK_ERR(b2c_key_from_file("/nonexistent/\xff", &k3, &err), &err, B2C_INVALID_UTF8, "path not UTF-8");
        CHECK_ERR(b2c_key_from_pem(bad_utf8, sizeof bad_utf8 - 1, &k3, &err), &err, B2C_KEY_INVALID,
                  "PEM not UTF-8");
    }

    /* NULL for every pointer argument */
    CHECK_ERR(b2c_key_generate(NULL, &err), &err, B2C_NULL_POINTER, "key_generate(NULL)");
    CHECK_ERR(b2c_key_from_pem(NULL, 10, &k3, &err), &err, B2C_NULL_POINTER, "key_from_pem(NULL, 10)");
    CHECK_ERR(b2c_key_from_pem(priv ? priv : "x", priv ? strlen(priv) : 1, NULL, &err), &err, B2C_NULL_POINTER,
              "key_from_pem(out NULL)");
    CHECK_ERR(b2c_key_from_file(NULL, &k3, &err), &err, B2C_NULL_POINTER, "key_from_file(NULL)");
    CHECK_ERR(b2c_key_from_file("x.pem", NULL, &err), &err, B2C_NULL_POINTER, "key_from_file(out NULL)");
    CHECK_ERR(b2c_key_private_pem(NULL, &s, &err), &err, B2C_NULL_POINTER, "private_pem(NULL)");
    CHECK_ERR(b2c_key_private_pem(key, NULL, &err), &err, B2C_NULL_POINTER, "private_pem(out NULL)");
    CHECK_ERR(b2c_key_public_pem(NULL, &s, &err), &err, B2C_NULL_POINTER, "public_pem(NULL)");
    CHECK_ERR(b2c_key_public_pem(key, NULL, &err), &err, B2C_NULL_POINTER, "public_pem(out NULL)");
    CHECK(s == NULL && k3 == NULL, "outputs untouched on failure");
    /* err == NULL: no details wanted, status still returned */
    CHECK(b2c_key_generate(NULL, NULL) == B2C_NULL_POINTER, "err NULL accepted");
    CHECK(b2c_key_from_file("/nonexistent/b2c/key.pem", &k3, NULL) == B2C_IO, "err NULL accepted (IO)");

    /* JWT */
    char *jwt = NULL, *h = NULL, *p = NULL;
    CHECK_OK(b2c_jwt_mint(key, 42, "127.0.0.1", "kid1", NULL, 0, 1, &jwt, &err), &err, "jwt_mint");
    CHECK(jwt && jwt_parts(jwt, &h, &p), "JWT has 3 base64url parts: %s", jwt ? jwt : "");
    if (h && p) {
        CHECK(strstr(h, "\"ES256\"") != NULL, "header alg ES256: %s", h);
        CHECK(strstr(h, "\"kid\":\"kid1\"") != NULL, "header kid: %s", h);
        CHECK(strstr(p, "\"admin_id\":42") != NULL, "payload admin_id number: %s", p);
        CHECK(strstr(p, "\"device_ip\":\"127.0.0.1\"") != NULL, "payload device_ip: %s", p);
        CHECK(strstr(p, "\"key_id\":\"kid1\"") != NULL, "payload key_id: %s", p);
        CHECK(strstr(p, "\"iss\":\"b2c\"") != NULL, "default issuer: %s", p);
    }
    free(h);
    free(p);
    b2c_string_free(jwt);
    jwt = NULL;
    CHECK_OK(b2c_jwt_mint(key, 7, "10.0.0.1", "k", "crm", 60, 0, &jwt, &err), &err, "jwt_mint issuer+ttl");
    CHECK(jwt && jwt_parts(jwt, &h, &p), "JWT 2 shape");
    if (h && p) {
        CHECK(strstr(h, "kid") == NULL, "no kid header when kid_header=0: %s", h);
        CHECK(strstr(p, "\"iss\":\"crm\"") != NULL, "issuer: %s", p);
    }
    free(h);
    free(p);
    b2c_string_free(jwt);
    jwt = NULL;
    CHECK_ERR(b2c_jwt_mint(NULL, 42, "127.0.0.1", "kid1", NULL, 0, 0, &jwt, &err), &err, B2C_NULL_POINTER,
              "jwt_mint(key NULL)");
    CHECK_ERR(b2c_jwt_mint(key, 42, NULL, "kid1", NULL, 0, 0, &jwt, &err), &err, B2C_NULL_POINTER,
              "jwt_mint(device_ip NULL)");
    CHECK_ERR(b2c_jwt_mint(key, 42, "127.0.0.1", NULL, NULL, 0, 0, &jwt, &err), &err, B2C_NULL_POINTER,
              "jwt_mint(key_id NULL)");
    CHECK_ERR(b2c_jwt_mint(key, 42, "127.0.0.1", "kid1", NULL, 0, 0, NULL, &err), &err, B2C_NULL_POINTER,
              "jwt_mint(out NULL)");
    CHECK(jwt == NULL, "jwt untouched on failure");

    b2c_string_free(priv);
    b2c_string_free(pub);
    b2c_string_free(priv2);
    b2c_string_free(pub2);
    b2c_key_free(key);
    b2c_key_free(k2);
}

/* ------------------------------------------------------------------ client configuration */

static void test_client_config(const char *url, const char *pem) {
    b2c_error *err = NULL;
    b2c_client *c = NULL;

    char *cfg = make_config(url, "kid1", pem, ", \"bogus_key\": 1");
    CHECK_ERR(b2c_client_new(cfg, &c, &err), &err, B2C_CONFIG, "unknown config key");
    free(cfg);
    CHECK_ERR(b2c_client_new("{\"base_url\": ", &c, &err), &err, B2C_CONFIG, "invalid JSON");
    CHECK_ERR(b2c_client_new("[1,2]", &c, &err), &err, B2C_CONFIG, "JSON not an object");
    CHECK_ERR(b2c_client_new("{}", &c, &err), &err, B2C_CONFIG, "missing fields");
    CHECK_ERR(b2c_client_new("{\"base_url\": \"\xff\"}", &c, &err), &err, B2C_INVALID_UTF8, "config not UTF-8");
    cfg = make_config("http://example.com", "kid1", pem, "");
    CHECK_ERR(b2c_client_new(cfg, &c, &err), &err, B2C_INSECURE_URL, "http to non-loopback");
    free(cfg);
    cfg = make_config(url, "kid1", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "");
    b2c_status st = b2c_client_new(cfg, &c, &err);
    CHECK(st == B2C_KEY_INVALID || st == B2C_CONFIG, "bad key in config -> %d", (int)st);
    if (err) { b2c_error_free(err); err = NULL; }
    free(cfg);
    cfg = make_config(url, "kid1", pem, ", \"poll_interval_ms\": \"fast\"");
    CHECK_ERR(b2c_client_new(cfg, &c, &err), &err, B2C_CONFIG, "wrong type / duplicate key");
    free(cfg);
    CHECK(c == NULL, "no client out on failure");

    CHECK_ERR(b2c_client_new(NULL, &c, &err), &err, B2C_NULL_POINTER, "client_new(NULL json)");
    cfg = make_config(url, "kid1", pem, "");
    CHECK_ERR(b2c_client_new(cfg, NULL, &err), &err, B2C_NULL_POINTER, "client_new(out NULL)");
    CHECK(b2c_client_new(NULL, &c, NULL) == B2C_NULL_POINTER, "client_new err NULL");

    /* https to a real host name is accepted without network traffic */
    char *cfg2 = make_config("https://b2copy.example.com", "kid1", pem, "");
    CHECK_OK(b2c_client_new(cfg2, &c, &err), &err, "https config");
    b2c_client_free(c);
    c = NULL;
    free(cfg2);

    CHECK_OK(b2c_client_new(cfg, &c, &err), &err, "client_new");
    char *jwt = NULL, *h = NULL, *p = NULL;
    CHECK_OK(b2c_client_mint_jwt(c, &jwt, &err), &err, "client_mint_jwt");
    CHECK(jwt && jwt_parts(jwt, &h, &p), "client JWT shape");
    if (p) CHECK(strstr(p, "\"admin_id\":42") && strstr(p, "\"key_id\":\"kid1\""), "client JWT claims: %s", p);
    free(h);
    free(p);
    b2c_string_free(jwt);
    jwt = NULL;
    CHECK_ERR(b2c_client_mint_jwt(NULL, &jwt, &err), &err, B2C_NULL_POINTER, "client_mint_jwt(NULL)");
    CHECK_ERR(b2c_client_mint_jwt(c, NULL, &err), &err, B2C_NULL_POINTER, "client_mint_jwt(out NULL)");
    CHECK_ERR(b2c_authenticate(NULL, &err), &err, B2C_NULL_POINTER, "authenticate(NULL)");
    int32_t fs = -7;
    CHECK_ERR(b2c_fee_process(NULL, "123456", "r", 0, NULL, NULL, &fs, &err), &err, B2C_NULL_POINTER,
              "fee_process(client NULL)");
    CHECK_ERR(b2c_fee_process(c, NULL, "r", 0, NULL, NULL, &fs, &err), &err, B2C_NULL_POINTER,
              "fee_process(login NULL)");
    CHECK_ERR(b2c_fee_process(c, "123456", NULL, 0, NULL, NULL, &fs, &err), &err, B2C_NULL_POINTER,
              "fee_process(request_id NULL)");
    CHECK(fs == -7, "fee status untouched on NULL argument");
    b2c_client_free(c);
    free(cfg);
}

/* ------------------------------------------------------------------ B2COPY fee flow */

#define PROGRESS_MAGIC 0x5eed1234u

typedef struct {
    uint32_t magic;
    int calls;
    int cancel_at; /* return 1 on this call number (1-based); 0 = never */
    uint32_t last_attempt;
    uint64_t last_elapsed;
    int32_t last_status;
    int increasing; /* attempts strictly increasing, elapsed non-decreasing */
    int bad_userdata;
} progress;

static int32_t on_progress(void *userdata, int32_t fee_status, uint32_t attempt, uint64_t elapsed_ms) {
    progress *p = userdata;
    if (p == NULL || p->magic != PROGRESS_MAGIC) {
        /* Cannot use CHECK on a foreign pointer's fields; count globally instead. */
        CHECK(0, "progress userdata not passed through");
        return 1;
    }
    p->calls++;
    if (attempt <= p->last_attempt || elapsed_ms < p->last_elapsed) p->increasing = 0;
    if (fee_status < 1 || fee_status > 3) p->bad_userdata = 1;
    p->last_attempt = attempt;
    p->last_elapsed = elapsed_ms;
    p->last_status = fee_status;
    return (p->cancel_at != 0 && p->calls >= p->cancel_at) ? 1 : 0;
}

static void progress_init(progress *p, int cancel_at) {
    memset(p, 0, sizeof *p);
    p->magic = PROGRESS_MAGIC;
    p->cancel_at = cancel_at;
    p->increasing = 1;
}

typedef struct {
    const b2c_client *client;
    int index;
    int ok;
} thread_arg;

static void *fee_thread(void *arg) {
    thread_arg *ta = arg;
    ta->ok = 0;
    for (int i = 0; i < 3; i++) {
        char rid[64];
        snprintf(rid, sizeof rid, "c-thread-%d-%d", ta->index, i);
        progress pr;
        progress_init(&pr, 0);
        b2c_error *err = NULL;
        int32_t fs = 0;
        b2c_status st = b2c_fee_process(ta->client, "123456", rid, 20000, on_progress, &pr, &fs, &err);
        CHECK(st == B2C_OK && fs == B2C_FEE_STATUS_SUCCESS, "thread %d req %d: %d/%d %s", ta->index, i,
              (int)st, (int)fs, msg_of(err));
        CHECK(pr.calls >= 1 && pr.increasing && pr.last_status == B2C_FEE_STATUS_SUCCESS,
              "thread %d progress: calls %d", ta->index, pr.calls);
        if (st == B2C_OK && fs == B2C_FEE_STATUS_SUCCESS) ta->ok++;
        b2c_error_free(err);
    }
    return NULL;
}

static void test_fee_flow(const char *url, const char *pem, const char *unregistered_pem) {
    b2c_error *err = NULL;
    b2c_client *c = NULL;
    char *cfg = make_config(url, "kid1", pem, "");
    CHECK_OK(b2c_client_new(cfg, &c, &err), &err, "client_new (sandbox)");
    free(cfg);
    if (!c) return;

    CHECK_OK(b2c_authenticate(c, &err), &err, "authenticate");
    CHECK_OK(b2c_authenticate(c, NULL), &err, "authenticate again, err NULL");

    /* one-shot: PENDING (sandbox answers PENDING twice) */
    int32_t fs = 0;
    progress pr;
    progress_init(&pr, 0);
    CHECK_OK(b2c_fee_process(c, "123456", "c-req-1", 0, on_progress, &pr, &fs, &err), &err, "one-shot");
    CHECK(fs == B2C_FEE_STATUS_PENDING, "one-shot status %d", (int)fs);
    CHECK(err == NULL, "err untouched on success");

    /* wait: ends in SUCCESS with increasing attempts */
    progress_init(&pr, 0);
    fs = 0;
    CHECK_OK(b2c_fee_process(c, "123456", "c-req-1", 20000, on_progress, &pr, &fs, &err), &err, "wait");
    CHECK(fs == B2C_FEE_STATUS_SUCCESS, "wait status %d", (int)fs);
    CHECK(pr.calls >= 2, "progress called %d times", pr.calls);
    CHECK(pr.increasing, "attempts increasing, elapsed non-decreasing");
    CHECK(pr.last_status == B2C_FEE_STATUS_SUCCESS && !pr.bad_userdata, "last progress status %d",
          (int)pr.last_status);
    CHECK(pr.last_attempt == (uint32_t)pr.calls, "attempt numbers from 1: last %u, calls %d", pr.last_attempt,
          pr.calls);

    /* a final status stays final; NULL callback and NULL out_fee_status allowed */
    CHECK_OK(b2c_fee_process(c, "123456", "c-req-1", 0, NULL, NULL, NULL, &err), &err, "one-shot, all NULL");
    fs = 0;
    CHECK_OK(b2c_fee_process(c, "123456", "c-req-1", 0, NULL, NULL, &fs, &err), &err, "repeat after SUCCESS");
    CHECK(fs == B2C_FEE_STATUS_SUCCESS, "SUCCESS is final: %d", (int)fs);

    /* cancel from the callback */
    progress_init(&pr, 1);
    CHECK_ERR(b2c_fee_process(c, "123456", "c-req-2", 20000, on_progress, &pr, &fs, &err), &err, B2C_CANCELLED,
              "cancel");
    CHECK(pr.calls == 1, "cancelled after first callback (calls %d)", pr.calls);

    /* error login */
    fs = 0;
    progress_init(&pr, 0);
    b2c_status st = b2c_fee_process(c, "999999", "c-req-3", 20000, on_progress, &pr, &fs, &err);
    CHECK(st == B2C_FEE_ERROR, "error login -> %d (%s)", (int)st, msg_of(err));
    CHECK(fs == B2C_FEE_STATUS_ERROR, "fee status ERROR: %d", (int)fs);
    CHECK(err && b2c_error_status(err) == B2C_FEE_ERROR, "error object FEE_ERROR");
    CHECK(err && strstr(b2c_error_message(err), "insufficient funds") &&
              strstr(b2c_error_message(err), "INSUFFICIENT_FUNDS"),
          "error message carries the details: %s", msg_of(err));
    CHECK(pr.last_status == B2C_FEE_STATUS_ERROR, "progress saw ERROR");
    b2c_error_free(err);
    err = NULL;

    /* still pending: a wait shorter than one poll interval. (A wait shorter than one HTTP
     * round trip gives B2C_TIMEOUT instead: the wait also bounds the request itself.) */
    {
        char *slow_cfg = make_config_poll(url, "kid1", pem, 5000, "");
        b2c_client *slow = NULL;
        CHECK_OK(b2c_client_new(slow_cfg, &slow, &err), &err, "client_new (slow polling)");
        fs = 0;
        progress_init(&pr, 0);
        st = b2c_fee_process(slow, "123456", "c-req-4", 1000, on_progress, &pr, &fs, &err);
        CHECK(st == B2C_STILL_PENDING, "short wait -> %d (%s)", (int)st, msg_of(err));
        CHECK(fs == B2C_FEE_STATUS_PENDING, "still pending status %d", (int)fs);
        CHECK(pr.calls == 1 && pr.last_status == B2C_FEE_STATUS_PENDING, "one PENDING progress call (%d)",
              pr.calls);
        b2c_error_free(err);
        err = NULL;
        b2c_client_free(slow);
        free(slow_cfg);
    }

    /* the same request_id with another login is rejected by the server */
    st = b2c_fee_process(c, "654321", "c-req-1", 0, NULL, NULL, NULL, &err);
    CHECK(st != B2C_OK && err != NULL, "request_id reuse with another login -> %d", (int)st);
    if (err) CHECK(b2c_error_http_status(err) == 409, "reuse -> HTTP %d (%s)", b2c_error_http_status(err),
                   msg_of(err));
    b2c_error_free(err);
    err = NULL;

    /* empty arguments */
    st = b2c_fee_process(c, "", "c-req-5", 0, NULL, NULL, NULL, &err);
    CHECK(st == B2C_INVALID_ARGUMENT, "empty login -> %d (%s)", (int)st, msg_of(err));
    b2c_error_free(err);
    err = NULL;

    /* 4 threads share one client */
    pthread_t th[4];
    thread_arg ta[4];
    for (int i = 0; i < 4; i++) {
        ta[i].client = c;
        ta[i].index = i;
        ta[i].ok = 0;
        CHECK(pthread_create(&th[i], NULL, fee_thread, &ta[i]) == 0, "pthread_create %d", i);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += ta[i].ok;
    }
    CHECK(total == 12, "threads: %d of 12 requests succeeded", total);
    b2c_client_free(c);

    /* an unregistered key is rejected */
    cfg = make_config(url, "kid1", unregistered_pem, "");
    c = NULL;
    CHECK_OK(b2c_client_new(cfg, &c, &err), &err, "client with unregistered key");
    free(cfg);
    st = b2c_authenticate(c, &err);
    CHECK(st == B2C_AUTH_REJECTED, "unregistered key -> %d (%s)", (int)st, msg_of(err));
    CHECK(err && b2c_error_http_status(err) == 401, "HTTP 401: %d", b2c_error_http_status(err));
    b2c_error_free(err);
    err = NULL;
    b2c_client_free(c);
}

static void test_network_down(const char *url, const char *pem) {
    b2c_error *err = NULL;
    b2c_client *c = NULL;
    char *cfg = make_config(url, "kid1", pem, ", \"call_deadline_ms\": 1500, \"connect_timeout_ms\": 500");
    CHECK_OK(b2c_client_new(cfg, &c, &err), &err, "client_new (dead sandbox)");
    free(cfg);
    b2c_status st = b2c_authenticate(c, &err);
    CHECK(st == B2C_NETWORK || st == B2C_TIMEOUT, "sandbox gone -> %d (%s)", (int)st, msg_of(err));
    b2c_error_free(err);
    b2c_client_free(c);
}


/* ------------------------------------------------------------------ CRM Open API */

static void test_crm(void) {
    b2c_error *err = NULL;
    char *sig = NULL;
    const char *body = "{\"amount\":\"10.00\",\"nul\":\"\0\"}"; /* contains a NUL byte */
    size_t body_len = 29;
    char want[72];
    CHECK(b2c_sign_payload((const uint8_t *)"api-key", 7, (const uint8_t *)body, body_len, want, 72) == B2C_OK,
          "reference HMAC");
    CHECK_OK(b2c_crm_sign_request("api-key", "POST", body, body_len, &sig, &err), &err, "crm_sign_request POST");
    CHECK(sig && strcmp(sig, want) == 0, "crm signature = sha256=HMAC(api key, body): %s", sig ? sig : "");
    if (sig) {
        CHECK_OK(b2c_crm_verify_signature("api-key", body, body_len, sig, &err), &err, "crm_verify_signature");
        CHECK_ERR(b2c_crm_verify_signature("other-key", body, body_len, sig, &err), &err, B2C_SIGNATURE_INVALID,
                  "crm_verify_signature wrong key");
        CHECK_ERR(b2c_crm_verify_signature("api-key", body, body_len - 1, sig, &err), &err, B2C_SIGNATURE_INVALID,
                  "crm_verify_signature truncated body");
        CHECK_ERR(b2c_crm_verify_signature("api-key", body, body_len, "sha256=00", &err), &err,
                  B2C_SIGNATURE_INVALID, "crm_verify_signature malformed");
        /* webhook: with and without the sha256= prefix */
        CHECK_OK(b2c_webhook_verify("api-key", 7, body, body_len, sig, &err), &err, "webhook_verify sha256=");
        CHECK_OK(b2c_webhook_verify("api-key", 7, body, body_len, sig + 7, &err), &err, "webhook_verify bare hex");
        CHECK_ERR(b2c_webhook_verify("api-kez", 7, body, body_len, sig, &err), &err, B2C_SIGNATURE_INVALID,
                  "webhook_verify wrong secret");
        CHECK_ERR(b2c_webhook_verify(NULL, 7, body, body_len, sig, &err), &err, B2C_NULL_POINTER,
                  "webhook_verify(secret NULL)");
        CHECK_ERR(b2c_webhook_verify("api-key", 7, NULL, body_len, sig, &err), &err, B2C_NULL_POINTER,
                  "webhook_verify(body NULL)");
        CHECK_ERR(b2c_webhook_verify("api-key", 7, body, body_len, NULL, &err), &err, B2C_NULL_POINTER,
                  "webhook_verify(signature NULL)");
        CHECK_ERR(b2c_crm_verify_signature(NULL, body, body_len, sig, &err), &err, B2C_NULL_POINTER,
                  "crm_verify_signature(api_key NULL)");
        CHECK_ERR(b2c_crm_verify_signature("api-key", NULL, body_len, sig, &err), &err, B2C_NULL_POINTER,
                  "crm_verify_signature(body NULL)");
        CHECK_ERR(b2c_crm_verify_signature("api-key", body, body_len, NULL, &err), &err, B2C_NULL_POINTER,
                  "crm_verify_signature(signature NULL)");
    }
    b2c_string_free(sig);
    sig = NULL;
    CHECK_OK(b2c_crm_sign_request("api-key", "GET", NULL, 0, &sig, &err), &err, "crm_sign_request GET");
    CHECK(sig && sig[0] == 0, "GET gets an empty signature: '%s'", sig ? sig : "(null)");
    b2c_string_free(sig);
    sig = NULL;
    CHECK_OK(b2c_crm_sign_request("api-key", "POST", NULL, 0, &sig, &err), &err, "crm_sign_request empty POST");
    CHECK(sig && sig[0] == 0, "empty POST body gets an empty signature");
    b2c_string_free(sig);
    sig = NULL;
    CHECK_ERR(b2c_crm_sign_request(NULL, "POST", body, body_len, &sig, &err), &err, B2C_NULL_POINTER,
              "crm_sign_request(api_key NULL)");
    CHECK_ERR(b2c_crm_sign_request("api-key", NULL, body, body_len, &sig, &err), &err, B2C_NULL_POINTER,
              "crm_sign_request(method NULL)");
    CHECK_ERR(b2c_crm_sign_request("api-key", "POST", NULL, 5, &sig, &err), &err, B2C_NULL_POINTER,
              "crm_sign_request(body NULL, len 5)");
    CHECK_ERR(b2c_crm_sign_request("api-key", "POST", body, body_len, NULL, &err), &err, B2C_NULL_POINTER,
              "crm_sign_request(out NULL)");
    CHECK(sig == NULL, "signature untouched on failure");
}

/* ------------------------------------------------------------------ B2BINPAY */

static void test_b2binpay_offline(void) {
    b2c_error *err = NULL;
    /* python: hmac.new(sha256(b"sandbox-login" b"sandbox-password").digest(),
     *                  b"2" b"0.00100000" b"track-1" b"2024-01-01T00:00:00.000000Z", sha256) */
    const char *good = "787e134c4b8beadf67c01364e5ec7e15dd0e4a26c1800407a2728227ee35ea0d";
    const char *t = "2024-01-01T00:00:00.000000Z";
    CHECK_OK(b2c_b2binpay_verify_callback("sandbox-login", "sandbox-password", "2", "0.00100000", "track-1", t,
                                          good, &err),
             &err, "b2binpay_verify_callback valid");
    CHECK_ERR(b2c_b2binpay_verify_callback("sandbox-login", "sandbox-password", "2", "0.00100001", "track-1", t,
                                           good, &err),
              &err, B2C_SIGNATURE_INVALID, "b2binpay_verify_callback tampered amount");
    const char *args[7] = {"sandbox-login", "sandbox-password", "2", "0.00100000", "track-1", t, good};
    for (int i = 0; i < 7; i++) {
        const char *a[7];
        memcpy(a, args, sizeof a);
        a[i] = NULL;
        char what[64];
        snprintf(what, sizeof what, "b2binpay_verify_callback(arg %d NULL)", i);
        CHECK_ERR(b2c_b2binpay_verify_callback(a[0], a[1], a[2], a[3], a[4], a[5], a[6], &err), &err,
                  B2C_NULL_POINTER, what);
    }
    b2c_b2binpay *h = NULL;
    CHECK_ERR(b2c_b2binpay_new(NULL, &h, &err), &err, B2C_NULL_POINTER, "b2binpay_new(NULL)");
    CHECK_ERR(b2c_b2binpay_new("{\"base_url\":\"http://127.0.0.1:1\",\"login\":\"l\",\"password\":\"p\"}", NULL,
                               &err),
              &err, B2C_NULL_POINTER, "b2binpay_new(out NULL)");
    CHECK_ERR(b2c_b2binpay_new("{\"base_url\":\"http://127.0.0.1:1\",\"login\":\"l\",\"password\":\"p\",\"x\":1}",
                               &h, &err),
              &err, B2C_CONFIG, "b2binpay_new unknown key");
    CHECK_ERR(b2c_b2binpay_new("{\"base_url\":\"http://example.com\",\"login\":\"l\",\"password\":\"p\"}", &h, &err),
              &err, B2C_INSECURE_URL, "b2binpay_new http non-loopback");
    CHECK(h == NULL, "no handle on failure");
    char *tok = NULL;
    int32_t susp = -1;
    uint64_t a = 7, b = 7, c = 7;
    CHECK_ERR(b2c_b2binpay_login(NULL, &err), &err, B2C_NULL_POINTER, "b2binpay_login(NULL)");
    CHECK_ERR(b2c_b2binpay_refresh(NULL, &err), &err, B2C_NULL_POINTER, "b2binpay_refresh(NULL)");
    CHECK_ERR(b2c_b2binpay_access_token(NULL, &tok, &susp, &err), &err, B2C_NULL_POINTER,
              "b2binpay_access_token(NULL)");
    CHECK(b2c_b2binpay_counters(NULL, &a, &b, &c) == B2C_NULL_POINTER, "b2binpay_counters(NULL)");
    CHECK(tok == NULL && susp == -1 && a == 7, "outputs untouched on failure");
    b2c_b2binpay_free(NULL);
}

static void test_b2binpay_sandbox(const char *url) {
    b2c_error *err = NULL;
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"base_url\":\"%s/b2binpay\",\"login\":\"sandbox-login\",\"password\":\"sandbox-password\"}", url);
    b2c_b2binpay *h = NULL;
    CHECK_OK(b2c_b2binpay_new(cfg, &h, &err), &err, "b2binpay_new");
    if (!h) return;
    CHECK_OK(b2c_b2binpay_login(h, &err), &err, "b2binpay_login");
    CHECK_OK(b2c_b2binpay_refresh(h, &err), &err, "b2binpay_refresh");
    char *tok = NULL;
    int32_t susp = -1;
    CHECK_OK(b2c_b2binpay_access_token(h, &tok, &susp, &err), &err, "b2binpay_access_token");
    CHECK(tok && tok[0] != 0, "access token non-empty");
    CHECK(susp == 0, "not suspicious: %d", (int)susp);
    b2c_string_free(tok);
    tok = NULL;
    CHECK_OK(b2c_b2binpay_access_token(h, &tok, NULL, &err), &err, "b2binpay_access_token (suspicious NULL)");
    CHECK_ERR(b2c_b2binpay_access_token(h, NULL, &susp, &err), &err, B2C_NULL_POINTER,
              "b2binpay_access_token(out NULL)");
    b2c_string_free(tok);
    uint64_t logins = 0, refreshes = 0, suspicious = 9;
    CHECK(b2c_b2binpay_counters(h, &logins, &refreshes, &suspicious) == B2C_OK, "b2binpay_counters");
    CHECK(logins >= 1 && refreshes >= 1 && suspicious == 0, "counters %llu/%llu/%llu",
          (unsigned long long)logins, (unsigned long long)refreshes, (unsigned long long)suspicious);
    CHECK(b2c_b2binpay_counters(h, NULL, NULL, NULL) == B2C_OK, "b2binpay_counters all NULL");
    b2c_b2binpay_free(h);

    snprintf(cfg, sizeof cfg,
             "{\"base_url\":\"%s/b2binpay\",\"login\":\"sandbox-login\",\"password\":\"wrong\"}", url);
    h = NULL;
    CHECK_OK(b2c_b2binpay_new(cfg, &h, &err), &err, "b2binpay_new (bad password)");
    b2c_status st = b2c_b2binpay_login(h, &err);
    CHECK(st == B2C_AUTH_REJECTED, "bad password -> %d (%s)", (int)st, msg_of(err));
    b2c_error_free(err);
    err = NULL;
    b2c_b2binpay_free(h);
}

/* ------------------------------------------------------------------ RetailCRM */

static void test_retailcrm_offline(void) {
    b2c_error *err = NULL;
    char *s = NULL;
    /* python: hmac.new(b"secret", b"api-key", sha256).hexdigest() */
    const char *want = "e757b68b52a38af45723dae04ea255b416e82ebc9de674cf18f3966131daaed5";
    CHECK_OK(b2c_retailcrm_token("secret", "api-key", &s, &err), &err, "retailcrm_token");
    CHECK(s && strcmp(s, want) == 0, "register token: %s", s ? s : "");
    CHECK_OK(b2c_retailcrm_verify_token("secret", "api-key", want, &err), &err, "retailcrm_verify_token");
    CHECK_ERR(b2c_retailcrm_verify_token("secret", "api-kez", want, &err), &err, B2C_SIGNATURE_INVALID,
              "retailcrm_verify_token wrong");
    b2c_string_free(s);
    s = NULL;
    CHECK_ERR(b2c_retailcrm_token(NULL, "k", &s, &err), &err, B2C_NULL_POINTER, "retailcrm_token(secret NULL)");
    CHECK_ERR(b2c_retailcrm_token("s", NULL, &s, &err), &err, B2C_NULL_POINTER, "retailcrm_token(api_key NULL)");
    CHECK_ERR(b2c_retailcrm_token("s", "k", NULL, &err), &err, B2C_NULL_POINTER, "retailcrm_token(out NULL)");
    CHECK_ERR(b2c_retailcrm_verify_token(NULL, "k", want, &err), &err, B2C_NULL_POINTER, "verify_token(secret NULL)");
    CHECK_ERR(b2c_retailcrm_verify_token("s", NULL, want, &err), &err, B2C_NULL_POINTER, "verify_token(key NULL)");
    CHECK_ERR(b2c_retailcrm_verify_token("s", "k", NULL, &err), &err, B2C_NULL_POINTER, "verify_token(token NULL)");

    CHECK_OK(b2c_retailcrm_config_response("[\"integration_read\",\"integration_write\"]",
                                           "https://m.example.com/register", &s, &err),
             &err, "retailcrm_config_response");
    CHECK(s && strstr(s, "\"success\":true") && strstr(s, "\"integration_write\"") &&
              strstr(s, "\"registerUrl\":\"https://m.example.com/register\""),
          "config response: %s", s ? s : "");
    b2c_string_free(s);
    s = NULL;
    CHECK_ERR(b2c_retailcrm_config_response("not json", "https://m", &s, &err), &err, B2C_INVALID_ARGUMENT,
              "config_response bad scopes");
    CHECK_ERR(b2c_retailcrm_config_response(NULL, "https://m", &s, &err), &err, B2C_NULL_POINTER,
              "config_response(scopes NULL)");
    CHECK_ERR(b2c_retailcrm_config_response("[]", NULL, &s, &err), &err, B2C_NULL_POINTER,
              "config_response(url NULL)");
    CHECK_ERR(b2c_retailcrm_config_response("[]", "https://m", NULL, &err), &err, B2C_NULL_POINTER,
              "config_response(out NULL)");

    CHECK_OK(b2c_retailcrm_register_success("https://m.example.com/account/1", &s, &err), &err, "register_success");
    CHECK(s && strstr(s, "\"success\":true") && strstr(s, "\"accountUrl\":\"https://m.example.com/account/1\""),
          "register success: %s", s ? s : "");
    b2c_string_free(s);
    s = NULL;
    CHECK_ERR(b2c_retailcrm_register_success(NULL, &s, &err), &err, B2C_NULL_POINTER, "register_success(NULL)");
    CHECK_ERR(b2c_retailcrm_register_success("u", NULL, &err), &err, B2C_NULL_POINTER, "register_success(out NULL)");

    CHECK_OK(b2c_retailcrm_error_response("bad \"key\"\n", &s, &err), &err, "error_response");
    CHECK(s && strstr(s, "\"success\":false") && strstr(s, "\"errorMsg\":\"bad \\\"key\\\"\\n\""),
          "error response escapes: %s", s ? s : "");
    b2c_string_free(s);
    s = NULL;
    CHECK_ERR(b2c_retailcrm_error_response(NULL, &s, &err), &err, B2C_NULL_POINTER, "error_response(NULL)");
    CHECK_ERR(b2c_retailcrm_error_response("m", NULL, &err), &err, B2C_NULL_POINTER, "error_response(out NULL)");

    const char *mod = "{}";
    CHECK_ERR(b2c_retailcrm_edit_module(NULL, "k", mod, NULL, &err), &err, B2C_NULL_POINTER, "edit_module(url NULL)");
    CHECK_ERR(b2c_retailcrm_edit_module("https://x", NULL, mod, NULL, &err), &err, B2C_NULL_POINTER,
              "edit_module(api_key NULL)");
    CHECK_ERR(b2c_retailcrm_edit_module("https://x", "k", NULL, NULL, &err), &err, B2C_NULL_POINTER,
              "edit_module(module NULL)");
    CHECK_ERR(b2c_retailcrm_edit_module("http://example.com", "k",
                                        "{\"code\":\"b2c\",\"integrationCode\":\"b2c\",\"active\":true,\"name\":\"B2C\","
                                        "\"clientId\":\"c\",\"baseUrl\":\"https://m\",\"accountUrl\":\"https://m/a\"}",
                                        NULL, &err),
              &err, B2C_INSECURE_URL, "edit_module http non-loopback");
    CHECK_ERR(b2c_retailcrm_handle_register(NULL, "a=b", 3, mod, NULL, &s, &err), &err, B2C_NULL_POINTER,
              "handle_register(secret NULL)");
    CHECK_ERR(b2c_retailcrm_handle_register("s", NULL, 3, mod, NULL, &s, &err), &err, B2C_NULL_POINTER,
              "handle_register(form NULL)");
    CHECK_ERR(b2c_retailcrm_handle_register("s", "a=b", 3, NULL, NULL, &s, &err), &err, B2C_NULL_POINTER,
              "handle_register(module NULL)");
    /* (module_json is validated before out_answer_json is checked, so use a valid module) */
    CHECK_ERR(b2c_retailcrm_handle_register("s", "a=b", 3,
                                            "{\"code\":\"b2c\",\"integrationCode\":\"b2c\",\"active\":true,"
                                            "\"name\":\"B2C\",\"clientId\":\"c\",\"baseUrl\":\"https://m\","
                                            "\"accountUrl\":\"https://m/a\"}",
                                            NULL, NULL, &err),
              &err, B2C_NULL_POINTER, "handle_register(out NULL)");
    CHECK(s == NULL, "outputs untouched on failure");
}

static void test_retailcrm_sandbox(const char *url) {
    b2c_error *err = NULL;
    char sys[600];
    snprintf(sys, sizeof sys, "%s/retailcrm", url);
    const char *mod = "{\"code\":\"b2c-test\",\"integrationCode\":\"b2c\",\"active\":true,\"name\":\"B2C\","
                      "\"clientId\":\"client-1\",\"baseUrl\":\"https://m.example.com\","
                      "\"accountUrl\":\"https://m.example.com/account\"}";
    CHECK_OK(b2c_retailcrm_edit_module(sys, "sandbox-api-key", mod, NULL, &err), &err, "retailcrm_edit_module");
    CHECK_OK(b2c_retailcrm_edit_module(sys, "sandbox-api-key", mod, "{\"request_timeout_ms\": 5000}", &err), &err,
             "retailcrm_edit_module with http config");
    b2c_status st = b2c_retailcrm_edit_module(sys, "wrong-key", mod, NULL, &err);
    CHECK(st != B2C_OK && err != NULL, "edit_module wrong API key -> %d (%s)", (int)st, msg_of(err));
    b2c_error_free(err);
    err = NULL;

    /* the register step: a good token triggers edit, a bad one answers an error without a call */
    char *tok = NULL;
    CHECK_OK(b2c_retailcrm_token("module-secret", "sandbox-api-key", &tok, &err), &err, "token for register");
    char form[1500];
    /* application/x-www-form-urlencoded: register[x] -> register%5Bx%5D, ':' and '/' escaped */
    char enc_url[800] = "";
    for (const char *p = sys; *p; p++) {
        size_t n = strlen(enc_url);
        if (*p == ':') snprintf(enc_url + n, sizeof enc_url - n, "%%3A");
        else if (*p == '/') snprintf(enc_url + n, sizeof enc_url - n, "%%2F");
        else { enc_url[n] = *p; enc_url[n + 1] = 0; }
    }
    snprintf(form, sizeof form, "register%%5BsystemUrl%%5D=%s&register%%5BapiKey%%5D=sandbox-api-key"
             "&register%%5Btoken%%5D=%s", enc_url, tok ? tok : "");
    char *answer = NULL;
    CHECK_OK(b2c_retailcrm_handle_register("module-secret", form, strlen(form), mod, NULL, &answer, &err), &err,
             "handle_register");
    CHECK(answer && strstr(answer, "\"success\":true") && strstr(answer, "https://m.example.com/account"),
          "register answer: %s", answer ? answer : "");
    b2c_string_free(answer);
    answer = NULL;
    CHECK_OK(b2c_retailcrm_handle_register("other-secret", form, strlen(form), mod, NULL, &answer, &err), &err,
             "handle_register bad token");
    CHECK(answer && strstr(answer, "\"success\":false") && strstr(answer, "errorMsg"),
          "bad token answer: %s", answer ? answer : "");
    b2c_string_free(answer);
    b2c_string_free(tok);
}

/* ------------------------------------------------------------------ main */

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);

    test_status_and_version();
    test_sign();
    test_keys();
    test_crm();
    test_b2binpay_offline();
    test_retailcrm_offline();

    /* key for the sandbox */
    b2c_error *err = NULL;
    b2c_key *key = NULL, *other = NULL;
    char *priv = NULL, *pub = NULL, *other_priv = NULL;
    CHECK_OK(b2c_key_generate(&key, &err), &err, "sandbox key");
    CHECK_OK(b2c_key_generate(&other, &err), &err, "unregistered key");
    CHECK_OK(b2c_key_private_pem(key, &priv, &err), &err, "sandbox key private");
    CHECK_OK(b2c_key_public_pem(key, &pub, &err), &err, "sandbox key public");
    CHECK_OK(b2c_key_private_pem(other, &other_priv, &err), &err, "other key private");
    b2c_key_free(key);
    b2c_key_free(other);
    if (!priv || !pub || !other_priv) {
        fprintf(stderr, "cannot continue without keys\n");
        return 1;
    }

    char tmpl[] = "/tmp/b2c-test-c-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char pub_path[512];
    snprintf(pub_path, sizeof pub_path, "%s/pub.pem", dir ? dir : "/tmp");
    CHECK(dir && write_file(pub_path, pub) == 0, "write public PEM");

    sandbox sb = {0};
    static const char *const flags[] = {"--pending-polls", "2", "--error-login", "999999", NULL};
    if (sandbox_start(&sb, pub_path, flags) != 0) {
        CHECK(0, "sandbox did not start");
    } else {
        printf("sandbox at %s\n", sb.url);
        test_client_config(sb.url, priv);
        test_fee_flow(sb.url, priv, other_priv);
        test_b2binpay_sandbox(sb.url);
        test_retailcrm_sandbox(sb.url);
        char url[512];
        snprintf(url, sizeof url, "%s", sb.url);
        sandbox_stop(&sb);
        test_network_down(url, priv);
    }
    sandbox_stop(&sb);
    unlink(pub_path);
    if (dir) rmdir(dir);
    b2c_string_free(priv);
    b2c_string_free(pub);
    b2c_string_free(other_priv);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
