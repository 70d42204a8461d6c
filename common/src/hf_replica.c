/* hf_replica: the one place a service looks up a branch it keeps (see hf_replica.h). */
#include "hf_replica.h"
#include <stdio.h>

const char *hf_replica_tz_or_default(const char *tz)
{
    return tz && *tz ? tz : HF_DEFAULT_TZ;
}

int hf_replica_branch(hf_store_t *st, const char *branch, char *tz, size_t len, char *windows,
                      size_t wlen)
{
    const char *p[] = {branch ? branch : ""};
    PGresult *res = hf_store_exec(st,
                                  windows ? "SELECT tz, windows FROM branch WHERE code = $1"
                                          : "SELECT tz FROM branch WHERE code = $1",
                                  1, p);
    if (res == NULL)
        return -1;
    int found = PQntuples(res);
    if (found) {
        snprintf(tz, len, "%s", hf_pg_str(res, 0, 0));
        if (windows)
            snprintf(windows, wlen, "%s", hf_pg_str(res, 0, 1));
    }
    PQclear(res);
    return found ? 0 : 1;
}

int hf_replica_need_branch(hf_store_t *st, const char *branch, char *tz, size_t len,
                           hf_reply_t *rep, hf_arena_t *a)
{
    if (branch == NULL || *branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch",
                       "branch is required (--branch or HUIFANG_BRANCH)");
    int rc = hf_replica_branch(st, branch, tz, len, NULL, 0);
    if (rc < 0)
        return HF_UNAVAILABLE;
    if (rc > 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", branch);
    return HF_OK;
}
