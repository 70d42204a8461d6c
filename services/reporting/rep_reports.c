/* rep_reports: the report set, each computed from the rollups in one or a few statements
 * (so its cost follows the number of agents, days and categories in the period, not the
 * number of events behind them) and returned as tables of formatted cells. Definitions of
 * every figure are in the README ("The reports"). */
#include "hf_clock.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "rep_period.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- building tables ----------------------------------------------------------------- */

Huifang__V1__ReportTable *rep_table(hf_arena_t *a, Huifang__V1__ReportResult *r, const char *title,
                                    const char *cols, int max_rows)
{
    Huifang__V1__ReportTable *t = hf_new(a, Huifang__V1__ReportTable);
    huifang__v1__report_table__init(t);
    t->title = hf_arena_strdup(a, title);
    size_t n = 1;
    for (const char *s = cols; *s; s++)
        n += *s == ',';
    t->columns = hf_new_array(a, char *, n);
    t->kinds = hf_new_array(a, char *, n);
    char *copy = hf_arena_strdup(a, cols), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *kind = strchr(tok, ':');
        if (kind)
            *kind++ = '\0';
        t->columns[t->n_columns++] = tok;
        t->kinds[t->n_kinds++] = !kind ? "text" : strcmp(kind, "int") == 0 ? "int" : "decimal";
    }
    t->rows = hf_new_array(a, Huifang__V1__ReportRow *, max_rows > 0 ? max_rows : 1);
    Huifang__V1__ReportTable **tables =
        hf_new_array(a, Huifang__V1__ReportTable *, r->n_tables + 1);
    if (r->n_tables)
        memcpy(tables, r->tables, sizeof *tables * r->n_tables);
    tables[r->n_tables++] = t;
    r->tables = tables;
    return t;
}

void rep_row(hf_arena_t *a, Huifang__V1__ReportTable *t, ...)
{
    Huifang__V1__ReportRow *row = hf_new(a, Huifang__V1__ReportRow);
    huifang__v1__report_row__init(row);
    row->cells = hf_new_array(a, char *, t->n_columns);
    va_list ap;
    va_start(ap, t);
    for (size_t i = 0; i < t->n_columns; i++)
        row->cells[row->n_cells++] = hf_arena_strdup(a, va_arg(ap, const char *));
    va_end(ap);
    t->rows[t->n_rows++] = row;
}

static const char *s_int(hf_arena_t *a, int64_t v)
{
    return hf_arena_printf(a, "%lld", (long long)v);
}

static const char *s_yuan(hf_arena_t *a, int64_t fen)
{
    char buf[32];
    rep_fmt_yuan(fen, buf, sizeof buf);
    return hf_arena_strdup(a, buf);
}

static const char *s_pct(hf_arena_t *a, int64_t num, int64_t den)
{
    char buf[32];
    rep_fmt_pct(num, den, buf, sizeof buf);
    return hf_arena_strdup(a, buf);
}

static const char *s_day(hf_arena_t *a, int32_t day)
{
    char buf[11];
    hf_date_format(day, buf);
    return hf_arena_strdup(a, buf);
}

