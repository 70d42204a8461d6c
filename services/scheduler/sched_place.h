/* sched_place: who gets a due task — the pure half of filling date bags. Agents of the
 * task's role are tried in tiers: those who cover the customer's region, then those who cover
 * the whole branch (no regions), and for the most urgent tasks (an adverse reaction) anyone
 * of the role; within a tier the least loaded agent with room left wins. A callback goes to
 * the agent who promised it, over their capacity if need be. The store's capacity guard then
 * grants what it can (sched_assign.c) and sched_place_trim() takes back the rest. */
#ifndef SCHED_PLACE_H
#define SCHED_PLACE_H
#include <stdbool.h>
#include <stdint.h>

enum { SCHED_CALL = 0, SCHED_VISIT = 1 };
/* A task at least this urgent may go to an agent of its role outside its region. */
#define SCHED_ANY_REGION_PRIORITY 50

typedef struct {
    char id[48];
    char role[16];
    char regions[512]; /* ",r1,r2," or "" for the whole branch */
    int cap[2];        /* daily calls, daily visits */
    int used[2];       /* today's count as the store last said */
    int want[2];       /* placed in this round, to be granted */
    int forced[2];     /* placed in this round over capacity (callbacks) */
    bool has_day;      /* the agent already has a row for the day in the store */
} sched_agent_t;

typedef struct {
    int64_t id;
    int priority;
    int64_t due_at;
    const char *role;
    const char *region;
    const char *reserved; /* the agent a callback belongs to, "" for anyone */
    int kind;             /* SCHED_CALL or SCHED_VISIT */
    int agent;            /* index of the chosen agent, -1 while none */
    bool forced;          /* placed over capacity (a callback's owner) */
    bool settled;         /* granted by the store in an earlier round */
    int ref;              /* the caller's index for this item */
} sched_item_t;

/* Sorts items most urgent first: priority down, then due time, then id. */
void sched_items_sort(sched_item_t *items, int n);
/* Chooses an agent for every item without one (in the order given), counting each choice
 * in the agent's want or forced. Returns how many were placed. */
int sched_place(sched_agent_t *agents, int nagents, sched_item_t *items, int nitems);
/* Keeps, per agent, the first granted[j][kind] of the items placed on it in this round
 * (forced ones always), marking them settled, and takes the agent back from the others;
 * clears want and forced.
 * Returns how many items are left without an agent. */
int sched_place_trim(sched_agent_t *agents, int nagents, sched_item_t *items, int nitems,
                     const int (*granted)[2]);
/* Places items as sched_place() does but on scratch (nagents long), a copy of agents without
 * capacity, so that agents' counters stay as they are: a written task (WeChat) takes no
 * phone room anywhere (the assignment, an absence's move, the evening preview). Returns how
 * many were placed; an item with no agent of its role stays without one. */
int sched_place_uncapped(const sched_agent_t *agents, int nagents, sched_item_t *items, int nitems,
                         sched_agent_t *scratch);

#endif
