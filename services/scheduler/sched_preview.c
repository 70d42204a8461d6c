/* sched_preview: tomorrow's date bag the evening before (the clerk's "date bag", DOMAIN.md).
 *
 * A bag is filled when its tasks fall due (sched_assign.c); a day ahead nothing is assigned
 * yet. The preview runs the same pure placement (sched_place: role, region tier, least loaded
 * with room, a reserved task to its agent) over the tasks planned for that day, against each
 * agent's capacity and what the day already holds, without writing anything. What finds no
 * room is counted: it would roll over to the day after. Tasks that fall due meanwhile, an
 * absence or a new agent change the real bag; the preview says what it would be now. */
#include "scheduler_internal.h"
#include "scheduler_sql.h"

/* At most this many tasks of one day are previewed: a bag of one branch's day, bounded. */
#define PREVIEW_MAX 5000

/* The loads of agents (one, or all when agent is NULL) as BagLoad messages. */
static int s_loads(Huifang__V1__TaskList *l, const sched_agent_t *agents, int n, const char *agent,
                   hf_arena_t *a)
{
    l->loads = hf_new_array(a, Huifang__V1__BagLoad *, n > 0 ? n : 1);
    for (int j = 0; j < n; j++) {
        const sched_agent_t *g = &agents[j];
        if (agent && strcmp(agent, g->id) != 0)
            continue;
        Huifang__V1__BagLoad *b = hf_new(a, Huifang__V1__BagLoad);
        huifang__v1__bag_load__init(b);
        b->agent = hf_arena_strdup(a, g->id);
        b->calls = g->used[SCHED_CALL] + g->want[SCHED_CALL] + g->forced[SCHED_CALL];
        b->call_capacity = g->cap[SCHED_CALL];
        b->visits = g->used[SCHED_VISIT] + g->want[SCHED_VISIT] + g->forced[SCHED_VISIT];
        b->visit_capacity = g->cap[SCHED_VISIT];
        l->loads[l->n_loads++] = b;
    }
    return 0;
}

int sched_bag_loads(hf_store_t *st, const char *branch, const char *day, const char *agent,
                    Huifang__V1__TaskList *l, hf_arena_t *a)
{
    sched_agent_t *agents = NULL;
    int n = sched_load_agents(st, branch, day, &agents, a);
    if (n < 0)
        return -1;
    return s_loads(l, agents, n, agent, a);
}

int sched_bag_preview(hf_store_t *st, const sched_branch_t *b, const char *branch, int32_t day,
                      const char *agent, Huifang__V1__TaskList **out, hf_arena_t *a)
{
    char daytxt[11], from[24], to[24], max[16];
    hf_date_format(day, daytxt);
    const char *p[] = {branch, hf_pg_i64(from, hf_time_from_local(day, 0, b->tz)),
                       hf_pg_i64(to, hf_time_from_local(day + 1, 0, b->tz)),
                       hf_pg_i64(max, PREVIEW_MAX)};
    PGresult *res = hf_store_query(st, &SCHED_Q_BAG_PREVIEW, 4, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    Huifang__V1__Task **tasks = hf_new_array(a, Huifang__V1__Task *, n > 0 ? n : 1);
    sched_item_t *items = hf_new_array(a, sched_item_t, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Task *t = sched_task_from_row(res, i, a);
        sched_task_windows(t, b->windows, a);
        tasks[i] = t;
        items[i] = (sched_item_t){t->id,
                                  t->priority,
                                  t->due_at_ms,
                                  t->role,
                                  t->region,
                                  S(t->reserved_agent),
                                  strcmp(t->channel, "visit") == 0 ? SCHED_VISIT : SCHED_CALL,
                                  -1,
                                  false,
                                  false,
                                  i};
    }
    PQclear(res);
    sched_agent_t *agents = NULL;
    int na = sched_load_agents(st, branch, daytxt, &agents, a);
    if (na < 0)
        return -1;
    /* the calls and visits against the capacity, then the WeChat messages placed without
     * taking room (as the assignment does) */
    sched_item_t *placed = hf_new_array(a, sched_item_t, n > 0 ? n : 1);
    int ns = 0, nw = 0;
    for (int i = 0; i < n; i++)
        if (!sched_channel_written(S(tasks[i]->channel)))
            placed[ns++] = items[i];
    for (int i = 0; i < n; i++)
        if (sched_channel_written(S(tasks[i]->channel)))
            placed[ns + nw++] = items[i];
    items = placed;
    sched_items_sort(items, ns);
    sched_items_sort(items + ns, nw);
    sched_place(agents, na, items, ns);
    sched_place_uncapped(agents, na, items + ns, nw, hf_new_array(a, sched_agent_t, na + 1));

    Huifang__V1__TaskList *l = hf_new(a, Huifang__V1__TaskList);
    huifang__v1__task_list__init(l);
    l->preview = true;
    l->tasks = hf_new_array(a, Huifang__V1__Task *, n > 0 ? n : 1);
    /* in bag order (most urgent first), agent by agent when all are asked for */
    for (int j = 0; j < na; j++) {
        if (agent && strcmp(agent, agents[j].id) != 0)
            continue;
        for (int k = 0; k < n; k++) {
            if (items[k].agent != j)
                continue;
            Huifang__V1__Task *t = tasks[items[k].ref];
            t->agent = hf_arena_strdup(a, agents[j].id);
            t->bag_date = hf_arena_strdup(a, daytxt);
            l->tasks[l->n_tasks++] = t;
        }
    }
    for (int k = 0; k < n; k++)
        if (items[k].agent < 0)
            l->unplaced++;
    if (n == PREVIEW_MAX)
        hf_warn("preview_cut", "branch=%s day=%s tasks=%d", branch, daytxt, n);
    s_loads(l, agents, na, agent, a);
    *out = l;
    return 0;
}
