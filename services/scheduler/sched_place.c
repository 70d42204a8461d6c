/* sched_place: choosing agents for due tasks. See sched_place.h. */
#include "sched_place.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_cmp_items(const void *pa, const void *pb)
{
    const sched_item_t *a = pa, *b = pb;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->due_at != b->due_at)
        return a->due_at < b->due_at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

void sched_items_sort(sched_item_t *items, int n)
{
    if (n > 1)
        qsort(items, (size_t)n, sizeof *items, s_cmp_items);
}

/* The tier of agent g for item t: 0 same region, 1 whole branch, 2 anyone of the role (only
 * for the most urgent), 3 not eligible. */
static int s_tier(const sched_agent_t *g, const sched_item_t *t)
{
    if (strcmp(g->role, t->role) != 0)
        return 3;
    const char *region = t->region ? t->region : "";
    if (*region) {
        char needle[96];
        snprintf(needle, sizeof needle, ",%s,", region);
        if (strstr(g->regions, needle) != NULL)
            return 0;
    }
    if (g->regions[0] == '\0' || *region == '\0')
        return 1;
    return t->priority >= SCHED_ANY_REGION_PRIORITY ? 2 : 3;
}

int sched_place(sched_agent_t *agents, int nagents, sched_item_t *items, int nitems)
{
    int placed = 0;
    for (int i = 0; i < nitems; i++) {
        sched_item_t *t = &items[i];
        if (t->agent >= 0)
            continue;
        int k = t->kind;
        if (t->reserved && *t->reserved) {
            int j = 0;
            while (j < nagents && strcmp(agents[j].id, t->reserved) != 0)
                j++;
            if (j < nagents) {
                /* a promised callback: the same agent, room or not */
                t->agent = j;
                t->forced = true;
                agents[j].forced[k]++;
                placed++;
                continue;
            }
            /* the owner is away or gone: the team takes it */
        }
        int best = -1, best_tier = 3, best_load = 0;
        for (int j = 0; j < nagents; j++) {
            sched_agent_t *g = &agents[j];
            int tier = s_tier(g, t);
            if (tier >= 3 || tier > best_tier)
                continue;
            if (g->cap[k] - g->used[k] - g->want[k] - g->forced[k] <= 0)
                continue;
            int load =
                g->used[0] + g->used[1] + g->want[0] + g->want[1] + g->forced[0] + g->forced[1];
            if (best < 0 || tier < best_tier || load < best_load) {
                best = j;
                best_tier = tier;
                best_load = load;
            }
        }
        if (best >= 0) {
            t->agent = best;
            t->forced = false;
            agents[best].want[k]++;
            placed++;
        }
    }
    return placed;
}

int sched_place_trim(sched_agent_t *agents, int nagents, sched_item_t *items, int nitems,
                     const int (*granted)[2])
{
    int *kept = calloc((size_t)(nagents > 0 ? nagents : 1) * 2, sizeof *kept);
    int left = 0;
    for (int i = 0; i < nitems; i++) {
        sched_item_t *t = &items[i];
        if (t->settled)
            continue;
        if (t->agent < 0) {
            left++;
            continue;
        }
        int *kk = kept ? &kept[t->agent * 2 + t->kind] : NULL;
        if (t->forced) {
            t->settled = true;
        } else if (kk && *kk < granted[t->agent][t->kind]) {
            (*kk)++;
            t->settled = true;
        } else {
            t->agent = -1;
            left++;
        }
    }
    for (int j = 0; j < nagents; j++) {
        agents[j].want[0] = agents[j].want[1] = 0;
        agents[j].forced[0] = agents[j].forced[1] = 0;
    }
    free(kept);
    return left;
}

int sched_place_uncapped(const sched_agent_t *agents, int nagents, sched_item_t *items, int nitems,
                         sched_agent_t *scratch)
{
    for (int j = 0; j < nagents; j++) {
        scratch[j] = agents[j];
        scratch[j].cap[SCHED_CALL] = scratch[j].cap[SCHED_VISIT] = 1 << 28;
        scratch[j].want[0] = scratch[j].want[1] = 0;
        scratch[j].forced[0] = scratch[j].forced[1] = 0;
    }
    return sched_place(scratch, nagents, items, nitems);
}
