/* sched_assign: the due-index and the date bags.
 *
 * The index timer puts the tasks still to be put into Redis (the rows of task_unindexed,
 * migration 019, filled by task's triggers when a task is made planned or asked to be
 * re-indexed) into it, branch by branch (one pipelined put each). It locks the narrow rows
 * (SKIP LOCKED: two instances never both put a row), puts the tasks still planned, and deletes
 * the rows it read (those of tasks no longer planned too) in the transaction after the put: a
 * crash before the commit leaves them to be put again. It never writes task. A task asked to
 * be re-indexed while the timer holds its row waits for the timer's commit (the trigger's
 * ON CONFLICT DO UPDATE) and is listed again, so its new due time goes in after the old one.
 * When Redis was flushed or replaced (its epoch key is gone) every planned task is listed
 * again in one INSERT ... SELECT, which waits the same way for the rows an indexing
 * transaction holds, which closes the race where an id put into the old Redis would be
 * deleted from the list after the flush.
 *
 * The assignment timer claims due ids from each branch's sorted set with the atomic Lua script
 * and a lease, and assigns what it claimed from several branches (up to a batch) in one
 * transaction, a "lane" per branch: the tasks are locked (SKIP LOCKED: another instance may
 * hold one), sorted most urgent first, each given an agent of its role and region with room
 * today (sched_place), the room granted by one guarded UPDATE of all the agents' day counters
 * (never past the cap, whatever the other instances do), the tasks moved with one guarded
 * UPDATE ... WHERE state = 'planned', and their tasks_assigned events (one per branch and up to
 * SCHED_EVENT_TASKS tasks) appended to the outbox in one statement. What finds no room takes the
 * place of a less urgent task in today's bags, or rolls over to the next day one step more urgent
 * (a flexible step inside its window keeps its priority). Leases are acked after the commit; a
 * batch that fails leaves them to expire, and the reaper returns them.
 *
 * Instances share the work by branch: before claiming from a branch an instance takes its
 * work lock (a session advisory lock, tried, never waited for) and gives it back after the
 * commit, so two instances never queue behind each other's locks on the same agents' day
 * counters. The outbox's counter row still orders every instance's commits: that short tail
 * (the events' insert and the commit) is the part of a batch that does not run in parallel. */
#include "hf_outbox_batch.h"
#include "scheduler_internal.h"
#include "scheduler_sql.h"

#define INDEX_BATCH 1000
#define INDEX_ROUNDS (SCHED_INDEX_ROUND / INDEX_BATCH)
#define REAP_EVERY_MS 1000
/* Branches tried for their work lock in one statement. */
#define LOCK_CHUNK 8
/* Preemptions tried per batch: each one costs two statements. */
#define MAX_PREEMPT 64
/* Tasks in one TasksAssigned event: its JSON (a console's live stream, `events tail`) stays
 * well under the gateway's queue of a stream (S_MAX_QUEUE, 256 KiB). */
#define SCHED_EVENT_TASKS 100

/* ---------------------------------------------------------------------------------------
 * The due-index
 * ------------------------------------------------------------------------------------- */

typedef struct {
    int64_t id, due;
    const char *branch; /* the task's: where it is put */
} s_index_row_t;

static int s_cmp_branch(const void *pa, const void *pb)
{
    const s_index_row_t *a = pa, *b = pb;
    return strcmp(a->branch, b->branch);
}

/* The list's rows are deleted as they are put, so a load leaves its whole size behind as dead
 * rows, and the batch's read walks the pages of their (killed) index entries at every tick
 * until a VACUUM takes them away: 1,073 buffers and 2.4 ms a run, 284 runs, through the
 * national day at a tenth of the chain after its load of 200,000 tasks, autovacuum's next
 * visit being a minute or more away. So once the list is drained after at least
 * SCHED_INDEX_ROUND deletions, this instance vacuums it: a narrow table, ~0.5 ms per thousand
 * dead rows (90 ms after 200,000 on a loaded VM; the read then touches a few buffers, not 843),
 * once a burst; SKIP_LOCKED: not while another instance or autovacuum is at it. A failure is
 * logged and changes nothing. */
static void s_vacuum_unindexed(hf_store_t *st, sched_t *self)
{
    if (self->unindexed_deleted < SCHED_INDEX_ROUND)
        return;
    self->unindexed_deleted = 0;
    if (hf_store_script(st, SCHED_Q_VACUUM_UNINDEXED.sql) != 0)
        hf_warn("index_vacuum_failed", "reason=\"%s\"", hf_store_error(st));
}

int sched_index(hf_service_t *svc, void *selfp)
{
    sched_t *self = selfp;
    hf_store_t *st = hf_service_store(svc);
    bool epoch_ok = false;
    if (hf_queue_epoch_ok(self->queue, &epoch_ok) != 0) {
        if (self->queue_ok)
            hf_warn("redis_unavailable", "reason=\"%s\"", hf_queue_error(self->queue));
        self->queue_ok = false;
        return -1;
    }
    if (!self->queue_ok)
        hf_info("redis_available", "%s", "");
    self->queue_ok = true;
    if (!epoch_ok) {
        /* Redis is new, flushed or replaced: everything planned goes back in (every planned
         * task, listed or not: see the comment at the top) */
        PGresult *res = hf_store_query(st, &SCHED_Q_REINDEX_PLANNED, 0, NULL);
        if (res == NULL)
            return -1;
        long long marked = (long long)hf_pg_int(res, 0, 0);
        PQclear(res);
        if (hf_queue_mark_epoch(self->queue) != 0)
            return -1;
        hf_info("index_rebuild", "reason=\"redis epoch missing\" tasks=%lld", marked);
    }
    int total = 0;
    s_index_row_t *rows = malloc(sizeof *rows * INDEX_BATCH);
    int64_t *ids = malloc(sizeof *ids * INDEX_BATCH), *dues = malloc(sizeof *dues * INDEX_BATCH);
    const char **keys = malloc(sizeof *keys * INDEX_BATCH);
    hf_arena_t *a = hf_arena_new();
    if (rows == NULL || ids == NULL || dues == NULL || keys == NULL) {
        total = -1;
        goto cleanup;
    }
    for (int round = 0; round < INDEX_ROUNDS; round++) {
        if (hf_store_begin(st) != 0) {
            hf_warn("index_failed", "reason=\"%s\"", hf_store_error(st));
            total = -1;
            break;
        }
        PGresult *res = hf_store_query(st, &SCHED_Q_UNINDEXED_BATCH, 0, NULL);
        if (res == NULL) {
            hf_warn("index_failed", "reason=\"%s\"", hf_store_error(st));
            hf_store_rollback(st);
            total = -1;
            break;
        }
        int n = PQntuples(res), nlive = 0;
        /* the list's rows, to delete after the put (all of them: a dead one is dropped) */
        for (int i = 0; i < n; i++) {
            keys[i] = hf_pg_str(res, i, 5); /* its ctid */
            if (hf_pg_bool(res, i, 3))      /* still planned, not a letter: put */
                rows[nlive++] = (s_index_row_t){hf_pg_int(res, i, 0), hf_pg_int(res, i, 2),
                                                hf_pg_str(res, i, 4)};
        }
        const char *p[] = {sched_text_array_a(a, keys, (size_t)n)};
        /* in branch order already (the list's key): a put per branch, mostly one per round */
        qsort(rows, (size_t)nlive, sizeof *rows, s_cmp_branch);
        int rc = 0;
        for (int i = 0; i < nlive && rc == 0;) {
            /* one pipelined put per run of the same branch */
            int j = i;
            while (j < nlive && strcmp(rows[j].branch, rows[i].branch) == 0) {
                ids[j - i] = rows[j].id;
                dues[j - i] = rows[j].due;
                j++;
            }
            rc = hf_queue_put_many(self->queue, rows[i].branch, ids, dues, j - i);
            i = j;
        }
        bool redis_failed = rc != 0;
        if (redis_failed)
            hf_warn("index_failed", "reason=\"%s\"", hf_queue_error(self->queue));
        if (rc == 0 && n > 0)
            rc = hf_store_query_run(st, &SCHED_Q_MARK_INDEXED, 1, p);
        PQclear(res);
        hf_arena_reset(a);
        if (rc != 0) {
            if (!redis_failed)
                hf_warn("index_failed", "reason=\"%s\"", hf_store_error(st));
            hf_store_rollback(st);
            total = -1;
            break;
        }
        if (hf_store_commit(st) != 0) {
            hf_warn("index_failed", "reason=\"%s\"", hf_store_error(st));
            total = -1;
            break;
        }
        total += n;
        self->unindexed_deleted += n;
        if (n < INDEX_BATCH) {
            s_vacuum_unindexed(st, self);
            break;
        }
    }
cleanup:
    free(rows);
    free(ids);
    free(dues);
    free(keys);
    hf_arena_destroy(&a);
    return total;
}

