/* CURVE on the wire, against a real service loop (a probe service run in a child process)
 * with its keys in a temporary keys directory:
 *  A. a client whose key is in the directory is answered, and the handler sees its
 *     principal (hf_service_caller: "client:cli", "svc:scheduler");
 *  B. a client with a random key gets none of 100 requests answered and no event from the
 *     PUB; a client with no CURVE at all (NULL mechanism) likewise;
 *  C. a key added to the directory while the service runs is let in at its next handshake,
 *     and refused again once its .pub is removed (rotation without a restart);
 *  D. a 50 MB message to the ROUTER drops its sender; a crafted 7 MiB one (under the cap,
 *     made of entries that each cost protobuf-c a struct) is answered as malformed; the
 *     service's peak memory (VmHWM) stays under 100 MB and it still answers;
 *  E. a service with CURVE on refuses to start without a keys directory, or with a secret
 *     key that others may read. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_keys.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

static char s_url[256];
static char s_keys[256];
static char s_bind[64], s_events[64];

/* The probe's one command answers with the caller's principal as its error text. */
static int s_whoami(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *arena)
{
    (void)self;
    (void)req;
    return hf_fail(rep, arena, HF_NOT_FOUND, "caller", "%s", hf_service_caller(svc));
}

static const hf_migration_t s_none[] = {{0, NULL, NULL}};
static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_RULES_GET, s_whoami, false, 0}, {0, NULL, false, 0}};
static const hf_service_def_t s_probe = {.name = "probe",
                                         .summary = "a service whose wire is under test",
                                         .migrations = s_none,
                                         .commands = s_commands};

/* Starts the probe in a child; extra: "NAME=VALUE" ("NAME=" unsets NAME) or NULL. */
static pid_t s_start(const char *extra)
{
    char keys[300];
    snprintf(keys, sizeof keys, "HUIFANG_KEYS_DIR=%s", s_keys);
    const char *env[] = {"HUIFANG_HEARTBEAT_MS=100",
                         "HUIFANG_LOG_LEVEL=warn",
                         "HUIFANG_CLOCK=real",
                         keys,
                         "HUIFANG_CURVE_NAME=",
                         extra,
                         NULL};
    return hf_test_start(&s_probe, &(hf_test_child_t){s_url, s_bind, s_events, env, NULL});
}

static int s_stop(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return status;
}

/* The exit status of a child that is expected to end by itself within ms. */
static int s_wait_exit(pid_t pid, int ms)
{
    int status = 0;
    int64_t deadline = hf_clock_mono_ms() + ms;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (hf_clock_mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(20000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void s_read_pair(const char *name, char *pub, char *sec)
{
    char err[512];
    CHECK(hf_keys_read_public(s_keys, name, pub, err, sizeof err) == 0);
    CHECK(hf_keys_read_secret(s_keys, name, sec, err, sizeof err) == 0);
}

/* A raw socket of type connecting to endpoint: a CURVE client with pub/sec (expecting the
 * probe's key) or, with pub NULL, a plain one. A monitor on inproc://mon-<n> reports its
 * handshakes. */
static void *s_raw(int type, const char *endpoint, const char *pub, const char *sec, void **mon)
{
    static int n = 0;
    void *sock = zmq_socket(hf_bus_context(), type);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (pub) {
        char server[HF_KEY_Z85_LEN + 1], err[512];
        CHECK(hf_keys_read_public(s_keys, "probe", server, err, sizeof err) == 0);
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, HF_KEY_Z85_LEN);
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, HF_KEY_Z85_LEN);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, HF_KEY_Z85_LEN);
    }
    if (type == ZMQ_SUB)
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://mon-%d", n++);
    zmq_socket_monitor(sock, ep,
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    *mon = zmq_socket(hf_bus_context(), ZMQ_PAIR);
    zmq_setsockopt(*mon, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(*mon, ep);
    zmq_connect(sock, endpoint);
    return sock;
}

static void s_raw_close(void *sock, void *mon)
{
    zmq_socket_monitor(sock, NULL, 0);
    zmq_close(sock);
    zmq_close(mon);
}

/* The first handshake event of a monitor within ms, or 0. */
static int s_handshake(void *mon, int ms)
{
    zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, ms) <= 0)
        return 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    uint16_t event = 0;
    if (zmq_msg_recv(&m, mon, 0) >= 6)
        memcpy(&event, zmq_msg_data(&m), 2);
    zmq_msg_close(&m);
    zmq_msg_init(&m);
    zmq_msg_recv(&m, mon, 0); /* the endpoint */
    zmq_msg_close(&m);
    return event;
}

