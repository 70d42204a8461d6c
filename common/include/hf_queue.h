/* hf_queue: Redis due-queues. Per branch and kind, a sorted set of ids scored by due time
 * (UTC ms) and a sorted set of leased ids scored by lease expiry. Claims are one atomic Lua
 * script; a lease that expires returns the id to the due set. Every Redis key name lives in
 * this module's .c file and nowhere else; keys carry the branch as a hash tag so that a
 * branch's keys stay on one Redis Cluster slot. Redis is an index, never the record: a lost
 * Redis is rebuilt from Postgres, detected through an epoch key. */
#ifndef HF_QUEUE_H
#define HF_QUEUE_H
#include <stdbool.h>
#include <stdint.h>

typedef struct hf_queue_t hf_queue_t;

/* Creates a queue client for url ("redis://[[user]:password@]host:port[/db]") and kind (e.g.
 * "task", "sla"); does not connect yet. Never returns NULL. */
hf_queue_t *hf_queue_new(const char *url, const char *kind);
/* Disconnects and frees; idempotent, sets *self_p to NULL. */
void hf_queue_destroy(hf_queue_t **self_p);
/* Connects (or reconnects) and loads the Lua scripts; returns 0 or -1 (hf_queue_error()). */
int hf_queue_connect(hf_queue_t *self);
/* Round trips to Redis so far (a pipeline of commands is one), for the metrics. */
uint64_t hf_queue_round_trips(const hf_queue_t *self);
/* Commands sent so far (a pipeline of n is n), for the metrics. */
uint64_t hf_queue_commands(const hf_queue_t *self);
/* For tests: hook(arg) runs inside hf_queue_waiting between its look at the branches and
 * its raise of their hints, where another writer may slip in. NULL removes it. */
void hf_queue_set_look_hook(hf_queue_t *self, void (*hook)(void *arg), void *arg);
/* How many connections were made so far (each one after the first is a reconnect). */
long hf_queue_connects(const hf_queue_t *self);
/* Sets the password sent with AUTH on every connect (HUIFANG_REDIS_PASSWORD), overriding one
 * in the url; NULL or "" keeps the url's. Call before hf_queue_connect. */
void hf_queue_set_password(hf_queue_t *self, const char *password);
/* Finds the master through Redis Sentinel: sentinels "host:port[,host:port...]" (at most
 * 16), master_name as the sentinels know it (HUIFANG_REDIS_SENTINELS,
 * HUIFANG_REDIS_MASTER_NAME). Every connect then asks them for the master, checks ROLE and
 * connects there; the url gives only the database and the credentials. NULL or "" keeps
 * the url's host. Returns 0, or -1 (bad list or name: every later call fails with the
 * reason). Call before hf_queue_connect. */
int hf_queue_set_sentinels(hf_queue_t *self, const char *sentinels, const char *master_name);
/* The last error message ("" when none); owned by the queue. */
const char *hf_queue_error(const hf_queue_t *self);

/* Puts id in branch's due set at due_ms, or moves it there (also out of the leases). */
int hf_queue_put(hf_queue_t *self, const char *branch, int64_t id, int64_t due_ms);
/* Puts many ids of one branch in one round trip (pipelined). */
int hf_queue_put_many(hf_queue_t *self, const char *branch, const int64_t *ids,
                      const int64_t *due_ms, int n);
/* Atomically moves up to max ids due at or before now_ms into the leases, with expiry
 * now_ms + lease_ms; writes them to ids (oldest due first) and their due times to due_ms
 * (may be NULL), sets *n. Returns 0 or -1. */
int hf_queue_claim(hf_queue_t *self, const char *branch, int64_t now_ms, int64_t lease_ms, int max,
                   int64_t *ids, int64_t *due_ms, int *n);
