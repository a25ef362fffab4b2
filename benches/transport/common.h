/*
 * Helpers shared by the transport benchmark's C programs (scripts/bench-transport.sh):
 * clocks, CPU time, small file and JSON helpers, and the one result line every client
 * prints:  calls=<n> wall_us=<total> cpu_us=<total> [key=value ...]
 */
#ifndef B2C_BENCH_COMMON_H
#define B2C_BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The fee call every client makes, byte for byte the body b2c sends. */
#define FEE_PATH "/api/admin/fees/v2/fee/feeservice/processext"
#define AUTH_PATH "/api/admin/auth/v2/admin/adminservice/authexternalcrm"
#define FEE_BODY "{\"account_login\":\"123456\",\"request_id\":\"bench-1\"}"
#define FEE_ACCOUNT "123456"
#define FEE_REQUEST "bench-1"
#define BEARER "Bearer bench-access"

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Monotonic wall clock, microseconds. */
static inline double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* User + system CPU time of this process (all threads), microseconds. */
static inline double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Whole file as a NUL-terminated string (dies on error). */
static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (!buf)
        die("out of memory");
    buf[len] = 0;
    return buf;
}

/* s as a JSON string literal (with the quotes); malloc'd. */
static inline char *json_quote(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 6 + 3), *p = out;
    if (!out)
        die("out of memory");
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c == '\n') {
            *p++ = '\\';
            *p++ = 'n';
        } else if (c < 0x20) {
            p += sprintf(p, "\\u%04x", c);
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    *p = 0;
    return out;
}

/*
 * The b2c_client_new configuration of every b2c client here: base_url, admin_id 1,
 * device_ip 127.0.0.1, key_id "k", the key PEM text, and extra_ca_pem when ca_pem != NULL.
 */
static inline char *b2c_config(const char *base_url, const char *key_pem, const char *ca_pem)
{
    char *u = json_quote(base_url), *k = json_quote(key_pem), *c = ca_pem ? json_quote(ca_pem) : NULL;
    size_t n = strlen(u) + strlen(k) + (c ? strlen(c) : 0) + 200;
    char *out = malloc(n);
    if (!out)
        die("out of memory");
    snprintf(out, n,
             "{\"base_url\":%s,\"admin_id\":1,\"device_ip\":\"127.0.0.1\",\"key_id\":\"k\","
             "\"private_key_pem\":%s%s%s}",
             u, k, c ? ",\"extra_ca_pem\":" : "", c ? c : "");
    free(u);
    free(k);
    free(c);
    return out;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static inline double median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline long arg_long(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || v < 0)
        die("bad %s: %s", what, s);
    return v;
}

#endif
