/* b2c helpers shared by the benchmark programs that link libb2c. */
#ifndef B2C_BENCH_UTIL_H
#define B2C_BENCH_UTIL_H

#include "b2c.h"
#include "common.h"

/* Die with the status and message of a failed b2c call. */
static inline void b2c_check(b2c_status st, b2c_error *err, const char *what)
{
    if (st == B2C_OK)
        return;
    fprintf(stderr, "bench: %s failed: %s (%d): %s\n", what, b2c_status_str(st), (int)st,
            b2c_error_message(err));
    b2c_error_free(err);
    exit(1);
}

/* One fee call; dies unless it is B2C_OK with status SUCCESS. */
static inline void b2c_fee_once(const b2c_client *c)
{
    int32_t fee = 0;
    b2c_error *err = NULL;
    b2c_status st = b2c_fee_process(c, FEE_ACCOUNT, FEE_REQUEST, 0, NULL, NULL, &fee, &err);
    b2c_check(st, err, "b2c_fee_process");
    if (fee != B2C_FEE_STATUS_SUCCESS)
        die("b2c_fee_process: fee status %d, expected 2 (SUCCESS)", (int)fee);
}

/* A client from the bench configuration, authenticated once. */
static inline b2c_client *b2c_bench_client(const char *base_url, const char *key_pem, const char *ca_pem)
{
    char *cfg = b2c_config(base_url, key_pem, ca_pem);
    b2c_client *c = NULL;
    b2c_error *err = NULL;
    b2c_check(b2c_client_new(cfg, &c, &err), err, "b2c_client_new");
    free(cfg);
    err = NULL;
    b2c_check(b2c_authenticate(c, &err), err, "b2c_authenticate");
    return c;
}

#endif
