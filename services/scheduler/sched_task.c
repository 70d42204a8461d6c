/* sched_task: the task state machine — the one place where a task's state changes.
 *
 *   state      meaning
 *   planned    waiting to fall due (in Redis's due-index once indexed)
 *   assigned   in an agent's date bag for a day (agent, bag_date set)
 *   claimed    handed out by `task next`, held by its agent until logged, released, skipped
 *   paused     a sales step held by an open complaint
 *   done       worked (or skipped), final
 *   cancelled  will never be worked, final
 *
 *   from       to         who
 *   planned    planned    a do-not-disturb period moves it (sched_events.c sched_on_dnd_set);
 *                         a missed callback goes to the team (sched_house.c)
 *   planned    assigned   assignment of claimed due ids (sched_assign.c, set-based)
 *   planned    paused     assignment finds a complaint hold (sched_assign.c); a complaint
 *                         opened (sched_events.c)
 *   planned    cancelled  assignment finds the customer opted out (sched_assign.c); a plan
 *                         replaced, repurchased, returned, archived; a customer's tasks
 *                         cancelled (sched_common.c, sched_events.c, sched_house.c)
 *   assigned   planned    preempted (sched_assign.c); rolled out of an absent agent's bag
 *                         with no room (sched_assign.c); the agent deactivated, a dnd period
 *                         (sched_events.c); a missed callback (sched_house.c)
 *   assigned   assigned   an absent agent's bag moved to a colleague (sched_assign.c)
 *   assigned   claimed    `task next` (sched_cmd.c)
 *   assigned   paused     a complaint opened (sched_events.c)
 *   assigned   cancelled  as planned → cancelled
 *   claimed    planned    `task release` by a deactivated holder (sched_cmd.c); not answered,
 *                         tried again in the next window (sched_events.c); an absent
 *                         agent's held task with no room (sched_assign.c)
 *   claimed    assigned   `task release` (sched_cmd.c); an absent agent's held task moved to
 *                         a colleague (sched_assign.c)
 *   claimed    done       an outcome logged (sched_events.c), `task skip` (sched_cmd.c)
 *   planned    done       a letter logged as sent (sched_letters.c: letters never enter a bag)
 *   paused     planned    the last open complaint resolved (sched_events.c)
 *   paused     cancelled  as planned → cancelled
 *
 * Every move is one guarded UPDATE built here: `[WITH <with>] UPDATE task t SET state = <to>,
 * <set> [FROM <from>] WHERE (<where>) AND t.state IN (<from states>)`. The state names written
 * into the statement come from the table below, never from the caller; the caller's SET,
 * FROM and WHERE fragments are constant SQL with $n parameters, so values still travel as
 * parameters. A move the table does not allow is a programmer's error: it is refused (-1)
 * and logged, and nothing is written. Building the text costs a snprintf next to a round
 * trip, so the assignment's set-based UPDATE goes through here too.
 *
 * A move that asks for the tasks to be put into the due-index again (m->reindex: back to the
 * queue, re-dated) lists them in task_unindexed (migration 019) in the same statement:
 * `WITH [<with>,] task_moved AS (UPDATE ... RETURNING t.branch, t.id, t.channel), task_listed
 * AS (INSERT INTO task_unindexed ... ON CONFLICT (branch, id) DO UPDATE ...) SELECT count(*)
 * FROM task_moved`. It used to name `indexed = false` in its SET, which fired task's row
 * trigger once a task (a plpgsql call, a saved and restored search_path and an SPI insert per
 * row: 4.5-5.4 % of the scheduler's backends' CPU in the national day's 09:00 hour, and a
 * 700-task roll-over 16.4-17.9 ms against 13.9 ms on a store of 2,000,000 tasks, issue 14). The
 * same rows are listed (planned, not a letter) with the same DO UPDATE, which waits for a row the
 * index timer holds and lists the task again once the timer has deleted it; the trigger stays for
 * every other writer (an operator's `UPDATE task SET indexed = false`). */
#include "scheduler_internal.h"

/* ---------------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------------- */

typedef struct {
    const char *from;
    const char *to;
} s_move_t;

static const char *const s_states[] = {"planned", "assigned", "claimed",
                                       "paused",  "done",     "cancelled"};
#define S_NSTATES ((int)(sizeof s_states / sizeof s_states[0]))

static const s_move_t s_moves[] = {
    {"planned", "planned"},   {"planned", "assigned"}, {"planned", "paused"},
    {"planned", "cancelled"}, {"assigned", "planned"}, {"assigned", "assigned"},
    {"assigned", "claimed"},  {"assigned", "paused"},  {"assigned", "cancelled"},
    {"claimed", "planned"},   {"claimed", "assigned"}, {"claimed", "done"},
    {"paused", "planned"},    {"paused", "cancelled"}, {"planned", "done"},
};

/* The table's own spelling of a state name of length n, or NULL for an unknown one. */
static const char *s_state_name(const char *name, size_t n)
{
    for (int i = 0; i < S_NSTATES; i++)
        if (strlen(s_states[i]) == n && strncmp(s_states[i], name, n) == 0)
            return s_states[i];
    return NULL;
}