/* Sends n pings on a raw DEALER (REQ framing: an empty delimiter) and counts the answers
 * that arrive within ms. */
static int s_raw_pings(void *dealer, int n, int ms)
{
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    req.ping = &ping;
    req.request_id = "raw";
    uint8_t buf[256];
    size_t len = huifang__v1__request__pack(&req, buf);
    for (int i = 0; i < n; i++) {
        zmq_send(dealer, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(dealer, buf, len, ZMQ_DONTWAIT);
    }
    int answered = 0;
    int64_t deadline = hf_clock_mono_ms() + ms;
    while (answered < n) {
        int64_t left = deadline - hf_clock_mono_ms();
        zmq_pollitem_t item = {dealer, 0, ZMQ_POLLIN, 0};
        if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0)
            break;
        zmq_msg_t m;
        zmq_msg_init(&m);
        while (zmq_msg_recv(&m, dealer, 0) >= 0 && zmq_msg_more(&m))
            ;
        zmq_msg_close(&m);
        answered++;
    }
    return answered;
}

/* Messages a SUB receives within ms. */
static int s_events_within(void *sub, int ms)
{
    int got = 0;
    int64_t deadline = hf_clock_mono_ms() + ms;
    for (;;) {
        int64_t left = deadline - hf_clock_mono_ms();
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0)
            break;
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, sub, 0);
        zmq_msg_close(&m);
        got++;
    }
    return got;
}

/* whoami through hf_client as the process's current identity: the caller's principal, or
 * "" when nobody answered. */
static void s_whoami_call(char *out, size_t outlen)
{
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__RulesGet rg = HUIFANG__V1__RULES_GET__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RULES_GET;
    req.rules_get = &rg;
    hf_client_t *c = hf_client_new(s_bind, 3000, 1);
    hf_client_set_server(c, "probe");
    hf_reply_t *rep = NULL;
    out[0] = '\0';
    if (hf_client_call(c, &req, &rep) == 0) {
        snprintf(out, outlen, "%s", rep->error ? rep->error : "");
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
    hf_client_destroy(&c);
}

static bool s_ping(int timeout_ms)
{
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    req.ping = &ping;
    hf_client_t *c = hf_client_new(s_bind, timeout_ms, 1);
    hf_client_set_server(c, "probe");
    hf_reply_t *rep = NULL;
    bool ok = hf_client_call(c, &req, &rep) == 0 && rep->status == HF_OK;
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    hf_client_destroy(&c);
    return ok;
}

/* A line "Key:   N kB" of /proc/<pid>/status, in kB, or -1. */
static long s_proc_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            kb = atol(line + klen + 1);
    if (f)
        fclose(f);
    return kb;
}

