/*
 * The whole one-shot flow of a short-lived process (a cron job, a CGI script) with b2c:
 * create a client (private_key_path), authenticate (authexternalcrm), one fee call.
 *
 *   oneshot_b2c BASE_URL KEY_PEM_FILE
 *
 * Exits 0 only when the fee status is SUCCESS. scripts/bench-transport.sh times whole
 * executions (execbench), so process start and library loading count.
 */
#include "b2c_util.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: oneshot_b2c BASE_URL KEY_PEM_FILE");
    char *u = json_quote(argv[1]), *k = json_quote(argv[2]);
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "{\"base_url\":%s,\"admin_id\":1,\"device_ip\":\"127.0.0.1\",\"key_id\":\"k\","
             "\"private_key_path\":%s}",
             u, k);
    b2c_client *c = NULL;
    b2c_error *err = NULL;
    b2c_check(b2c_client_new(cfg, &c, &err), err, "b2c_client_new");
    b2c_check(b2c_authenticate(c, &err), err, "b2c_authenticate");
    b2c_fee_once(c);
    b2c_client_free(c);
    free(u);
    free(k);
    return 0;
}
