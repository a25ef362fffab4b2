/*
 * THREADS threads making fee calls at once, TOTAL calls in all (TOTAL/THREADS each):
 *
 *   threads shared|separate BASE_URL TOTAL THREADS KEY_PEM_FILE STATUS_URL|-
 *
 * shared:   one b2c_client used by every thread (its pool serves them all).
 * separate: one b2c_client per thread.
 * Every client authenticates first; then every thread warms up (WARMUP = 10 % of its
 * calls, at least 50) and waits at a barrier; the measured phase follows.
 *
 * Connections opened after warm-up:
 * - STATUS_URL (http://127.0.0.1:PORT/path of nginx's stub_status): `accepts` read right
 *   after warm-up and after the measured phase; new = after - before - 1 (the second read's
 *   own connection).
 * - "-": every 2 ms a sampler thread reads /proc/net/tcp{,6} and collects the local ports
 *   of this machine's connections to the server port (what `ss -tn` shows); new = ports
 *   seen during the measured phase that were not there at its start. (A connection opened
 *   and closed between two samples can be missed.)
 *
 * Prints: calls=TOTAL wall_us=.. cpu_us=.. calls_per_s=.. new_conns=.. threads=.. conn_method=..
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "b2c_util.h"

struct shared_state {
    b2c_client **clients; /* [threads] (all equal in shared mode) */
    long per_thread, warmup;
    pthread_barrier_t warm_done, go, done;
};

static struct shared_state S;

static void *worker(void *arg)
{
    b2c_client *c = S.clients[(size_t)arg];
    for (long i = 0; i < S.warmup; i++)
        b2c_fee_once(c);
    pthread_barrier_wait(&S.warm_done);
    pthread_barrier_wait(&S.go);
    for (long i = 0; i < S.per_thread; i++)
        b2c_fee_once(c);
    pthread_barrier_wait(&S.done);
    return NULL;
}

/* ---- stub_status ---------------------------------------------------------------------- */

/* `accepts` of nginx's stub_status at http://127.0.0.1:PORT/PATH (plain socket, HTTP/1.0). */
static long stub_accepts(const char *url)
{
    int port = 0;
    char path[256] = "/";
    if (sscanf(url, "http://127.0.0.1:%d%255s", &port, path) < 1)
        die("bad STATUS_URL %s", url);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("stub_status: cannot connect to %s", url);
    char req[512], resp[4096];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n)
        die("stub_status: write failed");
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, resp + len, sizeof resp - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    resp[len] = 0;
    const char *p = strstr(resp, "server accepts handled requests");
    long accepts = -1;
    if (!p || sscanf(p, "server accepts handled requests %ld", &accepts) != 1)
        die("stub_status: unexpected answer from %s", url);
    return accepts;
}

/* ---- /proc/net/tcp sampler ------------------------------------------------------------- */

static int server_port;
static atomic_int sampling = 1;
static unsigned char seen_port[65536];   /* seen during the measured phase */
static unsigned char baseline[65536];    /* present when it began */

/* Mark in `mark` the local ports of ESTABLISHED connections whose peer port is server_port. */
static void scan_tcp(unsigned char *mark)
{
    static const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "r");
        if (!fp)
            continue;
        char line[512];
        if (!fgets(line, sizeof line, fp)) { /* header */
            fclose(fp);
            continue;
        }
        while (fgets(line, sizeof line, fp)) {
            char local[128], remote[128];
            unsigned st;
            if (sscanf(line, "%*d: %127s %127s %x", local, remote, &st) != 3)
                continue;
            char *lp = strrchr(local, ':'), *rp = strrchr(remote, ':');
            if (!lp || !rp || st != 1 /* TCP_ESTABLISHED */)
                continue;
            unsigned lport = (unsigned)strtoul(lp + 1, NULL, 16), rport = (unsigned)strtoul(rp + 1, NULL, 16);
            if ((int)rport == server_port && lport < 65536)
                mark[lport] = 1;
        }
        fclose(fp);
    }
}

static void *sampler(void *arg)
{
    (void)arg;
    while (atomic_load(&sampling)) {
        scan_tcp(seen_port);
        usleep(2000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 7)
        die("usage: threads shared|separate BASE_URL TOTAL THREADS KEY_PEM_FILE STATUS_URL|-");
    int shared = strcmp(argv[1], "shared") == 0;
    if (!shared && strcmp(argv[1], "separate") != 0)
        die("mode must be shared or separate");
    const char *base = argv[2], *status_url = strcmp(argv[6], "-") ? argv[6] : NULL;
    long total = arg_long(argv[3], "TOTAL"), nthreads = arg_long(argv[4], "THREADS");
    if (nthreads < 1 || nthreads > 1024)
        die("THREADS must be 1..1024");
    char *key = read_file(argv[5]);
    if (sscanf(base, "http://127.0.0.1:%d", &server_port) != 1)
        die("BASE_URL must be http://127.0.0.1:PORT");

    S.per_thread = total / nthreads;
    total = S.per_thread * nthreads;
    S.warmup = S.per_thread / 10 < 50 ? 50 : S.per_thread / 10;
    S.clients = calloc((size_t)nthreads, sizeof *S.clients);
    for (long i = 0; i < nthreads; i++)
        S.clients[i] = (shared && i > 0) ? S.clients[0] : b2c_bench_client(base, key, NULL);
    pthread_barrier_init(&S.warm_done, NULL, (unsigned)nthreads + 1);
    pthread_barrier_init(&S.go, NULL, (unsigned)nthreads + 1);
    pthread_barrier_init(&S.done, NULL, (unsigned)nthreads + 1);

    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    for (long i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(size_t)i) != 0)
            die("pthread_create failed");

    pthread_barrier_wait(&S.warm_done);
    long acc0 = 0;
    pthread_t samp;
    if (status_url) {
        acc0 = stub_accepts(status_url);
    } else {
        scan_tcp(baseline);
        if (pthread_create(&samp, NULL, sampler, NULL) != 0)
            die("pthread_create failed");
    }
    double t0 = now_us(), c0 = cpu_us();
    pthread_barrier_wait(&S.go);
    pthread_barrier_wait(&S.done);
    double t1 = now_us(), c1 = cpu_us();
    long new_conns = 0;
    if (status_url) {
        new_conns = stub_accepts(status_url) - acc0 - 1;
    } else {
        atomic_store(&sampling, 0);
        pthread_join(samp, NULL);
        scan_tcp(seen_port);
        for (int p = 0; p < 65536; p++)
            new_conns += seen_port[p] && !baseline[p];
    }
    for (long i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    for (long i = 0; i < nthreads; i++)
        if (!shared || i == 0)
            b2c_client_free(S.clients[i]);

    printf("calls=%ld wall_us=%.0f cpu_us=%.0f calls_per_s=%.0f new_conns=%ld threads=%ld conn_method=%s\n",
           total, t1 - t0, c1 - c0, total / ((t1 - t0) / 1e6), new_conns, nthreads,
           status_url ? "stub_status" : "proc_net_tcp");
    return 0;
}