/* Drops id's lease after its new state is committed in Postgres (done with it). */
int hf_queue_ack(hf_queue_t *self, const char *branch, int64_t id);
/* Drops the leases of n ids of one branch in one round trip (hf_queue_ack for a batch). */
int hf_queue_ack_many(hf_queue_t *self, const char *branch, const int64_t *ids, int n);
/* Removes id from both sets (cancelled). */
int hf_queue_remove(hf_queue_t *self, const char *branch, int64_t id);
/* Returns expired leases (expiry <= now_ms) to the due set; sets *n to how many. */
int hf_queue_reap(hf_queue_t *self, const char *branch, int64_t now_ms, int *n);
/* Counts: ids due now, leased, and due more than overdue_ms ago; and all queued. */
int hf_queue_stats(hf_queue_t *self, const char *branch, int64_t now_ms, int64_t overdue_ms,
                   int64_t *due, int64_t *leased, int64_t *overdue, int64_t *queued);
/* hf_queue_stats for n branches in one round trip however many they are (four counts a
 * branch, pipelined): counts[i] for branches[i]. Returns 0 or -1 (counts then unset). */
typedef struct {
    int64_t due, leased, overdue, queued;
} hf_queue_counts_t;
int hf_queue_stats_many(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                        int64_t overdue_ms, hf_queue_counts_t *counts);
/* hf_queue_stats_many asking only the counts named in fields (HF_QUEUE_COUNT_ bits, at least
 * one): one command a branch a count, in one round trip; the counts not asked are -1. */
#define HF_QUEUE_COUNT_DUE 1u
#define HF_QUEUE_COUNT_LEASED 2u
#define HF_QUEUE_COUNT_OVERDUE 4u
#define HF_QUEUE_COUNT_QUEUED 8u
#define HF_QUEUE_COUNT_ALL 15u
int hf_queue_count_many(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                        int64_t overdue_ms, unsigned fields, hf_queue_counts_t *counts);
/* What waits in each of n branches at now_ms: the bits HF_QUEUE_DUE (ids due at or before
 * now_ms: what hf_queue_claim would take) and HF_QUEUE_EXPIRED (leases expired by then: what
 * hf_queue_reap would return) into what[i] for branches[i], 0 when neither. For a timer that
 * visits every branch each round: it claims and reaps where something waits. Asks the wake
 * index (hf_queue.c) which branches may hold something by now, in one command however many
 * branches there are, and looks only at those (two commands each); moves no id, but raises
 * the hints of the branches looked at to when something next waits there. Branches the
 * index names that are not among branches[] are left alone. Returns 0, or -1 (what all 0). */
#define HF_QUEUE_DUE 1
#define HF_QUEUE_EXPIRED 2
int hf_queue_waiting(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                     int *what);
/* hf_queue_waiting, and into *listed the branch set's version, read by the same command: a
 * number that moves whenever a branch is put into for the first time (hf_queue_branches would
 * list one more). For a timer that keeps the branch list in memory and lists it again only
 * when the version moved: a branch put into before the version read is listed by an
 * hf_queue_branches called after it. Asks Redis even when n is 0 (one command). Returns 0, or
 * -1 (*listed left as it was). */
int hf_queue_waiting_listed(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                            int *what, int64_t *listed);
/* Lists the branches that have ever been put into (a set); returns the count or -1; the
 * caller frees each string and the array. */
int hf_queue_branches(hf_queue_t *self, char ***branches);
/* True in *ok when the epoch key is present (Redis was not flushed or replaced since the
 * last hf_queue_mark_epoch) and, with Sentinel, the master did not move since the last call
 * (a promoted replica may miss the last writes). Returns 0 or -1. */
int hf_queue_epoch_ok(hf_queue_t *self, bool *ok);
/* Sets the epoch key after a rebuild. */
int hf_queue_mark_epoch(hf_queue_t *self);
/* Deletes every key of this kind for branch (before a rebuild of that branch). */
int hf_queue_clear(hf_queue_t *self, const char *branch);

#endif
