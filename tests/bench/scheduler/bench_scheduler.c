/* bench_scheduler: how fast due tasks reach date bags.
 *
 * BENCH_TASKS tasks (default 1,000,000) across BENCH_BRANCHES branches (100) fall due over
 * BENCH_WINDOW_S seconds (40: 25,000 a second) while BENCH_INSTANCES scheduler processes (2)
 * assign them. The other services are stood in for by a process that answers the
 * schedulers' start-up replay requests (BENCH_REAL_PEERS=1 runs the real intake, calllog
 * and complaint instead, which then consume every task_assigned event on the same cores).
 * The manual clock
 * runs at real speed from the first due time, driven by this program, so that indexing the
 * million tasks beforehand costs no lag. Printed: tasks assigned per second, the lag from due
 * time to the date bag (p50, p99, max), and the raw ceiling measured in the same run — the
 * same Lua claim (plus ack) on bare Redis with no Postgres, as many clients as instances —
 * with the ratio between them, and the load average of the machine at the start and the end
 * of the window (the cores are shared). Every task must be assigned exactly once: all
 * assigned, once in the assignment events (tasks_assigned batches) and one counted slot each.
 *
 * BENCH_CHANNEL (phone, default, or visit) is the channel of every task: calls are what the
 * weekly contact cap counts and holds, so with phone every batch pays for the cap (its
 * statement and its index, task_cap_week); with visit the cap has nothing to count and the
 * same assignment runs without it. throughput.sh runs both, one after the other.
 *
 * Needs HUIFANG_TEST_ADMIN_URL, HUIFANG_TEST_REDIS_URL (or BENCH_REDIS_URL) and HF_BIN; run it
 * alone (it rebuilds the scheduler's due-index in that Redis database). See run.sh. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_queue.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_time.h"
#include "hf_wire.h"
#include "scheduler.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

static long s_env_long(const char *name, long def)
{
    const char *v = getenv(name);
    return v && *v ? atol(v) : def;
}

/* The load average over the last minute (the first figure of /proc/loadavg), or -1. */
static double s_loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static double s_secs(int64_t from_mono)
{
    return (double)(hf_clock_mono_ms() - from_mono) / 1000.0;
}

static int64_t s_num(hf_store_t *st, const char *sql)
{
    PGresult *res = hf_store_exec(st, sql, 0, NULL);
    if (res == NULL) {
        fprintf(stderr, "bench: %s: %s\n", sql, hf_store_error(st));
        exit(1);
    }
    int64_t v = PQntuples(res) && !PQgetisnull(res, 0, 0) ? hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    return v;
}

/* The tasks in the outbox's assignment events (a task_assigned's one, a tasks_assigned's
 * batch): how many in all (*n) and how many distinct (the return). */
static int s_cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

static int64_t s_event_tasks(hf_store_t *st, int64_t *n)
{
    PGresult *res =
        hf_store_exec(st,
                      "SELECT body FROM outbox WHERE topic LIKE 'scheduler.task_assigned/%'"
                      " OR topic LIKE 'scheduler.tasks_assigned/%'",
                      0, NULL);
    if (res == NULL) {
        fprintf(stderr, "bench: the outbox: %s\n", hf_store_error(st));
        exit(1);
    }
    size_t cap = 1024, k = 0;
    int64_t *ids = malloc(cap * sizeof *ids);
    for (int r = 0; r < PQntuples(res); r++) {
        size_t len = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, 0), &len);
        hf_envelope_t *env = raw ? hf_envelope_unpack(raw, len) : NULL;
        PQfreemem(raw);
        if (env == NULL)
            continue;
        Huifang__V1__Task *one = NULL;
        Huifang__V1__Task **tasks = &one;
        size_t nt = 0;
        if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED) {
            one = env->task_assigned->task;
            nt = one != NULL;
        } else if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_TASKS_ASSIGNED) {
            tasks = env->tasks_assigned->tasks;
            nt = env->tasks_assigned->n_tasks;
        }
        for (size_t i = 0; i < nt; i++) {
            if (k == cap)
                ids = realloc(ids, (cap *= 2) * sizeof *ids);
            ids[k++] = tasks[i]->id;
        }
        huifang__v1__envelope__free_unpacked(env, NULL);
    }
    PQclear(res);
    qsort(ids, k, sizeof *ids, s_cmp_i64);
    int64_t distinct = 0;
    for (size_t i = 0; i < k; i++)
        distinct += i == 0 || ids[i] != ids[i - 1];
    free(ids);
    *n = (int64_t)k;
    return distinct;
}