static void test_known_key(void)
{
    char who[128], err[512];
    CHECK(hf_bus_curve_init(true, s_keys, "cli", err, sizeof err) == 0);
    s_whoami_call(who, sizeof who);
    CHECK_STR(who, "client:cli");
    CHECK(hf_bus_curve_init(true, s_keys, "scheduler", err, sizeof err) == 0);
    s_whoami_call(who, sizeof who);
    CHECK_STR(who, "svc:scheduler");

    /* a subscriber with a known key gets the heartbeats (every 100 ms) */
    char pub[HF_KEY_Z85_LEN + 1], sec[HF_KEY_Z85_LEN + 1];
    s_read_pair("cli", pub, sec);
    void *mon;
    void *sub = s_raw(ZMQ_SUB, s_events, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK(s_events_within(sub, 1000) > 0);
    s_raw_close(sub, mon);
}

static void test_unknown_and_plain(void)
{
    char pub[HF_KEY_Z85_LEN + 1], sec[HF_KEY_Z85_LEN + 1];
    CHECK(zmq_curve_keypair(pub, sec) == 0);
    void *mon;
    void *dealer = s_raw(ZMQ_DEALER, s_bind, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK_INT(s_raw_pings(dealer, 100, 1000), 0);
    s_raw_close(dealer, mon);

    void *sub = s_raw(ZMQ_SUB, s_events, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK_INT(s_events_within(sub, 1000), 0); /* 10 heartbeats went out meanwhile */
    s_raw_close(sub, mon);

    /* no CURVE at all: the handshake cannot even start */
    dealer = s_raw(ZMQ_DEALER, s_bind, NULL, NULL, &mon);
    int ev = s_handshake(mon, 2000);
    CHECK(ev != ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK_INT(s_raw_pings(dealer, 100, 1000), 0);
    s_raw_close(dealer, mon);
    sub = s_raw(ZMQ_SUB, s_events, NULL, NULL, &mon);
    ev = s_handshake(mon, 2000);
    CHECK(ev != ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK_INT(s_events_within(sub, 1000), 0);
    s_raw_close(sub, mon);

    /* and the refused client through hf_client fails in its timeout instead of hanging */
    char err[512];
    char odd[300];
    snprintf(odd, sizeof odd, "%s/elsewhere", s_keys);
    CHECK(hf_keys_generate(odd, "cli", false, err, sizeof err) == 0);
    char probe_pub[HF_KEY_Z85_LEN + 1];
    CHECK(hf_keys_read_public(s_keys, "probe", probe_pub, err, sizeof err) == 0);
    char path[400];
    snprintf(path, sizeof path, "%s/probe.pub", odd);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", probe_pub);
    fclose(f);
    CHECK(hf_bus_curve_init(true, odd, "cli", err, sizeof err) == 0);
    int64_t t0 = hf_clock_mono_ms();
    CHECK(!s_ping(500));
    CHECK(hf_clock_mono_ms() - t0 < 2500);
}

static void test_rotation(void)
{
    char err[512], pub[HF_KEY_Z85_LEN + 1], sec[HF_KEY_Z85_LEN + 1];
    /* added while the service runs: let in at the next handshake */
    CHECK(hf_keys_generate(s_keys, "gateway", false, err, sizeof err) == 0);
    s_read_pair("gateway", pub, sec);
    void *mon;
    void *dealer = s_raw(ZMQ_DEALER, s_bind, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK_INT(s_raw_pings(dealer, 10, 3000), 10);
    s_raw_close(dealer, mon);
    /* its .pub removed: the next connection is refused */
    char path[400];
    snprintf(path, sizeof path, "%s/gateway.pub", s_keys);
    CHECK(unlink(path) == 0);
    dealer = s_raw(ZMQ_DEALER, s_bind, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK_INT(s_raw_pings(dealer, 10, 1000), 0);
    s_raw_close(dealer, mon);

    /* a key written in two steps, as a copy by hand does (the file made empty, then filled:
     * the folder changes at the first step only): refused while half, let in once whole */
    char hpub[HF_KEY_Z85_LEN + 1], hsec[HF_KEY_Z85_LEN + 1];
    CHECK(zmq_curve_keypair(hpub, hsec) == 0);
    snprintf(path, sizeof path, "%s/half.pub", s_keys);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fclose(f);
    dealer = s_raw(ZMQ_DEALER, s_bind, hpub, hsec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    s_raw_close(dealer, mon);
    f = fopen(path, "w");
    CHECK(f != NULL);
    fprintf(f, "%s\n", hpub);
    fclose(f);
    int ev = 0;
    for (int64_t until = hf_clock_mono_ms() + 5000;
         ev != ZMQ_EVENT_HANDSHAKE_SUCCEEDED && hf_clock_mono_ms() < until;) {
        dealer = s_raw(ZMQ_DEALER, s_bind, hpub, hsec, &mon);
        ev = s_handshake(mon, 3000);
        s_raw_close(dealer, mon);
    }
    CHECK_INT(ev, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK(unlink(path) == 0);
}

static void test_big_message(pid_t probe)
{
    char err[512], pub[HF_KEY_Z85_LEN + 1], sec[HF_KEY_Z85_LEN + 1];
    CHECK(hf_bus_curve_init(true, s_keys, "cli", err, sizeof err) == 0);
    s_read_pair("cli", pub, sec);
    void *mon;
    void *dealer = s_raw(ZMQ_DEALER, s_bind, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    /* repeated empty 'after' entries (field 5, length 0): two bytes on the wire that make
     * protobuf-c allocate a struct and a pointer each */
    size_t big = 50u * 1024 * 1024;
    uint8_t *junk = malloc(big);
    for (size_t i = 0; i + 1 < big; i += 2) {
        junk[i] = 0x2a;
        junk[i + 1] = 0;
    }
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    CHECK(zmq_send(dealer, junk, big, 0) == (int)big);
    /* the service drops the connection instead of reading it: no answer */
    CHECK_INT(s_events_within(dealer, 2000), 0);
    s_raw_close(dealer, mon);
    CHECK(s_ping(3000));

    /* under the size cap (7 MiB), the same trick is stopped by the unpack budget: answered
     * as a malformed request, not grown into hundreds of megabytes */
    dealer = s_raw(ZMQ_DEALER, s_bind, pub, sec, &mon);
    CHECK_INT(s_handshake(mon, 3000), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    size_t under = 7u * 1024 * 1024;
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    CHECK(zmq_send(dealer, junk, under, 0) == (int)under);
    free(junk);
    zmq_pollitem_t item = {dealer, 0, ZMQ_POLLIN, 0};
    CHECK(zmq_poll(&item, 1, 10000) == 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, dealer, 0) >= 0 && zmq_msg_more(&m))
        ;
    hf_reply_t *rep = huifang__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    CHECK(rep != NULL && rep->status == HF_BAD_INPUT);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    zmq_msg_close(&m);
    s_raw_close(dealer, mon);
    CHECK(s_ping(3000));
    long hwm = s_proc_kb(probe, "VmHWM");
    fprintf(stderr, "probe VmHWM after a 50 MB and a 7 MiB crafted request: %ld kB\n", hwm);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer keeps freed memory in quarantine and adds its shadow: the peak says
     * nothing about the service here (the normal build checks it) */
    CHECK(hwm > 0);
#else
    CHECK(hwm > 0 && hwm < 100 * 1024);
#endif
}

static void test_refuses_to_start(void)
{
    /* no keys directory */
    CHECK_INT(s_wait_exit(s_start("HUIFANG_KEYS_DIR="), 20000), 3);
    /* a secret that others may read */
    char path[400];
    snprintf(path, sizeof path, "%s/probe.key", s_keys);
    chmod(path, 0644);
    CHECK_INT(s_wait_exit(s_start(NULL), 20000), 3);
    chmod(path, 0600);
    /* a keys directory without the service's own key */
    CHECK_INT(s_wait_exit(s_start("HUIFANG_CURVE_NAME=nobody"), 20000), 3);
}

int main(void)
{
    hf_log_init("test_curve", "warn");
    if (!zmq_has("curve")) {
        fprintf(stderr, "libzmq without CURVE\n");
        return 1;
    }
    hf_test_create_db("curve", s_url);
    snprintf(s_keys, sizeof s_keys, "/tmp/hf-test-curve-XXXXXX");
    CHECK(mkdtemp(s_keys) != NULL);
    char err[512];
    const char *names[] = {"probe", "cli", "scheduler", NULL};
    for (int i = 0; names[i]; i++)
        CHECK(hf_keys_generate(s_keys, names[i], false, err, sizeof err) == 0);

    /* a block of 50 ports below the ephemeral range; another when one is taken */
    pid_t probe = 0;
    bool up = false;
    for (int attempt = 0; attempt < 5 && !up; attempt++) {
        int base = 14000 + (int)((getpid() + attempt * 37) % 100) * 50;
        snprintf(s_bind, sizeof s_bind, "tcp://127.0.0.1:%d", base + 45);
        snprintf(s_events, sizeof s_events, "tcp://127.0.0.1:%d", base + 46);
        probe = s_start(NULL);
        CHECK(hf_bus_curve_init(true, s_keys, "cli", err, sizeof err) == 0);
        int64_t deadline = hf_clock_mono_ms() + 20000;
        int status;
        while (!up && hf_clock_mono_ms() < deadline && waitpid(probe, &status, WNOHANG) == 0)
            up = s_ping(500);
        if (!up)
            s_stop(probe);
    }
    CHECK(up);
    if (up) {
        TEST_CASE(test_known_key);
        TEST_CASE(test_unknown_and_plain);
        TEST_CASE(test_rotation);
        TEST_CASE(test_big_message, probe);
        int status = s_stop(probe);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        TEST_CASE(test_refuses_to_start);
    }
    hf_bus_shutdown();
    hf_test_drop_db(s_url);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_keys);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_keys);
    TEST_DONE();
}
