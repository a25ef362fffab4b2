/*
 * Run a command R times in fresh processes (fork + execvp, no shell) and time each
 * execution; or run it once to learn its CPU time (wrk).
 *
 *   execbench R COMMAND [ARGS...]
 *
 * Every execution must exit 0 (otherwise execbench stops and exits 1). The child's output
 * passes through; then one line:
 *   calls=R wall_us=<sum> cpu_us=<sum of the children's user+sys> median_us=.. min_us=.. max_us=..
 */
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: execbench R COMMAND [ARGS...]");
    long r = arg_long(argv[1], "R");
    if (r < 1)
        die("R must be >= 1");
    double *t = malloc((size_t)r * sizeof *t), sum = 0, cpu = 0;
    fflush(stdout);
    for (long i = 0; i < r; i++) {
        double a = now_us();
        pid_t pid = fork();
        if (pid < 0)
            die("fork failed");
        if (pid == 0) {
            execvp(argv[2], argv + 2);
            fprintf(stderr, "bench: cannot run %s\n", argv[2]);
            _exit(127);
        }
        int status;
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) != pid)
            die("wait4 failed");
        t[i] = now_us() - a;
        sum += t[i];
        cpu += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("%s failed (run %ld of %ld, status %d)", argv[2], i + 1, r, status);
    }
    double mn = t[0], mx = t[0];
    for (long i = 1; i < r; i++) {
        mn = t[i] < mn ? t[i] : mn;
        mx = t[i] > mx ? t[i] : mx;
    }
    printf("calls=%ld wall_us=%.0f cpu_us=%.0f median_us=%.1f min_us=%.1f max_us=%.1f\n", r, sum, cpu,
           median(t, (size_t)r), mn, mx);
    return 0;
}