/* ---------------------------------------------------------------------------------------
 * Agents and their room
 *
 * A lane is one branch's share of a transaction: its day, its agents, its items. Claims from
 * many branches go into one transaction (one lane each), so that the statements per batch do
 * not multiply with the branches: a hundred branches with ten due tasks each cost what one
 * branch with a thousand does.
 * ------------------------------------------------------------------------------------- */

typedef struct {
    const char *branch;
    const char *tz;
    const char *windows;
    int32_t today;
    char day[11];
    sched_agent_t *agents;
    int nagents;
    sched_item_t *items;
    int nitems;
    const int64_t *ids; /* claimed from Redis */
    int nids;
    int64_t *done; /* ids whose leases may go once the transaction commits */
    int ndone;
} s_lane_t;

/* Loads the agents who work in each lane's branch on its day (active, not absent). */
static int s_load_lanes(hf_store_t *st, s_lane_t *lanes, int nlanes, hf_arena_t *a)
{
    const char **branches = hf_new_array(a, const char *, nlanes);
    const char **days = hf_new_array(a, const char *, nlanes);
    for (int i = 0; i < nlanes; i++) {
        branches[i] = lanes[i].branch;
        days[i] = lanes[i].day;
        lanes[i].nagents = 0;
    }
    const char *p[] = {sched_text_array_a(a, branches, (size_t)nlanes),
                       sched_text_array_a(a, days, (size_t)nlanes)};
    PGresult *res = hf_store_query(st, &SCHED_Q_LOAD_LANES, 2, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++)
        lanes[hf_pg_int(res, r, 0) - 1].nagents++;
    for (int i = 0; i < nlanes; i++) {
        lanes[i].agents =
            hf_new_array(a, sched_agent_t, lanes[i].nagents > 0 ? lanes[i].nagents : 1);
        lanes[i].nagents = 0;
    }
    for (int r = 0; r < n; r++) {
        s_lane_t *l = &lanes[hf_pg_int(res, r, 0) - 1];
        sched_agent_t *g = &l->agents[l->nagents++];
        snprintf(g->id, sizeof g->id, "%s", hf_pg_str(res, r, 1));
        snprintf(g->role, sizeof g->role, "%s", hf_pg_str(res, r, 2));
        snprintf(g->regions, sizeof g->regions, "%s", hf_pg_str(res, r, 3));
        g->cap[SCHED_CALL] = (int)hf_pg_int(res, r, 4);
        g->cap[SCHED_VISIT] = (int)hf_pg_int(res, r, 5);
        g->used[SCHED_CALL] = (int)hf_pg_int(res, r, 6);
        g->used[SCHED_VISIT] = (int)hf_pg_int(res, r, 7);
        g->has_day = hf_pg_bool(res, r, 8);
    }
    PQclear(res);
    return 0;
}

int sched_load_agents(hf_store_t *st, const char *branch, const char *day, sched_agent_t **out,
                      hf_arena_t *a)
{
    s_lane_t lane = {.branch = branch};
    snprintf(lane.day, sizeof lane.day, "%s", day);
    if (s_load_lanes(st, &lane, 1, a) != 0)
        return -1;
    *out = lane.agents;
    return lane.nagents;
}

/* Places every lane's items and has the store grant the room, in up to four rounds; what is
 * left has agent -1. Returns the count left, or -1. */
static int s_reserve_lanes(hf_store_t *st, s_lane_t *lanes, int nlanes, hf_arena_t *a)
{
    int total = 0, left = 0;
    for (int i = 0; i < nlanes; i++)
        total += lanes[i].nagents;
    /* one row per agent that got something: branch, agent, day, want and forced counts */
    const char **wb = hf_new_array(a, const char *, total + 1);
    const char **wa = hf_new_array(a, const char *, total + 1);
    const char **wd = hf_new_array(a, const char *, total + 1);
    int64_t *w[4];
    for (int k = 0; k < 4; k++)
        w[k] = hf_new_array(a, int64_t, total + 1);
    sched_agent_t **who = hf_new_array(a, sched_agent_t *, total + 1);
    for (int i = 0; i < nlanes; i++)
        left += lanes[i].nitems;
    for (int round = 0; round < 4 && left > 0; round++) {
        int placed = 0, n = 0;
        bool need_rows = false;
        for (int i = 0; i < nlanes; i++)
            placed +=
                sched_place(lanes[i].agents, lanes[i].nagents, lanes[i].items, lanes[i].nitems);
        if (placed == 0)
            break;
        for (int i = 0; i < nlanes; i++)
            for (int j = 0; j < lanes[i].nagents; j++) {
                sched_agent_t *g = &lanes[i].agents[j];
                if (g->want[0] + g->want[1] + g->forced[0] + g->forced[1] == 0)
                    continue;
                wb[n] = lanes[i].branch;
                wa[n] = g->id;
                wd[n] = lanes[i].day;
                w[0][n] = g->want[0];
                w[1][n] = g->want[1];
                w[2][n] = g->forced[0];
                w[3][n] = g->forced[1];
                who[n] = g;
                need_rows |= !g->has_day;
                n++;
            }
        const char *pk[] = {sched_text_array_a(a, wb, (size_t)n),
                            sched_text_array_a(a, wa, (size_t)n),
                            sched_text_array_a(a, wd, (size_t)n)};
        if (need_rows &&
            hf_store_query_run(st, &SCHED_Q_RESERVE_LANES_AGENT_DAY_INSERT, 3, pk) != 0)
            return -1;
        /* the counters are locked in (branch, agent) order, the same in every instance */
        PGresult *res = hf_store_query(st, &SCHED_Q_RESERVE_LANES_AGENT_DAY, 3, pk);
        if (res == NULL)
            return -1;
        PQclear(res);
        const char *pu[] = {pk[0],
                            pk[1],
                            pk[2],
                            sched_int_array_a(a, w[0], (size_t)n),
                            sched_int_array_a(a, w[1], (size_t)n),
                            sched_int_array_a(a, w[2], (size_t)n),
                            sched_int_array_a(a, w[3], (size_t)n)};
        /* the capacity guard: the counters move only up to the cap (callbacks promised by an
         * agent go over it), and granted_* tell how much of the wish came true */
        res = hf_store_query(st, &SCHED_Q_RESERVE_LANES_AGENT_DAY_UPDATE, 7, pu);
        if (res == NULL)
            return -1;
        bool *seen = hf_new_array(a, bool, n + 1);
        /* granted per agent, by lane: the lanes' agent arrays are in their own order */
        for (int r = 0; r < PQntuples(res); r++) {
            int k = (int)hf_pg_int(res, r, 0) - 1;
            if (k < 0 || k >= n)
                continue;
            seen[k] = true;
            sched_agent_t *g = who[k];
            g->has_day = true;
            g->used[0] = (int)hf_pg_int(res, r, 3);
            g->used[1] = (int)hf_pg_int(res, r, 4);
            /* kept in want until the trim below reads it */
            g->want[0] = (int)hf_pg_int(res, r, 1);
            g->want[1] = (int)hf_pg_int(res, r, 2);
        }
        PQclear(res);
        for (int k = 0; k < n; k++)
            if (!seen[k]) {
                /* gone meanwhile (deactivated): nothing for them this round or later */
                who[k]->used[0] = who[k]->cap[0];
                who[k]->used[1] = who[k]->cap[1];
                who[k]->want[0] = who[k]->want[1] = 0;
            }
        left = 0;
        for (int i = 0; i < nlanes; i++) {
            s_lane_t *l = &lanes[i];
            int(*granted)[2] = hf_arena_alloc(a, sizeof(int[2]) * (size_t)(l->nagents + 1));
            /* an agent not asked this round has want 0: granted nothing */
            for (int j = 0; j < l->nagents; j++) {
                granted[j][0] = l->agents[j].want[0];
                granted[j][1] = l->agents[j].want[1];
            }
            left += sched_place_trim(l->agents, l->nagents, l->items, l->nitems,
                                     (const int(*)[2])granted);
        }
    }
    return left;
}