static void s_run(hf_store_t *st, const char *sql)
{
    if (hf_store_run(st, sql, 0, NULL) != 0) {
        fprintf(stderr, "bench: %s: %s\n", sql, hf_store_error(st));
        exit(1);
    }
}

/* A branch's code, "BN000".."BN999" (out: 16 bytes). */
static void s_branch_code(int b, char *out)
{
    snprintf(out, 16, "BN%03d", b % 1000);
}

/* ---- the raw ceiling: claim + ack on bare Redis --------------------------------------- */

/* One client: claims batches from every branch in turn until a whole round finds nothing;
 * writes how many it claimed to fd. */
static void s_raw_client(const char *redis, int nbranches, int64_t now, int batch, int fd,
                         unsigned start)
{
    hf_queue_t *q = hf_queue_new(redis, "benchraw");
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)batch);
    long total = 0;
    if (hf_queue_connect(q) != 0 || ids == NULL)
        _exit(1);
    for (;;) {
        long round = 0;
        for (int k = 0; k < nbranches; k++) {
            char br[16];
            s_branch_code((int)((start + (unsigned)k) % (unsigned)nbranches), br);
            int n = 0;
            if (hf_queue_claim(q, br, now, 30000, batch, ids, NULL, &n) != 0 ||
                hf_queue_ack_many(q, br, ids, n) != 0)
                _exit(1);
            round += n;
        }
        total += round;
        if (round == 0)
            break;
    }
    if (write(fd, &total, sizeof total) != (ssize_t)sizeof total)
        _exit(1);
    free(ids);
    hf_queue_destroy(&q);
    _exit(0);
}

static double s_raw_ceiling(const char *redis, long n, int nbranches, int64_t t0, long window_ms,
                            int clients, int batch, long *claimed)
{
    hf_queue_t *q = hf_queue_new(redis, "benchraw");
    if (hf_queue_connect(q) != 0) {
        fprintf(stderr, "bench: redis: %s\n", hf_queue_error(q));
        exit(1);
    }
    long per = n / nbranches + 1;
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)per),
            *dues = malloc(sizeof(int64_t) * (size_t)per);
    for (int b = 0; b < nbranches; b++) {
        char br[16];
        s_branch_code(b, br);
        hf_queue_clear(q, br);
        int k = 0;
        for (long g = b; g < n; g += nbranches) {
            ids[k] = g + 1;
            dues[k++] = t0 + (g * window_ms) / n;
        }
        if (hf_queue_put_many(q, br, ids, dues, k) != 0) {
            fprintf(stderr, "bench: redis: %s\n", hf_queue_error(q));
            exit(1);
        }
    }
    free(ids);
    free(dues);
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    int64_t started = hf_clock_mono_ms();
    for (int c = 0; c < clients; c++)
        if (fork() == 0) {
            close(fds[0]);
            s_raw_client(redis, nbranches, t0 + window_ms, batch, fds[1], (unsigned)c * 37u);
        }
    close(fds[1]);
    *claimed = 0;
    for (int c = 0; c < clients; c++) {
        long got = 0;
        if (read(fds[0], &got, sizeof got) == (ssize_t)sizeof got)
            *claimed += got;
        wait(NULL);
    }
    close(fds[0]);
    double secs = s_secs(started);
    for (int b = 0; b < nbranches; b++) {
        char br[16];
        s_branch_code(b, br);
        hf_queue_clear(q, br);
    }
    hf_queue_destroy(&q);
    return (double)*claimed / secs;
}

/* ---- the services --------------------------------------------------------------------- */

/* The services' ports: HUIFANG_PORT_BASE when set, else the first block of PORT_BLOCK free
 * loopback ports from a slot chosen by the pid, all below the kernel's ephemeral range
 * (32768-60999), where outgoing connections take their ports. */
#define PORT_FIRST 20000
#define PORT_LAST 32499
#define PORT_BLOCK 100

static bool s_port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static int s_port_base(void)
{
    const char *env = getenv("HUIFANG_PORT_BASE");
    if (env && *env)
        return atoi(env);
    int slots = (PORT_LAST + 1 - PORT_FIRST) / PORT_BLOCK;
    for (int i = 0; i < slots; i++) {
        int base = PORT_FIRST + ((getpid() + i) % slots) * PORT_BLOCK;
        bool free_block = true;
        for (int p = base; p < base + PORT_BLOCK && free_block; p++)
            free_block = s_port_free(p);
        if (free_block)
            return base;
    }
    return -1;
}