static bool s_allowed(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof s_moves / sizeof s_moves[0]; i++)
        if (strcmp(s_moves[i].from, from) == 0 && strcmp(s_moves[i].to, to) == 0)
            return true;
    return false;
}

bool sched_task_move_allowed(const char *from, const char *to)
{
    return from != NULL && to != NULL && s_allowed(from, to);
}

/* ---------------------------------------------------------------------------------------
 * The move
 * ------------------------------------------------------------------------------------- */

/* Writes the guard `t.state IN ('a', 'b')` for the comma-separated from_states into buf,
 * each checked against the table for a move to `to`; returns 0 or -1 (logged).
 *
 * keyed (the tasks named by their ids): `(t.state IN (...)) IS TRUE`. The same test (state is
 * never NULL) with the same estimate (the planner takes an IS TRUE's selectivity from its
 * argument, so a planned store's statistics say "most rows" as before), but no partial index
 * whose predicate names state can serve it: `state = 'planned'` matched task_branch_due, and
 * on a store whose task table had no statistics yet (a new store's first load, until an
 * autovacuum analyzes it) the planner took "planned" for 0.5 % of the rows and built a hash
 * of every planned task, read through that index, to join the assignment's few hundred ids
 * (200 ms a batch at 200,000 tasks, 13 % of the scheduler's backends in the national day's
 * 09:00 hour; tests/e2e/243_assign_keyed_plans.sh). */
static int s_guard(const char *from_states, const char *to, bool keyed, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "%st.state IN (", keyed ? "(" : "");
    int n = 0;
    const char *p = from_states;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e == p)
            break;
        const char *from = s_state_name(p, (size_t)(e - p));
        if (from == NULL || !s_allowed(from, to)) {
            hf_error("task_move_refused", "from=%.*s to=%s: not in the task state table",
                     (int)(e - p), p, to);
            return -1;
        }
        len +=
            (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s'%s'", n ? ", " : "", from);
        n++;
        p = e;
    }
    if (n == 0) {
        hf_error("task_move_refused", "from=(none) to=%s: no state to move from", to);
        return -1;
    }
    len += (size_t)snprintf(buf + len, len < size ? size - len : 0, keyed ? ")) IS TRUE" : ")");
    return len < size ? 0 : -1;
}

int64_t sched_task_move(hf_store_t *st, const char *from_states, const char *to,
                        const sched_move_t *m, int nparams, const char *const *params)
{
    const char *to_name = to ? s_state_name(to, strlen(to)) : NULL;
    if (from_states == NULL || to == NULL || m == NULL || m->where == NULL) {
        hf_error("task_move_refused", "from=%s to=%s: incomplete move",
                 from_states ? from_states : "", to ? to : "");
        return -1;
    }
    if (to_name == NULL) {
        hf_error("task_move_refused", "from=%s to=%s: not a task state", from_states, to);
        return -1;
    }
    if (m->reindex && strcmp(to_name, "planned") != 0) {
        hf_error("task_move_refused", "from=%s to=%s: only a planned task is indexed", from_states,
                 to_name);
        return -1;
    }
    char guard[128];
    if (s_guard(from_states, to_name, m->keyed, guard, sizeof guard) != 0)
        return -1;
    char sql[2048];
    int len;
    if (m->reindex)
        len = snprintf(sql, sizeof sql,
                       "WITH %s%stask_moved AS (UPDATE task t SET state = '%s'%s%s%s%s"
                       " WHERE (%s) AND %s RETURNING t.branch, t.id, t.channel),"
                       " task_listed AS (" SCHED_LIST_UNINDEXED(
                           "task_moved", "") ")"
                                             " SELECT count(*) FROM task_moved",
                       m->with ? m->with : "", m->with ? ", " : "", to_name, m->set ? ", " : "",
                       m->set ? m->set : "", m->from ? " FROM " : "", m->from ? m->from : "",
                       m->where, guard);
    else
        len = snprintf(sql, sizeof sql,
                       "%s%s%sUPDATE task t SET state = '%s'%s%s%s%s WHERE (%s) AND %s",
                       m->with ? "WITH " : "", m->with ? m->with : "", m->with ? " " : "", to_name,
                       m->set ? ", " : "", m->set ? m->set : "", m->from ? " FROM " : "",
                       m->from ? m->from : "", m->where, guard);
    if (len < 0 || (size_t)len >= sizeof sql) {
        hf_error("task_move_refused", "to=%s: statement too long", to_name);
        return -1;
    }
    /* not a named query (scheduler_sql.h): the text is put together here from the caller's
     * SET / FROM / WHERE pieces and the guard of the states it may move from, so there is no
     * one fixed named query; it goes as text (which the store prepares once a connection,
     * each text under a name of its own), its values still $n parameters */
    PGresult *res = hf_store_exec(st, sql, nparams, params);
    if (res == NULL)
        return -1;
    /* the count of the tasks moved: the UPDATE's own, or the one row of the listing form */
    int64_t n = m->reindex ? (PQntuples(res) == 1 ? hf_pg_int(res, 0, 0) : -1)
                           : strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (n < 0)
        hf_error("task_move_failed", "to=%s: no count of the tasks moved", to_name);
    return n;
}
