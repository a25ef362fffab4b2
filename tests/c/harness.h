/*
 * Shared by the C ABI test programs (test_ffi.c, test_protocols.c): the CHECK machinery
 * that counts and prints `N passed, N failed`, small helpers, and the b2c-sandbox process.
 * Header-only (static inline) so each program stays one translation unit.
 */
#ifndef B2C_TEST_HARNESS_H
#define B2C_TEST_HARNESS_H

#include <b2c.h>

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

/* ------------------------------------------------------------------ check machinery */

static int g_passed = 0;
static int g_failed = 0;
static pthread_mutex_t g_check_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        int ok_ = (cond) ? 1 : 0;                                         \
        pthread_mutex_lock(&g_check_lock);                                \
        if (ok_) {                                                        \
            g_passed++;                                                   \
        } else {                                                          \
            g_failed++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s -- ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
        pthread_mutex_unlock(&g_check_lock);                              \
    } while (0)

static inline const char *msg_of(const b2c_error *e) { return e ? b2c_error_message(e) : "(no error object)"; }

/* Every error message a check sees goes to $B2C_SCAN_DIR/c-errors.log when that is set
 * (scripts/test-all.sh sets it), for the secret scan (scripts/secret-scan.py). */
static inline void scan_record(const char *msg) {
    const char *dir = getenv("B2C_SCAN_DIR");
    if (dir == NULL || dir[0] == 0 || msg == NULL) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/c-errors.log", dir);
    pthread_mutex_lock(&g_check_lock);
    FILE *f = fopen(path, "a");
    if (f != NULL) {
        fprintf(f, "%s\n", msg);
        fclose(f);
    }
    pthread_mutex_unlock(&g_check_lock);
}

/* Checks `st == want`, that *errp holds an error object with the same status and a
 * non-empty message, then frees it. */
#define CHECK_ERR(st, errp, want, what)                                                      \
    do {                                                                                     \
        b2c_status st_ = (st);                                                               \
        CHECK(st_ == (want), "%s: got %d (%s), want %d (%s); msg: %s", (what), (int)st_,     \
              b2c_status_str(st_), (int)(want), b2c_status_str(want), msg_of(*(errp)));      \
        CHECK(*(errp) != NULL, "%s: no error object", (what));                               \
        if (*(errp) != NULL) {                                                               \
            scan_record(b2c_error_message(*(errp)));                                         \
            CHECK(b2c_error_status(*(errp)) == (want), "%s: error object status %d", (what), \
                  (int)b2c_error_status(*(errp)));                                           \
            CHECK(b2c_error_message(*(errp)) != NULL && b2c_error_message(*(errp))[0] != 0,  \
                  "%s: empty error message", (what));                                        \
            b2c_error_free(*(errp));                                                         \
            *(errp) = NULL;                                                                  \
        }                                                                                    \
    } while (0)

#define CHECK_OK(st, errp, what)                                                             \
    do {                                                                                     \
        b2c_status st_ = (st);                                                               \
        CHECK(st_ == B2C_OK, "%s: got %d (%s): %s", (what), (int)st_, b2c_status_str(st_),   \
              msg_of(*(errp)));                                                              \
        if (*(errp) != NULL) {                                                               \
            scan_record(b2c_error_message(*(errp)));                                         \
            b2c_error_free(*(errp));                                                         \
            *(errp) = NULL;                                                                  \
        }                                                                                    \
    } while (0)

/* ------------------------------------------------------------------ small helpers */

static inline const char *env_or(const char *name, const char *dflt) {
    const char *v = getenv(name);
    return (v && *v) ? v : dflt;
}

static inline int write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(data);
    int rc = fwrite(data, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0) rc = -1;
    return rc;
}

/* JSON string escaping into a malloc'd quoted string. */
static inline char *json_str(const char *s) {
    size_t n = strlen(s);
    char *out = malloc(n * 6 + 3), *p = out;
    if (!out) return NULL;
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': *p++ = '\\'; *p++ = '"'; break;
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '\n': *p++ = '\\'; *p++ = 'n'; break;
        case '\r': *p++ = '\\'; *p++ = 'r'; break;
        case '\t': *p++ = '\\'; *p++ = 't'; break;
        default:
            if (c < 0x20) p += sprintf(p, "\\u%04x", c);
            else *p++ = (char)c;
        }
    }
    *p++ = '"';
    *p = 0;
    return out;
}

/* ------------------------------------------------------------------ sandbox process */

typedef struct {
    pid_t pid;
    FILE *out;
    char url[512];
    char host[64];
    int port;
} sandbox;

/* Start target/release/b2c-sandbox (or $B2C_SANDBOX) on an ephemeral port with key `kid1`
 * of admin 42 registered from `pub_pem_path`, plus the NULL-terminated `extra` flags (may
 * be NULL); read its URL from the line it prints. */
static inline int sandbox_start(sandbox *sb, const char *pub_pem_path, const char *const *extra) {
    const char *bin = env_or("B2C_SANDBOX", "target/release/b2c-sandbox");
    char reg[1024];
    snprintf(reg, sizeof reg, "kid1:42:%s", pub_pem_path);
    const char *argv[32] = {bin, "--port", "0", "--register", reg};
    int argc = 5;
    for (; extra && *extra && argc < 31; extra++) argv[argc++] = *extra;
    argv[argc] = NULL;
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(bin, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    sb->pid = pid;
    sb->out = fdopen(fds[0], "r");
    char line[512];
    if (!sb->out || !fgets(line, sizeof line, sb->out)) {
        fprintf(stderr, "sandbox %s printed nothing\n", bin);
        return -1;
    }
    const char *prefix = "b2c-sandbox listening on ";
    if (strncmp(line, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "unexpected sandbox line: %s", line);
        return -1;
    }
    snprintf(sb->url, sizeof sb->url, "%s", line + strlen(prefix));
    sb->url[strcspn(sb->url, "\r\n")] = 0;
    if (sscanf(sb->url, "http://%63[^:]:%d", sb->host, &sb->port) != 2) {
        fprintf(stderr, "cannot parse sandbox url %s\n", sb->url);
        return -1;
    }
    return 0;
}

static inline void sandbox_stop(sandbox *sb) {
    if (sb->pid > 0) {
        kill(sb->pid, SIGTERM);
        waitpid(sb->pid, NULL, 0);
        sb->pid = 0;
    }
    if (sb->out) {
        fclose(sb->out);
        sb->out = NULL;
    }
}

#endif /* B2C_TEST_HARNESS_H */