static pid_t s_launch(const char *bin, const char *service, int base, int instance, const char *log)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char path[512], b1[64], b2[64], b3[64], pb[16];
    snprintf(path, sizeof path, "%s/huifang-%s", bin, service);
    snprintf(pb, sizeof pb, "%d", base);
    setenv("HUIFANG_PORT_BASE", pb, 1);
    if (instance > 0) {
        /* the second scheduler listens on ports of its own */
        snprintf(b1, sizeof b1, "tcp://127.0.0.1:%d", base + 44 + 2 * instance);
        snprintf(b2, sizeof b2, "tcp://127.0.0.1:%d", base + 45 + 2 * instance);
        setenv("HUIFANG_SCHEDULER_BIND", b1, 1);
        setenv("HUIFANG_SCHEDULER_EVENTS_BIND", b2, 1);
        /* and its metrics listener on one of the block's free ports (+3 and up) */
        snprintf(b3, sizeof b3, "127.0.0.1:%d", base + 2 + instance);
        setenv("HUIFANG_SCHEDULER_METRICS_BIND", b3, 1);
    }
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execl(path, path, (char *)NULL);
    _exit(127);
}

/* Stands in for intake, calllog and complaint: answers every request (the scheduler's replay
 * requests at start-up) with "nothing to replay", until killed. The real services would
 * consume the assignment events (a tasks_assigned per batch) on the same two cores, each in
 * a transaction of its own; here the scheduler is measured alone. */
static pid_t s_quiet_peers(int base)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    hf_bus_after_fork();
    static const int offsets[] = {1, 21, 31};
    void *socks[3];
    zmq_pollitem_t items[3];
    for (int i = 0; i < 3; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", base + offsets[i]);
        socks[i] = zmq_socket(hf_bus_context(), ZMQ_ROUTER);
        if (zmq_bind(socks[i], ep) != 0)
            _exit(1);
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    }
    for (;;) {
        if (zmq_poll(items, 3, -1) < 0)
            continue;
        for (int i = 0; i < 3; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t frames[8];
            int n = 0, more = 1;
            while (more && n < 8) {
                zmq_msg_init(&frames[n]);
                if (zmq_msg_recv(&frames[n], socks[i], 0) < 0)
                    break;
                more = zmq_msg_more(&frames[n]);
                n++;
            }
            if (n < 2)
                continue;
            hf_request_t *req = huifang__v1__request__unpack(NULL, zmq_msg_size(&frames[n - 1]),
                                                             zmq_msg_data(&frames[n - 1]));
            Huifang__V1__ReplayResult rr = HUIFANG__V1__REPLAY_RESULT__INIT;
            hf_reply_t rep = HUIFANG__V1__REPLY__INIT;
            rep.request_id = req ? req->request_id : "";
            rep.result_case = HUIFANG__V1__REPLY__RESULT_REPLAY;
            rep.replay = &rr;
            uint8_t buf[256];
            size_t len = huifang__v1__reply__pack(&rep, buf);
            for (int f = 0; f < n - 1; f++)
                zmq_send(socks[i], zmq_msg_data(&frames[f]), zmq_msg_size(&frames[f]), ZMQ_SNDMORE);
            zmq_send(socks[i], buf, len, 0);
            if (req)
                huifang__v1__request__free_unpacked(req, NULL);
            for (int f = 0; f < n; f++)
                zmq_msg_close(&frames[f]);
        }
    }
}

/* Moves the manual clock at real speed from t0 until killed. */
static pid_t s_clock_driver(const char *file, int64_t t0)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int64_t r0 = hf_clock_mono_ms();
    for (;;) {
        hf_clock_file_write(file, t0 + (hf_clock_mono_ms() - r0));
        usleep(2000);
    }
}

