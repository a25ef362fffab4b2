/*
 * One client, one fee call at a time, N calls (after WARMUP unmeasured ones):
 *
 *   feeloop b2c  BASE_URL N WARMUP KEY_PEM_FILE [CA_PEM_FILE]
 *   feeloop b2c-logwarn|b2c-logdebug BASE_URL N WARMUP KEY_PEM_FILE
 *   feeloop curl BASE_URL N WARMUP -            [CA_PEM_FILE]
 *
 * b2c:  b2c_client_new + b2c_authenticate once, then b2c_fee_process (status must be SUCCESS).
 * b2c-logwarn: the same with a log callback installed at B2C_LOG_WARN (a successful fee call
 *       has no event at that level: this is the cost of logging being available);
 *       b2c-logdebug: at B2C_LOG_DEBUG (one `request` event per call reaches the callback,
 *       which counts it: the cost of logging every exchange).
 * curl: one libcurl easy handle reused (its connection kept alive), POSTing the body b2c
 *       sends with Content-Type, Accept and Authorization: Bearer bench-access; the answer
 *       must be HTTP 200 with "status":2.
 * With CA_PEM_FILE the base URL is https and the CA is trusted (extra_ca_pem / CAINFO).
 * Prints: calls=N wall_us=.. cpu_us=.. (CPU = user+sys of this process, getrusage).
 */
#include <curl/curl.h>

#include "b2c_util.h"

struct sink {
    char buf[4096];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct sink *s = userdata;
    size_t len = size * n;
    size_t room = sizeof s->buf - 1 - s->len;
    size_t take = len < room ? len : room;
    memcpy(s->buf + s->len, data, take);
    s->len += take;
    return len;
}

struct curl_client {
    CURL *h;
    struct curl_slist *headers;
    struct sink sink;
};

static void curl_setup(struct curl_client *cc, const char *url, const char *ca_file)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed");
    cc->h = curl_easy_init();
    if (!cc->h)
        die("curl_easy_init failed");
    cc->headers = curl_slist_append(NULL, "Content-Type: application/json");
    cc->headers = curl_slist_append(cc->headers, "Accept: application/json");
    cc->headers = curl_slist_append(cc->headers, "Authorization: " BEARER);
    curl_easy_setopt(cc->h, CURLOPT_URL, url);
    curl_easy_setopt(cc->h, CURLOPT_PROXY, ""); /* loopback only, whatever the environment says */
    curl_easy_setopt(cc->h, CURLOPT_HTTPHEADER, cc->headers);
    curl_easy_setopt(cc->h, CURLOPT_POSTFIELDS, FEE_BODY);
    curl_easy_setopt(cc->h, CURLOPT_POSTFIELDSIZE, (long)strlen(FEE_BODY));
    curl_easy_setopt(cc->h, CURLOPT_USERAGENT, "bench-libcurl");
    curl_easy_setopt(cc->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(cc->h, CURLOPT_WRITEDATA, &cc->sink);
    curl_easy_setopt(cc->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(cc->h, CURLOPT_TIMEOUT_MS, 10000L);
    if (ca_file)
        curl_easy_setopt(cc->h, CURLOPT_CAINFO, ca_file);
}

static inline void curl_fee_once(struct curl_client *cc)
{
    cc->sink.len = 0;
    CURLcode rc = curl_easy_perform(cc->h);
    if (rc != CURLE_OK)
        die("curl_easy_perform: %s", curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(cc->h, CURLINFO_RESPONSE_CODE, &code);
    cc->sink.buf[cc->sink.len] = 0;
    if (code != 200 || !strstr(cc->sink.buf, "\"status\":2"))
        die("libcurl: HTTP %ld, body %s (expected 200 and status 2)", code, cc->sink.buf);
}

static long g_events = 0;

static void count_event(void *userdata, const b2c_log_params *p)
{
    (void)userdata;
    if (p->message_len > 0)
        g_events++;
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 7)
        die("usage: feeloop b2c|curl BASE_URL N WARMUP KEY_PEM_FILE|- [CA_PEM_FILE]");
    const char *mode = argv[1], *base = argv[2];
    long n = arg_long(argv[3], "N"), warm = arg_long(argv[4], "WARMUP");
    const char *ca_file = argc == 7 ? argv[6] : NULL;
    double t0, c0, t1, c1;

    if (strncmp(mode, "b2c", 3) == 0) {
        char *key = read_file(argv[5]);
        char *ca = ca_file ? read_file(ca_file) : NULL;
        b2c_client *c = b2c_bench_client(base, key, ca);
        int32_t level = 0;
        if (strcmp(mode, "b2c-logwarn") == 0)
            level = B2C_LOG_WARN;
        else if (strcmp(mode, "b2c-logdebug") == 0)
            level = B2C_LOG_DEBUG;
        else if (strcmp(mode, "b2c") != 0)
            die("unknown mode %s", mode);
        if (level) {
            b2c_error *err = NULL;
            b2c_check(b2c_client_set_log_callback(c, count_event, NULL, level, &err), err,
                      "b2c_client_set_log_callback");
        }
        for (long i = 0; i < warm; i++)
            b2c_fee_once(c);
        t0 = now_us();
        c0 = cpu_us();
        for (long i = 0; i < n; i++)
            b2c_fee_once(c);
        c1 = cpu_us();
        t1 = now_us();
        b2c_client_free(c);
        if (level == B2C_LOG_DEBUG && g_events < n)
            die("b2c-logdebug: the callback saw %ld events in %ld calls", g_events, n);
        if (level == B2C_LOG_WARN && g_events != 0)
            die("b2c-logwarn: the callback saw %ld events, expected none", g_events);
    } else if (strcmp(mode, "curl") == 0) {
        char url[1024];
        snprintf(url, sizeof url, "%s%s", base, FEE_PATH);
        struct curl_client cc = {0};
        curl_setup(&cc, url, ca_file);
        for (long i = 0; i < warm; i++)
            curl_fee_once(&cc);
        t0 = now_us();
        c0 = cpu_us();
        for (long i = 0; i < n; i++)
            curl_fee_once(&cc);
        c1 = cpu_us();
        t1 = now_us();
        curl_slist_free_all(cc.headers);
        curl_easy_cleanup(cc.h);
        curl_global_cleanup();
    } else {
        die("unknown mode %s (b2c or curl)", mode);
    }
    printf("calls=%ld wall_us=%.0f cpu_us=%.0f\n", n, t1 - t0, c1 - c0);
    return 0;
}
