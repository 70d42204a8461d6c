-- task next reads the few tasks it hands out, not the agent's whole bag (issue 14, sched12;
-- tests/e2e/260_task_next_reads_few.sh). Its candidates (TASK_NEXT_SELECT, scheduler_sql.h) are
-- the agent's tasks assigned or claimed, in the order ORDER BY state = 'claimed' DESC,
-- priority DESC, due_at_ms, id, the first 3 locked (FOR UPDATE SKIP LOCKED; 20 when none of
-- those can be called now). Through task_agent (branch, agent, state, bag_date) the plan read
-- every task of the bag — each one a heap page of its own, an agent's 40 tasks being 40
-- customers' — and sorted them, at every claim: ~20 pages a claim on average over a bag's day,
-- 47 buffers at a bag's start on a store of a tenth of the chain (1,000,000 customers), most of
-- them misses once the bags of 1,000 agents (40,000 pages) outgrow shared_buffers. This index
-- holds the bags' open tasks in that very order, so the plan reads them in it and stops at the
-- third it locks: 3 heap pages, no sort (6 buffers where there were 47). The expression
-- (state = 'claimed') is the ORDER BY's own, which the planner matches to the index's column.
-- What it costs: an entry more for a task's move into a bag and for its claim (the rows that
-- match the predicate; a task logged, done or planned again, matches it no more) —
-- tests/e2e/252_task_index_entries.sh. task_agent stays: the bags by state and day (the roll,
-- the worklist, the preemption, the day loads, the earliest bag day a claim probes).
CREATE INDEX task_next ON task (branch, agent, (state = 'claimed') DESC, priority DESC, due_at_ms, id)
    WHERE agent <> '' AND state IN ('assigned', 'claimed');