int main(void)
{
    (void)hf_test_failures; /* hf_test.h's helpers are used, its CHECKs are not */
    long n = s_env_long("BENCH_TASKS", 1000000);
    int nbranches = (int)s_env_long("BENCH_BRANCHES", 100);
    long window_ms = s_env_long("BENCH_WINDOW_S", 40) * 1000;
    int instances = (int)s_env_long("BENCH_INSTANCES", 2);
    int batch = (int)s_env_long("BENCH_BATCH", 1000);
    const char *channel = getenv("BENCH_CHANNEL");
    if (channel == NULL || *channel == '\0')
        channel = "phone";
    bool visits = strcmp(channel, "visit") == 0;
    if (!visits && strcmp(channel, "phone") != 0) {
        fprintf(stderr, "bench: BENCH_CHANNEL is phone or visit\n");
        return 2;
    }
    const char *bin = hf_test_env("HF_BIN");
    const char *redis = getenv("BENCH_REDIS_URL");
    if (redis == NULL || *redis == '\0')
        redis = hf_test_env("HUIFANG_TEST_REDIS_URL");
    hf_log_init("bench_scheduler", "warn");
    if (n < nbranches || nbranches < 1 || nbranches > 999 || instances < 1 || instances > 8) {
        fprintf(stderr, "bench: BENCH_TASKS >= BENCH_BRANCHES (1..999), BENCH_INSTANCES 1..8\n");
        return 2;
    }
    char url[256];
    hf_test_create_db("bench_sched", url);
    char dir[128], clock_file[160], logs[4][192];
    snprintf(dir, sizeof dir, "/tmp/hf-bench-scheduler-%d", (int)getpid());
    mkdir(dir, 0755);
    snprintf(clock_file, sizeof clock_file, "%s/clock", dir);
    /* 2026-11-02 09:00 in Beijing */
    int64_t t0 = 1793581200000LL;
    hf_clock_file_write(clock_file, t0 - 600000);
    setenv("HUIFANG_STORE_URL", url, 1);
    setenv("HUIFANG_REDIS_URL", redis, 1);
    setenv("HUIFANG_CLOCK", "manual", 1);
    setenv("HUIFANG_CLOCK_FILE", clock_file, 1);
    setenv("HUIFANG_LOG_LEVEL", "warn", 1);
    /* no client command is measured here: the schedulers run without sessions (which they
     * refuse to start without a public key since issue 11) and on plain sockets, unless the
     * caller says otherwise */
    setenv("HUIFANG_AUTH", "off", 0);
    setenv("HUIFANG_CURVE", "off", 0);
    char num[24];
    snprintf(num, sizeof num, "%d", batch);
    setenv("HUIFANG_SCHEDULER_CLAIM_BATCH", num, 1);
    setenv("HUIFANG_SCHEDULER_TICK_MS", "50", 1);

    printf("bench_scheduler: %ld tasks, %d branches, due over %ld s (%.0f/s), %d scheduler"
           " instances, claim batch %d, channel %s (%s)\n",
           n, nbranches, window_ms / 1000, n * 1000.0 / (double)window_ms, instances, batch,
           channel, visits ? "the weekly contact cap has nothing to count" : "the cap counts them");
    fflush(stdout);

    /* the schema and the load: branches, agents with room for every call, customers, tasks */
    hf_store_t *st = hf_store_new(url, "scheduler");
    if (hf_store_connect(st) != 0 || hf_store_migrate(st, sched_migrations) != 0) {
        fprintf(stderr, "bench: %s\n", hf_store_error(st));
        return 1;
    }
    /* five calls a customer fall due the same day: the weekly contact cap (issue 16, default
     * 2) would hold three of them to next week and the run would never see them assigned. The
     * cap check still runs on every batch (its cost is in the figures); only its limit is
     * raised, to BENCH_CAP_PER_WEEK (default 50, the most a branch may set). */
    snprintf(num, sizeof num, "%ld", s_env_long("BENCH_CAP_PER_WEEK", 50));
    const char *capp[] = {num};
    if (hf_store_run(st, "UPDATE contact_cap SET per_week = $1::int WHERE branch = ''", 1, capp) !=
        0) {
        fprintf(stderr, "bench: %s\n", hf_store_error(st));
        return 1;
    }
    int64_t seeded = hf_clock_mono_ms();
    long per_branch = (n + nbranches - 1) / nbranches;
    long agents = (per_branch + 999) / 1000;
    long customers = (n / 5 / nbranches + 1) * nbranches;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO branch (code, tz, windows) SELECT 'BN' || lpad(b::text, 3, '0'),"
             " 'Asia/Shanghai', '' FROM generate_series(0, %d) b",
             nbranches - 1);
    s_run(st, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO agent (branch, id, name, role, regions, daily_calls, daily_visits)"
             " SELECT 'BN' || lpad(b::text, 3, '0'), 'A' || a, 'Agent', 'phone', '{}', %d, %d"
             " FROM generate_series(0, %d) b, generate_series(1, %ld) a",
             visits ? 0 : 1000, visits ? 1000 : 0, nbranches - 1, agents);
    s_run(st, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO customer (id, branch, name, phone, region) SELECT c, 'BN' ||"
             " lpad((c %% %d)::text, 3, '0'), 'Customer', '13800000000', '' FROM"
             " generate_series(0, %ld) c",
             nbranches, customers - 1);
    s_run(st, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO task (branch, customer_id, step_no, occurrence, purpose, channel, role,"
             " due_at_ms, priority, updated_at_ms) SELECT 'BN' || lpad((g %% %d)::text, 3, '0'),"
             " g %% %ld, 1, 0, 'care', '%s', 'phone', %lld + (g * %ld::bigint) / %ld, 20, %lld"
             " FROM generate_series(0, %ld) g",
             nbranches, customers, channel, (long long)t0, window_ms, n, (long long)t0, n - 1);
    s_run(st, sql);
    s_run(st, "VACUUM ANALYZE");
    printf("seeded in %.1f s\n", s_secs(seeded));
    fflush(stdout);

    /* the ceiling first, while nothing else runs */
    long raw_claimed = 0;
    double ceiling =
        s_raw_ceiling(redis, n, nbranches, t0, window_ms, instances, batch, &raw_claimed);
    printf("raw ceiling: %ld claimed + acked on bare Redis by %d clients: %.0f/s\n", raw_claimed,
           instances, ceiling);
    fflush(stdout);

    /* the services */
    int base = s_port_base();
    if (base < 0) {
        fprintf(stderr, "bench: no free block of %d ports in %d..%d\n", PORT_BLOCK, PORT_FIRST,
                PORT_LAST);
        return 1;
    }
    pid_t pids[12];
    int npids = 0;
    if (getenv("BENCH_REAL_PEERS")) {
        /* the real intake, calllog and complaint beside the schedulers, as on one machine */
        const char *peers[] = {"intake", "calllog", "complaint"};
        for (int i = 0; i < 3; i++) {
            snprintf(logs[0], sizeof logs[0], "%s/%s.log", dir, peers[i]);
            pids[npids++] = s_launch(bin, peers[i], base, 0, logs[0]);
        }
    } else {
        pids[npids++] = s_quiet_peers(base);
    }
    int64_t launched = hf_clock_mono_ms();
    for (int i = 0; i < instances; i++) {
        snprintf(logs[1], sizeof logs[1], "%s/scheduler%d.log", dir, i);
        pids[npids++] = s_launch(bin, "scheduler", base, i, logs[1]);
    }
    double load_start = -1, load_end = -1;
    /* indexing a million tasks happens before the first one is due */
    int64_t deadline = hf_clock_mono_ms() + 900000;
    while (s_num(st, "SELECT count(*) FROM task_unindexed") > 0) {
        if (hf_clock_mono_ms() > deadline) {
            fprintf(stderr, "bench: indexing did not finish\n");
            goto stop;
        }
        usleep(500000);
    }
    printf("indexed %ld tasks into Redis in %.1f s (from the schedulers' start)\n", n,
           s_secs(launched));
    fflush(stdout);
    /* a million rows of the due-index's list deleted left as many dead versions: vacuum now, as
     * autovacuum would have done long before in a running system, instead of during the
     * window the lag is measured in */
    int64_t vacuumed = hf_clock_mono_ms();
    s_run(st, "VACUUM ANALYZE task, task_unindexed");
    printf("vacuumed the task table in %.1f s\n", s_secs(vacuumed));
    fflush(stdout);

    load_start = s_loadavg();
    pid_t driver = s_clock_driver(clock_file, t0 - 1000);
    int64_t started = hf_clock_mono_ms();
    deadline = started + 1800000;
    int64_t last = -1;
    for (;;) {
        /* the slots counted (a few rows): an event holds up to a batch of tasks now */
        int64_t done = s_num(st, "SELECT coalesce(sum(calls + visits), 0) FROM agent_day");
        if (done >= n)
            break;
        if (hf_clock_mono_ms() > deadline) {
            fprintf(stderr, "bench: only %lld of %ld assigned\n", (long long)done, n);
            break;
        }
        if (done / 100000 != last / 100000) {
            printf("  %.1f s: %lld assigned\n", s_secs(started), (long long)done);
            fflush(stdout);
        }
        last = done;
        usleep(200000);
    }
    kill(driver, SIGKILL);
    waitpid(driver, NULL, 0);
    load_end = s_loadavg();
stop:
    for (int i = npids - 1; i >= 0; i--)
        kill(pids[i], SIGTERM);
    for (int i = 0; i < npids; i++)
        waitpid(pids[i], NULL, 0);

    /* every task assigned, and exactly one event each: so none twice */
    int64_t assigned = s_num(st, "SELECT count(*) FROM task WHERE state = 'assigned'");
    int64_t slots = s_num(st, "SELECT sum(calls + visits) FROM agent_day");
    int64_t events = 0, batches = s_num(st, "SELECT count(*) FROM outbox WHERE topic LIKE"
                                            " 'scheduler.tasks_assigned/%'");
    int64_t distinct = s_event_tasks(st, &events);
    int64_t first_due = s_num(st, "SELECT min(due_at_ms) FROM task");
    int64_t first = s_num(st, "SELECT min(assigned_at_ms) FROM task WHERE state = 'assigned'");
    int64_t lastat = s_num(st, "SELECT max(assigned_at_ms) FROM task WHERE state = 'assigned'");
    int64_t p50 = s_num(st, "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY assigned_at_ms -"
                            " due_at_ms) FROM task WHERE state = 'assigned'");
    int64_t p99 = s_num(st, "SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY assigned_at_ms -"
                            " due_at_ms) FROM task WHERE state = 'assigned'");
    int64_t worst = s_num(st, "SELECT max(assigned_at_ms - due_at_ms) FROM task"
                              " WHERE state = 'assigned'");
    double span = (double)(lastat - first_due) / 1000.0;
    double rate = span > 0 ? (double)assigned / span : 0;
    double busy = lastat > first ? (double)assigned * 1000.0 / (double)(lastat - first) : 0;
    printf("\nresults\n");
    printf("  assigned            %lld of %ld (slots counted %lld, tasks in the assignment"
           " events %lld, %lld distinct, in %lld tasks_assigned)\n",
           (long long)assigned, n, (long long)slots, (long long)events, (long long)distinct,
           (long long)batches);
    printf("  assigned per second %.0f (first due to last assigned: %.1f s; %.0f/s from the"
           " first assignment on)\n",
           rate, span, busy);
    printf("  lag due -> bag      p50 %lld ms, p99 %lld ms, max %lld ms\n", (long long)p50,
           (long long)p99, (long long)worst);
    /* the lag by when the tasks fell due: a steady state tells from a stall */
    PGresult *slices =
        hf_store_exec(st,
                      "SELECT (due_at_ms - (SELECT min(due_at_ms) FROM task)) / 5000 * 5, count(*),"
                      " percentile_disc(0.5) WITHIN GROUP (ORDER BY assigned_at_ms - due_at_ms),"
                      " percentile_disc(0.99) WITHIN GROUP (ORDER BY assigned_at_ms - due_at_ms),"
                      " max(assigned_at_ms - due_at_ms)"
                      " FROM task WHERE state = 'assigned' GROUP BY 1 ORDER BY 1",
                      0, NULL);
    if (slices != NULL) {
        printf("  lag by when due     from   tasks     p50     p99     max (ms)\n");
        for (int r = 0; r < PQntuples(slices); r++)
            printf("                      %3llds %7lld %7lld %7lld %7lld\n",
                   (long long)hf_pg_int(slices, r, 0), (long long)hf_pg_int(slices, r, 1),
                   (long long)hf_pg_int(slices, r, 2), (long long)hf_pg_int(slices, r, 3),
                   (long long)hf_pg_int(slices, r, 4));
        PQclear(slices);
    }
    printf("  raw ceiling         %.0f/s (the same Lua claim + ack, bare Redis, %d clients)\n",
           ceiling, instances);
    printf("  ratio               %.2f of the ceiling\n", ceiling > 0 ? rate / ceiling : 0);
    printf("  load average        %.2f at the start of the window, %.2f at the end (1 min)\n",
           load_start, load_end);
    printf("  logs                %s\n", dir);
    int ok = assigned == n && slots == n && events == n && distinct == n;
    hf_store_destroy(&st);
    if (getenv("BENCH_KEEP") == NULL)
        hf_test_drop_db(url);
    if (!ok)
        fprintf(stderr, "bench: not every task was assigned exactly once\n");
    return ok ? 0 : 1;
}
