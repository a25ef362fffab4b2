/*
 * Charge the fees of one withdrawal with libb2c (the B2COPY fee flow).
 *
 * Build against an installed libb2c (`make install`, README "Install: C"):
 *   gcc -std=c11 -Wall -Wextra examples/c/fee.c $(pkg-config --cflags --libs b2c) -o fee
 * or against the repository's build:
 *   cargo build --release && make -C examples/c      # -> build/c/fee, see examples/c/Makefile
 * Run:
 *   B2C_BASE_URL=http://127.0.0.1:8080 B2C_ADMIN_ID=42 B2C_DEVICE_IP=127.0.0.1 \
 *   B2C_KEY_ID=kid1 B2C_PRIVATE_KEY=/path/key.pem ./fee
 *
 * Env: B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID, B2C_PRIVATE_KEY (PEM path),
 * B2C_ACCOUNT (default 123456), B2C_REQUEST_ID (default example-1), B2C_WAIT_MS (default 60000),
 * B2C_POLL_INTERVAL_MS (optional; the library's default otherwise).
 * Exit: 0 SUCCESS, 3 ERROR, 4 still pending, 1 anything else.
 */
#include <b2c.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fee_status_name(int32_t s) {
    switch (s) {
    case B2C_FEE_STATUS_PENDING: return "PENDING";
    case B2C_FEE_STATUS_SUCCESS: return "SUCCESS";
    case B2C_FEE_STATUS_ERROR: return "ERROR";
    default: return "UNKNOWN";
    }
}

static const char *env(const char *name, const char *dflt) {
    const char *v = getenv(name);
    if (v && *v) return v;
    if (!dflt) {
        fprintf(stderr, "environment variable %s is required\n", name);
        exit(1);
    }
    return dflt;
}

/* Appends s as a JSON string literal to out (cap bytes). Returns 0 on success. */
static int json_str(char *out, size_t cap, const char *s) {
    size_t n = strlen(out);
    if (n + 2 >= cap) return -1;
    out[n++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (n + 7 >= cap) return -1;
        if (c == '"' || c == '\\') { out[n++] = '\\'; out[n++] = (char)c; }
        else if (c < 0x20) n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        else out[n++] = (char)c;
    }
    out[n++] = '"';
    out[n] = 0;
    return 0;
}

static int32_t on_progress(void *userdata, int32_t fee_status, uint32_t attempt, uint64_t elapsed_ms) {
    (void)userdata;
    printf("status %s (attempt %u, %llu ms)\n", fee_status_name(fee_status), attempt,
           (unsigned long long)elapsed_ms);
    return 0; /* go on */
}

int main(void) {
    const char *admin_id = env("B2C_ADMIN_ID", NULL);
    if (strspn(admin_id, "0123456789") != strlen(admin_id)) {
        fprintf(stderr, "B2C_ADMIN_ID must be a number\n");
        return 1;
    }
    char cfg[8192] = "{\"base_url\": ";
    int bad = json_str(cfg, sizeof cfg, env("B2C_BASE_URL", NULL));
    strncat(cfg, ", \"device_ip\": ", sizeof cfg - strlen(cfg) - 1);
    bad |= json_str(cfg, sizeof cfg, env("B2C_DEVICE_IP", NULL));
    strncat(cfg, ", \"key_id\": ", sizeof cfg - strlen(cfg) - 1);
    bad |= json_str(cfg, sizeof cfg, env("B2C_KEY_ID", NULL));
    strncat(cfg, ", \"private_key_path\": ", sizeof cfg - strlen(cfg) - 1);
    bad |= json_str(cfg, sizeof cfg, env("B2C_PRIVATE_KEY", NULL));
    const char *poll = env("B2C_POLL_INTERVAL_MS", "");
    if (strspn(poll, "0123456789") != strlen(poll)) {
        fprintf(stderr, "B2C_POLL_INTERVAL_MS must be a number\n");
        return 1;
    }
    size_t n = strlen(cfg);
    if (*poll) snprintf(cfg + n, sizeof cfg - n, ", \"poll_interval_ms\": %s", poll);
    n = strlen(cfg);
    snprintf(cfg + n, sizeof cfg - n, ", \"admin_id\": %s}", admin_id);
    if (bad) {
        fprintf(stderr, "configuration too long\n");
        return 1;
    }
    const char *account = env("B2C_ACCOUNT", "123456");
    const char *request_id = env("B2C_REQUEST_ID", "example-1");
    uint32_t wait_ms = (uint32_t)strtoul(env("B2C_WAIT_MS", "60000"), NULL, 10);

    b2c_client *client = NULL;
    b2c_error *err = NULL;
    b2c_status st = b2c_client_new(cfg, &client, &err);
    if (st != B2C_OK) {
        fprintf(stderr, "b2c_client_new: %s: %s\n", b2c_status_str(st), b2c_error_message(err));
        b2c_error_free(err);
        return 1;
    }

    int32_t fee_status = 0;
    st = b2c_fee_process(client, account, request_id, wait_ms, on_progress, NULL, &fee_status, &err);
    int rc;
    switch (st) {
    case B2C_OK:
        printf("final %s\n", fee_status_name(fee_status));
        rc = fee_status == B2C_FEE_STATUS_SUCCESS ? 0 : 4;
        break;
    case B2C_FEE_ERROR:
        printf("final ERROR: %s\n", b2c_error_message(err));
        rc = 3;
        break;
    case B2C_STILL_PENDING:
        printf("final PENDING (still pending): %s\n", b2c_error_message(err));
        rc = 4;
        break;
    default:
        fprintf(stderr, "b2c_fee_process: %s (%d, HTTP %d): %s\n", b2c_status_str(st), (int)st,
                b2c_error_http_status(err), b2c_error_message(err));
        rc = 1;
    }
    b2c_error_free(err);
    b2c_client_free(client);
    return rc;
}
