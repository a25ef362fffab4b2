/*
 * b2c_client_new with an inline private_key_pem (parse the configuration, load the key,
 * set up the pool; no network), then b2c_client_free, M times:
 *
 *   clientnew BASE_URL KEY_PEM_FILE M
 *
 * Prints: calls=M wall_us=<sum of new> cpu_us=<process CPU over the loop>
 *         new_median_us=.. free_median_us=..
 */
#include "b2c_util.h"

int main(int argc, char **argv)
{
    if (argc != 4)
        die("usage: clientnew BASE_URL KEY_PEM_FILE M");
    char *key = read_file(argv[2]);
    long m = arg_long(argv[3], "M");
    if (m < 1)
        die("M must be >= 1");
    char *cfg = b2c_config(argv[1], key, NULL);
    double *tn = malloc((size_t)m * sizeof *tn), *tf = malloc((size_t)m * sizeof *tf);
    double sum = 0;

    for (long i = 0; i < 20; i++) { /* warm-up: first-use costs belong to firstsig */
        b2c_client *c = NULL;
        b2c_error *err = NULL;
        b2c_check(b2c_client_new(cfg, &c, &err), err, "b2c_client_new");
        b2c_client_free(c);
    }
    double c0 = cpu_us();
    for (long i = 0; i < m; i++) {
        b2c_client *c = NULL;
        b2c_error *err = NULL;
        double a = now_us();
        b2c_status st = b2c_client_new(cfg, &c, &err);
        double b = now_us();
        b2c_check(st, err, "b2c_client_new");
        b2c_client_free(c);
        double d = now_us();
        tn[i] = b - a;
        tf[i] = d - b;
        sum += b - a;
    }
    double c1 = cpu_us();
    printf("calls=%ld wall_us=%.0f cpu_us=%.0f new_median_us=%.2f free_median_us=%.2f\n", m, sum, c1 - c0,
           median(tn, (size_t)m), median(tf, (size_t)m));
    return 0;
}
