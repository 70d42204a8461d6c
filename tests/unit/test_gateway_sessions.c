/* test_gateway_sessions: the gateway's table of browser sessions and its login limit. Ids
 * and CSRF tokens are 128 random bits in hex; a session ends at its claims' expiry on the
 * real clock, as the services check it, whatever a manual clock says; a full table refuses
 * rather than evicts a live session; logins are counted per address and minute. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "hf_clock.h"
#include "hf_test.h"

static Huifang__V1__SessionClaims s_claims(const char *login, int64_t expires_ms)
{
    static char *branches[] = {"BJ01", "SH01"};
    Huifang__V1__SessionClaims c = HUIFANG__V1__SESSION_CLAIMS__INIT;
    c.login = (char *)login;
    c.role = "phone";
    c.n_branches = 2;
    c.branches = branches;
    c.issued_ms = 0;
    c.expires_ms = expires_ms;
    return c;
}

static void test_add_get_forget(void)
{
    int64_t now = hf_clock_real_ms();
    gw_sessions_t *t = gw_sessions_new(2, 10);
    Huifang__V1__SessionClaims c = s_claims("A001", now + 60000);
    char id[GW_ID_LEN + 1], csrf[GW_ID_LEN + 1], id2[GW_ID_LEN + 1], csrf2[GW_ID_LEN + 1];
    CHECK_INT(gw_sessions_add(t, "hf1.token-a", &c, id, csrf), 0);
    CHECK_INT(strlen(id), GW_ID_LEN);
    CHECK_INT(strspn(id, "0123456789abcdef"), GW_ID_LEN);
    CHECK(strcmp(id, csrf) != 0);
    gw_session_t s;
    CHECK_INT(gw_sessions_get(t, id, &s), 0);
    CHECK_STR(s.token, "hf1.token-a");
    CHECK_STR(s.csrf, csrf);
    CHECK_STR(s.login, "A001");
    CHECK_STR(s.branch, "BJ01"); /* the first branch acts by default */
    /* ids that are not one: wrong length, upper case, another random one */
    CHECK_INT(gw_sessions_get(t, "abc", &s), -1);
    char upper[GW_ID_LEN + 1];
    for (int i = 0; i <= GW_ID_LEN; i++)
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
    if (strcmp(upper, id) != 0)
        CHECK_INT(gw_sessions_get(t, upper, &s), -1);
    CHECK_INT(gw_sessions_get(t, "0123456789abcdef0123456789abcdef", &s), -1);
    CHECK_INT(gw_sessions_get(t, NULL, &s), -1);

    /* full: a live session is never pushed out */
    CHECK_INT(gw_sessions_add(t, "hf1.token-b", &c, id2, csrf2), 0);
    CHECK(strcmp(id, id2) != 0);
    CHECK_INT(gw_sessions_add(t, "hf1.token-c", &c, id2, csrf2), -1);
    gw_sessions_forget(t, id);
    CHECK_INT(gw_sessions_get(t, id, &s), -1);
    CHECK_INT(gw_sessions_add(t, "hf1.token-c", &c, id2, csrf2), 0);

    /* a manual clock two days ahead (a demo moved past a complaint's 24 hours) ends no session:
     * the services, which check sessions by the real time, still take it */
    char clock_file[64];
    snprintf(clock_file, sizeof clock_file, "/tmp/hf-test-gw-clock.%d", (int)getpid());
    CHECK_INT(hf_clock_file_write(clock_file, now + 2 * 86400000LL), 0);
    CHECK_INT(hf_clock_init("manual", clock_file), 0);
    CHECK_INT(gw_sessions_get(t, id2, &s), 0);
    /* expiry on the real clock: an expired one is gone, and makes room */
    Huifang__V1__SessionClaims old = s_claims("A002", hf_clock_real_ms() - 1);
    gw_sessions_forget(t, id2);
    CHECK_INT(gw_sessions_add(t, "hf1.token-d", &old, id, csrf), 0);
    CHECK_INT(gw_sessions_get(t, id, &s), -1);
    CHECK_INT(gw_sessions_add(t, "hf1.token-e", &c, id, csrf), 0);
    unlink(clock_file);
    hf_clock_init("real", NULL);
    gw_sessions_destroy(&t);
    CHECK(t == NULL);
    gw_sessions_destroy(&t); /* idempotent */
}

static void test_login_limit(void)
{
    gw_sessions_t *t = gw_sessions_new(10, 3);
    int retry = 0;
    for (int i = 0; i < 3; i++)
        CHECK(gw_sessions_login_allowed(t, "10.0.0.1", &retry));
    CHECK(!gw_sessions_login_allowed(t, "10.0.0.1", &retry));
    CHECK(retry >= 1 && retry <= 60);
    /* another address has its own budget */
    CHECK(gw_sessions_login_allowed(t, "10.0.0.2", &retry));
    CHECK(gw_sessions_login_allowed(t, "::1", &retry));
    gw_sessions_destroy(&t);
}

int main(void)
{
    TEST_CASE(test_add_get_forget);
    TEST_CASE(test_login_limit);
    TEST_DONE();
}