int sched_reserve(hf_store_t *st, const char *branch, const char *day, sched_agent_t *agents,
                  int nagents, sched_item_t *items, int nitems, hf_arena_t *a)
{
    s_lane_t lane = {
        .branch = branch, .agents = agents, .nagents = nagents, .items = items, .nitems = nitems};
    snprintf(lane.day, sizeof lane.day, "%s", day);
    return s_reserve_lanes(st, &lane, 1, a);
}

/* ---------------------------------------------------------------------------------------
 * One claimed batch: the ids claimed from several branches, in one transaction
 * ------------------------------------------------------------------------------------- */

enum { A_ASSIGN, A_MOVE, A_CANCEL, A_PAUSE, A_REINDEX, A_WRITTEN, A_DROP };

typedef struct {
    Huifang__V1__Task *task;
    s_lane_t *lane;
    int action;
    const char *agent; /* A_ASSIGN: who */
    int64_t new_due;   /* A_MOVE */
    int new_priority;  /* A_MOVE */
    int64_t latest_at;
    const char *windows; /* effective call windows */
} s_claimed_t;

/* The next day's first window for a task that found no room, one step more urgent (up to
 * the cap) unless it is a flexible step still inside its window. */
static void s_roll(s_claimed_t *c)
{
    int64_t next = sched_day_start(c->lane->today + 1, c->windows, c->lane->tz);
    int prio = c->task->priority;
    if (prio < SCHED_ROLL_CAP) {
        prio += sched_roll_bump(next, c->latest_at);
        if (prio > SCHED_ROLL_CAP)
            prio = SCHED_ROLL_CAP;
    }
    c->action = A_MOVE;
    c->new_due = next;
    c->new_priority = prio;
}

/* WeChat tasks (issue 16) are worked like calls, by an agent of their role through `task next`
 * and `call log`, but a message is not a call: they are placed on a copy of the lane's
 * agents without caps, so the capacity guard's counters (agent_day) never count them and the
 * phone capacity stays whole. The least loaded agent of the role still gets each (load as
 * the counters say); one with no agent of its role rolls over like a call with no room. */
static void s_place_written(s_lane_t *lanes, int nlanes, s_claimed_t *cl, int nrows, hf_arena_t *a)
{
    for (int i = 0; i < nlanes; i++) {
        s_lane_t *l = &lanes[i];
        int n = 0;
        for (int r = 0; r < nrows; r++)
            n += cl[r].action == A_WRITTEN && cl[r].lane == l;
        if (n == 0)
            continue;
        sched_agent_t *free_agents = hf_new_array(a, sched_agent_t, l->nagents + 1);
        for (int j = 0; j < l->nagents; j++) {
            free_agents[j] = l->agents[j];
            free_agents[j].cap[SCHED_CALL] = free_agents[j].cap[SCHED_VISIT] = 1 << 28;
            free_agents[j].want[0] = free_agents[j].want[1] = 0;
            free_agents[j].forced[0] = free_agents[j].forced[1] = 0;
        }
        sched_item_t *items = hf_new_array(a, sched_item_t, n);
        int k = 0;
        for (int r = 0; r < nrows; r++) {
            if (cl[r].action != A_WRITTEN || cl[r].lane != l)
                continue;
            const Huifang__V1__Task *t = cl[r].task;
            items[k++] = (sched_item_t){
                t->id,      t->priority, t->due_at_ms, t->role, t->region, t->reserved_agent,
                SCHED_CALL, -1,          false,        false,   r};
        }
        sched_items_sort(items, n);
        sched_place(free_agents, l->nagents, items, n);
        for (k = 0; k < n; k++) {
            s_claimed_t *c = &cl[items[k].ref];
            if (items[k].agent >= 0) {
                c->action = A_ASSIGN;
                c->agent = l->agents[items[k].agent].id;
            } else {
                s_roll(c);
            }
        }
    }
}

typedef struct {
    const s_lane_t *lane;
    char role[16];
    int kind;
    int below; /* no victim with priority below this one */
} s_no_victim_t;

/* Finds today's least urgent assigned (not yet claimed) task that c may take the place of,
 * moves it back to planned for the next day, and gives c its agent. 1 when done, 0 when
 * there is none, -1 on error. */
