/*
 * The cost of the first signature in a process, and of the following ones:
 *
 *   firstsig KEY_PEM_FILE STEADY_N
 *
 * Times b2c_key_from_pem, then the first b2c_jwt_mint with that key (run in a fresh process
 * each time by scripts/bench-transport.sh), then, when STEADY_N > 0, STEADY_N more mints
 * (their median is the steady-state cost).
 * Prints: calls=1 wall_us=<first mint> cpu_us=0 key_from_pem_us=.. steady_mint_us=..
 */
#include "b2c_util.h"

static void mint(const b2c_key *key)
{
    char *jwt = NULL;
    b2c_error *err = NULL;
    b2c_check(b2c_jwt_mint(key, 1, "127.0.0.1", "k", NULL, 0, 0, &jwt, &err), err, "b2c_jwt_mint");
    b2c_string_free(jwt);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: firstsig KEY_PEM_FILE STEADY_N");
    char *pem = read_file(argv[1]);
    long steady = arg_long(argv[2], "STEADY_N");

    b2c_key *key = NULL;
    b2c_error *err = NULL;
    double t0 = now_us();
    b2c_check(b2c_key_from_pem(pem, strlen(pem), &key, &err), err, "b2c_key_from_pem");
    double t1 = now_us();
    mint(key);
    double t2 = now_us();

    double steady_us = 0;
    if (steady > 0) {
        double *v = malloc((size_t)steady * sizeof *v);
        for (long i = 0; i < steady; i++) {
            double a = now_us();
            mint(key);
            v[i] = now_us() - a;
        }
        steady_us = median(v, (size_t)steady);
        free(v);
    }
    b2c_key_free(key);
    printf("calls=1 wall_us=%.1f cpu_us=0 key_from_pem_us=%.1f steady_mint_us=%.2f\n", t2 - t1, t1 - t0,
           steady_us);
    return 0;
}
