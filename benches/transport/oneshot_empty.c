/*
 * Reference for the one-shot comparison: a process that only starts and exits, linked
 * (with --no-as-needed) against the same libraries as oneshot_curl or oneshot_b2c, so
 * that their dynamic loading is paid and nothing else.
 */
int main(void)
{
    return 0;
}