static int s_preempt(hf_store_t *st, s_claimed_t *c, hf_arena_t *a)
{
    const Huifang__V1__Task *t = c->task;
    const s_lane_t *l = c->lane;
    char prio[16], due[24], at[24];
    const char *p[] = {l->branch,
                       l->day,
                       hf_pg_i64(prio, t->priority),
                       t->role,
                       strcmp(t->channel, "visit") == 0 ? "true" : "false",
                       S(t->region)};
    PGresult *res = hf_store_query(st, &SCHED_Q_PREEMPT, 6, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    char victim[24];
    snprintf(victim, sizeof victim, "%s", hf_pg_str(res, 0, 0));
    const char *agent = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
    char windows[256];
    sched_windows_effective(l->windows, hf_pg_str(res, 0, 2), windows, sizeof windows);
    PQclear(res);
    const char *pv[] = {victim, hf_pg_i64(due, sched_day_start(l->today + 1, windows, l->tz)),
                        hf_pg_i64(at, hf_clock_now_ms())};
    if (sched_task_move(st, "assigned", "planned",
                        &(sched_move_t){.set = "agent = '', bag_date = NULL, due_at_ms = $2,"
                                               " priority = least(priority + 1, 49),"
                                               " updated_at_ms = $3, outcome = 'preempted'",
                                        .where = "id = $1",
                                        .reindex = true},
                        3, pv) < 0)
        return -1;
    hf_info("task_preempted", "task=%s by=%lld agent=%s", victim, (long long)t->id, agent);
    c->action = A_ASSIGN;
    c->agent = agent;
    return 1;
}

/* Sorts lanes' pointers by branch, for the lookups below. */
static int s_cmp_lane(const void *pa, const void *pb)
{
    return strcmp((*(s_lane_t *const *)pa)->branch, (*(s_lane_t *const *)pb)->branch);
}

static s_lane_t *s_find_lane(s_lane_t **sorted, int n, const char *branch)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(sorted[mid]->branch, branch);
        if (c == 0)
            return sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static int s_cmp_id(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* THE WEEKLY CONTACT CAP (sched_cap.c): every task of every origin passes here on its way
 * into a bag, after the opt-out, do-not-disturb, complaint and window checks decided it is
 * to be placed (action -1) and before it is placed. One over the cap moves to the first
 * window of the next Monday, priority kept (A_MOVE); an occasion's greeting is dropped
 * (A_DROP: cancelled, outcome "dropped: weekly contact cap"). 0 or -1. */
static int s_hold_over_cap(hf_store_t *st, s_claimed_t *cl, int nrows, hf_arena_t *a)
{
    sched_cap_item_t *ci = hf_new_array(a, sched_cap_item_t, nrows + 1);
    int *ref = hf_new_array(a, int, nrows + 1);
    int nci = 0;
    for (int i = 0; i < nrows; i++) {
        if (cl[i].action != -1)
            continue;
        const Huifang__V1__Task *t = cl[i].task;
        ci[nci] = (sched_cap_item_t){.id = t->id,
                                     .customer_id = t->customer_id,
                                     .branch = t->branch,
                                     .day = cl[i].lane->today,
                                     .origin = t->origin,
                                     .channel = t->channel,
                                     .priority = t->priority};
        ref[nci++] = i;
    }
    if (sched_cap_check(st, ci, nci, a) < 0)
        return -1;
    for (int k = 0; k < nci; k++) {
        s_claimed_t *c = &cl[ref[k]];
        if (!ci[k].over)
            continue;
        if (strcmp(c->task->origin, "occasion") == 0) {
            c->action = A_DROP;
        } else {
            c->action = A_MOVE;
            c->new_due = sched_day_start(ci[k].next_day, c->windows, c->lane->tz);
            c->new_priority = c->task->priority;
        }
    }
    return 0;
}

/* 2. what becomes of a locked task before placing: re-indexed (postponed meanwhile),
 * cancelled (opted out), moved (do not disturb, or the customer's own windows closed),
 * paused (a complaint holds a sales task), or -1: to place */
static void s_decide(s_claimed_t *c, bool opted_out, int32_t dnd, bool held, int64_t now)
{
    const Huifang__V1__Task *t = c->task;
    const s_lane_t *l = c->lane;
    if (t->due_at_ms > now + 1000) {
        c->action = A_REINDEX; /* postponed meanwhile: the index puts it at its new time */
    } else if (opted_out) {
        c->action = A_CANCEL;
    } else if (dnd >= l->today) {
        c->action = A_MOVE;
        c->new_due = sched_day_start(dnd + 1, c->windows, l->tz);
        c->new_priority = t->priority;
    } else if (held && sched_is_sales(t->purpose)) {
        c->action = A_PAUSE;
    } else if (strcmp(t->channel, "phone") == 0 && strcmp(t->origin, "callback") != 0 &&
               strcmp(c->windows, l->windows) != 0 && !sched_in_window(now, c->windows, l->tz)) {
        /* the customer's own windows are closed now: the bag takes it when they open (a
         * callback keeps the time the customer asked for) */
        c->action = A_MOVE;
        c->new_due = sched_next_window(now, c->windows, l->tz);
        c->new_priority = t->priority;
    } else if (sched_channel_written(t->channel)) {
        c->action = A_WRITTEN; /* a WeChat message: placed apart (s_place_written) */
    } else {
        c->action = -1; /* to place */
    }
}

/* ---- assigning the claimed ids, step by step ----
 *
 * s_assign_lanes() runs the numbered steps below in one transaction; each reads what the
 * ones before it left in the batch. A step returns 0, or -1 when the transaction is to be
 * given up (the leases return the tasks). */

typedef struct {
    hf_service_t *svc;
    hf_store_t *st;
    s_lane_t *lanes;
    int nlanes;
    s_lane_t **sorted; /* the lanes by branch */
    int64_t now;
    hf_arena_t *a;
    int n;              /* ids claimed from Redis, in all lanes */
    const char *idlist; /* all of them, as an array literal */
    s_claimed_t *cl;    /* from step 1: the planned tasks locked, in id order */
    int nrows;
    int64_t *got;                /* their ids */
    int nmv, ncn, npa, nri, nas; /* from step 5: moved, cancelled, paused, re-indexed, assigned */
} s_assign_t;

/* 1. lock the claimed tasks that are still planned (another instance's are skipped) */
static int s_lock_claimed(s_assign_t *as)
{
    const char *p1[] = {as->idlist};
    PGresult *res = hf_store_query(as->st, &SCHED_Q_LOCK_CLAIMED, 1, p1);
    if (res == NULL)
        return -1;
    as->nrows = PQntuples(res);
    as->cl = hf_new_array(as->a, s_claimed_t, as->nrows + 1);
    as->got = hf_new_array(as->a, int64_t, as->nrows + 1);
    for (int i = 0; i < as->nrows; i++) {
        s_claimed_t *c = &as->cl[i];
        Huifang__V1__Task *t = sched_task_from_row(res, i, as->a);
        as->got[i] = t->id;
        c->lane = s_find_lane(as->sorted, as->nlanes, t->branch);
        c->task = t;
        c->action = A_REINDEX; /* without a lane (cannot be: ids are claimed per branch) */
        if (c->lane == NULL)
            continue;
        sched_task_windows(t, c->lane->windows, as->a);
        c->windows = t->windows;
        c->latest_at = t->latest_at_ms;
        bool opted_out = hf_pg_bool(res, i, TASK_NCOLUMNS);
        int32_t dnd = -1;
        if (*hf_pg_str(res, i, TASK_NCOLUMNS + 1))
            hf_date_parse(hf_pg_str(res, i, TASK_NCOLUMNS + 1), &dnd);
        bool held = hf_pg_bool(res, i, TASK_NCOLUMNS + 2);
        if (hf_pg_int(res, i, TASK_NCOLUMNS + 3) > 0)
            t->reserved_agent = ""; /* a missed callback belongs to the team now */
        c->lane->done[c->lane->ndone++] = t->id;
        s_decide(c, opted_out, dnd, held, as->now);
    }
    PQclear(res);
    return 0;
}

/* 3. ids not returned: cancelled, assigned or gone (stale: their leases go), or locked by
 * someone else right now (their leases stay until the reaper returns them) */
static int s_drop_stale_ids(s_assign_t *as)
{
    if (as->nrows >= as->n)
        return 0;
    const char *p1[] = {as->idlist};
    PGresult *res = hf_store_query(as->st, &SCHED_Q_DROP_STALE_IDS, 1, p1);
    if (res == NULL)
        return -1;
    int nlocked = PQntuples(res);
    int64_t *locked = hf_new_array(as->a, int64_t, nlocked + 1);
    for (int r = 0; r < nlocked; r++)
        locked[r] = hf_pg_int(res, r, 0);
    PQclear(res);
    for (int i = 0; i < as->nlanes; i++) {
        s_lane_t *l = &as->lanes[i];
        for (int j = 0; j < l->nids; j++) {
            int64_t id = l->ids[j];
            if (bsearch(&id, as->got, (size_t)as->nrows, sizeof id, s_cmp_id) == NULL &&
                bsearch(&id, locked, (size_t)nlocked, sizeof id, s_cmp_id) == NULL)
                l->done[l->ndone++] = id;
        }
    }
    return 0;
}

/* 4. place the rest, most urgent first, lane by lane, in the agents' room */
static int s_place_claimed(s_assign_t *as)
{
    for (int i = 0; i < as->nlanes; i++)
        as->lanes[i].items = hf_new_array(as->a, sched_item_t, as->lanes[i].nids + 1);
    for (int i = 0; i < as->nrows; i++) {
        if (as->cl[i].action != -1)
            continue;
        const Huifang__V1__Task *t = as->cl[i].task;
        s_lane_t *l = as->cl[i].lane;
        l->items[l->nitems++] =
            (sched_item_t){t->id,
                           t->priority,
                           t->due_at_ms,
                           t->role,
                           t->region,
                           t->reserved_agent,
                           strcmp(t->channel, "visit") == 0 ? SCHED_VISIT : SCHED_CALL,
                           -1,
                           false,
                           false,
                           i};
    }
    for (int i = 0; i < as->nlanes; i++)
        sched_items_sort(as->lanes[i].items, as->lanes[i].nitems);
    return s_reserve_lanes(as->st, as->lanes, as->nlanes, as->a) < 0 ? -1 : 0;
}

/* 5. a placed task gets its agent; one without room takes the place of something less
 * urgent (at most MAX_PREEMPT tries a batch, none again where one found no victim), else
 * rolls over to the next day */
static int s_assign_or_roll(s_assign_t *as)
{
    s_no_victim_t none[16];
    int nnone = 0, npreempt = 0;
    for (int i = 0; i < as->nlanes; i++) {
        s_lane_t *l = &as->lanes[i];
        for (int k = 0; k < l->nitems; k++) {
            s_claimed_t *c = &as->cl[l->items[k].ref];
            if (l->items[k].agent >= 0) {
                c->action = A_ASSIGN;
                c->agent = l->agents[l->items[k].agent].id;
                continue;
            }
            bool skip = npreempt >= MAX_PREEMPT;
            for (int x = 0; x < nnone && !skip; x++)
                skip = none[x].lane == l && strcmp(none[x].role, c->task->role) == 0 &&
                       none[x].kind == l->items[k].kind && c->task->priority <= none[x].below;
            int won = 0;
            if (!skip) {
                npreempt++;
                won = s_preempt(as->st, c, as->a);
                if (won < 0)
                    return -1;
                if (won == 0 && nnone < 16) {
                    none[nnone].lane = l;
                    snprintf(none[nnone].role, sizeof none[nnone].role, "%s", c->task->role);
                    none[nnone].kind = l->items[k].kind;
                    none[nnone].below = c->task->priority;
                    nnone++;
                }
            }
            if (won == 0)
                s_roll(c);
        }
    }
    s_place_written(as->lanes, as->nlanes, as->cl, as->nrows, as->a);
    return 0;
}

/* 6. write what was decided for those not assigned: moved, cancelled, paused, re-indexed */
static int s_write_unassigned(s_assign_t *as)
{
    hf_arena_t *a = as->a;
    int nrows = as->nrows;
    int64_t *mv_id = hf_new_array(a, int64_t, nrows + 1),
            *mv_due = hf_new_array(a, int64_t, nrows + 1),
            *mv_pr = hf_new_array(a, int64_t, nrows + 1), *cn = hf_new_array(a, int64_t, nrows + 1),
            *pa = hf_new_array(a, int64_t, nrows + 1), *ri = hf_new_array(a, int64_t, nrows + 1),
            *dr = hf_new_array(a, int64_t, nrows + 1);
    int nmv = 0, ncn = 0, npa = 0, nri = 0, ndr = 0;
    for (int i = 0; i < nrows; i++) {
        s_claimed_t *c = &as->cl[i];
        switch (c->action) {
        case A_MOVE:
            mv_id[nmv] = c->task->id;
            mv_due[nmv] = c->new_due;
            mv_pr[nmv++] = c->new_priority;
            break;
        case A_CANCEL:
            cn[ncn++] = c->task->id;
            break;
        case A_PAUSE:
            pa[npa++] = c->task->id;
            break;
        case A_REINDEX:
            ri[nri++] = c->task->id;
            break;
        case A_DROP:
            dr[ndr++] = c->task->id;
            break;
        default:
            break;
        }
    }
    as->nmv = nmv, as->ncn = ncn, as->npa = npa, as->nri = nri;
    char at[24];
    hf_pg_i64(at, hf_clock_now_ms());
    if (nmv) {
        /* the state stays planned: only when and how urgent */
        const char *p[] = {sched_int_array_a(a, mv_id, (size_t)nmv), at,
                           sched_int_array_a(a, mv_due, (size_t)nmv),
                           sched_int_array_a(a, mv_pr, (size_t)nmv)};
        if (hf_store_query_run(as->st, &SCHED_Q_WRITE_UNASSIGNED_TASK_UPDATE, 4, p) != 0)
            return -1;
    }
    if (ncn) {
        const char *p[] = {sched_int_array_a(a, cn, (size_t)ncn), at};
        if (sched_task_move(as->st, "planned", "cancelled",
                            &(sched_move_t){.set = "outcome = 'opted-out', updated_at_ms = $2",
                                            .where = "id = ANY ($1::bigint[])",
                                            .keyed = true},
                            2, p) < 0)
            return -1;
    }
    if (ndr) {
        const char *p[] = {sched_int_array_a(a, dr, (size_t)ndr), at};
        if (sched_task_move(
                as->st, "planned", "cancelled",
                &(sched_move_t){.set =
                                    "outcome = 'dropped: weekly contact cap', updated_at_ms = $2",
                                .where = "id = ANY ($1::bigint[])",
                                .keyed = true},
                2, p) < 0)
            return -1;
    }
    if (npa) {
        const char *p[] = {sched_int_array_a(a, pa, (size_t)npa), at};
        if (sched_task_move(
                as->st, "planned", "paused",
                &(sched_move_t){.set = "outcome = 'paused: complaint', updated_at_ms = $2",
                                .where = "id = ANY ($1::bigint[])",
                                .keyed = true},
                2, p) < 0)
            return -1;
    }
    if (nri) {
        const char *p[] = {sched_int_array_a(a, ri, (size_t)nri)};
        if (hf_store_query_run(as->st, &SCHED_Q_WRITE_UNASSIGNED_TASK_UPDATE_2, 1, p) != 0)
            return -1;
    }
    return 0;
}

/* 7. the assigned: into their agents' bags of the lane's day, and one TasksAssigned per lane
 * (up to SCHED_EVENT_TASKS tasks each) */
static int s_write_assigned(s_assign_t *as)
{
    hf_arena_t *a = as->a;
    int nrows = as->nrows, nas = 0;
    int64_t *ids = hf_new_array(a, int64_t, nrows + 1);
    const char **as_agent = hf_new_array(a, const char *, nrows + 1);
    const char **as_day = hf_new_array(a, const char *, nrows + 1);
    for (int i = 0; i < nrows; i++) {
        s_claimed_t *c = &as->cl[i];
        if (c->action != A_ASSIGN)
            continue;
        ids[nas] = c->task->id;
        as_agent[nas] = c->agent;
        as_day[nas++] = c->lane->day;
    }
    if (nas == 0)
        return 0;
    int64_t assigned_at = hf_clock_now_ms();
    char asat[24];
    const char *p[] = {sched_int_array_a(a, ids, (size_t)nas),
                       sched_text_array_a(a, as_day, (size_t)nas), hf_pg_i64(asat, assigned_at),
                       sched_text_array_a(a, as_agent, (size_t)nas)};
    int64_t updated = sched_task_move(
        as->st, "planned", "assigned",
        &(sched_move_t){.set = "agent = u.a, bag_date = u.d::date, assigned_at_ms = $3,"
                               " updated_at_ms = $3",
                        .from = "unnest($1::bigint[], $2::text[], $4::text[]) AS u(id, d, a)",
                        .where = "t.id = u.id",
                        .keyed = true},
        4, p);
    if (updated < 0)
        return -1;
    if (updated != nas) {
        /* cannot happen while the rows are locked; refuse to emit a wrong story */
        hf_error("assign_mismatch", "wanted=%d updated=%lld", nas, (long long)updated);
        return -1;
    }
    /* one TasksAssigned per lane (the envelope's branch), SCHED_EVENT_TASKS tasks at most */
    hf_envelope_t **envs = hf_new_array(a, hf_envelope_t *, nas);
    int ne = 0;
    for (int i = 0; i < as->nlanes; i++) {
        const s_lane_t *l = &as->lanes[i];
        Huifang__V1__TasksAssigned *ev = NULL;
        for (int r = 0; r < nrows; r++) {
            s_claimed_t *c = &as->cl[r];
            if (c->action != A_ASSIGN || c->lane != l)
                continue;
            Huifang__V1__Task *t = c->task;
            t->state = "assigned";
            t->agent = (char *)c->agent;
            t->bag_date = c->lane->day;
            t->assigned_at_ms = assigned_at;
            if (ev == NULL || ev->n_tasks == SCHED_EVENT_TASKS) {
                ev = hf_new(a, Huifang__V1__TasksAssigned);
                huifang__v1__tasks_assigned__init(ev);
                ev->tasks = hf_new_array(a, Huifang__V1__Task *, SCHED_EVENT_TASKS);
                hf_envelope_t *env = hf_new(a, hf_envelope_t);
                huifang__v1__envelope__init(env);
                env->branch = (char *)l->branch;
                env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASKS_ASSIGNED;
                env->tasks_assigned = ev;
                envs[ne++] = env;
            }
            ev->tasks[ev->n_tasks++] = t;
        }
    }
    if (hf_outbox_copy_many(as->st, hf_service_name(as->svc), envs, ne) < 0)
        return -1;
    as->nas = nas;
    return 0;
}

/* Assigns the ids claimed in every lane in one transaction; fills each lane's done (the
 * leases that may go; the others stay until the reaper returns them). Sets *nassigned.
 * 0, or -1 (nothing changed: the leases return the tasks). */
static int s_assign_lanes(hf_service_t *svc, s_lane_t *lanes, int nlanes, int64_t now,
                          int *nassigned, hf_arena_t *a)
{
    s_assign_t as = {.svc = svc,
                     .st = hf_service_store(svc),
                     .lanes = lanes,
                     .nlanes = nlanes,
                     .now = now,
                     .a = a};
    *nassigned = 0;
    for (int i = 0; i < nlanes; i++) {
        lanes[i].today = hf_time_local_day(now, lanes[i].tz);
        hf_date_format(lanes[i].today, lanes[i].day);
        lanes[i].ndone = 0;
        lanes[i].nitems = 0;
        as.n += lanes[i].nids;
    }
    int64_t *all = hf_new_array(a, int64_t, as.n + 1);
    for (int i = 0, k = 0; i < nlanes; i++)
        for (int j = 0; j < lanes[i].nids; j++)
            all[k++] = lanes[i].ids[j];
    as.idlist = sched_int_array_a(a, all, (size_t)as.n);
    as.sorted = hf_new_array(a, s_lane_t *, nlanes);
    for (int i = 0; i < nlanes; i++)
        as.sorted[i] = &lanes[i];
    qsort(as.sorted, (size_t)nlanes, sizeof *as.sorted, s_cmp_lane);

    /* who works today, read before the transaction: the guard below has the last word */
    if (s_load_lanes(as.st, lanes, nlanes, a) != 0)
        return -1;
    if (hf_store_begin(as.st) != 0)
        return -1;
    if (s_lock_claimed(&as) != 0 ||                        /* 1 and 2 */
        s_drop_stale_ids(&as) != 0 ||                      /* 3 */
        s_hold_over_cap(as.st, as.cl, as.nrows, a) != 0 || /* 3b: the weekly contact cap */
        s_place_claimed(&as) != 0 ||                       /* 4 */
        s_assign_or_roll(&as) != 0 ||                      /* 5 */
        s_write_unassigned(&as) != 0 ||                    /* 6 */
        s_write_assigned(&as) != 0)                        /* 7 */
        goto fail;
    if (hf_store_commit(as.st) != 0) {
        for (int i = 0; i < nlanes; i++)
            lanes[i].ndone = 0;
        return -1;
    }
    *nassigned = as.nas;
    if (as.nmv + as.ncn + as.npa + as.nri)
        hf_debug("assign_batch",
                 "branches=%d claimed=%d assigned=%d moved=%d cancelled=%d"
                 " paused=%d reindexed=%d",
                 nlanes, as.n, as.nas, as.nmv, as.ncn, as.npa, as.nri);
    return 0;
fail:
    hf_warn("assign_failed",
            "branches=%d claimed=%d reason=\"%s\" note=\"leases return the tasks\"", nlanes, as.n,
            hf_store_error(as.st));
    hf_store_rollback(as.st);
    for (int i = 0; i < nlanes; i++)
        lanes[i].ndone = 0;
    return -1;
}

/* Takes (lock) or gives back the branches' work locks: session advisory locks, so that
 * two instances work on different branches at a time and never wait for each other's agent
 * counters. Taking is a try: got[i] says which of the n branches are ours now. 0 or -1. */
static int s_branch_locks(hf_store_t *st, bool lock, const char *const *branches, int n, bool *got,
                          hf_arena_t *a)
{
    const char *p[] = {sched_text_array_a(a, branches, (size_t)n)};
    PGresult *res =
        hf_store_query(st, lock ? &SCHED_Q_BRANCH_LOCKS : &SCHED_Q_BRANCH_UNLOCKS, 1, p);
    if (res == NULL)
        return -1;
    for (int i = 0; got && i < n; i++)
        got[i] = i < PQntuples(res) && hf_pg_bool(res, i, 0);
    PQclear(res);
    return 0;
}

/* Drops the leases of what the transaction settled. */
static void s_ack_lanes(sched_t *self, s_lane_t *lanes, int nlanes)
{
    for (int i = 0; i < nlanes; i++)
        if (lanes[i].ndone > 0 &&
            hf_queue_ack_many(self->queue, lanes[i].branch, lanes[i].done, lanes[i].ndone) != 0)
            hf_warn("ack_failed", "branch=%s reason=\"%s\" note=\"the leases expire\"",
                    lanes[i].branch, hf_queue_error(self->queue));
}

/* The due-index's size for the metrics, every depth_ms (HUIFANG_SCHEDULER_DEPTH_MS): a
 * command or two a branch, so not at every tick. The default, 15 s, is Prometheus'
 * scrape_interval in deploy/prometheus: a gauge is read only when it is scraped, and counting
 * every 5 s (until the fifteenth round) made two counts of three that nobody read, in every
 * instance. A scraped figure is then at most one interval older than the scrape, as the
 * metrics' help text says; a deployment that scrapes more often sets depth_ms to match. Only
 * the two counts the gauges show are asked (due and queued: hf_queue_count_many), not the
 * four of hf_queue_stats_many: at 1,000 branches of 20,000 tasks, 4,000 commands a count
 * were 9 s of Redis's day in each instance. A failure leaves the last figures. */
static void s_count_depth(sched_t *self, PGresult *branches, int64_t mono)
{
    long connects = hf_queue_connects(self->queue);
    hf_series_set(self->m_redis_reconnects, connects > 1 ? (double)(connects - 1) : 0);
    hf_series_set(self->m_redis_round_trips, (double)hf_queue_round_trips(self->queue));
    hf_series_set(self->m_redis_commands, (double)hf_queue_commands(self->queue));
    if (mono < self->next_depth_mono)
        return;
    self->next_depth_mono = mono + self->depth_ms;
    /* every branch's counts in one round trip (one a branch until the thirteenth round: a
     * thousand round trips every 5 s an instance at the national size) */
    int nb = PQntuples(branches);
    const char **names = malloc(sizeof *names * (size_t)(nb > 0 ? nb : 1));
    hf_queue_counts_t *counts = malloc(sizeof *counts * (size_t)(nb > 0 ? nb : 1));
    if (names && counts) {
        for (int b = 0; b < nb; b++)
            names[b] = hf_pg_str(branches, b, 0);
        if (hf_queue_count_many(self->queue, names, nb, hf_clock_now_ms(), 0,
                                HF_QUEUE_COUNT_DUE | HF_QUEUE_COUNT_QUEUED, counts) == 0) {
            int64_t due_all = 0, queued_all = 0;
            for (int b = 0; b < nb; b++) {
                due_all += counts[b].due;
                queued_all += counts[b].queued;
            }
            hf_series_set(self->m_due, (double)due_all);
            hf_series_set(self->m_queued, (double)queued_all);
        }
    }
    free(counts);
    free(names);
}

/* Returns the expired leases of the branches where one expired (what: hf_queue_waiting's
 * answer, asked here for every branch in one round trip) to their due sets. 0, or -1 when
 * Redis failed (queue_ok cleared, logged). */
static int s_reap_expired(sched_t *self, const char *const *names, int nb, int *what)
{
    int64_t now = hf_clock_now_ms();
    if (hf_queue_waiting(self->queue, names, nb, now, what) != 0)
        goto failed;
    for (int b = 0; b < nb; b++) {
        int reaped = 0;
        if (!(what[b] & HF_QUEUE_EXPIRED))
            continue; /* no lease expired there: nothing to reap */
        if (hf_queue_reap(self->queue, names[b], now, &reaped) != 0)
            goto failed;
        if (reaped)
            hf_info("leases_reaped", "branch=%s tasks=%d", names[b], reaped);
        hf_series_add(self->m_leases_expired, reaped);
    }
    return 0;
failed:
    hf_warn("redis_unavailable", "reason=\"%s\"", hf_queue_error(self->queue));
    self->queue_ok = false;
    return -1;
}

int sched_assign(hf_service_t *svc, void *selfp)
{
    sched_t *self = selfp;
    self->assign_more = false; /* set again below when this round runs out of time */
    if (!self->queue_ok)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    PGresult *branches = hf_store_query(st, &SCHED_Q_BRANCHES_WINDOWS, 0, NULL);
    if (branches == NULL)
        return -1;
    int nb = PQntuples(branches);
    int total = 0, assigned = 0;
    int64_t mono = hf_clock_mono_ms();
    /* the branches' codes, and what waits in each (hf_queue_waiting: one round trip for all) */
    const char **names = calloc((size_t)(nb > 0 ? nb : 1), sizeof *names);
    int *what = calloc((size_t)(nb > 0 ? nb : 1), sizeof *what);
    int *order = calloc((size_t)(nb > 0 ? nb : 1), sizeof *order);
    bool ok = names != NULL && what != NULL && order != NULL;
    for (int b = 0; ok && b < nb; b++)
        names[b] = hf_pg_str(branches, b, 0);
    if (ok && mono >= self->next_reap_mono) {
        ok = s_reap_expired(self, names, nb, what) == 0;
        if (ok)
            self->next_reap_mono = mono + REAP_EVERY_MS;
    }
    if (!ok) {
        free(names);
        free(what);
        free(order);
        PQclear(branches);
        return -1;
    }
    s_count_depth(self, branches, mono);
    hf_arena_t *a = hf_arena_new();
    hf_store_t *lk = self->lock_store ? self->lock_store : st; /* where the work locks live */
    /* one claim buffer per branch: a group may hold a claim from every branch */
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)self->claim_batch * (size_t)(nb > 0 ? nb : 1));
    int64_t *done = malloc(sizeof(int64_t) * (size_t)self->claim_batch * (size_t)(nb > 0 ? nb : 1));
    s_lane_t *lanes = calloc((size_t)(nb > 0 ? nb : 1), sizeof *lanes);
    const char **locked = calloc((size_t)(nb > 0 ? nb : 1), sizeof *locked);
    int64_t deadline = mono + self->assign_budget_ms;
    /* a round resumes at the branch where the last one ran out of time, so that no branch
     * waits more than a round however long the backlog; instances start at different
     * branches (the pid), so they seldom try each other's locks */
    unsigned start = self->rotation;
    self->rotation = start + 1;
    bool again = nb > 0 && ids && done && lanes && locked;
    while (again) {
        /* one pass over every branch, in groups that each hold about a batch */
        again = false;
        bool out_of_time = false;
        /* the branches with something due, in this round's order: a branch where nothing
         * waits is neither locked nor asked (at 1,000 branches, 1,000 claims' round trips and
         * 250 lock statements a round, every 200 ms, for what is nearly always nothing) */
        int nd = 0;
        if (hf_queue_waiting(self->queue, names, nb, hf_clock_now_ms(), what) != 0) {
            hf_warn("redis_unavailable", "reason=\"%s\"", hf_queue_error(self->queue));
            self->queue_ok = false;
            break;
        }
        for (int k = 0; k < nb; k++)
            if (what[(start + (unsigned)k) % (unsigned)nb] & HF_QUEUE_DUE)
                order[nd++] = k;
        int j = 0;
        while (j < nd && !out_of_time && self->queue_ok) {
            int nlanes = 0, held = 0, nlocked = 0;
            int64_t now = hf_clock_now_ms();
            while (j < nd && held < self->claim_batch) {
                /* the next few branches that no other instance is working on right now */
                const char *chunk[LOCK_CHUNK];
                int bidx[LOCK_CHUNK], nc = 0;
                bool got[LOCK_CHUNK];
                for (; j < nd && nc < LOCK_CHUNK; j++) {
                    bidx[nc] = (int)((start + (unsigned)order[j]) % (unsigned)nb);
                    chunk[nc] = hf_pg_str(branches, bidx[nc], 0);
                    nc++;
                }
                if (s_branch_locks(lk, true, chunk, nc, got, a) != 0) {
                    j = nd;
                    break;
                }
                for (int c = 0; c < nc; c++) {
                    if (!got[c])
                        continue;
                    locked[nlocked++] = chunk[c];
                    int64_t *slot = ids + (size_t)nlanes * (size_t)self->claim_batch;
                    int n = 0;
                    if (!self->queue_ok ||
                        hf_queue_claim(self->queue, chunk[c], now, self->lease_ms,
                                       self->claim_batch, slot, NULL, &n) != 0) {
                        if (self->queue_ok)
                            hf_warn("redis_unavailable", "branch=%s reason=\"%s\"", chunk[c],
                                    hf_queue_error(self->queue));
                        self->queue_ok = false;
                        continue;
                    }
                    if (n == 0)
                        continue;
                    if (n == self->claim_batch)
                        again = true; /* that branch may hold more */
                    lanes[nlanes] =
                        (s_lane_t){.branch = chunk[c],
                                   .tz = hf_pg_str(branches, bidx[c], 1),
                                   .windows = hf_pg_str(branches, bidx[c], 2),
                                   .ids = slot,
                                   .nids = n,
                                   .done = done + (size_t)nlanes * (size_t)self->claim_batch};
                    nlanes++;
                    held += n;
                }
                if (!self->queue_ok)
                    j = nd;
            }
            if (nlanes > 0) {
                int nas = 0;
                s_assign_lanes(svc, lanes, nlanes, now, &nas, a);
                s_ack_lanes(self, lanes, nlanes);
                total += held;
                assigned += nas;
                hf_series_add(self->m_claimed, held);
                hf_series_add(self->m_assigned, nas);
            }
            if (nlocked > 0)
                s_branch_locks(lk, false, locked, nlocked, NULL, a);
            hf_arena_reset(a);
            out_of_time = hf_clock_mono_ms() >= deadline;
        }
        if (out_of_time) {
            self->rotation = start + (unsigned)(j < nd ? order[j] : nb);
            self->assign_more = true;
        }
        if (out_of_time || !self->queue_ok)
            again = false;
    }
    free(ids);
    free(done);
    free(lanes);
    free(locked);
    free(names);
    free(what);
    free(order);
    hf_arena_destroy(&a);
    PQclear(branches);
    if (assigned)
        hf_debug("assigned", "claimed=%d assigned=%d", total, assigned);
    if (total)
        sched_index(svc, self); /* put moved tasks back without waiting a tick */
    return total;
}

