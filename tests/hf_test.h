/* hf_test: a few assertion macros for table-driven tests; each failure prints file:line and
 * the values, and the test's exit status is the number of failures. */
#ifndef HF_TEST_H
#define HF_TEST_H
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hf_test_failures = 0;
/* The case running now (TEST_CASE, or a step a test names with TEST_STEP), named in every
 * failure; outside one, the function the check stands in. */
static const char *hf_test_case __attribute__((unused)) = "";
#define HF_TEST_WHERE (hf_test_case[0] ? hf_test_case : __func__)
/* Names the step of a long test that the checks after it belong to. */
#define TEST_STEP(name) (hf_test_case = (name))

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__, HF_TEST_WHERE,   \
                    #cond);                                                                        \
            hf_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_) {                                                                            \
            fprintf(stderr, "%s:%d: [%s] %s = %lld, want %lld\n", __FILE__, __LINE__,              \
                    HF_TEST_WHERE, #got, g_, w_);                                                  \
            hf_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                                                   \
            fprintf(stderr, "%s:%d: [%s] %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__,          \
                    HF_TEST_WHERE, #got, g_ ? g_ : "(null)", w_);                                  \
            hf_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

/* Reads an environment variable a test needs; exits with a clear message when unset. */
static inline const char *hf_test_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr,
                "%s is not set: run the suite through tests/run.sh, which starts "
                "Postgres and Redis and sets it\n",
                name);
        exit(2);
    }
    return v;
}

/* Runs one named case: fn(args...); its name leads every failure it has, and a line says
 * how many checks of it failed. */
#define TEST_CASE(fn, ...)                                                                         \
    do {                                                                                           \
        int before_ = hf_test_failures;                                                            \
        hf_test_case = #fn;                                                                        \
        fn(__VA_ARGS__);                                                                           \
        if (hf_test_failures > before_)                                                            \
            fprintf(stderr, "case %s: %d check(s) failed\n", #fn, hf_test_failures - before_);     \
        hf_test_case = "";                                                                         \
    } while (0)

#define TEST_DONE()                                                                                \
    do {                                                                                           \
        if (hf_test_failures)                                                                      \
            fprintf(stderr, "%d check(s) failed\n", hf_test_failures);                             \
        return hf_test_failures ? 1 : 0;                                                           \
    } while (0)

#endif

#include <libpq-fe.h>
#include <unistd.h>

/* Creates a fresh database for this test on the server of HUIFANG_TEST_ADMIN_URL and
 * writes its URL into url (256 bytes). The database is named after the test and pid. */
static inline void hf_test_create_db(const char *name, char *url)
{
    const char *admin = hf_test_env("HUIFANG_TEST_ADMIN_URL");
    PGconn *c = PQconnectdb(admin);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cannot reach %s: %s\n", admin, PQerrorMessage(c));
        exit(2);
    }
    char db[96], sql[256];
    snprintf(db, sizeof db, "it_%s_%d", name, (int)getpid());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "cannot create %s: %s\n", db, PQerrorMessage(c));
        exit(2);
    }
    PQclear(r);
    /* the admin URL ends in /postgres: swap the database name */
    const char *slash = strrchr(admin, '/');
    snprintf(url, 256, "%.*s/%s", (int)(slash - admin), admin, db);
    PQfinish(c);
}

/* Drops the test's database again (best effort). */
static inline void hf_test_drop_db(const char *url)
{
    const char *admin = hf_test_env("HUIFANG_TEST_ADMIN_URL");
    PGconn *c = PQconnectdb(admin);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", strrchr(url, '/') + 1);
    PQclear(PQexec(c, sql));
    PQfinish(c);
}
