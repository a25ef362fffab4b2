/*
 * Write a new P-256 key (b2c_key_generate, b2c_key_private_pem: PKCS#8 PEM) to OUT_FILE
 * and print the library version.
 *
 *   keygen OUT_FILE
 */
#include "b2c_util.h"

int main(int argc, char **argv)
{
    if (argc != 2)
        die("usage: keygen OUT_FILE");
    b2c_key *key = NULL;
    b2c_error *err = NULL;
    char *pem = NULL;
    b2c_check(b2c_key_generate(&key, &err), err, "b2c_key_generate");
    b2c_check(b2c_key_private_pem(key, &pem, &err), err, "b2c_key_private_pem");
    FILE *f = fopen(argv[1], "w");
    if (!f || fputs(pem, f) < 0 || fclose(f) != 0)
        die("cannot write %s", argv[1]);
    b2c_string_free(pem);
    b2c_key_free(key);
    printf("%s\n", b2c_version());
    return 0;
}