/* ---------------------------------------------------------------------------------------
 * An absent agent's bags go to colleagues
 * ------------------------------------------------------------------------------------- */

int sched_move_absent(hf_service_t *svc, const char *branch, const char *agent, int32_t from,
                      int32_t until, Huifang__V1__AgentAbsentResult *r, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, branch, &b, &missing) != 0)
        return HF_UNAVAILABLE;
    int64_t now = hf_clock_now_ms();
    int32_t today = hf_time_local_day(now, b.tz);
    char ftxt[11], utxt[11], ttxt[11], at[24], end[24];
    hf_date_format(from, ftxt);
    hf_date_format(until, utxt);
    hf_date_format(today, ttxt);
    hf_pg_i64(at, now);
    /* callbacks promised by the agent for the absence go to the team */
    const char *pc[] = {branch, agent, hf_pg_i64(end, hf_time_from_local(until + 1, 0, b.tz))};
    if (hf_store_query_run(st, &SCHED_Q_MOVE_ABSENT_TASK_UPDATE, 3, pc) != 0)
        return HF_UNAVAILABLE;
    const char *p[] = {branch, agent, ftxt, utxt, ttxt};
    PGresult *res = hf_store_query(st, &SCHED_Q_MOVE_ABSENT_TASK, 5, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__Task **tasks = hf_new_array(a, Huifang__V1__Task *, n > 0 ? n : 1);
    int64_t *ids = hf_new_array(a, int64_t, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        tasks[i] = sched_task_from_row(res, i, a);
        sched_task_windows(tasks[i], b.windows, a);
        ids[i] = tasks[i]->id;
    }
    PQclear(res);
    r->moved = hf_new_array(a, Huifang__V1__Task *, n > 0 ? n : 1);
    if (n == 0)
        return HF_OK;
    if (sched_release_room(st, sched_int_array_a(a, ids, (size_t)n)) != 0)
        return HF_UNAVAILABLE;
    /* one placement per bag day: an older bag's leftovers join today's */
    bool *handled = hf_new_array(a, bool, n);
    for (int i = 0; i < n; i++) {
        if (handled[i])
            continue;
        int32_t bag;
        if (hf_date_parse(tasks[i]->bag_date, &bag) != 0 || bag < today)
            bag = today;
        char day[11];
        hf_date_format(bag, day);
        sched_item_t *items = hf_new_array(a, sched_item_t, n);
        int ni = 0;
        for (int k = i; k < n; k++) {
            int32_t kb;
            if (hf_date_parse(tasks[k]->bag_date, &kb) != 0 || kb < today)
                kb = today;
            if (handled[k] || kb != bag)
                continue;
            handled[k] = true;
            const Huifang__V1__Task *t = tasks[k];
            items[ni++] =
                (sched_item_t){t->id,
                               t->priority,
                               t->due_at_ms,
                               t->role,
                               t->region,
                               "",
                               strcmp(t->channel, "visit") == 0 ? SCHED_VISIT : SCHED_CALL,
                               -1,
                               false,
                               false,
                               k};
        }
        sched_agent_t *agents = NULL;
        int na = sched_load_agents(st, branch, day, &agents, a);
        if (na < 0)
            return HF_UNAVAILABLE;
        /* the calls and visits take room in the colleagues' bags, a WeChat message none */
        int ns = 0;
        for (int k = 0; k < ni; k++)
            if (!sched_channel_written(S(tasks[items[k].ref]->channel))) {
                sched_item_t x = items[ns];
                items[ns++] = items[k];
                items[k] = x;
            }
        sched_items_sort(items, ns);
        sched_items_sort(items + ns, ni - ns);
        if (sched_reserve(st, branch, day, agents, na, items, ns, a) < 0)
            return HF_UNAVAILABLE;
        sched_place_uncapped(agents, na, items + ns, ni - ns,
                             hf_new_array(a, sched_agent_t, na + 1));
        for (int k = 0; k < ni; k++) {
            Huifang__V1__Task *t = tasks[items[k].ref];
            char id[24];
            hf_pg_i64(id, t->id);
            if (items[k].agent >= 0) {
                const char *to = agents[items[k].agent].id;
                const char *pu[] = {id, to, day, at};
                /* the rows are locked above in these two states */
                if (sched_task_move(st, "assigned, claimed", "assigned",
                                    &(sched_move_t){.set =
                                                        "agent = $2, bag_date = $3::date,"
                                                        " reserved_agent = '',"
                                                        " assigned_at_ms = $4, updated_at_ms = $4",
                                                    .where = "id = $1"},
                                    4, pu) < 0)
                    return HF_UNAVAILABLE;
                t->state = "assigned";
                t->agent = hf_arena_strdup(a, to);
                t->bag_date = hf_arena_strdup(a, day);
                t->assigned_at_ms = now;
                t->reserved_agent = "";
                if (sched_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED, t) != 0)
                    return HF_UNAVAILABLE;
                r->moved[r->n_moved++] = t;
            } else {
                char due[24];
                const char *pu[] = {id, hf_pg_i64(due, sched_day_start(bag + 1, t->windows, b.tz)),
                                    at};
                if (sched_task_move(st, "assigned, claimed", "planned",
                                    &(sched_move_t){.set = "agent = '', bag_date = NULL,"
                                                           " reserved_agent = '', due_at_ms = $2,"
                                                           " priority = CASE WHEN"
                                                           " priority >= 49 THEN priority ELSE"
                                                           " priority + 1 END, updated_at_ms = $3",
                                                    .where = "id = $1",
                                                    .reindex = true},
                                    3, pu) < 0)
                    return HF_UNAVAILABLE;
                r->unplaced++;
            }
        }
    }
    hf_info("absence_moved", "branch=%s agent=%s from=%s until=%s moved=%zu unplaced=%d", branch,
            agent, ftxt, utxt, r->n_moved, r->unplaced);
    return HF_OK;
}
