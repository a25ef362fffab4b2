/*
 * The same one-shot flow as oneshot_b2c, written by hand with OpenSSL and libcurl: read the
 * P-256 key (PEM file), sign an ES256 JWT with EVP (DER signature -> raw r||s), POST
 * {"external_token": jwt} to authexternalcrm, take accessToken from the answer, then one
 * processext POST with Authorization: Bearer <accessToken> on the same (kept-alive)
 * connection.
 *
 *   oneshot_curl BASE_URL KEY_PEM_FILE
 *
 * Exits 0 only when the answer is HTTP 200 with "status":2.
 */
#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common.h"

static size_t b64url(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
    }
    out[o] = 0;
    return o;
}

/* header.claims.signature, ES256 (the claims b2c puts in its external token). */
static char *mint_jwt(EVP_PKEY *key)
{
    char claims[256], *jwt = malloc(1024);
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"admin_id\":1,\"device_ip\":\"127.0.0.1\",\"key_id\":\"k\",\"iss\":\"b2c\","
             "\"iat\":%ld,\"exp\":%ld}",
             now, now + 300);
    static const char header[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    size_t len = b64url((const unsigned char *)header, strlen(header), jwt);
    jwt[len++] = '.';
    len += b64url((const unsigned char *)claims, strlen(claims), jwt + len);

    unsigned char der[128], raw[64];
    size_t der_len = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &der_len, (unsigned char *)jwt, len) != 1)
        die("EVP_DigestSign failed");
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) != 32)
        die("bad ECDSA signature");
    ECDSA_SIG_free(sig);
    jwt[len++] = '.';
    b64url(raw, sizeof raw, jwt + len);
    return jwt;
}

struct sink {
    char buf[8192];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct sink *s = userdata;
    size_t len = size * n, room = sizeof s->buf - 1 - s->len, take = len < room ? len : room;
    memcpy(s->buf + s->len, data, take);
    s->len += take;
    s->buf[s->len] = 0;
    return len;
}

/* POST body to url with the given Authorization (NULL: none); returns the HTTP status. */
static long post(CURL *h, struct sink *sink, const char *url, const char *body, const char *auth)
{
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    hd = curl_slist_append(hd, "Accept: application/json");
    if (auth)
        hd = curl_slist_append(hd, auth);
    sink->len = 0;
    sink->buf[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        die("%s: %s", url, curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hd);
    return code;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: oneshot_curl BASE_URL KEY_PEM_FILE");
    const char *base = argv[1];
    FILE *f = fopen(argv[2], "r");
    if (!f)
        die("cannot open %s", argv[2]);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!key)
        die("not a PEM private key: %s", argv[2]);

    char *jwt = mint_jwt(key);
    char url[1024], body[2048], auth[1024];

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct sink sink;
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "bench-libcurl");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);

    snprintf(url, sizeof url, "%s%s", base, AUTH_PATH);
    snprintf(body, sizeof body, "{\"external_token\":\"%s\"}", jwt);
    long code = post(h, &sink, url, body, NULL);
    const char *at = strstr(sink.buf, "\"accessToken\":\"");
    const char *end = at ? strchr(at + 15, '"') : NULL;
    if (code != 200 || !end)
        die("authexternalcrm: HTTP %ld, body %s", code, sink.buf);
    snprintf(auth, sizeof auth, "Authorization: Bearer %.*s", (int)(end - (at + 15)), at + 15);

    snprintf(url, sizeof url, "%s%s", base, FEE_PATH);
    code = post(h, &sink, url, FEE_BODY, auth);
    if (code != 200 || !strstr(sink.buf, "\"status\":2"))
        die("processext: HTTP %ld, body %s", code, sink.buf);

    curl_easy_cleanup(h);
    curl_global_cleanup();
    EVP_PKEY_free(key);
    free(jwt);
    return 0;
}
