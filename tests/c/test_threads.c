/*
 * No thread per request: after a warm-up, 1,000 fee calls on one client must create no
 * thread. Run by scripts/test-c.sh under `strace -f -e trace=clone,clone3,write`, which counts
 * the clone/clone3 calls between the two markers this program writes to stderr
 * (THREADS-BEGIN / THREADS-END). The sandbox runs in another process (started by the
 * script; $B2C_SANDBOX_URL, key kid1 of admin 42 with the private key in $B2C_KEY_FILE), so
 * only this program is traced. The base URL uses a host *name* (localhost), so a lookup per
 * request would show as well.
 */
#define _POSIX_C_SOURCE 200809L

#include <b2c.h>

#include "harness.h"

int main(void) {
    const char *url = getenv("B2C_SANDBOX_URL");
    const char *key_file = getenv("B2C_KEY_FILE");
    if (!url || !key_file) {
        fprintf(stderr, "set B2C_SANDBOX_URL and B2C_KEY_FILE\n");
        return 2;
    }
    int port = 0;
    if (sscanf(url, "http://127.0.0.1:%d", &port) != 1) {
        fprintf(stderr, "unexpected sandbox url %s\n", url);
        return 2;
    }
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "{\"base_url\": \"http://localhost:%d\", \"admin_id\": 42, \"device_ip\": \"127.0.0.1\","
             " \"key_id\": \"kid1\", \"private_key_path\": \"%s\"}",
             port, key_file);
    b2c_client *client = NULL;
    b2c_error *err = NULL;
    CHECK_OK(b2c_client_new(cfg, &client, &err), &err, "client_new");
    if (!client) return 1;
    int32_t fee = 0;
    CHECK_OK(b2c_fee_process(client, "123456", "threads-warm", 0, NULL, NULL, &fee, &err), &err, "warm-up");
    static const char begin[] = "THREADS-BEGIN\n", end[] = "THREADS-END\n";
    if (write(2, begin, sizeof begin - 1) < 0) return 1;
    int ok = 0;
    for (int i = 0; i < 1000; i++) {
        char rid[64];
        snprintf(rid, sizeof rid, "threads-%d", i);
        if (b2c_fee_process(client, "123456", rid, 0, NULL, NULL, &fee, &err) == B2C_OK) {
            ok++;
        } else {
            fprintf(stderr, "call %d: %s\n", i, b2c_error_message(err));
            b2c_error_free(err);
            err = NULL;
        }
    }
    if (write(2, end, sizeof end - 1) < 0) return 1;
    CHECK(ok == 1000, "%d of 1000 calls succeeded", ok);
    b2c_client_free(client);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