int rep_summed_table(hf_store_t *st, const hf_query_t *q, int np, const char *const *p, int nfig,
                     const char *title, const char *cols, rep_summed_row_fn row,
                     Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    PGresult *res = hf_store_query(st, q, np, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *tb = rep_table(a, r, title, cols, n + 1);
    int64_t tot[REP_SUMMED_MAX] = {0};
    for (int i = 0; i < n; i++) {
        int64_t v[REP_SUMMED_MAX];
        for (int c = 0; c < nfig; c++)
            tot[c] += v[c] = hf_pg_int(res, i, c + 1);
        row(a, tb, hf_pg_str(res, i, 0), v);
    }
    PQclear(res);
    row(a, tb, "TOTAL", tot);
    return HF_OK;
}

/* ---- agents: agent-daily and the agents of branch-weekly ------------------------------ */

enum {
    A_ID,
    A_NAME,
    A_ROLE,
    A_DUE,
    A_ATTEMPTS,
    A_CONTACTS,
    A_ORDERS,
    A_COMPLAINTS,
    A_CONSULTS,
    A_BOUGHT,
    A_VISITS,
    A_OVERDUE,
    A_VALUE,
    A_NCOLS
};

/* Every agent of the branch and every agent active in [from, to], with the period's sums,
 * the assignments still open at the end of `to`, and the value of the period's orders. */
static PGresult *s_agent_rows(hf_store_t *st, const char *branch, int32_t from, int32_t to,
                              const char *agent)
{
    char f[11], t[11];
    hf_date_format(from, f);
    hf_date_format(to, t);
    const char *p[] = {branch, f, t, S(agent)};
    return hf_store_query(st, &REP_Q_AGENT_ROWS, 4, p);
}

static bool s_role_is(const char *role, const char *a, const char *b)
{
    return strcmp(role, a) == 0 || (b && strcmp(role, b) == 0);
}

/* True when the row has any activity in the period, or work left open. */
static bool s_active(const PGresult *res, int i)
{
    for (int c = A_DUE; c < A_NCOLS; c++)
        if (hf_pg_int(res, i, c) != 0)
            return true;
    return false;
}

int rep_report_agent_daily(hf_store_t *st, const char *branch, const rep_period_t *per,
                           const char *agent, Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    PGresult *res = s_agent_rows(st, branch, per->from, per->to, agent);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *ph = rep_table(
        a, r, "phone agents",
        "agent,name,tasks_due:int,attempts:int,contacts:int,contact_rate_pct:dec,orders:int,"
        "order_value:dec,complaints:int,overdue:int",
        n + 1);
    Huifang__V1__ReportTable *cs =
        rep_table(a, r, "consultation agents",
                  "agent,name,consultations:int,purchases:int,conversion_pct:dec", n + 1);
    Huifang__V1__ReportTable *vs =
        rep_table(a, r, "visitors and doctors",
                  "agent,name,role,tasks_due:int,visits:int,overdue:int", n + 1);
    int64_t tp[A_NCOLS] = {0}, tc[A_NCOLS] = {0}, tv[A_NCOLS] = {0};
    bool one = agent && *agent;
    for (int i = 0; i < n; i++) {
        const char *role = hf_pg_str(res, i, A_ROLE);
        int64_t v[A_NCOLS];
        for (int c = A_DUE; c < A_NCOLS; c++)
            v[c] = hf_pg_int(res, i, c);
        bool consult = s_role_is(role, "consult", NULL);
        bool visitor = s_role_is(role, "visit", "doctor");
        bool phone = !consult && !visitor &&
                     (s_role_is(role, "phone", NULL) || v[A_DUE] || v[A_ATTEMPTS] || v[A_ORDERS] ||
                      v[A_COMPLAINTS] || v[A_OVERDUE] || (one && !v[A_CONSULTS] && !v[A_VISITS]));
        if (!consult && !visitor && !phone && !s_active(res, i))
            continue; /* a lead, head or manager with nothing to show */
        const char *id = hf_pg_str(res, i, A_ID), *name = hf_pg_str(res, i, A_NAME);
        if (phone) {
            rep_row(a, ph, id, name, s_int(a, v[A_DUE]), s_int(a, v[A_ATTEMPTS]),
                    s_int(a, v[A_CONTACTS]), s_pct(a, v[A_CONTACTS], v[A_ATTEMPTS]),
                    s_int(a, v[A_ORDERS]), s_yuan(a, v[A_VALUE]), s_int(a, v[A_COMPLAINTS]),
                    s_int(a, v[A_OVERDUE]));
            for (int c = A_DUE; c < A_NCOLS; c++)
                tp[c] += v[c];
        }
        if (consult || v[A_CONSULTS]) {
            rep_row(a, cs, id, name, s_int(a, v[A_CONSULTS]), s_int(a, v[A_BOUGHT]),
                    s_pct(a, v[A_BOUGHT], v[A_CONSULTS]));
            for (int c = A_DUE; c < A_NCOLS; c++)
                tc[c] += v[c];
        }
        if (visitor || v[A_VISITS]) {
            rep_row(a, vs, id, name, role, s_int(a, visitor ? v[A_DUE] : 0), s_int(a, v[A_VISITS]),
                    s_int(a, visitor ? v[A_OVERDUE] : 0));
            if (visitor) {
                tv[A_DUE] += v[A_DUE];
                tv[A_OVERDUE] += v[A_OVERDUE];
            }
            tv[A_VISITS] += v[A_VISITS];
        }
    }
    PQclear(res);
    if (!one) {
        rep_row(a, ph, "TOTAL", "", s_int(a, tp[A_DUE]), s_int(a, tp[A_ATTEMPTS]),
                s_int(a, tp[A_CONTACTS]), s_pct(a, tp[A_CONTACTS], tp[A_ATTEMPTS]),
                s_int(a, tp[A_ORDERS]), s_yuan(a, tp[A_VALUE]), s_int(a, tp[A_COMPLAINTS]),
                s_int(a, tp[A_OVERDUE]));
        rep_row(a, cs, "TOTAL", "", s_int(a, tc[A_CONSULTS]), s_int(a, tc[A_BOUGHT]),
                s_pct(a, tc[A_BOUGHT], tc[A_CONSULTS]));
        rep_row(a, vs, "TOTAL", "", "", s_int(a, tv[A_DUE]), s_int(a, tv[A_VISITS]),
                s_int(a, tv[A_OVERDUE]));
    } else {
        /* one agent: only the tables that show them */
        size_t k = 0;
        for (size_t i = 0; i < r->n_tables; i++)
            if (r->tables[i]->n_rows)
                r->tables[k++] = r->tables[i];
        r->n_tables = k;
        if (k == 0)
            return HF_NOT_FOUND;
    }
    return HF_OK;
}

/* ---- branch-weekly ------------------------------------------------------------------- */

int rep_report_branch_weekly(hf_store_t *st, const char *branch, const rep_period_t *per,
                             int32_t today, Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    PGresult *res = s_agent_rows(st, branch, per->from, per->to, "");
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *ag = rep_table(
        a, r, "agents",
        "agent,name,role,tasks_due:int,attempts:int,contacts:int,contact_rate_pct:dec,orders:int,"
        "order_value:dec,complaints:int,overdue:int,consultations:int,consult_purchases:int,"
        "visits:int",
        n + 1);
    int64_t tot[A_NCOLS] = {0};
    for (int i = 0; i < n; i++) {
        const char *role = hf_pg_str(res, i, A_ROLE);
        bool staff = s_role_is(role, "phone", "consult") || s_role_is(role, "visit", "doctor");
        if (!staff && !s_active(res, i))
            continue;
        int64_t v[A_NCOLS];
        for (int c = A_DUE; c < A_NCOLS; c++) {
            v[c] = hf_pg_int(res, i, c);
            tot[c] += v[c];
        }
        rep_row(a, ag, hf_pg_str(res, i, A_ID), hf_pg_str(res, i, A_NAME), role, s_int(a, v[A_DUE]),
                s_int(a, v[A_ATTEMPTS]), s_int(a, v[A_CONTACTS]),
                s_pct(a, v[A_CONTACTS], v[A_ATTEMPTS]), s_int(a, v[A_ORDERS]),
                s_yuan(a, v[A_VALUE]), s_int(a, v[A_COMPLAINTS]), s_int(a, v[A_OVERDUE]),
                s_int(a, v[A_CONSULTS]), s_int(a, v[A_BOUGHT]), s_int(a, v[A_VISITS]));
    }
    PQclear(res);
    rep_row(a, ag, "TOTAL", "", "", s_int(a, tot[A_DUE]), s_int(a, tot[A_ATTEMPTS]),
            s_int(a, tot[A_CONTACTS]), s_pct(a, tot[A_CONTACTS], tot[A_ATTEMPTS]),
            s_int(a, tot[A_ORDERS]), s_yuan(a, tot[A_VALUE]), s_int(a, tot[A_COMPLAINTS]),
            s_int(a, tot[A_OVERDUE]), s_int(a, tot[A_CONSULTS]), s_int(a, tot[A_BOUGHT]),
            s_int(a, tot[A_VISITS]));

    /* plan steps due in the week; the open ones are missed once their day has passed */
    char f[11], t[11], td[11];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    hf_date_format(today, td);
    const char *pw[] = {branch, f, t, td};
    res = hf_store_query(st, &REP_Q_REPORT_BRANCH_WEEKLY_STEP_DAY, 4, pw);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ReportTable *steps = rep_table(
        a, r, "plan steps",
        "due:int,on_time:int,late:int,missed:int,cancelled:int,pending:int,on_time_pct:dec,"
        "overdue_backlog:int",
        1);
    rep_row(a, steps, s_int(a, hf_pg_int(res, 0, 0)), s_int(a, hf_pg_int(res, 0, 1)),
            s_int(a, hf_pg_int(res, 0, 2)), s_int(a, hf_pg_int(res, 0, 4)),
            s_int(a, hf_pg_int(res, 0, 3)), s_int(a, hf_pg_int(res, 0, 5)),
            s_pct(a, hf_pg_int(res, 0, 1),
                  hf_pg_int(res, 0, 1) + hf_pg_int(res, 0, 2) + hf_pg_int(res, 0, 4)),
            s_int(a, hf_pg_int(res, 0, 6)));
    PQclear(res);

    /* cards screened out and voided in the week, with their reasons */
    const char *pr[] = {branch, f, t};
    res = hf_store_query(st, &REP_Q_REPORT_BRANCH_WEEKLY_SCREEN_DAY, 3, pr);
    if (res == NULL)
        return HF_UNAVAILABLE;
    n = PQntuples(res);
    Huifang__V1__ReportTable *out = rep_table(a, r, "cards out", "kind,reason,cards:int", n);
    for (int i = 0; i < n; i++)
        rep_row(a, out, hf_pg_str(res, i, 0),
                *hf_pg_str(res, i, 1) ? hf_pg_str(res, i, 1) : "(none)", hf_pg_str(res, i, 2));
    PQclear(res);

    /* the funnel: cards entering and leaving each type in the week, and how many hold it */
    res = hf_store_query(st, &REP_Q_REPORT_BRANCH_WEEKLY_CARD_FLOW_DAY, 3, pr);
    if (res == NULL)
        return HF_UNAVAILABLE;
    n = PQntuples(res);
    Huifang__V1__ReportTable *fu =
        rep_table(a, r, "card funnel", "card_type,entered:int,left:int,now:int", n);
    for (int i = 0; i < n; i++)
        rep_row(a, fu, hf_pg_str(res, i, 0), hf_pg_str(res, i, 1), hf_pg_str(res, i, 2),
                hf_pg_str(res, i, 3));
    PQclear(res);
    return HF_OK;
}

/* ---- collection ---------------------------------------------------------------------- */

/* A channel's, source's, collector's or branch's leads: new, duplicates, rejected, total. */
static void s_collection_row(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *key,
                             const int64_t *v)
{
    rep_row(a, t, *key ? key : "(none)", s_int(a, v[0]), s_int(a, v[1]), s_int(a, v[2]),
            s_int(a, v[0] + v[1] + v[2]));
}

int rep_report_collection(hf_store_t *st, const char *branch, const rep_period_t *per,
                          Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    static const struct {
        const char *title, *column;
        const hf_query_t *q;
    } by[] = {
        {"by channel", "channel", &REP_Q_REPORT_COLLECTION_BY_CHANNEL},
        {"by source", "source", &REP_Q_REPORT_COLLECTION_BY_SOURCE},
        {"by collector", "collector", &REP_Q_REPORT_COLLECTION_BY_COLLECTOR},
    };
    char f[11], t[11];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    const char *p[] = {branch, f, t};
    for (size_t k = 0; k < sizeof by / sizeof by[0]; k++) {
        char cols[128];
        snprintf(cols, sizeof cols, "%s,new:int,duplicates:int,rejected:int,total:int",
                 by[k].column);
        int rc = rep_summed_table(st, by[k].q, 3, p, 3, by[k].title, cols, s_collection_row, r, a);
        if (rc != HF_OK)
            return rc;
    }
    return HF_OK;
}

/* ---- repurchase ---------------------------------------------------------------------- */

int rep_report_repurchase(hf_store_t *st, const char *branch, const rep_period_t *per, int days,
                          Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char m[11], d[16];
    hf_date_format(per->from, m);
    const char *p[] = {branch, m, hf_pg_i64(d, days)};
    PGresult *res = hf_store_query(st, &REP_Q_REPORT_REPURCHASE_REPURCHASE_MONTH, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *tb = rep_table(
        a, r,
        hf_arena_printf(a, "supply ended in %s, repurchased within %d days", per->label, days),
        "product,plan,ended:int,repurchased:int,share_pct:dec", n + 1);
    int64_t ended = 0, again = 0;
    for (int i = 0; i < n; i++) {
        int64_t e = hf_pg_int(res, i, 2), g = hf_pg_int(res, i, 3);
        ended += e;
        again += g;
        rep_row(a, tb, hf_pg_str(res, i, 0), hf_pg_str(res, i, 1), s_int(a, e), s_int(a, g),
                s_pct(a, g, e));
    }
    PQclear(res);
    rep_row(a, tb, "TOTAL", "", s_int(a, ended), s_int(a, again), s_pct(a, again, ended));
    return HF_OK;
}

/* ---- complaints ---------------------------------------------------------------------- */

int rep_report_complaints(hf_store_t *st, const char *branch, const rep_period_t *per,
                          int64_t now_ms, Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char f[11], t[11], now[24];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    const char *p[] = {branch, f, t, hf_pg_i64(now, now_ms)};
    PGresult *res = hf_store_query(st, &REP_Q_REPORT_COMPLAINTS_TOTALS, 4, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ReportTable *tb = rep_table(
        a, r, "complaints",
        "opened:int,resolved_in_time:int,resolved_late:int,open_overdue:int,open:int,"
        "breaches:int,in_time_pct:dec,escalations:int,returns_requested:int,returns_approved:int,"
        "returns_rejected:int,refunds:dec,word_of_mouth_risks:int",
        1);
    int64_t v[11];
    for (int c = 0; c < 11; c++)
        v[c] = hf_pg_int(res, 0, c);
    PQclear(res);
    rep_row(a, tb, s_int(a, v[0]), s_int(a, v[1]), s_int(a, v[2]), s_int(a, v[3]), s_int(a, v[4]),
            s_int(a, v[2] + v[3]), s_pct(a, v[1], v[1] + v[2] + v[3]), s_int(a, v[5]),
            s_int(a, v[6]), s_int(a, v[7]), s_int(a, v[8]), s_yuan(a, v[9]), s_int(a, v[10]));

    res = hf_store_query(st, &REP_Q_REPORT_COMPLAINTS_BY_CATEGORY, 4, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *bc = rep_table(
        a, r, "by category", "category,opened:int,resolved_in_time:int,breaches:int,open:int", n);
    for (int i = 0; i < n; i++)
        rep_row(a, bc, *hf_pg_str(res, i, 0) ? hf_pg_str(res, i, 0) : "(none)",
                hf_pg_str(res, i, 1), hf_pg_str(res, i, 2),
                s_int(a, hf_pg_int(res, i, 3) + hf_pg_int(res, i, 4)), hf_pg_str(res, i, 5));
    PQclear(res);
    return HF_OK;
}

/* ---- sales attribution --------------------------------------------------------------- */

int rep_report_sales_attribution(hf_store_t *st, const char *branch, const rep_period_t *per,
                                 Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char m[11];
    hf_date_format(per->from, m);
    /* the rate in force in the month: the latest set at or before it, never a later one */
    const char *pb[] = {branch, m};
    PGresult *res = hf_store_query(st, &REP_Q_REPORT_SALES_ATTRIBUTION_COMMISSION_RATE, 2, pb);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int rate = PQntuples(res) ? (int)hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    const char *p[] = {branch, m};
    /* the terminal of the customer's region at the time of the order */
    res = hf_store_query(st, &REP_Q_REPORT_SALES_ATTRIBUTION_ROWS, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *tb =
        rep_table(a, r, "orders by terminal and agent",
                  "terminal,agent,orders:int,units:int,value:dec", n + 1);
    int64_t orders = 0, units = 0, value = 0;
    for (int i = 0; i < n; i++) {
        const char *term = *hf_pg_str(res, i, 0) ? hf_pg_str(res, i, 0) : "(unmapped)";
        int64_t o = hf_pg_int(res, i, 2), u = hf_pg_int(res, i, 3), v = hf_pg_int(res, i, 4);
        orders += o;
        units += u;
        value += v;
        rep_row(a, tb, term, hf_pg_str(res, i, 1), s_int(a, o), s_int(a, u), s_yuan(a, v));
    }
    PQclear(res);
    rep_row(a, tb, "TOTAL", "", s_int(a, orders), s_int(a, units), s_yuan(a, value));

    res = hf_store_query(st, &REP_Q_REPORT_SALES_ATTRIBUTION_BY_TERMINAL, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    n = PQntuples(res);
    Huifang__V1__ReportTable *tt =
        rep_table(a, r, "terminals", "terminal,orders:int,units:int,value:dec", n);
    for (int i = 0; i < n; i++)
        rep_row(a, tt, *hf_pg_str(res, i, 0) ? hf_pg_str(res, i, 0) : "(unmapped)",
                hf_pg_str(res, i, 1), hf_pg_str(res, i, 2), s_yuan(a, hf_pg_int(res, i, 3)));
    PQclear(res);

    res = hf_store_query(st, &REP_Q_REPORT_SALES_ATTRIBUTION_BY_AGENT, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    n = PQntuples(res);
    Huifang__V1__ReportTable *tc = rep_table(
        a, r, "commissions", "agent,orders:int,value:dec,rate_pct:dec,commission:dec", n + 1);
    int64_t ctotal = 0;
    char ratetxt[16];
    snprintf(ratetxt, sizeof ratetxt, "%d.%02d", rate / 100, rate % 100);
    for (int i = 0; i < n; i++) {
        int64_t v = hf_pg_int(res, i, 2), cm = rep_commission(v, rate);
        ctotal += cm;
        rep_row(a, tc, hf_pg_str(res, i, 0), hf_pg_str(res, i, 1), s_yuan(a, v), ratetxt,
                s_yuan(a, cm));
    }
    PQclear(res);
    rep_row(a, tc, "TOTAL", s_int(a, orders), s_yuan(a, value), ratetxt, s_yuan(a, ctotal));
    return HF_OK;
}

Huifang__V1__ReportResult *rep_result_new(const char *name, const char *branch, const char *tz,
                                          const rep_period_t *per, hf_arena_t *a)
{
    Huifang__V1__ReportResult *r = hf_new(a, Huifang__V1__ReportResult);
    huifang__v1__report_result__init(r);
    r->name = (char *)name;
    r->branch = (char *)branch;
    r->tz = hf_arena_strdup(a, tz);
    r->period = hf_arena_strdup(a, per->label);
    r->from = (char *)s_day(a, per->from);
    r->to = (char *)s_day(a, per->to);
    r->generated_at_ms = hf_clock_now_ms();
    return r;
}

int rep_month_report(hf_service_t *svc, const hf_request_t *req, const char *name, char from[11],
                     char to[11], Huifang__V1__ReportResult **out, hf_reply_t *rep, hf_arena_t *a)
{
    const Huifang__V1__ReportRequest *q = req->report;
    if (*S(q->date))
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date does not apply to %s (use --month)",
                       name);
    if (*S(q->week))
        return hf_fail(rep, a, HF_BAD_INPUT, "week", "week does not apply to %s (use --month)",
                       name);
    if (*S(q->agent))
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent applies to agent-daily only");
    if (q->days_set)
        return hf_fail(rep, a, HF_BAD_INPUT, "days", "days applies to repurchase only");
    char tz[64];
    int rc = hf_replica_need_branch(hf_service_store(svc), req->branch, tz, sizeof tz, rep, a);
    if (rc != HF_OK)
        return rc;
    rep_period_t per;
    if (rep_period_month(q->month, hf_time_local_day(hf_clock_now_ms(), tz), &per) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "month", "month \"%s\" is not a month like 2026-11",
                       q->month);
    hf_date_format(per.from, from);
    hf_date_format(per.to, to);
    *out = rep_result_new(name, req->branch, tz, &per, a);
    return HF_OK;
}

/* ---- headquarters: several branches side by side --------------------------------------
 * One row per branch and a TOTAL row, each figure the branch's own report's total (the TOTAL
 * row of its agents, its collection by channel, its repurchase; its complaints row; the
 * totals of its sales attribution), computed for every branch at once: one statement per
 * table with branch = ANY($1) GROUP BY branch, so the cost follows the rollup rows of the
 * period, not a round of queries per branch. Rates are recomputed from the summed figures. */

/* "{BJ01,SH01}": the codes are checked (letters, digits, '-', '_'), so no quoting. */
static const char *s_array(hf_arena_t *a, char *const *branches, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += strlen(branches[i]) + 1;
    char *out = hf_arena_alloc(a, len);
    char *w = out;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *w++ = ',';
        size_t k = strlen(branches[i]);
        memcpy(w, branches[i], k);
        w += k;
    }
    *w++ = '}';
    *w = '\0';
    return out;
}

static void s_hq_agents_row(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *name,
                            const int64_t *v)
{
    rep_row(a, t, name, s_int(a, v[0]), s_int(a, v[1]), s_int(a, v[2]), s_pct(a, v[2], v[1]),
            s_int(a, v[3]), s_yuan(a, v[4]), s_int(a, v[5]), s_int(a, v[6]), s_int(a, v[7]),
            s_int(a, v[8]), s_int(a, v[9]));
}

/* The agents' figures of every branch: the branch-weekly agents' TOTAL row, read from the
 * branch's own rollups (branch_day, branch_month: the sums of its agents' rows, kept by the
 * same handlers in the same batch), a row a branch and day instead of one per agent. */
static int s_hq_agents(hf_store_t *st, const char *arr, const rep_period_t *per,
                       Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char f[11], t[11];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    const char *p[] = {arr, f, t};
    return rep_summed_table(
        st, &REP_Q_HQ_AGENTS, 3, p, 10, "agents by branch",
        "branch,tasks_due:int,attempts:int,contacts:int,contact_rate_pct:dec,orders:int,"
        "order_value:dec,complaints:int,overdue:int,consultations:int,consult_purchases:int,"
        "visits:int",
        s_hq_agents_row, r, a);
}

static void s_hq_steps_row(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *name,
                           const int64_t *v)
{
    rep_row(a, t, name, s_int(a, v[0]), s_int(a, v[1]), s_int(a, v[2]), s_int(a, v[3]),
            s_int(a, v[4]), s_int(a, v[5]), s_pct(a, v[1], v[1] + v[2] + v[3]), s_int(a, v[6]));
}

/* The plan steps of every branch: branch-weekly's plan steps table; the backlog before today
 * from step_month for the months before today's and step_day for its days. */
static int s_hq_steps(hf_store_t *st, const char *arr, const rep_period_t *per, int32_t today,
                      Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char f[11], t[11], td[11];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    hf_date_format(today, td);
    const char *p[] = {arr, f, t, td};
    return rep_summed_table(
        st, &REP_Q_HQ_STEPS, 4, p, 7, "plan steps by branch",
        "branch,due:int,on_time:int,late:int,missed:int,cancelled:int,pending:int,"
        "on_time_pct:dec,overdue_backlog:int",
        s_hq_steps_row, r, a);
}

static int s_hq_collection(hf_store_t *st, const char *arr, const rep_period_t *per,
                           Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char f[11], t[11];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    const char *p[] = {arr, f, t};
    return rep_summed_table(st, &REP_Q_HQ_COLLECTION, 3, p, 3, "by branch",
                            "branch,new:int,duplicates:int,rejected:int,total:int",
                            s_collection_row, r, a);
}

static void s_hq_repurchase_row(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *name,
                                const int64_t *v)
{
    rep_row(a, t, name, s_int(a, v[0]), s_int(a, v[1]), s_pct(a, v[1], v[0]));
}

static int s_hq_repurchase(hf_store_t *st, const char *arr, const rep_period_t *per, int days,
                           Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char m[11], d[16];
    hf_date_format(per->from, m);
    const char *p[] = {arr, m, hf_pg_i64(d, days)};
    return rep_summed_table(
        st, &REP_Q_HQ_REPURCHASE, 3, p, 2,
        hf_arena_printf(a, "supply ended in %s, repurchased within %d days, by branch", per->label,
                        days),
        "branch,ended:int,repurchased:int,share_pct:dec", s_hq_repurchase_row, r, a);
}

static void s_hq_complaints_row(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *name,
                                const int64_t *v)
{
    rep_row(a, t, name, s_int(a, v[0]), s_int(a, v[1]), s_int(a, v[2]), s_int(a, v[3]),
            s_int(a, v[4]), s_int(a, v[2] + v[3]), s_pct(a, v[1], v[1] + v[2] + v[3]),
            s_int(a, v[5]), s_int(a, v[6]), s_int(a, v[7]), s_int(a, v[8]), s_yuan(a, v[9]),
            s_int(a, v[10]));
}

static int s_hq_complaints(hf_store_t *st, const char *arr, const rep_period_t *per, int64_t now_ms,
                           Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char f[11], t[11], now[24];
    hf_date_format(per->from, f);
    hf_date_format(per->to, t);
    const char *p[] = {arr, f, t, hf_pg_i64(now, now_ms)};
    return rep_summed_table(
        st, &REP_Q_HQ_COMPLAINTS, 4, p, 11, "complaints by branch",
        "branch,opened:int,resolved_in_time:int,resolved_late:int,open_overdue:int,open:int,"
        "breaches:int,in_time_pct:dec,escalations:int,returns_requested:int,"
        "returns_approved:int,returns_rejected:int,refunds:dec,word_of_mouth_risks:int",
        s_hq_complaints_row, r, a);
}

/* Orders, units, value and commission of every branch: each branch's rate in force in the
 * month, the commission rounded per agent as the branch's own report does. */
static int s_hq_sales(hf_store_t *st, const char *arr, const rep_period_t *per, size_t nb,
                      Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    char m[11];
    hf_date_format(per->from, m);
    const char *p[] = {arr, m};
    PGresult *res = hf_store_query(st, &REP_Q_HQ_SALES, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__ReportTable *tb =
        rep_table(a, r, "by branch",
                  "branch,orders:int,units:int,value:dec,rate_pct:dec,commission:dec", (int)nb + 1);
    int64_t to = 0, tu = 0, tv = 0, tc = 0;
    for (int i = 0; i < n;) {
        const char *branch = hf_pg_str(res, i, 0);
        int rate = (int)hf_pg_int(res, i, 1);
        int64_t o = 0, u = 0, v = 0, c = 0;
        for (; i < n && strcmp(hf_pg_str(res, i, 0), branch) == 0; i++) {
            int64_t av = hf_pg_int(res, i, 4);
            o += hf_pg_int(res, i, 2);
            u += hf_pg_int(res, i, 3);
            v += av;
            c += rep_commission(av, rate);
        }
        to += o;
        tu += u;
        tv += v;
        tc += c;
        rep_row(a, tb, branch, s_int(a, o), s_int(a, u), s_yuan(a, v),
                hf_arena_printf(a, "%d.%02d", rate / 100, rate % 100), s_yuan(a, c));
    }
    PQclear(res);
    rep_row(a, tb, "TOTAL", s_int(a, to), s_int(a, tu), s_yuan(a, tv), "", s_yuan(a, tc));
    return HF_OK;
}

int rep_report_hq(hf_store_t *st, const char *name, char *const *branches, size_t n,
                  const rep_period_t *per, int32_t today, int64_t now_ms, int days,
                  Huifang__V1__ReportResult *r, hf_arena_t *a)
{
    const char *arr = s_array(a, branches, n);
    if (strcmp(name, "agent-daily") == 0)
        return s_hq_agents(st, arr, per, r, a);
    if (strcmp(name, "branch-weekly") == 0) {
        int rc = s_hq_agents(st, arr, per, r, a);
        return rc != HF_OK ? rc : s_hq_steps(st, arr, per, today, r, a);
    }
    if (strcmp(name, "collection") == 0)
        return s_hq_collection(st, arr, per, r, a);
    if (strcmp(name, "repurchase") == 0)
        return s_hq_repurchase(st, arr, per, days, r, a);
    if (strcmp(name, "complaints") == 0)
        return s_hq_complaints(st, arr, per, now_ms, r, a);
    return s_hq_sales(st, arr, per, n, r, a);
}
